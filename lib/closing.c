/* closing.c — Z, monthly and annual closings from journal records (see ssa/closing.h). */
#include <stdlib.h>
#include <string.h>

#include "ssa/closing.h"
#include "ssa/money.h"

enum ssa_err
closing_begin(struct closing_acc *a, enum journal_kind kind, int32_t period,
	      const struct journal_record *prev)
{
	if (!journal_kind_is_closing(kind) || (prev != NULL && prev->kind != kind) || period < 0)
		return SSA_ERR_INVAL;
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->c.period = period;
	a->c.number = prev != NULL ? prev->closing.number + 1 : 1;
	a->c.perpetual_prev = prev != NULL ? prev->closing.perpetual : 0;
	vat_summary_init(&a->c.vat);
	return SSA_ERR_OK;
}

/* @p *acc += sign x v. */
static enum ssa_err
acc(int64_t *acc_, int sign, int64_t v)
{
	return sign > 0 ? money_add(*acc_, v, acc_) : money_sub(*acc_, v, acc_);
}

/* Add (sign 1) or subtract (sign -1) the per-rate figures of @p v into @p s, keeping rates
 * sorted.  The figures are summed as they were recorded, never recomputed. */
static enum ssa_err
vat_acc(struct vat_summary *s, int sign, const struct vat_summary *v)
{
	enum ssa_err e;

	for (size_t i = 0; i < v->n; i++) {
		const struct vat_total *t = &v->rates[i];
		size_t k = 0;
		while (k < s->n && s->rates[k].rate_bp < t->rate_bp)
			k++;
		if (k == s->n || s->rates[k].rate_bp != t->rate_bp) {
			if (s->n == VAT_MAX_RATES)
				return SSA_ERR_TOO_LONG;
			memmove(&s->rates[k + 1], &s->rates[k], (s->n - k) * sizeof(s->rates[0]));
			memset(&s->rates[k], 0, sizeof(s->rates[0]));
			s->rates[k].rate_bp = t->rate_bp;
			s->n++;
		}
		if ((e = acc(&s->rates[k].gross, sign, t->gross)) != SSA_ERR_OK ||
		    (e = acc(&s->rates[k].vat, sign, t->vat)) != SSA_ERR_OK ||
		    (e = acc(&s->rates[k].net, sign, t->net)) != SSA_ERR_OK)
			return e;
	}
	return SSA_ERR_OK;
}

static void
range(struct journal_closing *c, uint64_t seq)
{
	if (c->first_seq == 0)
		c->first_seq = seq;
	c->last_seq = seq;
	c->records++;
}

static enum ssa_err
add_priced(struct journal_closing *c, const struct journal_record *r)
{
	int sign = r->kind == JOURNAL_SALE ? 1 : -1;
	enum ssa_err e;

	if (r->kind == JOURNAL_SALE) {
		c->sales++;
		e = acc(&c->sales_total, 1, r->total);
	} else if (r->kind == JOURNAL_VOID) {
		c->voids++;
		e = acc(&c->voids_total, 1, r->total);
	} else {
		c->refunds++;
		e = acc(&c->refunds_total, 1, r->total);
	}
	if (e != SSA_ERR_OK || (e = acc(&c->total, sign, r->total)) != SSA_ERR_OK)
		return e;
	for (size_t i = 0; i < r->n_tenders; i++)
		if ((e = acc(&c->tenders[r->tenders[i].kind], sign, r->tenders[i].amount)) !=
		    SSA_ERR_OK)
			return e;
	c->ssa_total = c->tenders[TENDER_SSA];
	return vat_acc(&c->vat, sign, &r->vat);
}

static enum ssa_err
add_z(struct journal_closing *c, const struct journal_closing *z)
{
	enum ssa_err e;

	c->sales += z->sales;
	c->voids += z->voids;
	c->refunds += z->refunds;
	c->reloads += z->reloads;
	if ((e = acc(&c->sales_total, 1, z->sales_total)) != SSA_ERR_OK ||
	    (e = acc(&c->voids_total, 1, z->voids_total)) != SSA_ERR_OK ||
	    (e = acc(&c->refunds_total, 1, z->refunds_total)) != SSA_ERR_OK ||
	    (e = acc(&c->reloads_total, 1, z->reloads_total)) != SSA_ERR_OK ||
	    (e = acc(&c->total, 1, z->total)) != SSA_ERR_OK ||
	    (e = acc(&c->ssa_total, 1, z->ssa_total)) != SSA_ERR_OK)
		return e;
	for (size_t i = 0; i < TENDER__COUNT; i++)
		if ((e = acc(&c->tenders[i], 1, z->tenders[i])) != SSA_ERR_OK)
			return e;
	return vat_acc(&c->vat, 1, &z->vat);
}

