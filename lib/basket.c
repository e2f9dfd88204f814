/* basket.c — basket lines, decisions, totals, VAT per rate (see ssa/basket.h for the rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/basket.h"
#include "ssa/money.h"

void
basket_init(struct basket *b, int32_t today)
{
	memset(b, 0, sizeof(*b));
	b->today = today;
	b->next_id = 1;
}

void
basket_fini(struct basket *b)
{
	free(b->lines);
	memset(b, 0, sizeof(*b));
}

static struct basket_line *
find(const struct basket *b, uint32_t id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->lines[i].id == id)
			return &b->lines[i];
	return NULL;
}

const struct basket_line *
basket_line(const struct basket *b, uint32_t id)
{
	return find(b, id);
}

static int64_t
used_before(const struct basket *b, const char *category)
{
	for (size_t i = 0; i < b->n_uses; i++)
		if (strcmp(b->uses[i].category, category) == 0)
			return b->uses[i].used;
	return 0;
}

/* Decide line @p i into @p *out.  The decisions of the lines before it are @p d[0..i), or
 * with @p d NULL the ones the lines hold (caps count the period's earlier sales, then the
 * earlier lines of this basket in the same category: order matters). */
static enum ssa_err
decide_with(const struct basket *b, size_t i, const struct convention_decision *d,
	    struct convention_decision *out)
{
	const struct basket_line *l = &b->lines[i];
	struct convention_line cl = {
		.code = l->product.code,
		.category = l->product.category,
		.unit = l->product.unit,
		.unit_price = l->product.price,
		.qty = l->measure == BASKET_PIECES ? l->qty : 0,
		.grams = l->grams,
		.amount = l->amount,
	};
	enum ssa_err e;
	int64_t used;

	if ((e = convention_decide(b->list, b->today, &cl, out)) != SSA_ERR_OK)
		return e;
	if (out->cap == CONVENTION_NONE)
		return SSA_ERR_OK;
	used = used_before(b, l->product.category);
	for (size_t j = 0; j < i; j++) {
		const struct convention_decision *dj = d != NULL ? &d[j] : &b->lines[j].decision;

		if (dj->cap != CONVENTION_NONE &&
		    strcmp(b->lines[j].product.category, l->product.category) == 0 &&
		    (e = money_add(used, dj->covered, &used)) != SSA_ERR_OK)
			return e;
	}
	convention_apply_cap(out, used);
	return SSA_ERR_OK;
}

/* Line @p i decided into @p d[i], @p d[0..i) holding the decisions of the lines before it. */
static enum ssa_err
decide_line(const struct basket *b, size_t i, struct convention_decision *d)
{
	return decide_with(b, i, d, &d[i]);
}

/* Line @p i decided into @p *out, the lines before it keeping the decisions they hold. */
static enum ssa_err
decide_one(const struct basket *b, size_t i, struct convention_decision *out)
{
	return decide_with(b, i, NULL, out);
}

/* Decide every line again, in line order, and the totals (the list, the day or a line in the
 * middle changed).  Nothing is written unless everything succeeds, so that the caller can undo
 * its own change on error. */
static enum ssa_err
recompute(struct basket *b)
{
	struct convention_decision *d = NULL;
	int64_t total = 0, covered = 0;
	enum ssa_err e = SSA_ERR_OK;

	if (b->n > 0 && (d = malloc(b->n * sizeof(*d))) == NULL)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < b->n; i++) {
		if ((e = decide_line(b, i, d)) != SSA_ERR_OK)
			goto out;
		if ((e = money_add(total, b->lines[i].amount, &total)) != SSA_ERR_OK ||
		    (e = money_add(covered, d[i].covered, &covered)) != SSA_ERR_OK)
			goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		b->lines[i].decision = d[i];
		b->lines[i].paid_ssa = 0;
	}
	b->total = total;
	b->covered = covered;
	b->generation++;
out:
	free(d);
	return e;
}

/* Decide the line just appended (the last one) and add it to the totals.  A line's decision
 * depends on the list, the day and the lines before it, never on later ones: the lines before
 * keep theirs, and scanning n lines decides n lines, not n * (n + 1) / 2.  Nothing is written
 * unless everything succeeds. */
