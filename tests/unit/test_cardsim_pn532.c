/* test_cardsim_pn532.c — the PN532 frame codec (checksums, ACK/NACK, extended frames, resync
 * after garbage) and the chip's answers to libnfc's commands, against a scripted card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../tools/cardsim/control.h"
#include "../../tools/cardsim/desfire.h"
#include "../../tools/cardsim/field.h"
#include "../../tools/cardsim/pn532.h"

/* --- a host, as libnfc's pn53x_build_frame() frames commands --- */

static size_t
host_frame(const uint8_t *data, size_t len, uint8_t *out)
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
		out[n++] = data[i];
		dcs = (uint8_t)(dcs - data[i]);
	}
	out[n++] = dcs;
	out[n++] = 0x00;
	return n;
}

/* Feed @p len bytes; return the last event that was not NONE (NONE if none). */
static enum pn532_event
feed_all(struct pn532_rx *rx, const uint8_t *buf, size_t len, int *events)
{
	enum pn532_event last = PN532_EV_NONE;

	for (size_t i = 0; i < len; i++) {
		enum pn532_event ev = pn532_rx_feed(rx, buf[i]);

		if (ev != PN532_EV_NONE) {
			last = ev;
			if (events)
				(*events)++;
		}
	}
	return last;
}

/* --- codec --- */

static void
test_encode_normal(void **state)
{
	static const uint8_t fw[] = {0x03, 0x32, 0x01, 0x06, 0x07};
	static const uint8_t want[] = {0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03,
	                               0x32, 0x01, 0x06, 0x07, 0xE8, 0x00};
	uint8_t out[PN532_FRAME_MAX];
	(void)state;

	assert_int_equal(pn532_frame_encode(fw, sizeof(fw), out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(pn532_frame_encode(fw, 0, out, sizeof(out)), 0);
	assert_int_equal(pn532_frame_encode(fw, sizeof(fw), out, 10), 0);
}

static void
test_encode_extended(void **state)
{
	uint8_t data[PN532_DATA_MAX], out[PN532_FRAME_MAX + 1];
	uint8_t sum = 0;
	size_t n;
	(void)state;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	n = pn532_frame_encode(data, sizeof(data), out, sizeof(out));
	assert_int_equal(n, sizeof(data) + 11);
	assert_int_equal(out[3], 0xFF);
	assert_int_equal(out[4], 0xFF);
	assert_int_equal((out[5] << 8) | out[6], sizeof(data) + 1);
	assert_int_equal((uint8_t)(out[5] + out[6] + out[7]), 0); /* LCS */
	assert_int_equal(out[8], PN532_TFI_CHIP);
	for (size_t i = 8; i < n - 1; i++) /* TFI, data, DCS */
		sum = (uint8_t)(sum + out[i]);
	assert_int_equal(sum, 0);
	assert_int_equal(out[n - 1], 0x00);
	/* 254 payload bytes still fit a normal frame, 255 do not. */
	assert_int_equal(pn532_frame_encode(data, 254, out, sizeof(out)), 254 + 8);
	assert_int_equal(pn532_frame_encode(data, 255, out, sizeof(out)), 255 + 11);
	assert_int_equal(pn532_frame_encode(data, PN532_DATA_MAX + 1, out, sizeof(out)), 0);
}

static void
test_rx_wakeup_then_frame(void **state)
{
	/* What pn532_uart_wakeup() sends, then SAMConfiguration normal mode. */
	static const uint8_t wake[] = {0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t sam[] = {0x14, 0x01};
	struct pn532_rx rx;
	uint8_t buf[64];
	const uint8_t *d;
	size_t n;
	int events = 0;
	(void)state;

	pn532_rx_init(&rx);
	assert_int_equal(feed_all(&rx, wake, sizeof(wake), &events), PN532_EV_NONE);
	n = host_frame(sam, sizeof(sam), buf);
	assert_int_equal(feed_all(&rx, buf, n, &events), PN532_EV_FRAME);
	assert_int_equal(events, 1);
	d = pn532_rx_data(&rx, &n);
	assert_int_equal(n, sizeof(sam));
	assert_memory_equal(d, sam, sizeof(sam));
}

static void
test_rx_ack_nack(void **state)
{
	struct pn532_rx rx;
	(void)state;

	pn532_rx_init(&rx);
	assert_int_equal(feed_all(&rx, pn532_ack_frame, 6, NULL), PN532_EV_ACK);
	assert_int_equal(feed_all(&rx, pn532_nack_frame, 6, NULL), PN532_EV_NACK);
	assert_int_equal(feed_all(&rx, pn532_ack_frame, 6, NULL), PN532_EV_ACK);
}

static void
test_rx_extended(void **state)
{
	uint8_t cmd[262], buf[PN532_FRAME_MAX];
	struct pn532_rx rx;
	const uint8_t *d;
	size_t n;
	(void)state;

	cmd[0] = 0x40; /* InDataExchange */
	cmd[1] = 0x01;
	for (size_t i = 2; i < sizeof(cmd); i++)
		cmd[i] = (uint8_t)(0xA5 ^ i);
	pn532_rx_init(&rx);
	n = host_frame(cmd, sizeof(cmd), buf);
	assert_int_equal(buf[3], 0xFF);
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_FRAME);
	d = pn532_rx_data(&rx, &n);
	assert_int_equal(n, sizeof(cmd));
	assert_memory_equal(d, cmd, sizeof(cmd));
}

static void
test_rx_checksums_and_resync(void **state)
{
	static const uint8_t fw[] = {0x02};
	static const uint8_t garbage[] = {0xFF, 0x13, 0x00, 0x55, 0x00, 0x7E, 0xFF, 0x00};
	uint8_t buf[64];
	struct pn532_rx rx;
	size_t n;
	int events = 0;
	(void)state;

	pn532_rx_init(&rx);
	/* Wrong DCS: dropped. */
	n = host_frame(fw, sizeof(fw), buf);
	buf[n - 2] ^= 0x01;
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_BAD);
	/* Wrong LCS: dropped, and the next good frame is found. */
	n = host_frame(fw, sizeof(fw), buf);
	buf[4] ^= 0x10;
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_BAD);
	n = host_frame(fw, sizeof(fw), buf);
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_FRAME);
	/* Garbage between frames (including a false start code with a bad LCS). */
	assert_int_not_equal(feed_all(&rx, garbage, sizeof(garbage), &events), PN532_EV_FRAME);
	n = host_frame(fw, sizeof(fw), buf);
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_FRAME);
	/* Wrong TFI (a frame in the PN532's own direction echoed back): dropped. */
	n = pn532_frame_encode(fw, sizeof(fw), buf, sizeof(buf));
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_BAD);
	/* A frame with only a TFI carries no command: dropped. */
	{
		static const uint8_t tfi_only[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0xD4, 0x2C, 0x00};

		assert_int_equal(feed_all(&rx, tfi_only, sizeof(tfi_only), NULL), PN532_EV_BAD);
	}
	n = host_frame(fw, sizeof(fw), buf);
	assert_int_equal(feed_all(&rx, buf, n, NULL), PN532_EV_FRAME);
}

