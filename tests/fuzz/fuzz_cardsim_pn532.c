/* fuzz_cardsim_pn532.c — ssa-cardsim's PN532 (frame codec and command set) on arbitrary input
 * from the host.  Every chunk the chip sends must be an ACK, the error frame or a well-formed
 * response frame, and no status byte libnfc checks may have bit 7 set (libnfc would abort()).
 *
 * Input: byte 0 picks the mode and the card's behaviour; then either the raw byte stream of the
 * serial line (mode bit 0 clear), or length-prefixed command payloads that the harness frames
 * with correct checksums (bit 0 set), so that mutations reach the command handlers.
 * The chip has no dependency but libc, so it is compiled in here (the fuzz build links only
 * libssa and libssaio). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cardsim/pn532.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct card {
	uint32_t epoch;
	uint8_t behaviour;
	unsigned calls;
};

static uint32_t
card_present(void *cls)
{
	return ((struct card *)cls)->epoch;
}

static void
card_uid(void *cls, uint8_t uid[7])
{
	(void)cls;
	memcpy(uid, "\x04\x10\x20\x30\x40\x50\x60", 7);
}

static bool
card_exchange(void *cls, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
              size_t *resp_len)
{
	struct card *c = cls;
	size_t n = len < 59 ? len : 59;

	c->calls++;
	if ((c->behaviour & 0x02) && c->calls % 3 == 0) {
		c->epoch = 0; /* torn */
		return false;
	}
	if (cap < n + 2)
		abort();
	memcpy(resp, cmd, n);
	resp[n] = 0x91;
	resp[n + 1] = 0x00;
	*resp_len = n + 2;
	return true;
}

static void
card_reset(void *cls)
{
	(void)cls;
}

/* Response codes whose first data byte is a status libnfc tests for bit 7. */
static bool
has_status(uint8_t code)
{
	switch (code) {
	case 0x17: /* PowerDown */
	case 0x41: /* InDataExchange */
	case 0x43: /* InCommunicateThru */
	case 0x45: /* InDeselect */
	case 0x53: /* InRelease */
	case 0x55: /* InSelect */
	case 0x57: /* InJumpForDEP */
		return true;
	default:
		return false;
	}
}

static void
check_output(void *cls, const uint8_t *b, size_t len)
{
	size_t dlen, off;
	uint8_t sum = 0;

	(void)cls;
	if (len == sizeof(pn532_ack_frame) && memcmp(b, pn532_ack_frame, len) == 0)
		return;
	if (len == sizeof(pn532_error_frame) && memcmp(b, pn532_error_frame, len) == 0)
		return;
	if (len < 9 || b[0] != 0x00 || b[1] != 0x00 || b[2] != 0xFF)
		abort();
	if (b[3] == 0xFF && b[4] == 0xFF) {
		dlen = (size_t)b[5] << 8 | b[6];
		if ((uint8_t)(b[5] + b[6] + b[7]) != 0)
			abort();
		off = 8;
	} else {
		dlen = b[3];
		if ((uint8_t)(b[3] + b[4]) != 0)
			abort();
		off = 5;
	}
	if (len != off + dlen + 2 || dlen < 2 || b[off] != PN532_TFI_CHIP || b[len - 1] != 0x00)
		abort();
	for (size_t i = off; i < off + dlen + 1; i++)
		sum = (uint8_t)(sum + b[i]);
	if (sum != 0)
		abort();
	if (has_status(b[off + 1]) && (dlen < 3 || (b[off + 2] & 0x80)))
		abort();
}

static const struct pn532_card_ops ops = {
	.present = card_present,
	.uid = card_uid,
	.exchange = card_exchange,
	.reset = card_reset,
	.output = check_output,
};

static size_t
frame(const uint8_t *d, size_t len, uint8_t *out)
{
	size_t n = 0;
	uint8_t dcs = (uint8_t)(0x100 - PN532_TFI_HOST);

	out[n++] = 0x00;
	out[n++] = 0x00;
	out[n++] = 0xFF;
	if (len + 1 <= 0xFF) {
		out[n++] = (uint8_t)(len + 1);
		out[n++] = (uint8_t)(0x100 - (len + 1));
	} else {
		out[n++] = 0xFF;
		out[n++] = 0xFF;
		out[n++] = (uint8_t)((len + 1) >> 8);
		out[n++] = (uint8_t)(len + 1);
		out[n++] = (uint8_t)(0x100 - (((len + 1) >> 8) + ((len + 1) & 0xFF)));
	}
	out[n++] = PN532_TFI_HOST;
	for (size_t i = 0; i < len; i++) {
		out[n++] = d[i];
		dcs = (uint8_t)(dcs - d[i]);
	}
	out[n++] = dcs;
	out[n++] = 0x00;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card card = {0};
	struct pn532_chip *chip;
	uint64_t now = 0;

	if (size < 1)
		return 0;
	card.behaviour = data[0];
	card.epoch = (data[0] & 0x04) ? 0 : 1;
	chip = pn532_chip_new(&ops, &card);
	if (chip == NULL)
		return 0;
	data++;
	size--;
	if (!(card.behaviour & 0x01)) {
		pn532_chip_input(chip, data, size, now);
	} else {
		uint8_t buf[PN532_FRAME_MAX];

		while (size > 0) {
			size_t len = data[0] % 64 + 1;

			data++;
			size--;
			if (len > size)
				len = size;
			if (len == 0)
				break;
			pn532_chip_input(chip, buf, frame(data, len, buf), now);
			data += len;
			size -= len;
			now += 500;
			if (card.behaviour & 0x08)
				card.epoch = card.epoch ? 0 : 2; /* the card comes and goes */
			pn532_chip_poll(chip, now);
		}
	}
	pn532_chip_poll(chip, UINT64_MAX - 1);
	pn532_chip_free(chip);
	return 0;
}
