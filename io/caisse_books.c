/* caisse_books.c — the caisse's books for the card ledgers: grant batches and issued cards
 * (ssa/caisse_books.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/caisse_books.h"
#include "ssa/card.h"
#include "ssa/log.h"

void
caisse_books_fini(struct caisse_books *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_batches; i++)
		grant_batch_free(b->batches[i]);
	free(b->batches);
	free(b->cards);
	memset(b, 0, sizeof(*b));
}

/* The stored batches' keys, read before any batch (one statement at a time). */
struct batch_keys {
	struct batch_key {
		int32_t period;
		char outlet[GRANT_OUTLET_MAX + 1];
	} *v;
	size_t n, cap;
};

static enum ssa_err
key_add(void *ctx, int32_t period, const char *outlet, size_t grants, int64_t total,
	int64_t made_ms)
{
	struct batch_keys *k = ctx;

	(void)grants;
	(void)total;
	(void)made_ms;
	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 16;
		void *p = realloc(k->v, nc * sizeof(*k->v));
		if (!p)
			return SSA_ERR_NOMEM;
		k->v = p;
		k->cap = nc;
	}
	k->v[k->n].period = period;
	snprintf(k->v[k->n].outlet, sizeof(k->v[k->n].outlet), "%s", outlet);
	k->n++;
	return SSA_ERR_OK;
}

static enum ssa_err
card_add(void *ctx, const struct caisse_card *c)
{
	struct caisse_books *b = ctx;
	struct caisse_books_card bc = { .active = strcmp(c->state, "active") == 0 };
	void *p;

	if (card_id_parse(c->serial, &bc.serial) != SSA_ERR_OK ||
	    card_id_parse(c->member, &bc.member) != SSA_ERR_OK)
		return SSA_ERR_OK; /* the store checks its ids; nothing to match such a card by */
	if (!(p = realloc(b->cards, (b->n_cards + 1) * sizeof(*b->cards))))
		return SSA_ERR_NOMEM;
	b->cards = p;
	b->cards[b->n_cards++] = bc;
	return SSA_ERR_OK;
}

enum ssa_err
caisse_books_load(struct caisse_store *st, struct caisse_books *out)
{
	struct batch_keys k = { 0 };
	enum ssa_err err;

	memset(out, 0, sizeof(*out));
	if ((err = st->grant_batch_scan(st->cls, key_add, &k)))
		goto out;
	if (k.n && !(out->batches = calloc(k.n, sizeof(*out->batches)))) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < k.n; i++) {
		char *text = NULL;
		size_t len;

		if ((err = st->grant_batch_get(st->cls, k.v[i].period, k.v[i].outlet, &text, &len)))
			goto out;
		err = grant_batch_parse(text, len, &out->batches[out->n_batches], NULL);
		free(text);
		if (err) {
			log_err("the stored grant batch %06d of outlet %s does not parse: %s",
				(int)k.v[i].period, k.v[i].outlet, ssa_strerror(err));
			goto out;
		}
		out->n_batches++;
	}
	err = st->issued_card_scan(st->cls, NULL, card_add, out);
out:
	free(k.v);
	return err;
}

void
caisse_books_params(const struct caisse_books *b, const char *card,
		    const struct journal_record *const *recs, size_t n,
		    struct ledger_params *params)
{
	uint64_t member = 0;

	params->opening = ledger_opening(recs, n);
	params->grants = b->n_batches ? (const struct grant_batch *const *)b->batches : NULL;
	params->n_grants = b->n_batches;
	params->member_id = 0;
	params->card_serial = 0;
	if (card_id_parse(card, &member) != SSA_ERR_OK)
		return;
	params->member_id = member;
	for (size_t i = 0; i < b->n_cards; i++)
		if (b->cards[i].member == member && (!params->card_serial || b->cards[i].active))
			params->card_serial = b->cards[i].serial;
}

struct settle_ctx {
	struct caisse_store *st;
	struct settlement *s;
	caisse_settle_note_fn *note;
	void *cls;
	char terminal[PROTOCOL_ID_MAX + 1]; /* the terminal whose attachment now is below */
	char now[PROTOCOL_ID_MAX + 1];      /* "" when attached to none */
};

static enum ssa_err
settle_one(void *ctx, const char *terminal, const char *outlet, const char *data, size_t len)
{
	struct settle_ctx *c = ctx;
	struct journal_record r;
	enum ssa_err err;

	if ((err = journal_record_decode(data, len, &r, NULL))) {
		log_err("a stored record of %s does not decode", terminal);
		err = SSA_ERR_DB;
		goto out;
	}
	if ((r.kind != JOURNAL_SALE && r.kind != JOURNAL_VOID && r.kind != JOURNAL_REFUND) ||
	    r.ssa_covered == 0)
		goto out;
	if (!outlet) {
		/* records are scanned by terminal: one look-up per terminal */
		if (strcmp(c->terminal, terminal) != 0) {
			snprintf(c->terminal, sizeof(c->terminal), "%s", terminal);
			err = c->st->terminal_outlet(c->st->cls, terminal, c->now);
			if (err == SSA_ERR_NOT_FOUND)
				c->now[0] = '\0';
			else if (err)
				goto out;
			err = SSA_ERR_OK;
		}
		outlet = c->now[0] ? c->now : NULL;
	}
	if (!outlet) {
		if (c->note)
			c->note(c->cls, terminal, r.seq, r.establishment, NULL);
		goto out;
	}
	if (c->note && strcmp(r.establishment, outlet) != 0)
		c->note(c->cls, terminal, r.seq, r.establishment, outlet);
	err = settlement_add_for(c->s, outlet, &r);
	if (err == SSA_ERR_INVAL) {
		log_err("record %s/%llu cannot be settled (outlet '%s')", terminal,
			(unsigned long long)r.seq, outlet);
		err = SSA_ERR_DB;
	}
out:
	journal_record_fini(&r);
	return err;
}

enum ssa_err
caisse_settle(struct caisse_store *st, int64_t from_ms, int64_t to_ms, struct settlement *s,
	      caisse_settle_note_fn *note, void *cls)
{
	struct settle_ctx c = { .st = st, .s = s, .note = note, .cls = cls };

	return st->journal_scan_time(st->cls, from_ms, to_ms, settle_one, &c);
}
