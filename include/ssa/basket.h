/* ssa/basket.h — the lines of a sale, their eligibility decisions, totals and VAT.
 *
 * A basket holds lines of three measures: pieces (a quantity of a per-piece product), weight (grams
 * of a per-kg product, amount = price per kg x grams / 1000 half up, money_mul_weight), and priced
 * (a GS1 variable-measure code with the price embedded: the amount is the embedded price).  A
 * GS1 code with an embedded weight is a weight line.
 *
 * Every change (quantity, remove, the card's caisse becoming known) recomputes every line's
 * decision in line order with convention_decide, then applies the category caps in line order
 * (what earlier lines covered counts against the cap, after what the caller said was already used
 * this period); an added line is decided the same way after the others, which keep theirs (a
 * line's decision never depends on later lines).  Before a card is known the list is NULL and
 * every line is CONVENTION_NO_CARD.
 *
 * A failed operation changes nothing (overflow, bad quantity, unit mismatch, full basket).
 */
#ifndef SSA_BASKET_H
#define SSA_BASKET_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/err.h"
#include "ssa/vat.h"

#define BASKET_MAX_LINES 500
#define BASKET_MAX_QTY 9999      /* pieces on one line */
#define BASKET_MAX_GRAMS 1000000 /* one tonne on one line */

enum basket_measure { BASKET_PIECES, BASKET_WEIGHT, BASKET_PRICED };

struct basket_line {
	uint32_t id; /* stable while the line lives; never reused within a basket */
	struct catalog_product product;
	enum basket_measure measure;
	int64_t qty;    /* pieces; 1 for weight and priced lines */
	int64_t grams;  /* weight lines; 0 otherwise */
	int64_t amount; /* VAT-inclusive amount of the line, cents */
	struct convention_decision decision;
	int64_t paid_ssa; /* set by allocation_compute: part debited from the card, 0 before */
};

/* What the member already used this period in a capped category (from the card). */
struct basket_use {
	char category[CATALOG_CATEGORY_MAX + 1];
	int64_t used;
};

#define BASKET_MAX_USES 32

struct basket {
	struct basket_line *lines; /* in the order they were added */
	size_t n, cap;
	uint32_t next_id;
	const struct convention_list *list; /* borrowed; NULL = no card yet */
	uint32_t list_version;              /* list's version and caisse when it was set: the */
	char list_caisse[CONVENTION_CAISSE_MAX + 1]; /* address alone may be a newer list's */
	int32_t today;                      /* YYYYMMDD */
	struct basket_use uses[BASKET_MAX_USES];
	size_t n_uses;
	uint64_t generation; /* bumped by every change (allocations compare it) */
	int64_t total;       /* sum of amounts */
	int64_t covered;     /* sum of covered amounts */
};

struct basket_totals {
	size_t lines;
	int64_t total;   /* VAT included */
	int64_t covered; /* SSA-covered (before the card's balance is known) */
	int64_t rest;    /* total - covered */
};

/* Empty basket for day @p today (YYYYMMDD), no card.  basket_fini releases it. */
void basket_init(struct basket *b, int32_t today);
void basket_fini(struct basket *b);

/* Add @p qty (1..BASKET_MAX_QTY) pieces of per-piece product @p p (copied).  @p id (may be
 * NULL) receives the new line's id.  SSA_ERR_BASKET_UNIT for a per-kg product,
 * SSA_ERR_INVAL for a bad quantity, SSA_ERR_BASKET_FULL, SSA_ERR_OVERFLOW. */
enum ssa_err basket_add_pieces(struct basket *b, const struct catalog_product *p, int64_t qty,
			       uint32_t *id);

/* Add @p grams (1..BASKET_MAX_GRAMS) of per-kg product @p p (SSA_ERR_BASKET_UNIT otherwise). */
enum ssa_err basket_add_weight(struct basket *b, const struct catalog_product *p, int64_t grams,
			       uint32_t *id);

/* Add a variable-measure item whose price @p amount (cents, > 0) was embedded in its code. */
enum ssa_err basket_add_priced(struct basket *b, const struct catalog_product *p, int64_t amount,
			       uint32_t *id);

/* New quantity of pieces line @p id (1..BASKET_MAX_QTY), or new weight of a weight line.
 * SSA_ERR_BASKET_LINE when there is no such line, SSA_ERR_BASKET_UNIT on a priced line. */
enum ssa_err basket_set_qty(struct basket *b, uint32_t id, int64_t qty_or_grams);

/* Remove line @p id. */
enum ssa_err basket_remove(struct basket *b, uint32_t id);

/* The card became known (or was withdrawn with @p list NULL): decide every line again with the
 * list of the card's caisse, on day @p today, with @p uses[@p n_uses] already used this period
 * (copied; at most BASKET_MAX_USES).  @p list is borrowed and must outlive its use by @p b. */
enum ssa_err basket_set_list(struct basket *b, const struct convention_list *list, int32_t today,
			     const struct basket_use *uses, size_t n_uses);

/* Line @p id, or NULL. */
const struct basket_line *basket_line(const struct basket *b, uint32_t id);

/* Totals of @p b. */
void basket_totals(const struct basket *b, struct basket_totals *out);

/* Totals per VAT rate of @p b by the one method of ssa/vat.h (finished). */
enum ssa_err basket_vat(const struct basket *b, struct vat_summary *out);

/* Covered amount per capped category in this basket, for the card's period counters after a
 * sale: @p out[i] = { category, covered in this basket }, at most @p max, count in @p *n.  Only
 * the SSA part actually debited counts: call after allocation_compute. */
enum ssa_err basket_cap_usage(const struct basket *b, struct basket_use *out, size_t max,
			      size_t *n);

#endif
