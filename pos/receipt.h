/* receipt.h — the receipt: one layout whatever the tender (for dignity, a sale paid by the food
 * card looks like any other), to the screen, to a file, or to an ESC/POS printer.
 *
 * It shows: the shop, the sale number, time, terminal and operator; the lines (name, quantity,
 * amount, a mark on lines the caisse covers); the total and the covered amount; every tender
 * (the SSA card is one tender among others) and the change; the card's balance after; totals per
 * VAT rate (ssa/vat.h's method); "DUPLICATE n" on reprints.
 */
#ifndef POS_RECEIPT_H
#define POS_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/allocation.h"
#include "ssa/basket.h"
#include "ssa/err.h"
#include "ssa/money.h"

#define RECEIPT_MIN_WIDTH 32
#define RECEIPT_MAX_WIDTH 64

struct receipt {
	const char *shop_name;    /* may be NULL */
	const char *shop_address; /* may be NULL */
	const char *terminal_id;
	const char *operator_id;
	uint64_t sale_no;         /* the journal's sequence number of the sale */
	const char *time_text;    /* local time, already formatted */
	const struct basket *basket;
	const struct allocation *alloc;
	bool card;                /* a food card took part (balance_after is meaningful) */
	unsigned copy;            /* 0: the original; n: the n-th reprint */
	enum money_locale loc;
	int width;                /* characters per line, RECEIPT_MIN_WIDTH..RECEIPT_MAX_WIDTH */
};

/* Lay out @p r as UTF-8 text, lines ending in '\n'.  @p *out is malloc'd, owned by the caller.
 * SSA_ERR_INVAL for a width out of range or a missing basket/allocation. */
enum ssa_err receipt_format(const struct receipt *r, char **out, size_t *len);

/* Wrap receipt text @p text for an ESC/POS printer: initialise, code page 858 (the text is
 * converted, with transliteration of what it lacks), the text, feed and partial cut.
 * @p *out is malloc'd, owned by the caller. */
enum ssa_err receipt_escpos(const char *text, size_t len, char **out, size_t *out_len);

/* Write @p len bytes to @p path durably: a file is written to a temporary name, fsynced and
 * renamed; a character device (a printer, /dev/usb/lp0) is written directly, and so is a FIFO
 * (a print spooler's pipe), SSA_ERR_IO at once when nobody reads it. */
enum ssa_err receipt_write(const char *path, const char *data, size_t len);

#endif
