/* pn532.c — frame codec and command set of an emulated PN532 (see pn532.h).
 *
 * Written from the PN532 user manual (UM0701-02) and from what libnfc 1.8's pn532_uart.c and
 * pn53x.c send and expect.  Deliberate choices:
 *  - a frame with a bad checksum is dropped without a word, as the chip does: libnfc then times
 *    out waiting for the ACK and reports an I/O error;
 *  - a command the chip cannot parse gets ACK then the application error frame;
 *  - a new frame or an ACK from the host cancels a command that waits for a card;
 *  - InListPassiveTarget and InAutoPoll behave as WUPA: a halted card answers again, so a target
 *    that was deselected is found again (libnfc's list loop stops on the repeated UID).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pn532.h"
#include "ssa/log.h"

const uint8_t pn532_ack_frame[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
const uint8_t pn532_nack_frame[6] = {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};
const uint8_t pn532_error_frame[8] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

/* --- receiving frames --- */

enum rx_state { RX_SEARCH, RX_LEN, RX_LCS, RX_XLENM, RX_XLENL, RX_XLCS, RX_DATA, RX_DCS };

void
pn532_rx_init(struct pn532_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_SEARCH;
	rx->prev = 0x01;
}

static enum pn532_event
rx_resync(struct pn532_rx *rx, uint8_t byte)
{
	rx->state = RX_SEARCH;
	rx->prev = byte; /* a 00 here may begin the next start code */
	return PN532_EV_BAD;
}

enum pn532_event
pn532_rx_feed(struct pn532_rx *rx, uint8_t byte)
{
	switch ((enum rx_state)rx->state) {
	case RX_SEARCH:
		/* Preamble bytes, the 55 55 00 00 ... wake-up sequence and the postamble of the
		 * previous frame all end here: only 00 FF starts a frame. */
		if (rx->prev == 0x00 && byte == 0xFF)
			rx->state = RX_LEN;
		rx->prev = byte;
		return PN532_EV_NONE;
	case RX_LEN:
		rx->len = byte;
		rx->state = RX_LCS;
		return PN532_EV_NONE;
	case RX_LCS:
		rx->prev = 0x01;
		if (rx->len == 0x00 && byte == 0xFF) {
			rx->state = RX_SEARCH;
			return PN532_EV_ACK;
		}
		if (rx->len == 0xFF && byte == 0x00) {
			rx->state = RX_SEARCH;
			return PN532_EV_NACK;
		}
		if (rx->len == 0xFF && byte == 0xFF) {
			rx->state = RX_XLENM;
			return PN532_EV_NONE;
		}
		if (((rx->len + byte) & 0xFF) != 0 || rx->len == 0)
			return rx_resync(rx, byte);
		rx->got = 0;
		rx->sum = 0;
		rx->state = RX_DATA;
		return PN532_EV_NONE;
	case RX_XLENM:
		rx->lenm = byte;
		rx->state = RX_XLENL;
		return PN532_EV_NONE;
	case RX_XLENL:
		rx->len = ((size_t)rx->lenm << 8) | byte;
		rx->state = RX_XLCS;
		return PN532_EV_NONE;
	case RX_XLCS:
		if ((((rx->len >> 8) + (rx->len & 0xFF) + byte) & 0xFF) != 0 || rx->len == 0 ||
		    rx->len > sizeof(rx->buf))
			return rx_resync(rx, byte);
		rx->got = 0;
		rx->sum = 0;
		rx->state = RX_DATA;
		return PN532_EV_NONE;
	case RX_DATA:
		rx->buf[rx->got++] = byte;
		rx->sum = (uint8_t)(rx->sum + byte);
		if (rx->got == rx->len)
			rx->state = RX_DCS;
		return PN532_EV_NONE;
	case RX_DCS:
		rx->state = RX_SEARCH;
		rx->prev = 0x01;
		if ((uint8_t)(rx->sum + byte) != 0 || rx->buf[0] != PN532_TFI_HOST || rx->len < 2)
			return PN532_EV_BAD;
		return PN532_EV_FRAME;
	}
	return rx_resync(rx, byte);
}

const uint8_t *
pn532_rx_data(const struct pn532_rx *rx, size_t *len)
{
	*len = rx->len - 1;
	return rx->buf + 1;
}

size_t
pn532_frame_encode(const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t dcs = (uint8_t)(0x100 - PN532_TFI_CHIP);

	if (len == 0 || len > PN532_DATA_MAX || cap < len + 11)
		return 0;
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
	out[n++] = PN532_TFI_CHIP;
	for (size_t i = 0; i < len; i++) {
		out[n++] = data[i];
		dcs = (uint8_t)(dcs - data[i]);
	}
	out[n++] = dcs;
	out[n++] = 0x00;
	return n;
}

/* --- the chip --- */

