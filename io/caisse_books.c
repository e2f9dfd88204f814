/* caisse_books.c — the caisse's books for the card ledgers: grant batches and issued cards
 * (ssa/caisse_books.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/caisse_books.h"
#include "ssa/card.h"
#include "ssa/convention.h"
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
	if (!(err = st->issued_card_scan(st->cls, NULL, card_add, out)))
		out->loaded = true;
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

/* The caisse whose list decided @p r's lines: "" when none did, NULL when two did. */
static const char *
lines_caisse(const struct journal_record *r)
{
	const char *c = "";

	for (size_t i = 0; i < r->n_lines; i++) {
		const char *l = r->lines[i].list_caisse;

		if (!l[0])
			continue;
		if (c[0] && strcmp(c, l) != 0)
			return NULL;
		c = l;
	}
	return c;
}

enum ssa_err
caisse_record_owner(struct caisse_store *st, const struct journal_record *r, char *owner,
		    size_t size)
{
	struct journal_record sale;
	const char *c;
	char *data = NULL;
	size_t len;
	enum ssa_err err = SSA_ERR_OK;

	owner[0] = '\0';
	if (r->kind == JOURNAL_SALE) {
		if (!(c = lines_caisse(r))) {
			log_warn("record %s/%llu: its lines name two caisses' lists: no caisse's",
				 r->terminal, (unsigned long long)r->seq);
			return SSA_ERR_OK;
		}
		snprintf(owner, size, "%s", c);
		return SSA_ERR_OK;
	}
	if (r->kind != JOURNAL_VOID && r->kind != JOURNAL_REFUND)
		return SSA_ERR_OK;
	/* The sale's caisse, not the lines the void or refund repeats: what it undoes is what
	 * that caisse counted. */
	err = st->journal_get(st->cls, r->terminal, r->link_seq, &data, &len);
	if (err == SSA_ERR_NOT_FOUND)
		return SSA_ERR_OK;
	if (err)
		return err;
	if (journal_record_decode(data, len, &sale, NULL) != SSA_ERR_OK) {
		log_err("a stored record of %s does not decode", r->terminal);
		err = SSA_ERR_DB;
	} else if (sale.kind == JOURNAL_SALE) {
		err = caisse_record_owner(st, &sale, owner, size);
	}
	journal_record_fini(&sale);
	free(data);
	return err;
}

/* Whether a batch of @p b holds RELOAD @p r's grant for member @p member (a grant to one of
 * its cards: the caisse issued the card, which caisse_books_mine looks at first). */
static bool
books_grant_of(const struct caisse_books *b, const struct journal_record *r, uint64_t member)
{
	uint64_t id;

	if (grant_id_parse(r->reload.grant_id, &id) != SSA_ERR_OK)
		return false;
	for (size_t i = 0; i < b->n_batches; i++) {
		const struct grant *g;

		if (b->batches[i]->period != r->reload.period ||
		    !(g = grant_by_id(b->batches[i], id)))
			continue;
		if (g->target == GRANT_MEMBER && g->holder == member)
			return true;
	}
	return false;
}

static enum ssa_err
any_card(void *ctx, const struct caisse_card *c)
{
	(void)c;
	*(bool *)ctx = true;
	return SSA_ERR_OK;
}

enum ssa_err
caisse_books_mine(struct caisse_store *st, const char *caisse, struct caisse_books *b,
		  const struct journal_record *const *recs, size_t n, bool *mine)
{
	struct caisse_books loaded = { 0 };
	char owner[CONVENTION_CAISSE_MAX + 1], member_hex[CAISSE_HEX_ID_LEN + 1];
	bool reloads = false, card_mine = false, issued = false;
	uint64_t member = 0;
	enum ssa_err err = SSA_ERR_OK;

	for (size_t i = 0; i < n; i++) {
		mine[i] = false;
		if (recs[i]->kind == JOURNAL_RELOAD) {
			reloads = true;
			continue;
		}
		if ((err = caisse_record_owner(st, recs[i], owner, sizeof(owner))))
			goto out;
		mine[i] = owner[0] && strcmp(owner, caisse) == 0;
		card_mine = card_mine || mine[i];
	}
	if (!reloads)
		goto out;
	/* The card's caisse: its records say it, else the caisse's books. */
	if (!card_mine && card_id_parse(recs[0]->card, &member) == SSA_ERR_OK) {
		card_id_format(member, member_hex, sizeof(member_hex));
		if ((err = st->issued_card_scan(st->cls, member_hex, any_card, &issued)))
			goto out;
		card_mine = issued;
	}
	if (!b)
		b = &loaded;
	if (!card_mine && member && !b->loaded) {
		err = caisse_books_load(st, b);
		if (err == SSA_ERR_DB || err == SSA_ERR_NOMEM)
			goto out;
		if (err) {
			log_err("card %s: the caisse's grant batches cannot be read (%s): its "
				"reloads are checked without them",
				recs[0]->card, ssa_strerror(err));
			caisse_books_fini(b);
			b->loaded = true; /* not again for the next card */
		}
		err = SSA_ERR_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (recs[i]->kind == JOURNAL_RELOAD)
			mine[i] = card_mine || (member && books_grant_of(b, recs[i], member));
out:
	caisse_books_fini(&loaded);
	return err;
}

struct settle_ctx {
	struct caisse_store *st;
	const char *caisse;
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
	char owner[CONVENTION_CAISSE_MAX + 1];
	enum ssa_err err;

	if ((err = journal_record_decode(data, len, &r, NULL))) {
		log_err("a stored record of %s does not decode", terminal);
		err = SSA_ERR_DB;
		goto out;
	}
	if ((r.kind != JOURNAL_SALE && r.kind != JOURNAL_VOID && r.kind != JOURNAL_REFUND) ||
	    r.ssa_covered == 0)
		goto out;
	if ((err = caisse_record_owner(c->st, &r, owner, sizeof(owner))))
		goto out;
	if (strcmp(owner, c->caisse) != 0)
		goto out; /* another caisse's card: its caisse settles it */
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
caisse_settle(struct caisse_store *st, const char *caisse, int64_t from_ms, int64_t to_ms,
	      struct settlement *s, caisse_settle_note_fn *note, void *cls)
{
	struct settle_ctx c = { .st = st, .caisse = caisse, .s = s, .note = note, .cls = cls };

	return st->journal_scan_time(st->cls, from_ms, to_ms, settle_one, &c);
}
