/* ledger.c — a card's ledger rebuilt from every terminal's records, and its anomalies
 * (ssa/ledger.h; the ordering and the decisions are in docs/caisse.md). */
#include <stdlib.h>
#include <string.h>

#include "ssa/ledger.h"
#include "ssa/money.h"

#define NAME_(name, flags, text) #name,
#define FLAGS_(name, flags, text) flags,
#define TEXT_(name, flags, text) text,
static const char *const anomaly_names[] = { LEDGER_ANOMALIES(NAME_) };
static const bool anomaly_flags[] = { LEDGER_ANOMALIES(FLAGS_) };
static const char *const anomaly_texts[] = { LEDGER_ANOMALIES(TEXT_) };
#undef NAME_
#undef FLAGS_
#undef TEXT_

const char *
ledger_anomaly_name(enum ledger_anomaly_kind k)
{
	return (unsigned)k < LEDGER__ANOMALY_COUNT ? anomaly_names[k] : "UNKNOWN";
}

const char *
ledger_anomaly_text(enum ledger_anomaly_kind k)
{
	return (unsigned)k < LEDGER__ANOMALY_COUNT ? anomaly_texts[k] : "unknown anomaly";
}

bool
ledger_anomaly_flags(enum ledger_anomaly_kind k)
{
	return (unsigned)k < LEDGER__ANOMALY_COUNT && anomaly_flags[k];
}

void
ledger_report_fini(struct ledger_report *r)
{
	if (r == NULL)
		return;
	free(r->steps);
	free(r->anomalies);
	memset(r, 0, sizeof(*r));
}

/* Records by (terminal, seq): each terminal's own order. */
static int
by_terminal_seq(const void *a, const void *b, void *ctx)
{
	const struct journal_record *const *recs = ctx;
	const struct journal_record *x = recs[*(const size_t *)a], *y = recs[*(const size_t *)b];
	int c = strcmp(x->terminal, y->terminal);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether @p x comes before @p y when neither or both continue the card's balance. */
static bool
earlier(const struct journal_record *x, const struct journal_record *y)
{
	int c;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms;
	c = strcmp(x->terminal, y->terminal);
	if (c != 0)
		return c < 0;
	return x->seq < y->seq;
}

/* Whether the records idx[from..end) of one terminal, as far as they chain, come back to balance
 * @p chain (looking at LOOP_LOOKAHEAD records at most). */
#define LOOP_LOOKAHEAD 64
static bool
loops_back(const struct journal_record *const *recs, const size_t *idx, size_t from, size_t end,
	   int64_t chain)
{
	int64_t bal = chain;

	for (size_t k = from; k < end && k < from + LOOP_LOOKAHEAD; k++) {
		const struct journal_record *r = recs[idx[k]];
		if (r->balance_before != bal)
			return false;
		bal = r->balance_after;
		if (bal == chain)
			return true;
	}
	return false;
}

/* Whether RELOAD @p r credits a grant of @p p->grants issued to this card, for its amount. */
static bool
grant_known(const struct ledger_params *p, const struct journal_record *r)
{
	uint64_t id;

	if (grant_id_parse(r->reload.grant_id, &id) != SSA_ERR_OK)
		return false;
	for (size_t i = 0; i < p->n_grants; i++) {
		const struct grant_batch *b = p->grants[i];
		const struct grant *g;
		if (b == NULL || b->period != r->reload.period || (g = grant_by_id(b, id)) == NULL)
			continue;
		return g->amount == r->reload.amount &&
		       ((g->target == GRANT_CARD && g->holder == p->card_serial) ||
			(g->target == GRANT_MEMBER && p->member_id != 0 &&
			 g->holder == p->member_id));
	}
	return false;
}

/* The reload policy of RELOAD @p r: its grant batch's when @p p has it, else @p p's. */
static void
reload_policy(const struct ledger_params *p, const struct journal_record *r,
	      enum card_reload_policy *policy, int64_t *cap)
{
	uint64_t id;

	*policy = p->policy;
	*cap = p->rollover_cap;
	if (grant_id_parse(r->reload.grant_id, &id) != SSA_ERR_OK)
		return;
	for (size_t i = 0; i < p->n_grants; i++) {
		const struct grant_batch *b = p->grants[i];
		if (b != NULL && b->period == r->reload.period && grant_by_id(b, id) != NULL) {
			*policy = b->policy;
			*cap = b->cap;
			return;
		}
	}
}

int64_t
ledger_opening(const struct journal_record *const *recs, size_t n)
{
	const struct journal_record *head = NULL, *first = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct journal_record *r = recs[i];
		bool continues = false;

		if (r->balance_before == JOURNAL_NONE || r->balance_after == JOURNAL_NONE)
			continue;
		if (!first || earlier(r, first))
			first = r;
		for (size_t j = 0; j < n && !continues; j++)
			continues = j != i && recs[j]->balance_after != JOURNAL_NONE &&
				    recs[j]->balance_before != JOURNAL_NONE &&
				    recs[j]->balance_after == r->balance_before;
		if (!continues && (!head || earlier(r, head)))
			head = r;
	}
	return head ? head->balance_before : first ? first->balance_before : 0;
}