enum cmd {
	CMD_DIAGNOSE = 0x00,
	CMD_GET_FIRMWARE_VERSION = 0x02,
	CMD_GET_GENERAL_STATUS = 0x04,
	CMD_READ_REGISTER = 0x06,
	CMD_WRITE_REGISTER = 0x08,
	CMD_READ_GPIO = 0x0C,
	CMD_WRITE_GPIO = 0x0E,
	CMD_SET_SERIAL_BAUD_RATE = 0x10,
	CMD_SET_PARAMETERS = 0x12,
	CMD_SAM_CONFIGURATION = 0x14,
	CMD_POWER_DOWN = 0x16,
	CMD_RF_CONFIGURATION = 0x32,
	CMD_IN_DATA_EXCHANGE = 0x40,
	CMD_IN_COMMUNICATE_THRU = 0x42,
	CMD_IN_DESELECT = 0x44,
	CMD_IN_JUMP_FOR_PSL = 0x46,
	CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
	CMD_IN_PSL = 0x4E,
	CMD_IN_ATR = 0x50,
	CMD_IN_RELEASE = 0x52,
	CMD_IN_SELECT = 0x54,
	CMD_IN_JUMP_FOR_DEP = 0x56,
	CMD_IN_AUTO_POLL = 0x60,
	CMD_TG_GET_DATA = 0x86,
	CMD_TG_GET_INITIATOR_COMMAND = 0x88,
	CMD_TG_GET_TARGET_STATUS = 0x8A,
	CMD_TG_INIT_AS_TARGET = 0x8C,
	CMD_TG_SET_DATA = 0x8E,
	CMD_TG_RESPONSE_TO_INITIATOR = 0x90,
	CMD_TG_SET_GENERAL_BYTES = 0x92,
	CMD_TG_SET_META_DATA = 0x94,
};

/* Registers the emulation reads itself. */
#define REG_TX_MODE 0x6302
#define REG_RX_MODE 0x6303
#define REG_MANUAL_RCV 0x630D
#define REG_CONTROL 0x633C
#define REG_BIT_FRAMING 0x633D
#define SFR_P3 0xFFB0
#define SFR_P7 0xFFF7

#define PARAM_AUTO_RATS 0x10

/* What the emulated card shows on activation: a DESFire EV1. */
static const uint8_t card_atqa[2] = {0x03, 0x44};
static const uint8_t card_sak = 0x20;
static const uint8_t card_ats[6] = {0x06, 0x75, 0x77, 0x81, 0x02, 0x80};

enum tg_state { TG_NONE, TG_ACTIVE, TG_DESELECTED };
/* The card's own ISO/IEC 14443-3 state, as raw frames (InCommunicateThru) see it. */
enum raw_state { RAW_IDLE, RAW_READY1, RAW_READY2, RAW_ACTIVE, RAW_PROTOCOL, RAW_HALT };
enum pending { PEND_NONE, PEND_LIST, PEND_AUTOPOLL, PEND_TARGET };

struct pn532_chip {
	const struct pn532_card_ops *ops;
	void *cls;
	int verbose;
	struct pn532_rx rx;
	uint8_t regs[0x10000];
	uint8_t params;
	bool rf_on;
	uint8_t mx_rty_passive;
	enum tg_state tg;
	uint32_t tg_epoch;
	uint8_t block; /* ISO 14443-4 block number of the last I-block, for raw R-blocks */
	enum raw_state raw;
	uint32_t raw_epoch; /* the card raw describes */
	uint8_t last[PN532_FRAME_MAX];
	size_t last_len;
	enum pending pending;
	uint8_t pend_cmd[PN532_DATA_MAX];
	size_t pend_len;
	uint64_t deadline;
};

/* Power-on values of the registers libnfc reads before writing (PN532 user manual §8.6 and the
 * CIU register map); everything else reads 0 until written. */
static const struct {
	uint16_t addr;
	uint8_t value;
} reg_defaults[] = {
    {0x6301, 0x3B},      {REG_TX_MODE, 0x80}, {REG_RX_MODE, 0x80}, {0x6304, 0x80}, {0x6305, 0x40},
    {0x6306, 0x10},      {0x6307, 0x84},      {0x6308, 0x84},      {0x6309, 0x4D}, {0x630C, 0x62},
    {0x6311, 0xFF},      {0x6312, 0xFF},      {0x6313, 0x88},      {0x6314, 0x26}, {0x6315, 0x87},
    {0x6316, 0x48},      {0x6317, 0x88},      {0x6318, 0x20},      {0x6319, 0x20}, {0x6327, 0x80},
    {0x6331, 0x20},      {0x6332, 0x80},      {0x6334, 0x14},      {0x6337, 0x21}, {0x633B, 0x08},
    {REG_CONTROL, 0x10}, {0x633E, 0x80},      {SFR_P3, 0x3F},      {SFR_P7, 0x07},
};

