/* pn532.h — an emulated NXP PN532 as libnfc's pn532_uart driver sees it on a serial line.
 *
 * Two layers, both free of I/O so that unit tests drive them byte by byte:
 *  - the frame codec: the host's byte stream (wake-up preamble, ACK/NACK, normal and extended
 *    information frames with their LCS/DCS checksums) becomes events; responses become frames;
 *  - the chip: the commands of the PN532 user manual that libnfc 1.8 uses (pn53x.c), a register
 *    file, RF settings, and one type A card (ISO/IEC 14443-3 states for raw frames, ISO/IEC
 *    14443-4 once active, target Tg 1 for the chip's own commands) reached through a small table
 *    of card operations (struct pn532_card_ops), so the chip knows nothing of DESFire.
 * The chip never answers a status byte with bit 7 set (libnfc calls abort() on it): a card that
 * does not answer is status 0x01, the PN532's own timeout.
 */
#ifndef SSA_CARDSIM_PN532_H
#define SSA_CARDSIM_PN532_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload (TFI excluded, command code included) of an extended frame. */
#define PN532_DATA_MAX 264
/* Largest frame on the wire: 00 00 FF FF FF LENM LENL LCS TFI data DCS 00. */
#define PN532_FRAME_MAX (PN532_DATA_MAX + 11)

/* TFI bytes: host to PN532, PN532 to host. */
#define PN532_TFI_HOST 0xD4
#define PN532_TFI_CHIP 0xD5

/* Status bytes (PN532 user manual, table 7). */
#define PN532_ST_OK 0x00
#define PN532_ST_TIMEOUT 0x01
#define PN532_ST_INVPARAM 0x10
#define PN532_ST_NOT_ACCEPTABLE 0x27

enum pn532_event {
	PN532_EV_NONE,  /* need more bytes */
	PN532_EV_FRAME, /* a complete, well-formed information frame from the host */
	PN532_EV_ACK,   /* host ACK: abort the running command */
	PN532_EV_NACK,  /* host NACK: send the last response again */
	PN532_EV_BAD,   /* a frame with a wrong checksum, TFI or length: dropped */
};

/* The receiving side of the frame codec.  Embed it and call pn532_rx_init(). */
struct pn532_rx {
	int state;
	size_t len;   /* LEN of the current frame (TFI + data) */
	size_t got;   /* bytes of TFI + data received */
	uint8_t lenm; /* high byte of an extended LEN */
	uint8_t sum;
	uint8_t prev;                    /* previous byte, to find 00 FF */
	uint8_t buf[PN532_DATA_MAX + 1]; /* TFI + data */
};

/* Reset @p rx to look for a start code. */
void pn532_rx_init(struct pn532_rx *rx);

/* Feed one byte from the host.
 * @return PN532_EV_NONE while a frame is incomplete, else the event it completes.  For
 *         PN532_EV_FRAME, pn532_rx_data() gives the payload (command code first, TFI excluded). */
enum pn532_event pn532_rx_feed(struct pn532_rx *rx, uint8_t byte);

/* The payload of the frame just completed; valid until the next pn532_rx_feed().
 * @param[out] len its length (at least 1: the command code). */
const uint8_t *pn532_rx_data(const struct pn532_rx *rx, size_t *len);

/* Encode an information frame from the PN532 (TFI D5): normal up to 254 payload bytes,
 * extended beyond.  @p data is the payload (response code first).
 * @param[out] out at least @p len + 11 bytes.
 * @return the frame length, 0 if @p len is 0 or above PN532_DATA_MAX or @p cap too small. */
size_t pn532_frame_encode(const uint8_t *data, size_t len, uint8_t *out, size_t cap);

/* The 6-byte ACK frame 00 00 FF 00 FF 00, and the application error frame a PN532 sends for a
 * command it cannot parse (00 00 FF 01 FF 7F 81 00). */
extern const uint8_t pn532_ack_frame[6];
extern const uint8_t pn532_nack_frame[6];
extern const uint8_t pn532_error_frame[8];

/* What the chip needs from the card(s) in its field.  Every function gets @c cls. */
struct pn532_card_ops {
	/* Nonzero while a card is in the field: an epoch that changes whenever the card in the
	 * field changes (insertion, removal, tear), so that a target selected before cannot talk to
	 * the next card.  0: no card. */
	uint32_t (*present)(void *cls);
	/* The card's 7-byte UID. */
	void (*uid)(void *cls, uint8_t uid[7]);
	/* One ISO/IEC 14443-4 information field in, its answer out.
	 * @return true with *resp_len set, or false when the card gave no answer (it left the
	 *         field, or was torn away: present() tells which card is there now). */
	bool (*exchange)(void *cls, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
	                 size_t *resp_len);
	/* The card lost its ISO 14443-4 session: RF off, DESELECT, re-activation. */
	void (*reset)(void *cls);
	/* Bytes for the host (ACK frames, responses, error frames), in order. */
	void (*output)(void *cls, const uint8_t *buf, size_t len);
};

struct pn532_chip;

/* A new chip in its power-on state (Low VBat, RF off, no target).
 * @param[in] ops,cls the field; borrowed, must outlive the chip.
 * @return NULL when out of memory. */
struct pn532_chip *pn532_chip_new(const struct pn532_card_ops *ops, void *cls);

/* Free @p chip; NULL is a no-op. */
void pn532_chip_free(struct pn532_chip *chip);

/* Feed bytes the host wrote; everything the chip answers goes to ops->output, synchronously.
 * @param[in] now_ms a monotonic clock, for commands that wait (InAutoPoll). */
void pn532_chip_input(struct pn532_chip *chip, const uint8_t *in, size_t len, uint64_t now_ms);

/* Resume a command that waits for a card (InAutoPoll, InListPassiveTarget with endless
 * retries): call it when the field changed and at pn532_chip_deadline(). */
void pn532_chip_poll(struct pn532_chip *chip, uint64_t now_ms);

/* The time at which pn532_chip_poll() must run even if the field does not change, or
 * UINT64_MAX when no command waits with a deadline. */
uint64_t pn532_chip_deadline(const struct pn532_chip *chip);

/* True while a command waits for a card. */
bool pn532_chip_waiting(const struct pn532_chip *chip);

/* Log verbosity: 0 silent, 1 commands, 2 hex dumps of every frame; messages go to stderr. */
void pn532_chip_set_verbose(struct pn532_chip *chip, int verbose);

/* Read one register of the chip's register file (for tests and `status`). */
uint8_t pn532_chip_register(const struct pn532_chip *chip, uint16_t addr);

#endif
