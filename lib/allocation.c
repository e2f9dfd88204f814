/* allocation.c — the card's debit, the other tenders, change (see ssa/allocation.h). */
#include <string.h>

#include "ssa/allocation.h"
#include "ssa/money.h"

static const char *const names[] = {
#define N_(name, label) #name,
	TENDER_KINDS(N_)
#undef N_
};
static const char *const labels[] = {
#define L_(name, label) label,
	TENDER_KINDS(L_)
#undef L_
};

const char *
tender_name(enum tender_kind k)
{
	return (unsigned)k < TENDER__COUNT ? names[k] : "UNKNOWN";
}

const char *
tender_label(enum tender_kind k)
{
	return (unsigned)k < TENDER__COUNT ? labels[k] : "unknown";
}

enum ssa_err
allocation_compute(struct basket *b, int64_t balance, struct allocation *a)
{
	struct allocation r;
	int64_t left;

	if (b == NULL || a == NULL)
		return SSA_ERR_INVAL;
	if (balance < 0)
		return SSA_ERR_NEGATIVE;
	if (balance > MONEY_MAX)
		return SSA_ERR_OVERFLOW;
	memset(&r, 0, sizeof(r));
	r.total = b->total;
	r.covered = b->covered;
	r.balance_before = balance;
	r.ssa_debit = money_min(b->covered, balance);
	r.balance_after = balance - r.ssa_debit;
	r.rest = b->total - r.ssa_debit;
	r.generation = b->generation;
	if (r.ssa_debit > 0) {
		r.tenders[0].kind = TENDER_SSA;
		r.tenders[0].amount = r.ssa_debit;
		r.tenders[0].given = r.ssa_debit;
		r.n = 1;
	}
	/* The debit over the lines, in line order, exact to the cent. */
	left = r.ssa_debit;
	for (size_t i = 0; i < b->n; i++) {
		int64_t take = money_min(b->lines[i].decision.covered, left);
		b->lines[i].paid_ssa = take;
		left -= take;
	}
	*a = r;
	return SSA_ERR_OK;
}

int64_t
allocation_due(const struct allocation *a)
{
	return a->rest - a->paid;
}

enum ssa_err
allocation_pay(struct allocation *a, enum tender_kind kind, int64_t given)
{
	int64_t due = allocation_due(a), applied, change;
	struct allocation_tender *t;
	enum ssa_err e;

	if ((unsigned)kind >= TENDER__COUNT || kind == TENDER_SSA)
		return SSA_ERR_INVAL;
	if (given <= 0)
		return given < 0 ? SSA_ERR_NEGATIVE : SSA_ERR_INVAL;
	if (given > MONEY_MAX)
		return SSA_ERR_OVERFLOW;
	if (due <= 0 || (kind != TENDER_CASH && given > due))
		return SSA_ERR_BASKET_PAID;
	if (a->n == ALLOCATION_MAX_TENDERS)
		return SSA_ERR_TOO_LONG;
	applied = money_min(given, due);
	if ((e = money_add(a->change, given - applied, &change)) != SSA_ERR_OK)
		return e;
	t = &a->tenders[a->n++];
	t->kind = kind;
	t->amount = applied;
	t->given = given;
	a->paid += applied;
	a->change = change;
	return SSA_ERR_OK;
}

enum ssa_err
allocation_check(const struct allocation *a, const struct basket *b)
{
	if (a->generation != b->generation || a->total != b->total)
		return SSA_ERR_INVAL;
	return allocation_due(a) == 0 ? SSA_ERR_OK : SSA_ERR_BASKET_UNPAID;
}