struct pn532_chip *
pn532_chip_new(const struct pn532_card_ops *ops, void *cls)
{
	struct pn532_chip *chip = calloc(1, sizeof(*chip));

	if (chip == NULL)
		return NULL;
	chip->ops = ops;
	chip->cls = cls;
	pn532_rx_init(&chip->rx);
	for (size_t i = 0; i < sizeof(reg_defaults) / sizeof(reg_defaults[0]); i++)
		chip->regs[reg_defaults[i].addr] = reg_defaults[i].value;
	chip->mx_rty_passive = 0xFF;
	chip->deadline = UINT64_MAX;
	return chip;
}

void
pn532_chip_free(struct pn532_chip *chip)
{
	free(chip);
}

void
pn532_chip_set_verbose(struct pn532_chip *chip, int verbose)
{
	chip->verbose = verbose;
}

uint8_t
pn532_chip_register(const struct pn532_chip *chip, uint16_t addr)
{
	return chip->regs[addr];
}

uint64_t
pn532_chip_deadline(const struct pn532_chip *chip)
{
	return chip->pending == PEND_AUTOPOLL ? chip->deadline : UINT64_MAX;
}

bool
pn532_chip_waiting(const struct pn532_chip *chip)
{
	return chip->pending != PEND_NONE;
}

