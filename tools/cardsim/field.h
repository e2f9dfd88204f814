/* field.h — the RF field of ssa-cardsim: which card file is on the reader, APDU counting, tears.
 *
 * The PN532 emulation (pn532.h) reaches the card only through field_card_ops, so the rules
 * "a card that answered has persisted" and "a torn card answers nothing" live here, once.
 */
#ifndef SSA_CARDSIM_FIELD_H
#define SSA_CARDSIM_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "pn532.h"

struct desfire_card;

struct field {
	struct desfire_card *card; /* NULL: no card in the field */
	char *path;                /* the card's file, owned */
	uint32_t epoch;            /* nonzero while a card is in the field */
	uint32_t epochs;           /* epochs handed out so far */
	unsigned long apdus;       /* APDUs the card processed since it entered the field */
	unsigned long bytes_in;    /* their bytes (ISO 14443-4 information fields) */
	unsigned long bytes_out;   /* the bytes of the card's answers */
	unsigned long tear_at;     /* 0: no tear armed; else the APDU number (apdus + N) */
	bool tear_before;          /* leave before processing APDU tear_at, not after */
	int verbose;
	void (*output)(void *cls, const uint8_t *buf, size_t len); /* the pty, for pn532 */
	void *output_cls;
};

/* The card operations the PN532 emulation calls, with a struct field as cls. */
extern const struct pn532_card_ops field_card_ops;

/* Start with an empty field. */
void field_init(struct field *f);

/* Remove any card and free what @p f owns. */
void field_fini(struct field *f);

/* Put the card stored in @p path into the field.
 * @return SSA_ERR_EXISTS when a card is already there, the loader's error when the file cannot
 *         be read; the field is unchanged on error. */
enum ssa_err field_insert(struct field *f, const char *path);

/* Take the card out of the field (nothing to save: every change was saved when it happened).
 * @return SSA_ERR_CARD_ABSENT when the field was empty. */
enum ssa_err field_remove(struct field *f);

/* Arm a tear: the card leaves the field after processing the @p n th next APDU (before its
 * answer is sent), or just before processing it when @p before.  @p n >= 1.
 * @return SSA_ERR_CARD_ABSENT without a card, SSA_ERR_INVAL for n == 0. */
enum ssa_err field_tear(struct field *f, unsigned long n, bool before);

/* One line describing the field, for the control channel's `status`.
 * @param[out] buf at least @p cap bytes, NUL-terminated. */
void field_describe(const struct field *f, char *buf, size_t cap);

#endif