enum ssa_err
closing_add(struct closing_acc *a, const struct journal_record *r)
{
	struct journal_closing c = a->c;
	enum ssa_err e = SSA_ERR_OK;

	if (a->kind == JOURNAL_CLOSING_Z) {
		switch (r->kind) {
		case JOURNAL_SALE:
		case JOURNAL_VOID:
		case JOURNAL_REFUND:
			e = add_priced(&c, r);
			break;
		case JOURNAL_RELOAD:
			c.reloads++;
			e = acc(&c.reloads_total, 1, r->reload.amount);
			break;
		default:
			return SSA_ERR_OK;
		}
	} else {
		if (r->kind != JOURNAL_CLOSING_Z)
			return SSA_ERR_OK;
		e = add_z(&c, &r->closing);
	}
	if (e != SSA_ERR_OK)
		return e;
	range(&c, r->seq);
	a->c = c;
	return SSA_ERR_OK;
}

enum ssa_err
closing_finish(const struct closing_acc *a, struct journal_closing *out)
{
	struct journal_closing c = a->c;
	enum ssa_err e = money_add(c.perpetual_prev, c.total, &c.perpetual);

	if (e != SSA_ERR_OK)
		return e;
	*out = c;
	return SSA_ERR_OK;
}

struct compute_ctx {
	struct closing_acc *a;
};

static enum ssa_err
compute_one(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct compute_ctx *cc = ctx;
	struct journal_record r;
	enum ssa_err e;

	(void)seq;
	if ((e = journal_record_decode(buf, len, &r, NULL)) != SSA_ERR_OK)
		return e;
	e = closing_add(cc->a, &r);
	journal_record_fini(&r);
	return e;
}

enum ssa_err
closing_compute(struct ssa_journal_store *s, enum journal_kind kind, int32_t period,
		struct journal_record *r)
{
	struct journal_record prev;
	struct closing_acc a;
	struct compute_ctx cc = { &a };
	uint64_t last = 0;
	char *buf = NULL;
	size_t len = 0;
	bool have_prev = false;
	enum ssa_err e;

	journal_record_init(&prev, kind);
	if (!journal_kind_is_closing(kind))
		return SSA_ERR_INVAL;
	if ((e = journal_store_last_of_kind(s, kind, &last)) != SSA_ERR_OK)
		goto out;
	if (last != 0) {
		if ((e = journal_store_get(s, last, &buf, &len)) != SSA_ERR_OK ||
		    (e = journal_record_decode(buf, len, &prev, NULL)) != SSA_ERR_OK)
			goto out;
		have_prev = true;
	}
	if ((e = closing_begin(&a, kind, period, have_prev ? &prev : NULL)) != SSA_ERR_OK)
		goto out;
	if ((e = journal_store_scan(s, last + 1, compute_one, &cc)) != SSA_ERR_OK)
		goto out;
	free(r->lines);
	r->lines = NULL;
	r->n_lines = 0;
	r->n_tenders = 0;
	r->kind = kind;
	r->card[0] = '\0';
	r->balance_before = r->balance_after = JOURNAL_NONE;
	vat_summary_init(&r->vat);
	r->total = r->ssa_covered = 0;
	r->link_seq = 0;
	memset(&r->reload, 0, sizeof(r->reload));
	e = closing_finish(&a, &r->closing);
out:
	journal_record_fini(&prev);
	free(buf);
	return e;
}

enum ssa_err
closing_append(struct ssa_journal_store *s, enum journal_kind kind, int32_t period,
	       struct journal_record *r, const struct journal_signer *signer, uint64_t *seq,
	       uint8_t hash[JOURNAL_HASH_LEN])
{
	uint8_t last_hash[JOURNAL_HASH_LEN];
	uint64_t last = 0;
	enum ssa_err e = SSA_ERR_JOURNAL_MOVED;

	for (int i = 0; i < CLOSING_APPEND_TRIES && e == SSA_ERR_JOURNAL_MOVED; i++) {
		/* Order matters: the last seq is read before the scan, so a record appended
		 * after it, whether the scan saw it or not, makes the append refuse. */
		if ((e = journal_store_last(s, &last, last_hash)) != SSA_ERR_OK ||
		    (e = closing_compute(s, kind, period, r)) != SSA_ERR_OK)
			return e;
		e = journal_store_append_after(s, last, r, signer, seq, hash);
	}
	return e;
}