static void __attribute__((format(printf, 3, 4)))
chip_log(const struct pn532_chip *chip, int level, const char *fmt, ...)
{
	va_list ap;

	if (chip->verbose < level)
		return;
	va_start(ap, fmt);
	log_vmsg(level >= 2 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

static void
chip_hex(const struct pn532_chip *chip, const char *what, const uint8_t *buf, size_t len)
{
	char line[LOG_LINE_MAX];
	size_t used;

	if (chip->verbose < 2)
		return;
	used = (size_t)snprintf(line, sizeof(line), "%s", what);
	/* a frame is at most 262 bytes: it fits; a longer one is cut */
	for (size_t i = 0; i < len && used + 4 < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %02X", buf[i]);
	log_debug("%s", line);
}

static void
send_raw(struct pn532_chip *chip, const uint8_t *buf, size_t len)
{
	chip->ops->output(chip->cls, buf, len);
}

/* Send a response frame: the response code (command + 1) then @p data. */
static void
respond(struct pn532_chip *chip, uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t payload[PN532_DATA_MAX];

	if (len + 1 > sizeof(payload))
		len = sizeof(payload) - 1; /* cannot happen: callers bound their data */
	payload[0] = (uint8_t)(cmd + 1);
	if (len > 0)
		memcpy(payload + 1, data, len);
	chip_hex(chip, "chip:", payload, len + 1);
	chip->last_len = pn532_frame_encode(payload, len + 1, chip->last, sizeof(chip->last));
	send_raw(chip, chip->last, chip->last_len);
}

static void
respond_status(struct pn532_chip *chip, uint8_t cmd, uint8_t status)
{
	respond(chip, cmd, &status, 1);
}

static void
syntax_error(struct pn532_chip *chip, uint8_t cmd)
{
	chip_log(chip, 1, "command %02X: syntax error", cmd);
	memcpy(chip->last, pn532_error_frame, sizeof(pn532_error_frame));
	chip->last_len = sizeof(pn532_error_frame);
	send_raw(chip, pn532_error_frame, sizeof(pn532_error_frame));
}

/* The card's 14443-3 state, for the card now in the field (a new card starts IDLE). */
static enum raw_state
raw_state(struct pn532_chip *chip, uint32_t epoch)
{
	if (epoch != chip->raw_epoch) {
		chip->raw = RAW_IDLE;
		chip->raw_epoch = epoch;
	}
	return chip->raw;
}

/* Move the card to @p state; leaving or entering the protocol state ends its ISO 14443-4
 * session (DESFire: PICC level, unauthenticated, transaction aborted). */
static void
raw_move(struct pn532_chip *chip, enum raw_state state)
{
	uint32_t epoch = chip->ops->present(chip->cls);

	if (epoch == 0)
		return;
	raw_state(chip, epoch);
	if (chip->raw == RAW_PROTOCOL || state == RAW_PROTOCOL)
		chip->ops->reset(chip->cls);
	chip->raw = state;
}

/* The target is released (InRelease, a new InListPassiveTarget): the chip sent it a DESELECT. */
static void
drop_target(struct pn532_chip *chip)
{
	if (chip->tg != TG_NONE && chip->ops->present(chip->cls) == chip->tg_epoch)
		raw_move(chip, RAW_HALT);
	chip->tg = TG_NONE;
}

static void
set_rf(struct pn532_chip *chip, bool on)
{
	if (chip->rf_on && !on) {
		drop_target(chip);
		raw_move(chip, RAW_IDLE); /* power loss */
		chip->ops->reset(chip->cls);
	}
	chip->rf_on = on;
}

/* Does the card in the field match the initiator data of InListPassiveTarget (a UID, plain or
 * cascaded as libnfc's iso14443_cascade_uid() builds it)? */
static bool
uid_matches(const uint8_t uid[7], const uint8_t *init, size_t n)
{
	if (n == 0)
		return true;
	if (n == 7)
		return memcmp(init, uid, 7) == 0;
	if (n == 8)
		return init[0] == 0x88 && memcmp(init + 1, uid, 7) == 0;
	return false;
}

/* Activate the card in the field as target 1 and write its TargetData (Tg, SENS_RES, SEL_RES,
 * NFCIDLength, NFCID1, ATS when @p with_ats) to @p out.
 * @return the TargetData length, 0 if no card answers. */
static size_t
activate(struct pn532_chip *chip, const uint8_t *init, size_t ninit, bool with_ats, uint8_t *out)
{
	uint32_t epoch = chip->ops->present(chip->cls);
	uint8_t uid[7];
	size_t n = 0;

	if (epoch == 0 || !chip->rf_on)
		return 0;
	chip->ops->uid(chip->cls, uid);
	if (!uid_matches(uid, init, ninit))
		return 0;
	/* A fresh activation (WUPA, anticollision, RATS): the card starts at PICC level. */
	chip->ops->reset(chip->cls);
	raw_move(chip, with_ats ? RAW_PROTOCOL : RAW_ACTIVE);
	chip->tg = TG_ACTIVE;
	chip->tg_epoch = epoch;
	chip->block = 1;
	out[n++] = 0x01;
	out[n++] = card_atqa[0];
	out[n++] = card_atqa[1];
	out[n++] = card_sak;
	out[n++] = sizeof(uid);
	memcpy(out + n, uid, sizeof(uid));
	n += sizeof(uid);
	if (with_ats) {
		memcpy(out + n, card_ats, sizeof(card_ats));
		n += sizeof(card_ats);
	}
	/* The chip switched its CIU to ISO 14443-A at 106 kbps for this activation. */
	chip->regs[REG_TX_MODE] &= (uint8_t)~0x73;
	chip->regs[REG_RX_MODE] &= (uint8_t)~0x73;
	return n;
}

/* InListPassiveTarget: MaxTg BrTy [InitiatorData].  @return false to keep waiting. */
static bool
in_list_passive_target(struct pn532_chip *chip, const uint8_t *p, size_t np)
{
	uint8_t r[1 + 32];
	size_t n = 0;

	if (p[1] == 0x00)
		n = activate(chip, p + 2, np - 2, (chip->params & PARAM_AUTO_RATS) != 0, r + 1);
	if (n == 0 && chip->mx_rty_passive == 0xFF)
		return false;
	r[0] = n ? 1 : 0;
	chip_log(chip, 1, "InListPassiveTarget BrTy %02X: %u target(s)", p[1], r[0]);
	respond(chip, CMD_IN_LIST_PASSIVE_TARGET, r, n + 1);
	return true;
}

/* InAutoPoll: PollNr Period Type1..TypeN.  @return false to keep waiting. */
static bool
in_auto_poll(struct pn532_chip *chip, const uint8_t *p, size_t np, uint64_t now_ms)
{
	uint8_t r[3 + 32];
	size_t n = 0;

	for (size_t i = 2; i < np && n == 0; i++) {
		/* Generic passive 106 kbps, MIFARE, ISO 14443-4 A: the types a DESFire answers. */
		if (p[i] == 0x00 || p[i] == 0x10 || p[i] == 0x20) {
			n = activate(chip, NULL, 0, p[i] == 0x20, r + 3);
			r[1] = p[i];
		}
	}
	if (n == 0 && (p[0] == 0xFF || now_ms < chip->deadline))
		return false;
	r[0] = n ? 1 : 0;
	r[2] = (uint8_t)n;
	chip_log(chip, 1, "InAutoPoll: %u target(s)", r[0]);
	respond(chip, CMD_IN_AUTO_POLL, r, n ? n + 3 : 1);
	return true;
}

/* Is the target selected earlier still the card in the field? */
static bool
target_reachable(struct pn532_chip *chip)
{
	uint32_t epoch = chip->ops->present(chip->cls);

	return chip->rf_on && epoch != 0 && epoch == chip->tg_epoch;
}

static void
in_data_exchange(struct pn532_chip *chip, const uint8_t *p, size_t np)
{
	uint8_t r[1 + PN532_DATA_MAX - 2];
	size_t rlen = 0;

	if ((p[0] & 0x3F) != 0x01 || chip->tg == TG_NONE || (p[0] & 0x40)) {
		respond_status(chip, CMD_IN_DATA_EXCHANGE, PN532_ST_NOT_ACCEPTABLE);
		return;
	}
	if (!target_reachable(chip)) {
		chip_log(chip, 1, "InDataExchange: no card, timeout");
		respond_status(chip, CMD_IN_DATA_EXCHANGE, PN532_ST_TIMEOUT);
		return;
	}
	/* A deselected target is woken and selected again by the chip itself; a target that left
	 * the protocol state behind the chip's back (raw frames) does not hear the I-block. */
	if (chip->tg == TG_DESELECTED) {
		raw_move(chip, RAW_PROTOCOL);
		chip->tg = TG_ACTIVE;
	}
	if (chip->raw != RAW_PROTOCOL && chip->raw != RAW_ACTIVE) {
		chip_log(chip, 1, "InDataExchange: card not active, timeout");
		respond_status(chip, CMD_IN_DATA_EXCHANGE, PN532_ST_TIMEOUT);
		return;
	}
	/* A card always answers at least a status; silence is a timeout. */
	if (!chip->ops->exchange(chip->cls, p + 1, np - 1, r + 1, sizeof(r) - 1, &rlen) ||
	    rlen == 0) {
		chip_log(chip, 1, "InDataExchange: card gone, timeout");
		respond_status(chip, CMD_IN_DATA_EXCHANGE, PN532_ST_TIMEOUT);
		return;
	}
	r[0] = PN532_ST_OK;
	respond(chip, CMD_IN_DATA_EXCHANGE, r, rlen + 1);
}

/* ISO/IEC 14443-3 CRC_A (initial value 0x6363, reflected polynomial), low byte first. */
static void
crc_a(const uint8_t *d, size_t n, uint8_t out[2])
{
	uint32_t crc = 0x6363;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)(d[i] ^ (crc & 0xFF));

		b = (uint8_t)(b ^ (b << 4));
		crc = (crc >> 8) ^ ((uint32_t)b << 8) ^ ((uint32_t)b << 3) ^ ((uint32_t)b >> 4);
	}
	out[0] = (uint8_t)crc;
	out[1] = (uint8_t)(crc >> 8);
}

/* One cascade level of the UID as anticollision returns it: CT u0 u1 u2 BCC, or u3..u6 BCC. */
static void
cascade_level(struct pn532_chip *chip, int level, uint8_t cl[5])
{
	uint8_t uid[7];

	chip->ops->uid(chip->cls, uid);
	if (level == 1) {
		cl[0] = 0x88;
		memcpy(cl + 1, uid, 3);
	} else {
		memcpy(cl, uid + 3, 4);
	}
	cl[4] = (uint8_t)(cl[0] ^ cl[1] ^ cl[2] ^ cl[3]);
}

/* An ISO 14443-4 block for a card in the protocol state: R(NAK) presence checks get R(ACK),
 * I-blocks carry APDUs, S(DESELECT) halts the card.
 * @return the answer's length in @p r, 0 for silence. */
static size_t
iso_dep_block(struct pn532_chip *chip, const uint8_t *f, size_t nf, uint8_t *r, size_t cap)
{
	uint8_t pcb = f[0];
	size_t n = 0, rlen = 0, hdr = (pcb & 0x08) ? 2 : 1; /* CID */

	if ((pcb & 0xE6) == 0xA2) { /* R-block */
		if (nf < hdr)
			return 0;
		r[n++] = (uint8_t)(0xA2 | (pcb & 0x08) | chip->block);
		if (pcb & 0x08)
			r[n++] = f[1];
		return n;
	}
	if ((pcb & 0xE2) == 0x02 && !(pcb & 0x10)) { /* I-block, not chained */
		if (pcb & 0x04)
			hdr++; /* NAD */
		if (nf < hdr)
			return 0;
		memcpy(r, f, hdr);
		if (!chip->ops->exchange(chip->cls, f + hdr, nf - hdr, r + hdr, cap - hdr, &rlen) ||
		    rlen == 0)
			return 0;
		chip->block = pcb & 0x01;
		return hdr + rlen;
	}
	if ((pcb & 0xF7) == 0xC2 && nf >= hdr) { /* S(DESELECT) */
		memcpy(r, f, hdr);
		raw_move(chip, RAW_HALT);
		if (chip->tg != TG_NONE)
			chip->tg = TG_DESELECTED;
		return hdr;
	}
	return 0;
}

/* InCommunicateThru: raw type A frames, as libnfc sends them with easy framing off: its
 * presence check (an R(NAK)), and tools such as nfc-anticol (REQA/WUPA, anticollision and
 * SELECT of both cascade levels, RATS, HLTA, with the host computing CRC_A).  Probes of other
 * technologies (type B framing, no parity) get the timeout a DESFire's silence gives. */
static void
in_communicate_thru(struct pn532_chip *chip, const uint8_t *p, size_t np)
{
	uint8_t r[1 + PN532_DATA_MAX], f[PN532_DATA_MAX], cl[5];
	uint32_t epoch = chip->ops->present(chip->cls);
	bool chip_crc = (chip->regs[REG_TX_MODE] & 0x80) != 0;
	unsigned bits = chip->regs[REG_BIT_FRAMING] & 0x07;
	size_t n = 0, nf = np;
	bool add_crc = true;
	int level;

	chip->regs[REG_CONTROL] &= (uint8_t)~0x07; /* RxLastBits: whole bytes */
	if (!chip->rf_on || epoch == 0 || (chip->regs[REG_TX_MODE] & 0x03) ||
	    (chip->regs[REG_MANUAL_RCV] & 0x10) || np > sizeof(f))
		goto silent;
	raw_state(chip, epoch);
	if (bits != 0) {
		/* Short frames: REQA wakes an idle card, WUPA a halted one too; a card in the
		 * middle of an activation falls back, one in the ISO 14443-4 protocol ignores them.
		 */
		if (bits != 7 || np != 1 || (p[0] != 0x26 && p[0] != 0x52) ||
		    chip->raw == RAW_PROTOCOL)
			goto silent;
		if (chip->raw != RAW_IDLE && chip->raw != RAW_HALT) {
			chip->raw = RAW_IDLE;
			goto silent;
		}
		if (p[0] == 0x26 && chip->raw == RAW_HALT)
			goto silent;
		raw_move(chip, RAW_READY1);
		r[1] = card_atqa[1]; /* ATQA least significant byte first */
		r[2] = card_atqa[0];
		n = 2;
		add_crc = false;
		goto answer;
	}
	memcpy(f, p, np);
	level = chip->raw == RAW_READY1 ? 1 : 2;
	if ((chip->raw == RAW_READY1 || chip->raw == RAW_READY2) && nf == 2 &&
	    f[0] == (level == 1 ? 0x93 : 0x95) && f[1] == 0x20) {
		/* Anticollision: the whole cascade level, no CRC. */
		cascade_level(chip, level, r + 1);
		n = 5;
		add_crc = false;
		goto answer;
	}
	if (!chip_crc) {
		uint8_t crc[2];

		if (nf < 3)
			goto silent;
		crc_a(f, nf - 2, crc);
		if (memcmp(crc, f + nf - 2, 2) != 0) {
			/* A transmission error: quiet, and back to IDLE if activating. */
			if (chip->raw != RAW_PROTOCOL && chip->raw != RAW_HALT)
				chip->raw = RAW_IDLE;
			goto silent;
		}
		nf -= 2;
	}
	switch (chip->raw) {
	case RAW_READY1:
	case RAW_READY2:
		cascade_level(chip, level, cl);
		if (nf == 7 && f[0] == (level == 1 ? 0x93 : 0x95) && f[1] == 0x70 &&
		    memcmp(f + 2, cl, 5) == 0) {
			r[1] = level == 1 ? 0x04 : card_sak; /* 0x04: UID not complete */
			n = 1;
			chip->raw = level == 1 ? RAW_READY2 : RAW_ACTIVE;
			goto answer;
		}
		chip->raw = RAW_IDLE;
		goto silent;
	case RAW_ACTIVE:
		if (nf == 2 && f[0] == 0xE0) { /* RATS */
			memcpy(r + 1, card_ats, sizeof(card_ats));
			n = sizeof(card_ats);
			raw_move(chip, RAW_PROTOCOL);
			chip->block = 1;
			goto answer;
		}
		if (nf == 2 && f[0] == 0x50 && f[1] == 0x00) /* HLTA: no answer */
			raw_move(chip, RAW_HALT);
		goto silent;
	case RAW_PROTOCOL:
		n = iso_dep_block(chip, f, nf, r + 1, sizeof(r) - 3);
		if (n == 0)
			goto silent;
		goto answer;
	case RAW_IDLE:
	case RAW_HALT:
		break;
	}
	goto silent;
answer:
	if (!chip_crc && add_crc) {
		crc_a(r + 1, n, r + 1 + n);
		n += 2;
	}
	r[0] = PN532_ST_OK;
	respond(chip, CMD_IN_COMMUNICATE_THRU, r, n + 1);
	return;
silent:
	respond_status(chip, CMD_IN_COMMUNICATE_THRU, PN532_ST_TIMEOUT);
}

static void
diagnose(struct pn532_chip *chip, const uint8_t *p, size_t np)
{
	uint8_t st;

	switch (p[0]) {
	case 0x00: /* communication line test: echo */
		respond(chip, CMD_DIAGNOSE, p, np);
		return;
	case 0x01: /* ROM test */
	case 0x02: /* RAM test */
	case 0x07: /* antenna test */
		respond_status(chip, CMD_DIAGNOSE, PN532_ST_OK);
		return;
	case 0x05: /* attention request test / card presence */
	case 0x06:
		st = chip->tg != TG_NONE && target_reachable(chip) ? PN532_ST_OK : PN532_ST_TIMEOUT;
		respond_status(chip, CMD_DIAGNOSE, st);
		return;
	default:
		syntax_error(chip, CMD_DIAGNOSE);
	}
}

static bool
rf_configuration(struct pn532_chip *chip, const uint8_t *p, size_t np)
{
	static const uint8_t item_len[0x0E] = {[0x01] = 1,  [0x02] = 3, [0x04] = 1, [0x05] = 3,
	                                       [0x0A] = 11, [0x0B] = 8, [0x0C] = 3, [0x0D] = 9};

	if (p[0] >= sizeof(item_len) || item_len[p[0]] == 0 || np != 1u + item_len[p[0]])
		return false;
	if (p[0] == 0x01)
		set_rf(chip, (p[1] & 0x01) != 0);
	else if (p[0] == 0x05)
		chip->mx_rty_passive = p[3];
	return true;
}

static void
get_general_status(struct pn532_chip *chip)
{
	uint8_t r[8];
	size_t n = 0;
	bool tg = chip->tg != TG_NONE && target_reachable(chip);

	r[n++] = 0x00; /* last error */
	r[n++] = 0x00; /* no external field */
	r[n++] = tg ? 1 : 0;
	if (tg) {
		r[n++] = 0x01; /* Tg */
		r[n++] = 0x00; /* BrRx 106 kbps */
		r[n++] = 0x00; /* BrTx 106 kbps */
		r[n++] = 0x00; /* ISO 14443-A */
	}
	r[n++] = 0x00; /* SAM status */
	respond(chip, CMD_GET_GENERAL_STATUS, r, n);
}

/* Run one command.  @return false when it waits for a card (chip->pending set by the caller). */
static bool
execute(struct pn532_chip *chip, const uint8_t *c, size_t n, uint64_t now_ms)
{
	static const uint8_t firmware[4] = {0x32, 0x01, 0x06, 0x07};
	const uint8_t *p = c + 1;
	size_t np = n - 1;
	uint8_t r[PN532_DATA_MAX];

	chip_log(chip, 2, "command %02X, %zu parameter byte(s)", c[0], np);
	switch (c[0]) {
	case CMD_DIAGNOSE:
		if (np < 1)
			break;
		diagnose(chip, p, np);
		return true;
	case CMD_GET_FIRMWARE_VERSION:
		respond(chip, c[0], firmware, sizeof(firmware));
		return true;
	case CMD_GET_GENERAL_STATUS:
		get_general_status(chip);
		return true;
	case CMD_READ_REGISTER:
		if (np < 2 || np % 2 || np / 2 > sizeof(r))
			break;
		for (size_t i = 0; i < np / 2; i++)
			r[i] = chip->regs[(p[2 * i] << 8) | p[2 * i + 1]];
		respond(chip, c[0], r, np / 2);
		return true;
	case CMD_WRITE_REGISTER:
		if (np < 3 || np % 3)
			break;
		for (size_t i = 0; i < np / 3; i++)
			chip->regs[(p[3 * i] << 8) | p[3 * i + 1]] = p[3 * i + 2];
		respond(chip, c[0], NULL, 0);
		return true;
	case CMD_READ_GPIO:
		r[0] = chip->regs[SFR_P3];
		r[1] = chip->regs[SFR_P7];
		r[2] = 0x00; /* I0, I1: HSU */
		respond(chip, c[0], r, 3);
		return true;
	case CMD_WRITE_GPIO:
		if (np != 2)
			break;
		if (p[0] & 0x80)
			chip->regs[SFR_P3] = p[0] & 0x3F;
		if (p[1] & 0x80)
			chip->regs[SFR_P7] = p[1] & 0x06;
		respond(chip, c[0], NULL, 0);
		return true;
	case CMD_SET_SERIAL_BAUD_RATE:
		if (np != 1 || p[0] > 0x08)
			break;
		respond(chip, c[0], NULL, 0); /* a pty has no speed */
		return true;
	case CMD_SET_PARAMETERS:
		if (np != 1)
			break;
		chip->params = p[0];
		respond(chip, c[0], NULL, 0);
		return true;
	case CMD_SAM_CONFIGURATION:
		if (np < 1 || np > 3 || p[0] < 1 || p[0] > 4)
			break;
		respond(chip, c[0], NULL, 0);
		return true;
	case CMD_POWER_DOWN:
		if (np < 1 || np > 2)
			break;
		respond_status(chip, c[0], PN532_ST_OK);
		set_rf(chip, false);
		return true;
	case CMD_RF_CONFIGURATION:
		if (np < 1 || !rf_configuration(chip, p, np))
			break;
		respond(chip, c[0], NULL, 0);
		return true;
	case CMD_IN_DATA_EXCHANGE:
		if (np < 1)
			break;
		in_data_exchange(chip, p, np);
		return true;
	case CMD_IN_COMMUNICATE_THRU:
		/* No data: the chip only listens (libnfc's NFC Barcode probe); no card talks first.
		 */
		if (np < 1)
			respond_status(chip, c[0], PN532_ST_TIMEOUT);
		else
			in_communicate_thru(chip, p, np);
		return true;
	case CMD_IN_DESELECT:
	case CMD_IN_RELEASE:
		if (np != 1)
			break;
		if (chip->tg != TG_NONE && (p[0] == 0 || p[0] == 1)) {
			if (target_reachable(chip))
				raw_move(chip, RAW_HALT);
			chip->tg = c[0] == CMD_IN_DESELECT ? TG_DESELECTED : TG_NONE;
		}
		respond_status(chip, c[0], PN532_ST_OK);
		return true;
	case CMD_IN_SELECT:
		if (np != 1)
			break;
		if (chip->tg == TG_NONE || (p[0] & 0x3F) != 1) {
			respond_status(chip, c[0], PN532_ST_NOT_ACCEPTABLE);
		} else if (!target_reachable(chip)) {
			respond_status(chip, c[0], PN532_ST_TIMEOUT);
		} else {
			if (chip->tg == TG_DESELECTED)
				raw_move(chip, RAW_PROTOCOL);
			chip->tg = TG_ACTIVE;
			respond_status(chip, c[0], PN532_ST_OK);
		}
		return true;
	case CMD_IN_JUMP_FOR_DEP:
	case CMD_IN_JUMP_FOR_PSL:
		if (np < 3)
			break;
		respond_status(chip, c[0], PN532_ST_TIMEOUT); /* no NFC-DEP target here */
		return true;
	case CMD_IN_ATR:
	case CMD_IN_PSL:
		respond_status(chip, c[0], PN532_ST_NOT_ACCEPTABLE);
		return true;
	case CMD_IN_LIST_PASSIVE_TARGET:
		if (np < 2 || p[0] < 1 || p[0] > 2 || p[1] > 0x04)
			break;
		drop_target(chip);
		chip->rf_on = true;
		return in_list_passive_target(chip, p, np);
	case CMD_IN_AUTO_POLL:
		if (np < 3 || np > 17 || p[0] == 0 || p[1] < 1 || p[1] > 0x0F)
			break;
		drop_target(chip);
		chip->rf_on = true;
		if (p[0] != 0xFF)
			chip->deadline = now_ms + (uint64_t)p[0] * p[1] * 150u * (np - 2);
		return in_auto_poll(chip, p, np, now_ms);
	case CMD_TG_INIT_AS_TARGET:
		/* Waits for an external initiator's field; none ever comes. */
		return false;
	case CMD_TG_GET_TARGET_STATUS:
		respond_status(chip, c[0], 0x00); /* released */
		return true;
	case CMD_TG_GET_DATA:
	case CMD_TG_GET_INITIATOR_COMMAND:
	case CMD_TG_SET_DATA:
	case CMD_TG_RESPONSE_TO_INITIATOR:
	case CMD_TG_SET_GENERAL_BYTES:
	case CMD_TG_SET_META_DATA:
		respond_status(chip, c[0], PN532_ST_NOT_ACCEPTABLE);
		return true;
	default:
		break;
	}
	syntax_error(chip, c[0]);
	return true;
}

static void
cancel_pending(struct pn532_chip *chip, const char *why)
{
	if (chip->pending != PEND_NONE)
		chip_log(chip, 1, "command %02X cancelled (%s)", chip->pend_cmd[0], why);
	chip->pending = PEND_NONE;
	chip->deadline = UINT64_MAX;
}

void
pn532_chip_input(struct pn532_chip *chip, const uint8_t *in, size_t len, uint64_t now_ms)
{
	for (size_t i = 0; i < len; i++) {
		enum pn532_event ev = pn532_rx_feed(&chip->rx, in[i]);
		const uint8_t *c;
		size_t n;

		switch (ev) {
		case PN532_EV_NONE:
			break;
		case PN532_EV_BAD:
			chip_log(chip, 1, "malformed frame dropped");
			break;
		case PN532_EV_ACK:
			chip_log(chip, 2, "host: ACK");
			cancel_pending(chip, "ACK from the host");
			break;
		case PN532_EV_NACK:
			chip_log(chip, 2, "host: NACK");
			if (chip->last_len > 0)
				send_raw(chip, chip->last, chip->last_len);
			break;
		case PN532_EV_FRAME:
			c = pn532_rx_data(&chip->rx, &n);
			cancel_pending(chip, "new command");
			chip_hex(chip, "host:", c, n);
			/* Order matters: the ACK goes out before the command runs, as on the chip.
			 */
			send_raw(chip, pn532_ack_frame, sizeof(pn532_ack_frame));
			if (!execute(chip, c, n, now_ms)) {
				memcpy(chip->pend_cmd, c, n);
				chip->pend_len = n;
				chip->pending = c[0] == CMD_IN_AUTO_POLL        ? PEND_AUTOPOLL
				                : c[0] == CMD_TG_INIT_AS_TARGET ? PEND_TARGET
				                                                : PEND_LIST;
				chip_log(chip, 1, "command %02X waits for a card", c[0]);
			}
			break;
		}
	}
}

void
pn532_chip_poll(struct pn532_chip *chip, uint64_t now_ms)
{
	bool done = false;

	switch (chip->pending) {
	case PEND_NONE:
	case PEND_TARGET:
		return;
	case PEND_LIST:
		done = in_list_passive_target(chip, chip->pend_cmd + 1, chip->pend_len - 1);
		break;
	case PEND_AUTOPOLL:
		done = in_auto_poll(chip, chip->pend_cmd + 1, chip->pend_len - 1, now_ms);
		break;
	}
	if (done) {
		chip->pending = PEND_NONE;
		chip->deadline = UINT64_MAX;
	}
}
