/* ssa/allocation.h — splitting a basket between the card's balance and the other tenders.
 *
 * The rule: debit = min(covered amount, card balance).  The rest of the total (total - debit)
 * is due from the other tenders: cash (change is given back), bank card, local currency, other.
 * The allocation is a tender, never a discount: the VAT bases of the lines do not change.
 *
 * Per line, for the receipt: the debit is spread over the lines in line order, each line taking
 * min(its covered amount, what is left of the debit), so it is exact to the cent and a line's SSA
 * part never exceeds its covered part.  The other tenders pay the remainder of each line
 * (amount - paid_ssa); they are not spread further.
 */
#ifndef SSA_ALLOCATION_H
#define SSA_ALLOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/basket.h"
#include "ssa/err.h"

#define TENDER_KINDS(_) \
	_(SSA, "SSA card") \
	_(CASH, "cash") \
	_(BANK_CARD, "bank card") \
	_(LOCAL_CURRENCY, "local currency") \
	_(OTHER, "other")

#define TENDER_ENUM_(name, label) TENDER_##name,
enum tender_kind { TENDER_KINDS(TENDER_ENUM_) TENDER__COUNT };
#undef TENDER_ENUM_

/* "BANK_CARD"; "bank card".  Static storage. */
const char *tender_name(enum tender_kind k);
const char *tender_label(enum tender_kind k);

#define ALLOCATION_MAX_TENDERS 8

struct allocation_tender {
	enum tender_kind kind;
	int64_t amount; /* applied to the sale */
	int64_t given;  /* handed over (cash: amount + change) */
};

struct allocation {
	int64_t total;          /* the basket's total */
	int64_t covered;        /* the basket's covered amount */
	int64_t balance_before; /* the card's balance */
	int64_t ssa_debit;      /* min(covered, balance) */
	int64_t balance_after;
	int64_t rest;   /* total - ssa_debit, due from other tenders */
	int64_t paid;   /* sum of other tenders applied so far */
	int64_t change; /* cash given back */
	size_t n;       /* tenders[0] is the SSA debit when ssa_debit > 0 */
	struct allocation_tender tenders[ALLOCATION_MAX_TENDERS];
	uint64_t generation; /* the basket's generation it was computed for */
};

/* Compute the split of @p b for a card with @p balance cents (>= 0; SSA_ERR_NEGATIVE otherwise)
 * into @p a, and record each line's paid_ssa in @p b.  Without a card pass balance 0. */
enum ssa_err allocation_compute(struct basket *b, int64_t balance, struct allocation *a);

/* The amount still due from other tenders. */
int64_t allocation_due(const struct allocation *a);

/* A payment of @p given cents (> 0) by @p kind (not TENDER_SSA).  Cash may exceed the amount due:
 * the excess is change.  Any other tender exceeding it, or any payment once nothing is due, is
 * SSA_ERR_BASKET_PAID; SSA_ERR_TOO_LONG past ALLOCATION_MAX_TENDERS.  @p a unchanged on error. */
enum ssa_err allocation_pay(struct allocation *a, enum tender_kind kind, int64_t given);

/* SSA_ERR_OK when @p a is fully paid and still matches @p b (no change since computed);
 * SSA_ERR_BASKET_UNPAID or SSA_ERR_INVAL otherwise. */
enum ssa_err allocation_check(const struct allocation *a, const struct basket *b);

#endif