static enum ssa_err
add_anomaly(struct ledger_report *out, size_t *cap, enum ledger_anomaly_kind kind, size_t record,
	    size_t other, int64_t expected, int64_t found)
{
	if (out->n_anomalies == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *p = realloc(out->anomalies, nc * sizeof(*out->anomalies));
		if (p == NULL)
			return SSA_ERR_NOMEM;
		out->anomalies = p;
		*cap = nc;
	}
	out->anomalies[out->n_anomalies++] = (struct ledger_anomaly){
		.kind = kind, .record = record, .other = other, .expected = expected, .found = found
	};
	if (anomaly_flags[kind])
		out->flagged = true;
	else
		out->pending = true;
	return SSA_ERR_OK;
}

/* What the card's balance should become by the record's own amounts. */
static enum ssa_err
implied_after(const struct journal_record *r, int64_t *out)
{
	int64_t v;
	enum ssa_err e;

	switch (r->kind) {
	case JOURNAL_SALE:
		return money_sub(r->balance_before, r->ssa_covered, out);
	case JOURNAL_VOID:
	case JOURNAL_REFUND:
		return money_add(r->balance_before, r->ssa_covered, out);
	default: /* RELOAD */
		if ((e = money_sub(r->balance_before, r->reload.expired, &v)) != SSA_ERR_OK)
			return e;
		return money_add(v, r->reload.amount, out);
	}
}

/* Is @p b the same card event as RELOAD @p a, recorded by another terminal?  Same grant, same
 * balances and amounts: a till whose reload was interrupted recorded, when the card came back,
 * a grant that another till had applied (period states without the terminal, docs/card.md). */
static bool
same_reload(const struct journal_record *a, const struct journal_record *b)
{
	return a->kind == JOURNAL_RELOAD && b->kind == JOURNAL_RELOAD &&
	       strcmp(a->terminal, b->terminal) != 0 &&
	       strcmp(a->reload.grant_id, b->reload.grant_id) == 0 &&
	       a->balance_before == b->balance_before && a->balance_after == b->balance_after &&
	       a->reload.amount == b->reload.amount && a->reload.expired == b->reload.expired;
}

/* A grant counts once per card: of the RELOADs that are one card event recorded at several
 * terminals, keep the first in (terminal, seq) order and skip the others (counted in
 * @p *skipped).  @p idx (sorted, @p m entries) is compacted; the new count is returned.  A
 * grant applied twice (other balances: a card restored from a copy) stays for GRANT_TWICE. */
static size_t
drop_reload_copies(const struct journal_record *const *recs, size_t *idx, size_t m,
		   size_t *skipped)
{
	size_t k = 0;

	for (size_t i = 0; i < m; i++) {
		bool copy = false;
		for (size_t j = 0; j < k && !copy; j++)
			copy = same_reload(recs[idx[j]], recs[idx[i]]);
		if (copy)
			(*skipped)++;
		else
			idx[k++] = idx[i];
	}
	return k;
}