/* --- the chip, with a scripted card --- */

struct fake {
	uint32_t epoch;
	bool tear; /* the next exchange gets no answer */
	int resets;
	int exchanges;
	uint8_t out[8192];
	size_t out_len;
};

static uint32_t
fake_present(void *cls)
{
	return ((struct fake *)cls)->epoch;
}

static void
fake_uid(void *cls, uint8_t uid[7])
{
	static const uint8_t u[7] = {0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
	(void)cls;
	memcpy(uid, u, 7);
}

static bool
fake_exchange(void *cls, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
              size_t *resp_len)
{
	struct fake *f = cls;

	f->exchanges++;
	if (f->tear) {
		f->epoch = 0;
		return false;
	}
	assert_true(cap >= len + 2);
	/* Echo the command, then 91 00. */
	memcpy(resp, cmd, len);
	resp[len] = 0x91;
	resp[len + 1] = 0x00;
	*resp_len = len + 2;
	return true;
}

static void
fake_reset(void *cls)
{
	((struct fake *)cls)->resets++;
}

static void
fake_output(void *cls, const uint8_t *buf, size_t len)
{
	struct fake *f = cls;

	assert_true(f->out_len + len <= sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
}

static const struct pn532_card_ops fake_ops = {
    .present = fake_present,
    .uid = fake_uid,
    .exchange = fake_exchange,
    .reset = fake_reset,
    .output = fake_output,
};

#define ERROR_FRAME ((size_t)-1)

/* Send one command; check the ACK and return the response payload (response code first) in
 * @p resp, 0 when the chip answered nothing but the ACK, ERROR_FRAME for the error frame. */
static size_t
command(struct pn532_chip *chip, struct fake *f, const uint8_t *cmd, size_t len, uint64_t now,
        uint8_t *resp)
{
	uint8_t buf[PN532_FRAME_MAX];
	size_t n = host_frame(cmd, len, buf);

	f->out_len = 0;
	pn532_chip_input(chip, buf, n, now);
	assert_true(f->out_len >= 6);
	assert_memory_equal(f->out, pn532_ack_frame, 6);
	if (f->out_len == 6)
		return 0;
	if (f->out_len == 6 + sizeof(pn532_error_frame) &&
	    memcmp(f->out + 6, pn532_error_frame, sizeof(pn532_error_frame)) == 0)
		return ERROR_FRAME;
	/* Parse the response exactly as pn532_uart_receive() does. */
	{
		const uint8_t *r = f->out + 6;
		size_t rlen = f->out_len - 6, dlen, off;
		uint8_t sum = 0;

		assert_memory_equal(r, "\x00\x00\xFF", 3);
		if (r[3] == 0xFF && r[4] == 0xFF) {
			dlen = ((size_t)r[5] << 8 | r[6]);
			assert_int_equal((uint8_t)(r[5] + r[6] + r[7]), 0);
			off = 8;
		} else {
			dlen = r[3];
			assert_int_equal((uint8_t)(r[3] + r[4]), 0);
			off = 5;
		}
		assert_int_equal(rlen, off + dlen + 2);
		assert_int_equal(r[off], PN532_TFI_CHIP);
		assert_int_equal(r[off + 1], cmd[0] + 1);
		for (size_t i = off; i < off + dlen + 1; i++)
			sum = (uint8_t)(sum + r[i]);
		assert_int_equal(sum, 0);
		assert_int_equal(r[off + dlen + 1], 0x00);
		memcpy(resp, r + off + 1, dlen - 1);
		return dlen - 1;
	}
}

static void
test_chip_basics(void **state)
{
	static const uint8_t fw[] = {0x02};
	static const uint8_t diag[] = {0x00, 0x00, 'l', 'i', 'b', 'n', 'f', 'c'};
	static const uint8_t wr[] = {0x08, 0x63, 0x05, 0x5A, 0x63, 0x3D, 0x03};
	static const uint8_t rd[] = {0x06, 0x63, 0x05, 0x63, 0x3D, 0x63, 0x02};
	static const uint8_t unknown[] = {0x7A, 0x01};
	static const uint8_t bad_len[] = {0x06, 0x63};
	struct fake f = {0};
	struct pn532_chip *chip = pn532_chip_new(&fake_ops, &f);
	uint8_t r[PN532_DATA_MAX];
	size_t n;
	(void)state;

	assert_non_null(chip);
	n = command(chip, &f, fw, sizeof(fw), 0, r);
	assert_int_equal(n, 5);
	assert_memory_equal(r, "\x03\x32\x01\x06\x07", 5);
	n = command(chip, &f, diag, sizeof(diag), 0, r);
	assert_int_equal(n, sizeof(diag));
	assert_memory_equal(r + 1, diag + 1, sizeof(diag) - 1);
	/* What is written reads back; CRC is on after power-on (TxMode bit 7). */
	assert_int_equal(command(chip, &f, wr, sizeof(wr), 0, r), 1);
	n = command(chip, &f, rd, sizeof(rd), 0, r);
	assert_int_equal(n, 4);
	assert_memory_equal(r + 1, "\x5A\x03", 2);
	assert_true(r[3] & 0x80);
	assert_int_equal(pn532_chip_register(chip, 0x6305), 0x5A);
	/* An unknown command and a short one: ACK, then the application error frame. */
	f.out_len = 0;
	{
		uint8_t buf[64];

		n = host_frame(unknown, sizeof(unknown), buf);
		pn532_chip_input(chip, buf, n, 0);
		assert_int_equal(f.out_len, 6 + sizeof(pn532_error_frame));
		assert_memory_equal(f.out + 6, pn532_error_frame, sizeof(pn532_error_frame));
		f.out_len = 0;
		n = host_frame(bad_len, sizeof(bad_len), buf);
		pn532_chip_input(chip, buf, n, 0);
		assert_memory_equal(f.out + 6, pn532_error_frame, sizeof(pn532_error_frame));
		/* NACK: the last answer again. */
		f.out_len = 0;
		pn532_chip_input(chip, pn532_nack_frame, 6, 0);
		assert_int_equal(f.out_len, sizeof(pn532_error_frame));
	}
	pn532_chip_free(chip);
}

static void
test_chip_target(void **state)
{
	static const uint8_t params[] = {0x12, 0x14}; /* AUTO_ATR_RES | AUTO_RATS */
	static const uint8_t retries[] = {0x32, 0x05, 0x00, 0x01, 0x02};
	static const uint8_t list[] = {0x4A, 0x01, 0x00};
	static const uint8_t list_uid[] = {0x4A, 0x01, 0x00, 0x88, 0x04, 0x11,
	                                   0x22, 0x33, 0x44, 0x55, 0x66};
	static const uint8_t list_other[] = {0x4A, 0x01, 0x00, 0x88, 0x04, 0x11,
	                                     0x22, 0x33, 0x44, 0x55, 0x67};
	static const uint8_t list_b[] = {0x4A, 0x01, 0x03, 0x00};
	static const uint8_t apdu[] = {0x40, 0x01, 0x60};
	static const uint8_t ping[] = {0x42, 0xB2};
	static const uint8_t deselect[] = {0x44, 0x00};
	static const uint8_t release[] = {0x52, 0x00};
	static const uint8_t field_off[] = {0x32, 0x01, 0x00};
	static const uint8_t want[] = {0x01, 0x01, 0x03, 0x44, 0x20, 0x07, 0x04, 0x11, 0x22, 0x33,
	                               0x44, 0x55, 0x66, 0x06, 0x75, 0x77, 0x81, 0x02, 0x80};
	struct fake f = {.epoch = 1};
	struct pn532_chip *chip = pn532_chip_new(&fake_ops, &f);
	uint8_t r[PN532_DATA_MAX];
	size_t n;
	(void)state;

	command(chip, &f, params, sizeof(params), 0, r);
	command(chip, &f, retries, sizeof(retries), 0, r);
	/* No target yet: InDataExchange is not acceptable (0x27), never a status with bit 7. */
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(n, 2);
	assert_int_equal(r[1], PN532_ST_NOT_ACCEPTABLE);
	n = command(chip, &f, list, sizeof(list), 0, r);
	assert_int_equal(n, 1 + sizeof(want));
	assert_memory_equal(r + 1, want, sizeof(want));
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(n, 5);
	assert_memory_equal(r + 1, "\x00\x60\x91\x00", 4);
	/* libnfc's presence check: R(NAK) through InCommunicateThru gets an R(ACK). */
	n = command(chip, &f, ping, sizeof(ping), 0, r);
	assert_int_equal(n, 3);
	assert_int_equal(r[1], 0x00);
	assert_int_equal(r[2] & 0xF6, 0xA2);
	command(chip, &f, list, sizeof(list), 0, r);

	/* Deselected, the target is woken again by the next exchange, with a fresh session. */
	f.resets = 0;
	command(chip, &f, deselect, sizeof(deselect), 0, r);
	assert_int_equal(f.resets, 1);
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(r[1], 0x00);
	/* Selecting by UID: the right one is found, another is not. */
	n = command(chip, &f, list_uid, sizeof(list_uid), 0, r);
	assert_int_equal(r[1], 0x01);
	n = command(chip, &f, list_other, sizeof(list_other), 0, r);
	assert_int_equal(n, 2);
	assert_int_equal(r[1], 0x00);
	n = command(chip, &f, list_b, sizeof(list_b), 0, r);
	assert_int_equal(r[1], 0x00);
	/* Torn away during an APDU: the PN532's timeout, 0x01. */
	command(chip, &f, list, sizeof(list), 0, r);
	f.tear = true;
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(n, 2);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	n = command(chip, &f, ping, sizeof(ping), 0, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	/* Another card enters: the old target does not reach it. */
	f.tear = false;
	f.epoch = 2;
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	/* Field off: the card loses its session, the target is gone. */
	command(chip, &f, list, sizeof(list), 0, r);
	f.resets = 0;
	command(chip, &f, field_off, sizeof(field_off), 0, r);
	assert_true(f.resets >= 1);
	n = command(chip, &f, apdu, sizeof(apdu), 0, r);
	assert_int_equal(r[1], PN532_ST_NOT_ACCEPTABLE);
	assert_int_equal(command(chip, &f, release, sizeof(release), 0, r), 2);
	pn532_chip_free(chip);
}

static void
test_chip_waits(void **state)
{
	/* nfc-poll: 20 pollings of 2 x 150 ms for 3 types. */
	static const uint8_t autopoll[] = {0x60, 0x14, 0x02, 0x20, 0x10, 0x03};
	static const uint8_t list[] = {0x4A, 0x01, 0x00};
	static const uint8_t fw[] = {0x02};
	struct fake f = {0};
	struct pn532_chip *chip = pn532_chip_new(&fake_ops, &f);
	uint8_t r[PN532_DATA_MAX];
	(void)state;

	/* No card: only the ACK, until the card comes. */
	assert_int_equal(command(chip, &f, autopoll, sizeof(autopoll), 1000, r), 0);
	assert_true(pn532_chip_waiting(chip));
	assert_int_equal(pn532_chip_deadline(chip), 1000 + 20 * 2 * 150 * 3);
	f.out_len = 0;
	pn532_chip_poll(chip, 2000);
	assert_int_equal(f.out_len, 0);
	f.epoch = 5;
	pn532_chip_poll(chip, 2500);
	assert_false(pn532_chip_waiting(chip));
	assert_true(f.out_len > 8);
	/* NbTg 1, type 0x20 (ISO 14443-4 A, with ATS), 18 bytes of TargetData. */
	assert_memory_equal(f.out + 5, "\xD5\x61\x01\x20\x12\x01\x03\x44\x20\x07", 10);

	/* The deadline passes without a card: no target. */
	f.epoch = 0;
	command(chip, &f, autopoll, sizeof(autopoll), 0, r);
	f.out_len = 0;
	pn532_chip_poll(chip, 18000);
	assert_int_equal(f.out_len, 10);
	assert_memory_equal(f.out + 5, "\xD5\x61\x00", 3);
	assert_false(pn532_chip_waiting(chip));

	/* InListPassiveTarget with endless retries (libnfc's default) waits too; the host's ACK
	 * cancels it, and so does a new command. */
	assert_int_equal(command(chip, &f, list, sizeof(list), 0, r), 0);
	assert_true(pn532_chip_waiting(chip));
	pn532_chip_input(chip, pn532_ack_frame, 6, 0);
	assert_false(pn532_chip_waiting(chip));
	assert_int_equal(command(chip, &f, list, sizeof(list), 0, r), 0);
	assert_int_equal(command(chip, &f, fw, sizeof(fw), 0, r), 5);
	assert_false(pn532_chip_waiting(chip));
	f.epoch = 9;
	f.out_len = 0;
	pn532_chip_poll(chip, 0);
	assert_int_equal(f.out_len, 0);
	pn532_chip_free(chip);
}

/* CRC_A bit by bit (ISO/IEC 14443-3 annex B), independently of the chip's byte-wise code. */
static void
test_crc_a(const uint8_t *d, size_t n, uint8_t out[2])
{
	uint16_t crc = 0x6363;

	for (size_t i = 0; i < n; i++) {
		crc ^= d[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	out[0] = (uint8_t)crc;
	out[1] = (uint8_t)(crc >> 8);
}

/* Send raw bytes through InCommunicateThru, appending CRC_A when @p crc. */
static size_t
thru(struct pn532_chip *chip, struct fake *f, const uint8_t *frame, size_t len, bool crc,
     uint8_t *r)
{
	uint8_t cmd[64];

	cmd[0] = 0x42;
	memcpy(cmd + 1, frame, len);
	if (crc)
		test_crc_a(frame, len, cmd + 1 + len);
	return command(chip, f, cmd, 1 + len + (crc ? 2 : 0), 0, r);
}

static void
test_chip_raw_14443_3(void **state)
{
	static const uint8_t crc_off[] = {0x08, 0x63, 0x02, 0x00, 0x63, 0x03, 0x00};
	static const uint8_t bits7[] = {0x08, 0x63, 0x3D, 0x07};
	static const uint8_t bits0[] = {0x08, 0x63, 0x3D, 0x00};
	static const uint8_t field_on[] = {0x32, 0x01, 0x01};
	static const uint8_t v00[] = {0x00, 0x00}, v1234[] = {0x12, 0x34};
	static const uint8_t sak20[] = {0x20}, hlta[] = {0x50, 0x00}, rats[] = {0xE0, 0x50};
	struct fake f = {.epoch = 1};
	struct pn532_chip *chip = pn532_chip_new(&fake_ops, &f);
	uint8_t r[PN532_DATA_MAX], c[2], frame[16];
	size_t n;
	(void)state;

	/* The reference vectors of the standard, and two every trace shows. */
	test_crc_a(v00, 2, c);
	assert_memory_equal(c, "\xA0\x1E", 2);
	test_crc_a(v1234, 2, c);
	assert_memory_equal(c, "\x26\xCF", 2);
	test_crc_a(sak20, 1, c);
	assert_memory_equal(c, "\xFC\x70", 2);
	test_crc_a(hlta, 2, c);
	assert_memory_equal(c, "\x57\xCD", 2);

	command(chip, &f, field_on, sizeof(field_on), 0, r);
	command(chip, &f, crc_off, sizeof(crc_off), 0, r);
	command(chip, &f, bits7, sizeof(bits7), 0, r);
	n = thru(chip, &f, (const uint8_t *)"\x26", 1, false, r); /* REQA */
	assert_int_equal(n, 4); /* response code, status, ATQA */
	assert_memory_equal(r + 1, "\x00\x44\x03", 3);
	command(chip, &f, bits0, sizeof(bits0), 0, r);
	n = thru(chip, &f, (const uint8_t *)"\x93\x20", 2, false, r);
	assert_int_equal(n, 7);
	assert_memory_equal(r + 1, "\x00\x88\x04\x11\x22\xBF", 6);
	/* SELECT with a corrupted CRC: silence. */
	memcpy(frame, "\x93\x70\x88\x04\x11\x22\xBF\x00\x00", 9);
	n = command(chip, &f, (const uint8_t *)"\x42\x93\x70\x88\x04\x11\x22\xBF\x00\x00", 10, 0,
	            r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	/* The card fell back to IDLE: REQA again, then the whole activation. */
	command(chip, &f, bits7, sizeof(bits7), 0, r);
	thru(chip, &f, (const uint8_t *)"\x26", 1, false, r);
	command(chip, &f, bits0, sizeof(bits0), 0, r);
	thru(chip, &f, (const uint8_t *)"\x93\x20", 2, false, r);
	n = thru(chip, &f, frame, 7, true, r);
	assert_int_equal(n, 5);
	assert_memory_equal(r + 1, "\x00\x04\xDA\x17", 4); /* SAK 04 (UID incomplete) + CRC_A */
	n = thru(chip, &f, (const uint8_t *)"\x95\x20", 2, false, r);
	assert_memory_equal(r + 1, "\x00\x33\x44\x55\x66\x44", 6);
	memcpy(frame, "\x95\x70\x33\x44\x55\x66\x44", 7);
	n = thru(chip, &f, frame, 7, true, r);
	assert_int_equal(n, 5);
	assert_memory_equal(r + 1, "\x00\x20\xFC\x70", 4);
	f.resets = 0;
	n = thru(chip, &f, rats, 2, true, r);
	assert_int_equal(n, 2 + 6 + 2);
	assert_memory_equal(r + 2, "\x06\x75\x77\x81\x02\x80", 6);
	test_crc_a(r + 2, 6, c);
	assert_memory_equal(r + 8, c, 2);
	assert_int_equal(f.resets, 1); /* a fresh ISO 14443-4 session */
	/* An I-block with CRC: the APDU reaches the card, the answer comes with CRC. */
	n = thru(chip, &f, (const uint8_t *)"\x02\x60", 2, true, r);
	assert_int_equal(f.exchanges, 1);
	assert_int_equal(n, 2 + 1 + 3 + 2);
	assert_memory_equal(r + 1, "\x00\x02\x60\x91\x00", 5);
	/* WUPA is ignored in the protocol state; S(DESELECT) halts; REQA does not wake a halted
	 * card, WUPA does. */
	command(chip, &f, bits7, sizeof(bits7), 0, r);
	thru(chip, &f, (const uint8_t *)"\x52", 1, false, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	command(chip, &f, bits0, sizeof(bits0), 0, r);
	n = thru(chip, &f, (const uint8_t *)"\xC2", 1, true, r);
	assert_memory_equal(r + 1, "\x00\xC2", 2);
	command(chip, &f, bits7, sizeof(bits7), 0, r);
	thru(chip, &f, (const uint8_t *)"\x26", 1, false, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	thru(chip, &f, (const uint8_t *)"\x52", 1, false, r);
	assert_int_equal(r[1], 0x00);
	/* HLTA in ACTIVE state: no answer, halted. */
	command(chip, &f, bits0, sizeof(bits0), 0, r);
	thru(chip, &f, (const uint8_t *)"\x93\x20", 2, false, r);
	memcpy(frame, "\x93\x70\x88\x04\x11\x22\xBF", 7);
	thru(chip, &f, frame, 7, true, r);
	thru(chip, &f, (const uint8_t *)"\x95\x20", 2, false, r);
	memcpy(frame, "\x95\x70\x33\x44\x55\x66\x44", 7);
	thru(chip, &f, frame, 7, true, r);
	thru(chip, &f, hlta, 2, true, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	command(chip, &f, bits7, sizeof(bits7), 0, r);
	thru(chip, &f, (const uint8_t *)"\x26", 1, false, r);
	assert_int_equal(r[1], PN532_ST_TIMEOUT);
	pn532_chip_free(chip);
}

/* Deterministic pseudo-random bytes (xorshift), so that a failure replays. */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_chip_random_commands(void **state)
{
	/* Every command code libnfc knows, and some it does not. */
	static const uint8_t codes[] = {0x00, 0x02, 0x04, 0x06, 0x08, 0x0C, 0x0E, 0x10, 0x12,
	                                0x14, 0x16, 0x32, 0x40, 0x42, 0x44, 0x46, 0x4A, 0x4E,
	                                0x50, 0x52, 0x54, 0x56, 0x60, 0x86, 0x88, 0x8A, 0x8C,
	                                0x8E, 0x90, 0x92, 0x94, 0x01, 0x7F, 0xFF};
	/* Commands whose first response byte is a status that libnfc checks for bit 7. */
	static const uint8_t with_status[] = {0x16, 0x40, 0x42, 0x44, 0x46,
	                                      0x4E, 0x50, 0x52, 0x54, 0x56};
	struct fake f = {.epoch = 1};
	struct pn532_chip *chip = pn532_chip_new(&fake_ops, &f);
	uint8_t cmd[64], r[PN532_DATA_MAX], garbage[4096];
	uint32_t x = 0x12345678u;
	(void)state;

	for (int i = 0; i < 20000; i++) {
		size_t len = 1 + rnd(&x) % 24, n;

		cmd[0] = codes[rnd(&x) % sizeof(codes)];
		for (size_t k = 1; k < len; k++)
			cmd[k] = (uint8_t)(rnd(&x) % 5 == 0 ? 0x01 : rnd(&x));
		f.epoch = rnd(&x) % 4 == 0 ? 0 : 1 + rnd(&x) % 2;
		f.tear = rnd(&x) % 8 == 0;
		n = command(chip, &f, cmd, len, (uint64_t)i * 1000u, r);
		if (n == ERROR_FRAME)
			continue; /* refused: ACK + error frame */
		if (n == 0)
			continue; /* waits for a card (the next command cancels it) */
		if (memchr(with_status, cmd[0], sizeof(with_status)) != NULL) {
			assert_true(n >= 2);
			assert_int_equal(r[1] & 0x80, 0);
		}
	}
	/* Pure garbage: nothing to check but that the chip survives and still answers. */
	for (size_t k = 0; k < sizeof(garbage); k++)
		garbage[k] = (uint8_t)rnd(&x);
	for (int i = 0; i < 50; i++) {
		f.out_len = 0;
		pn532_chip_input(chip, garbage, sizeof(garbage), 0);
		garbage[rnd(&x) % sizeof(garbage)] ^= (uint8_t)rnd(&x);
	}
	pn532_chip_input(chip, (const uint8_t *)"\x00\x00\xFF\x00\xFF\x00", 6, 0);
	{
		static const uint8_t fw[] = {0x02};

		assert_int_equal(command(chip, &f, fw, sizeof(fw), 0, r), 5);
	}
	pn532_chip_free(chip);
}

/* --- the field and the control commands, with the real card engine --- */

static void
test_field_and_control(void **state)
{
	static const uint8_t uid[7] = {0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
	static const uint8_t get_version[] = {0x60};
	char dir[] = "/tmp/ssa-cardsim-test.XXXXXX", path[128], missing[128], line[256];
	char reply[1024];
	struct desfire_card *card = NULL;
	struct field field;
	struct pn532_chip *chip;
	struct control_ctx ctx = {0};
	uint8_t resp[PN532_DATA_MAX];
	size_t rlen = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/card", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(desfire_card_new_blank(uid, &card), SSA_ERR_OK);
	assert_int_equal(desfire_card_save(card, path), SSA_ERR_OK);
	desfire_card_free(card);

	field_init(&field);
	chip = pn532_chip_new(&field_card_ops, &field);
	assert_non_null(chip);
	ctx.field = &field;
	ctx.chip = chip;

	control_execute(&ctx, "status", reply, sizeof(reply));
	assert_string_equal(reply, "OK empty; reader idle");
	snprintf(line, sizeof(line), "insert %s", path);
	control_execute(&ctx, line, reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "OK card ", 8), 0);
	assert_non_null(strstr(reply, "uid 04010203040506 apdus 0 "));
	assert_true(ctx.field_changed);
	control_execute(&ctx, line, reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR ", 4), 0); /* one card at a time */

	/* An APDU reaches the card and is counted. */
	assert_true(field_card_ops.exchange(&field, get_version, 1, resp, sizeof(resp), &rlen));
	assert_true(rlen >= 8);
	assert_int_equal(resp[0], 0xAF); /* GetVersion: more frames follow */
	control_execute(&ctx, "status", reply, sizeof(reply));
	assert_non_null(strstr(reply, "apdus 1 bytes-in 1 "));

	/* tear 1: the next APDU is processed, its answer never comes, the card is gone. */
	control_execute(&ctx, "tear 1", reply, sizeof(reply));
	assert_string_equal(reply, "OK tear armed at APDU 1");
	assert_false(field_card_ops.exchange(&field, get_version, 1, resp, sizeof(resp), &rlen));
	assert_int_equal(field_card_ops.present(&field), 0);
	control_execute(&ctx, "status", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "OK empty", 8), 0);
	control_execute(&ctx, "remove", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR ", 4), 0);

	/* Back in with a new epoch; tear 2 before: one APDU, then silence before the second. */
	control_execute(&ctx, line, reply, sizeof(reply));
	assert_int_equal(field_card_ops.present(&field), 2);
	control_execute(&ctx, "tear 2 before", reply, sizeof(reply));
	assert_string_equal(reply, "OK tear armed at APDU 2 before");
	assert_true(field_card_ops.exchange(&field, get_version, 1, resp, sizeof(resp), &rlen));
	assert_false(field_card_ops.exchange(&field, get_version, 1, resp, sizeof(resp), &rlen));
	assert_int_equal(field_card_ops.present(&field), 0);

	/* Refusals, each with a message. */
	snprintf(line, sizeof(line), "insert %s", missing);
	control_execute(&ctx, line, reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR cannot load ", 16), 0);
	control_execute(&ctx, "insert", reply, sizeof(reply));
	assert_string_equal(reply, "ERR usage: insert PATH");
	control_execute(&ctx, "tear 1", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR ", 4), 0); /* no card */
	snprintf(line, sizeof(line), "insert %s", path);
	control_execute(&ctx, line, reply, sizeof(reply));
	control_execute(&ctx, "tear 0", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR usage", 9), 0);
	control_execute(&ctx, "tear -3", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR usage", 9), 0);
	control_execute(&ctx, "tear 2 after", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR usage", 9), 0);
	control_execute(&ctx, "tear 99999999999999999999999", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR usage", 9), 0);
	control_execute(&ctx, "", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR unknown command", 19), 0);
	control_execute(&ctx, "averyveryverylongcommandname", reply, sizeof(reply));
	assert_int_equal(strncmp(reply, "ERR unknown command", 19), 0);
	assert_false(ctx.quit);
	control_execute(&ctx, "  quit", reply, sizeof(reply));
	assert_true(ctx.quit);

	pn532_chip_free(chip);
	field_fini(&field);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_normal),
	    cmocka_unit_test(test_encode_extended),
	    cmocka_unit_test(test_rx_wakeup_then_frame),
	    cmocka_unit_test(test_rx_ack_nack),
	    cmocka_unit_test(test_rx_extended),
	    cmocka_unit_test(test_rx_checksums_and_resync),
	    cmocka_unit_test(test_chip_basics),
	    cmocka_unit_test(test_chip_target),
	    cmocka_unit_test(test_chip_waits),
	    cmocka_unit_test(test_chip_raw_14443_3),
	    cmocka_unit_test(test_chip_random_commands),
	    cmocka_unit_test(test_field_and_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