static enum ssa_err
decide_appended(struct basket *b)
{
	struct basket_line *l = &b->lines[b->n - 1];
	struct convention_decision d;
	int64_t total, covered;
	enum ssa_err e;

	if ((e = decide_one(b, b->n - 1, &d)) != SSA_ERR_OK ||
	    (e = money_add(b->total, l->amount, &total)) != SSA_ERR_OK ||
	    (e = money_add(b->covered, d.covered, &covered)) != SSA_ERR_OK)
		return e;
	l->decision = d;
	for (size_t i = 0; i < b->n; i++)
		b->lines[i].paid_ssa = 0;
	b->total = total;
	b->covered = covered;
	b->generation++;
	return SSA_ERR_OK;
}

static enum ssa_err
add_line(struct basket *b, const struct catalog_product *p, enum basket_measure m, int64_t qty,
	 int64_t grams, int64_t amount, uint32_t *id)
{
	struct basket_line *l;
	enum ssa_err e;

	if (b->n == BASKET_MAX_LINES)
		return SSA_ERR_BASKET_FULL;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 16;
		void *nl = realloc(b->lines, nc * sizeof(*b->lines));
		if (nl == NULL)
			return SSA_ERR_NOMEM;
		b->lines = nl;
		b->cap = nc;
	}
	l = &b->lines[b->n];
	memset(l, 0, sizeof(*l));
	l->id = b->next_id;
	l->product = *p;
	l->measure = m;
	l->qty = qty;
	l->grams = grams;
	l->amount = amount;
	b->n++;
	if ((e = decide_appended(b)) != SSA_ERR_OK) {
		b->n--;
		return e;
	}
	b->next_id++;
	if (id != NULL)
		*id = l->id;
	return SSA_ERR_OK;
}

enum ssa_err
basket_add_pieces(struct basket *b, const struct catalog_product *p, int64_t qty, uint32_t *id)
{
	int64_t amount;
	enum ssa_err e;

	if (b == NULL || p == NULL)
		return SSA_ERR_INVAL;
	if (p->unit != CATALOG_PIECE)
		return SSA_ERR_BASKET_UNIT;
	if (qty < 1 || qty > BASKET_MAX_QTY)
		return SSA_ERR_INVAL;
	if ((e = money_mul_qty(p->price, qty, &amount)) != SSA_ERR_OK)
		return e;
	return add_line(b, p, BASKET_PIECES, qty, 0, amount, id);
}

enum ssa_err
basket_add_weight(struct basket *b, const struct catalog_product *p, int64_t grams, uint32_t *id)
{
	int64_t amount;
	enum ssa_err e;

	if (b == NULL || p == NULL)
		return SSA_ERR_INVAL;
	if (p->unit != CATALOG_KG)
		return SSA_ERR_BASKET_UNIT;
	if (grams < 1 || grams > BASKET_MAX_GRAMS)
		return SSA_ERR_INVAL;
	if ((e = money_mul_weight(p->price, grams, &amount)) != SSA_ERR_OK)
		return e;
	return add_line(b, p, BASKET_WEIGHT, 1, grams, amount, id);
}

enum ssa_err
basket_add_priced(struct basket *b, const struct catalog_product *p, int64_t amount, uint32_t *id)
{
	if (b == NULL || p == NULL)
		return SSA_ERR_INVAL;
	if (amount < 1)
		return amount < 0 ? SSA_ERR_NEGATIVE : SSA_ERR_INVAL;
	if (amount > MONEY_MAX)
		return SSA_ERR_OVERFLOW;
	return add_line(b, p, BASKET_PRICED, 1, 0, amount, id);
}

enum ssa_err
basket_set_qty(struct basket *b, uint32_t id, int64_t n)
{
	struct basket_line *l = find(b, id), saved;
	enum ssa_err e;

	if (l == NULL)
		return SSA_ERR_BASKET_LINE;
	saved = *l;
	switch (l->measure) {
	case BASKET_PIECES:
		if (n < 1 || n > BASKET_MAX_QTY)
			return SSA_ERR_INVAL;
		if ((e = money_mul_qty(l->product.price, n, &l->amount)) != SSA_ERR_OK)
			return e;
		l->qty = n;
		break;
	case BASKET_WEIGHT:
		if (n < 1 || n > BASKET_MAX_GRAMS)
			return SSA_ERR_INVAL;
		if ((e = money_mul_weight(l->product.price, n, &l->amount)) != SSA_ERR_OK)
			return e;
		l->grams = n;
		break;
	default:
		return SSA_ERR_BASKET_UNIT;
	}
	if ((e = recompute(b)) != SSA_ERR_OK)
		*l = saved;
	return e;
}