enum ssa_err
ledger_check(const char *card, const struct journal_record *const *recs, size_t n,
	     const struct ledger_params *params, struct ledger_report *out)
{
	size_t *idx = NULL, *start = NULL, *pos = NULL, *reloads = NULL;
	size_t m = 0, nt = 0, n_reloads = 0, acap = 0;
	int64_t chain, books;
	enum ssa_err e = SSA_ERR_OK;

	if (out == NULL)
		return SSA_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (card == NULL || card[0] == '\0' || (recs == NULL && n > 0) || params == NULL ||
	    params->opening < 0 || params->opening > CARD_BALANCE_MAX ||
	    (params->policy != CARD_RELOAD_EXPIRE && params->policy != CARD_RELOAD_ROLLOVER) ||
	    params->rollover_cap < 0 || (params->grants == NULL && params->n_grants > 0))
		return SSA_ERR_INVAL;
	if (n > LEDGER_MAX_RECORDS)
		return SSA_ERR_TOO_LONG;
	out->balance = out->card_balance = params->opening;
	if (n == 0)
		return SSA_ERR_OK;
	idx = malloc(n * sizeof(*idx));
	start = malloc((n + 1) * sizeof(*start));
	pos = malloc(n * sizeof(*pos));
	reloads = malloc(n * sizeof(*reloads));
	out->steps = malloc(n * sizeof(*out->steps));
	if (idx == NULL || start == NULL || pos == NULL || reloads == NULL || out->steps == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct journal_record *r = recs[i];
		if (r == NULL) {
			e = SSA_ERR_INVAL;
			goto out;
		}
		if (strcmp(r->card, card) != 0 || journal_kind_is_closing(r->kind) ||
		    (unsigned)r->kind >= JOURNAL__KIND_COUNT) {
			e = SSA_ERR_LEDGER_INPUT;
			goto out;
		}
		if (r->balance_before == JOURNAL_NONE || r->balance_after == JOURNAL_NONE) {
			out->skipped++;
			continue;
		}
		idx[m++] = i;
	}
	if (m == 0)
		goto out;
	qsort_r(idx, m, sizeof(*idx), by_terminal_seq, (void *)(uintptr_t)recs);
	m = drop_reload_copies(recs, idx, m, &out->skipped);
	for (size_t i = 0; i < m; i++) {
		if (i > 0 && by_terminal_seq(&idx[i - 1], &idx[i], (void *)(uintptr_t)recs) == 0) {
			e = SSA_ERR_LEDGER_INPUT; /* the same (terminal, seq) twice */
			goto out;
		}
		if (i == 0 || strcmp(recs[idx[i - 1]]->terminal, recs[idx[i]]->terminal) != 0) {
			start[nt] = i;
			pos[nt] = i;
			nt++;
		}
	}
	start[nt] = m;

	chain = books = params->opening;
	for (size_t step = 0; step < m; step++) {
		const struct journal_record *r, *best = NULL;
		size_t bt = 0, rec;
		int best_rank = -1;
		struct ledger_step *s = &out->steps[step];
		int64_t implied;

		/* Order: the next record of each terminal that continues the card's balance, the
		 * earliest first; else the earliest.  A terminal whose next records continue the
		 * balance and come back to it (a sale and its void, a sale of nothing) goes first:
		 * that leaves the balance where the other terminals' records expect it. */
		for (size_t t = 0; t < nt; t++) {
			int rank;
			if (pos[t] == start[t + 1])
				continue;
			r = recs[idx[pos[t]]];
			rank = r->balance_before == chain ? 1 : 0;
			if (rank == 1 && loops_back(recs, idx, pos[t], start[t + 1], chain))
				rank = 2;
			if (best == NULL || rank > best_rank ||
			    (rank == best_rank && earlier(r, best))) {
				best = r;
				best_rank = rank;
				bt = t;
			}
		}
		if (best == NULL) { /* cannot happen: step < m records remain */
			e = SSA_ERR_LEDGER_INPUT;
			goto out;
		}
		rec = idx[pos[bt]++];
		r = best;
		s->record = rec;
		s->expected_before = books;
		s->mismatch = r->balance_before != books;
		out->n_steps = step + 1;

		if ((e = implied_after(r, &implied)) != SSA_ERR_OK)
			goto out;
		if (implied != r->balance_after &&
		    (e = add_anomaly(out, &acap, LEDGER_ARITHMETIC, rec, LEDGER_NO_RECORD, implied,
				     r->balance_after)) != SSA_ERR_OK)
			goto out;
		if (r->balance_before < chain) {
			e = add_anomaly(out, &acap, LEDGER_GAP, rec, LEDGER_NO_RECORD, chain,
					r->balance_before);
		} else if (r->balance_before > chain) {
			/* More than the card said it had: a clone spending from a state the card
			 * already left shows as a sale at another terminal that started from the
			 * same balance. */
			size_t other = LEDGER_NO_RECORD;
			for (size_t j = step; j-- > 0;) {
				const struct journal_record *o = recs[out->steps[j].record];
				if (o->kind == JOURNAL_SALE && o->balance_before == r->balance_before &&
				    strcmp(o->terminal, r->terminal) != 0) {
					other = out->steps[j].record;
					break;
				}
			}
			e = add_anomaly(out, &acap,
					other != LEDGER_NO_RECORD ? LEDGER_DOUBLE_SPEND : LEDGER_EXCESS,
					rec, other, chain, r->balance_before);
		}
		if (e != SSA_ERR_OK)
			goto out;

		switch (r->kind) {
		case JOURNAL_SALE:
			if ((e = money_sub(books, r->ssa_covered, &books)) != SSA_ERR_OK)
				goto out;
			if (books < 0 && r->ssa_covered > 0 &&
			    (e = add_anomaly(out, &acap, LEDGER_OVERDRAWN, rec, LEDGER_NO_RECORD, 0,
					     books)) != SSA_ERR_OK)
				goto out;
			break;
		case JOURNAL_VOID:
		case JOURNAL_REFUND:
			if ((e = money_add(books, r->ssa_covered, &books)) != SSA_ERR_OK)
				goto out;
			break;
		default: { /* RELOAD: the books follow the caisse's policy, not the card */
			enum card_reload_policy policy;
			int64_t kept = 0, cap;
			bool twice = false;
			reload_policy(params, r, &policy, &cap);
			for (size_t j = 0; j < n_reloads; j++)
				if (strcmp(recs[reloads[j]]->reload.grant_id, r->reload.grant_id) ==
				    0) {
					e = add_anomaly(out, &acap, LEDGER_GRANT_TWICE, rec, reloads[j],
							0, 0);
					if (e != SSA_ERR_OK)
						goto out;
					twice = true;
					break;
				}
			/* A grant counts once in the books, however many times a card took it. */
			if (!twice) {
				if (books > 0 && policy == CARD_RELOAD_ROLLOVER)
					kept = money_min(books, cap);
				if ((e = money_add(kept, r->reload.amount, &books)) != SSA_ERR_OK)
					goto out;
			}
			reloads[n_reloads++] = rec;
			if (params->grants != NULL && !grant_known(params, r) &&
			    (e = add_anomaly(out, &acap, LEDGER_GRANT_UNKNOWN, rec, LEDGER_NO_RECORD,
					     0, r->reload.amount)) != SSA_ERR_OK)
				goto out;
			/* What the card held must have expired as the policy says. */
			int64_t want = r->balance_before;
			if (policy == CARD_RELOAD_ROLLOVER)
				want = r->balance_before > cap ? r->balance_before - cap : 0;
			if (r->reload.expired != want &&
			    (e = add_anomaly(out, &acap, LEDGER_RELOAD_POLICY, rec, LEDGER_NO_RECORD,
					     want, r->reload.expired)) != SSA_ERR_OK)
				goto out;
		}
		}
		s->expected_after = books;
		chain = r->balance_after;
	}
	out->balance = books;
	out->card_balance = chain;
out:
	free(idx);
	free(start);
	free(pos);
	free(reloads);
	return e;
}