enum ssa_err
basket_remove(struct basket *b, uint32_t id)
{
	struct basket_line *l = find(b, id);
	size_t i;

	if (l == NULL)
		return SSA_ERR_BASKET_LINE;
	i = (size_t)(l - b->lines);
	memmove(&b->lines[i], &b->lines[i + 1], (b->n - i - 1) * sizeof(*b->lines));
	b->n--;
	/* Totals only shrink, but a cap moves to later lines: decide again. */
	return recompute(b);
}

/* Is @p list the list the lines were decided with?  The catalog hands out the same list again
 * while its version is unchanged, and replaces it only by a higher version (the port's
 * contract, include/ssa/catalog.h); a newer list may sit where the old one was freed, so the
 * version and caisse kept when it was set are compared too. */
static bool
same_list(const struct basket *b, const struct convention_list *list)
{
	if (list == NULL || b->list == NULL)
		return list == b->list;
	return list == b->list && list->version == b->list_version &&
	       strcmp(list->caisse, b->list_caisse) == 0;
}

static void
keep_list(struct basket *b, const struct convention_list *list)
{
	b->list = list;
	b->list_version = list != NULL ? list->version : 0;
	snprintf(b->list_caisse, sizeof(b->list_caisse), "%s", list != NULL ? list->caisse : "");
}

enum ssa_err
basket_set_list(struct basket *b, const struct convention_list *list, int32_t today,
		const struct basket_use *uses, size_t n_uses)
{
	const struct convention_list *old_list = b->list;
	uint32_t old_version = b->list_version;
	char old_caisse[sizeof(b->list_caisse)];
	struct basket_use old_uses[BASKET_MAX_USES];
	size_t old_n = b->n_uses;
	int32_t old_today = b->today;
	enum ssa_err e;

	if (n_uses > BASKET_MAX_USES || (n_uses > 0 && uses == NULL))
		return SSA_ERR_INVAL;
	for (size_t i = 0; i < n_uses; i++)
		if (uses[i].used < 0)
			return SSA_ERR_NEGATIVE;
	if (n_uses == 0 && old_n == 0 && today == old_today && same_list(b, list)) {
		/* Nothing a decision depends on changed (the till reads the list in force afresh at
		 * every payment): keep the decisions, drop what a previous split paid. */
		for (size_t i = 0; i < b->n; i++)
			b->lines[i].paid_ssa = 0;
		b->generation++;
		return SSA_ERR_OK;
	}
	memcpy(old_uses, b->uses, sizeof(old_uses));
	memcpy(old_caisse, b->list_caisse, sizeof(old_caisse));
	keep_list(b, list);
	b->today = today;
	if (n_uses > 0)
		memcpy(b->uses, uses, n_uses * sizeof(*uses));
	b->n_uses = n_uses;
	if ((e = recompute(b)) != SSA_ERR_OK) {
		b->list = old_list;
		b->list_version = old_version;
		memcpy(b->list_caisse, old_caisse, sizeof(old_caisse));
		b->today = old_today;
		memcpy(b->uses, old_uses, sizeof(old_uses));
		b->n_uses = old_n;
	}
	return e;
}

void
basket_totals(const struct basket *b, struct basket_totals *out)
{
	out->lines = b->n;
	out->total = b->total;
	out->covered = b->covered;
	out->rest = b->total - b->covered; /* both in range and covered <= total */
}

enum ssa_err
basket_vat(const struct basket *b, struct vat_summary *out)
{
	struct vat_summary s;
	enum ssa_err e;

	vat_summary_init(&s);
	for (size_t i = 0; i < b->n; i++)
		if ((e = vat_summary_add(&s, b->lines[i].product.vat_bp, b->lines[i].amount)))
			return e;
	if ((e = vat_summary_finish(&s)) != SSA_ERR_OK)
		return e;
	*out = s;
	return SSA_ERR_OK;
}

enum ssa_err
basket_cap_usage(const struct basket *b, struct basket_use *out, size_t max, size_t *n)
{
	size_t k = 0;
	enum ssa_err e;

	for (size_t i = 0; i < b->n; i++) {
		const struct basket_line *l = &b->lines[i];
		size_t j;

		if (l->decision.cap == CONVENTION_NONE)
			continue;
		for (j = 0; j < k && strcmp(out[j].category, l->product.category) != 0; j++)
			;
		if (j == k) {
			if (k == max)
				return SSA_ERR_TOO_LONG;
			memcpy(out[k].category, l->product.category, sizeof(out[k].category));
			out[k++].used = 0;
		}
		if ((e = money_add(out[j].used, l->paid_ssa, &out[j].used)) != SSA_ERR_OK)
			return e;
	}
	*n = k;
	return SSA_ERR_OK;
}
