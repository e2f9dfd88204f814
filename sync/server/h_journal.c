/* h_journal.c — POST /v1/journal: store a batch of a terminal's journal records, all or nothing.
 *
 * docs/protocol.md has the rules.  For each record in order: decode (canonical only), check that
 * it belongs to the certificate's terminal; a record already stored under (terminal, seq) is a
 * duplicate when the bytes are equal and a conflict otherwise; a new one must follow the last
 * stored record (seq, prev hash) and verify with a key registered for the terminal.  One SQL
 * transaction: the first refusal rolls the whole batch back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/caisse_books.h"
#include "ssa/journal.h"
#include "ssa/ledger.h"
#include "ssa/log.h"
#include "server.h"

/* Register the journal key of the client certificate, if it has one. */
static enum ssa_err
register_key(struct caisse_store *st, const char *terminal, const uint8_t *pub)
{
	uint8_t key_id[JOURNAL_KEY_ID_LEN];

	if (!pub)
		return SSA_ERR_OK;
	if (journal_key_id(pub, key_id) != SSA_ERR_OK)
		return SSA_ERR_CRYPTO;
	return st->key_put(st->cls, terminal, key_id, pub);
}

/* The cards a batch brought records of (their ledgers are recomputed before the commit). */
struct card_set {
	char (*v)[JOURNAL_CARD_MAX + 1];
	size_t n, cap;
};

static enum ssa_err
card_set_add(struct card_set *cs, const struct journal_record *r)
{
	if (!r->card[0] || journal_kind_is_closing(r->kind))
		return SSA_ERR_OK;
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i], r->card) == 0)
			return SSA_ERR_OK;
	if (cs->n == cs->cap) {
		size_t nc = cs->cap ? cs->cap * 2 : 16;
		void *p = realloc(cs->v, nc * sizeof(*cs->v));
		if (!p)
			return SSA_ERR_NOMEM;
		cs->v = p;
		cs->cap = nc;
	}
	snprintf(cs->v[cs->n++], sizeof(*cs->v), "%s", r->card);
	return SSA_ERR_OK;
}

/* A card's stored records, decoded. */
struct card_recs {
	struct journal_record **v;
	size_t n, cap;
};

static enum ssa_err
card_recs_add(void *ctx, const char *terminal, const char *data, size_t len)
{
	struct card_recs *c = ctx;
	struct journal_record *r;

	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->v, nc * sizeof(*c->v));
		if (!p)
			return SSA_ERR_NOMEM;
		c->v = p;
		c->cap = nc;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return SSA_ERR_NOMEM;
	if (journal_record_decode(data, len, r, NULL) != SSA_ERR_OK) {
		/* it was decoded before it was stored */
		log_err("a stored record of %s does not decode", terminal);
		journal_record_fini(r);
		free(r);
		return SSA_ERR_DB;
	}
	c->v[c->n++] = r;
	return SSA_ERR_OK;
}

/* Recompute the ledger of @p card from all its stored records (every terminal) with
 * ledger_check, and replace its anomalies and its card_ledger row with the result: a record
 * whose balance before breaks the card's story in ledger order (GAP, EXCESS, DOUBLE_SPEND) is
 * an anomaly, stored for the caisse, who can hot-list the card; the record itself is kept (the
 * sale happened).  From scratch every time, so the order batches arrive in does not matter. */
/* The anomalies a terminal is told of: those of the card's balances that flag it (a GAP resolves
 * itself when the other terminals' records arrive; the books' own kinds are ssa-admin caisse
 * ledger's). */
static bool
told(enum ledger_anomaly_kind k)
{
	return k == LEDGER_EXCESS || k == LEDGER_DOUBLE_SPEND;
}

/* Tell the terminal (@p reply) about @p card: checked, and its anomalies that flag it.  A card
 * whose anomalies do not all fit is left out (the terminal then keeps what it had of it). */
static enum ssa_err
reply_card(struct protocol_push_reply *reply, const char *card,
	   const struct journal_record *const *recs, const struct ledger_report *rep)
{
	size_t flagged = 0;
	enum ssa_err err;

	for (size_t i = 0; i < rep->n_anomalies; i++)
		flagged += told(rep->anomalies[i].kind);
	if (reply->n_anomalies + flagged > PROTOCOL_ANOMALIES_MAX) {
		log_warn("card %s: %zu anomalies do not fit in the push reply", card, flagged);
		return SSA_ERR_OK;
	}
	if ((err = protocol_push_reply_add_card(reply, card)) == SSA_ERR_INVAL ||
	    err == SSA_ERR_TOO_LONG)
		return SSA_ERR_OK; /* not a card id the protocol carries: the caisse has it */
	for (size_t i = 0; i < rep->n_anomalies && !err; i++) {
		const struct ledger_anomaly *a = &rep->anomalies[i];
		const struct journal_record *r = recs[a->record];
		struct protocol_anomaly pa = { .seq = r->seq,
					       .ledger_balance = a->expected,
					       .record_balance = a->found,
					       .time_ms = r->time_ms };

		if (!told(a->kind))
			continue;
		snprintf(pa.card, sizeof(pa.card), "%s", card);
		snprintf(pa.terminal, sizeof(pa.terminal), "%s", r->terminal);
		snprintf(pa.kind, sizeof(pa.kind), "%s", ledger_anomaly_name(a->kind));
		err = protocol_push_reply_add_anomaly(reply, &pa);
		if (err == SSA_ERR_INVAL) /* a record's time before 1970: not for the terminal */
			err = SSA_ERR_OK;
	}
	return err;
}

static enum ssa_err
ledger(struct caisse_store *st, const char *caisse, struct caisse_books *books, const char *card,
       struct protocol_push_reply *reply)
{
	struct card_recs c = { 0 };
	struct ledger_report rep = { 0 };
	struct ledger_params params = { .policy = CARD_RELOAD_EXPIRE };
	const struct journal_record *const *recs;
	bool *mine = NULL;
	size_t n = 0;
	enum ssa_err err;

	if ((err = st->card_records(st->cls, card, card_recs_add, &c)))
		goto out;
	/* Only this caisse's records of the card: on a till of several caisses, another
	 * caisse's card (or one of its cards with the same id) is that caisse's to check. */
	if (c.n && !(mine = calloc(c.n, sizeof(*mine)))) {
		err = SSA_ERR_NOMEM;
		goto out;
	}
	if ((err = caisse_books_mine(st, caisse, books, (const struct journal_record *const *)c.v,
				     c.n, mine)))
		goto out;
	for (size_t i = 0; i < c.n; i++) {
		struct journal_record *r = c.v[i];

		if (!mine[i]) {
			journal_record_fini(r);
			free(r);
			continue;
		}
		c.v[n++] = r;
	}
	c.n = n;
	if ((err = st->anomaly_clear(st->cls, card)))
		goto out;
	if (!n)
		goto out; /* none of this caisse's: nothing to check, nothing to tell */
	recs = (const struct journal_record *const *)c.v;
	params.opening = ledger_opening(recs, c.n);
	if ((err = ledger_check(card, recs, c.n, &params, &rep))) {
		log_err("card %s: ledger: %s", card, ssa_strerror(err));
		goto out;
	}
	for (size_t i = 0; i < rep.n_anomalies; i++) {
		const struct ledger_anomaly *a = &rep.anomalies[i];
		const struct journal_record *r = recs[a->record];

		/* The balances the card chained; the books (grants, the reload policy, what the
		 * card was issued with) are ssa-admin caisse ledger's, with the caisse's data. */
		if (a->kind != LEDGER_GAP && a->kind != LEDGER_EXCESS &&
		    a->kind != LEDGER_DOUBLE_SPEND)
			continue;
		log_warn("card %s: record %s/%llu says the card held %lld, the ledger says %lld (%s)",
			 card, r->terminal, (unsigned long long)r->seq, (long long)a->found,
			 (long long)a->expected, ledger_anomaly_name(a->kind));
		if ((err = st->anomaly_put(st->cls, card, r->terminal, r->seq, a->expected, a->found,
					   r->time_ms)))
			goto out;
	}
	if ((err = reply_card(reply, card, recs, &rep)))
		goto out;
	if (rep.n_steps > 0) {
		const struct journal_record *last = recs[rep.steps[rep.n_steps - 1].record];

		err = st->card_put(st->cls, card, rep.card_balance, last->terminal, last->seq,
				   last->time_ms);
	}
out:
	ledger_report_fini(&rep);
	free(mine);
	for (size_t i = 0; i < c.n; i++) {
		journal_record_fini(c.v[i]);
		free(c.v[i]);
	}
	free(c.v);
	return err;
}

/* Check and store one record.  SSA_ERR_OK with @p *outcome, or an error with @p ref filled
 * (SSA_ERR_DB / SSA_ERR_NOMEM: a server failure). */
static enum ssa_err
one_record(struct caisse_store *st, const char *terminal, const char *outlet,
	   const struct protocol_record *pr, int64_t now_ms, uint64_t *last,
	   uint8_t hash[CAISSE_HASH_LEN], struct card_set *cards, size_t *elsewhere,
	   enum protocol_outcome *outcome, struct caisse_refusal *ref)
{
	struct journal_record r;
	struct journal_chain chain;
	uint8_t pub[CAISSE_PUB_LEN];
	const char *why = NULL;
	char *stored = NULL;
	size_t stored_len;
	enum ssa_err err;

	ref->seq = pr->seq;
	ref->status = 422;
	err = journal_record_decode(pr->data, pr->len, &r, &why);
	if (err) {
		ref->name = ssa_errname(SSA_ERR_JOURNAL_FORMAT);
		snprintf(ref->msg, sizeof(ref->msg), "record %llu is not a canonical journal record: %s",
			 (unsigned long long)pr->seq, why ? why : ssa_strerror(err));
		ref->name = ssa_errname(SSA_ERR_JOURNAL_FORMAT);
		err = SSA_ERR_JOURNAL_FORMAT;
		goto out;
	}
	if (r.seq != pr->seq || strcmp(r.terminal, terminal) != 0) {
		ref->name = ssa_errname(SSA_ERR_JOURNAL_FORMAT);
		if (r.seq != pr->seq)
			snprintf(ref->msg, sizeof(ref->msg),
				 "the batch says seq %llu but the record says %llu",
				 (unsigned long long)pr->seq, (unsigned long long)r.seq);
		else
			snprintf(ref->msg, sizeof(ref->msg),
				 "record %llu names terminal '%s' but the certificate says '%s'",
				 (unsigned long long)pr->seq, r.terminal, terminal);
		err = SSA_ERR_JOURNAL_FORMAT;
		goto out;
	}
	if (pr->seq <= *last) {
		/* idempotency: (terminal, seq) is the key */
		err = st->journal_get(st->cls, terminal, pr->seq, &stored, &stored_len);
		if (err == SSA_ERR_OK && stored_len == pr->len &&
		    memcmp(stored, pr->data, pr->len) == 0) {
			*outcome = PROTOCOL_DUPLICATE;
			goto out;
		}
		if (err == SSA_ERR_OK || err == SSA_ERR_NOT_FOUND) {
			ref->status = 409;
			ref->name = ssa_errname(SSA_ERR_CONFLICT);
			snprintf(ref->msg, sizeof(ref->msg),
				 "record %llu differs from the one stored under the same key",
				 (unsigned long long)pr->seq);
			err = SSA_ERR_CONFLICT;
		}
		goto out;
	}
	if (pr->seq != *last + 1) {
		ref->name = ssa_errname(SSA_ERR_JOURNAL_SEQ);
		snprintf(ref->msg, sizeof(ref->msg),
			 "record %llu does not follow the last stored record %llu (expected %llu)",
			 (unsigned long long)pr->seq, (unsigned long long)*last,
			 (unsigned long long)*last + 1);
		err = SSA_ERR_JOURNAL_SEQ;
		goto out;
	}
	err = st->key_get(st->cls, terminal, r.key_id, pub);
	if (err == SSA_ERR_NOT_FOUND) {
		char hex[2 * JOURNAL_KEY_ID_LEN + 1];

		journal_hex(r.key_id, JOURNAL_KEY_ID_LEN, hex);
		ref->name = ssa_errname(SSA_ERR_JOURNAL_KEY);
		snprintf(ref->msg, sizeof(ref->msg),
			 "record %llu is signed by key %s, which is not registered for terminal '%s'",
			 (unsigned long long)pr->seq, hex, terminal);
		err = SSA_ERR_JOURNAL_KEY;
		goto out;
	}
	if (err)
		goto out;
	if ((err = journal_chain_init_at(&chain, pub, *last, hash)))
		goto out;
	err = journal_chain_next(&chain, pr->seq, pr->data, pr->len, NULL);
	if (err) {
		ref->name = ssa_errname(err);
		snprintf(ref->msg, sizeof(ref->msg), "%s", chain.why);
		goto out;
	}
	err = st->journal_put(st->cls, terminal, pr->seq, pr->data, pr->len, chain.last_hash,
			      journal_kind_name(r.kind), r.time_ms, now_ms);
	if (err)
		goto out;
	if ((err = card_set_add(cards, &r)))
		goto out;
	if (outlet[0] && strcmp(r.establishment, outlet) != 0 && r.ssa_covered)
		(*elsewhere)++;
	*last = pr->seq;
	memcpy(hash, chain.last_hash, CAISSE_HASH_LEN);
	*outcome = PROTOCOL_STORED;
out:
	free(stored);
	journal_record_fini(&r);
	return err;
}

enum ssa_err
caisse_push(struct caisse_store *st, const char *caisse, const char *terminal,
	    const uint8_t *pub, const struct protocol_push *push, int64_t now_ms,
	    struct protocol_push_reply *reply, struct caisse_refusal *ref)
{
	uint8_t hash[CAISSE_HASH_LEN];
	struct card_set cards = { 0 };
	struct caisse_books books = { 0 }; /* loaded once, if a reload needs them */
	char outlet[PROTOCOL_ID_MAX + 1] = "";
	size_t elsewhere = 0;
	uint64_t count;
	enum ssa_err err;

	memset(reply, 0, sizeof(*reply));
	memset(ref, 0, sizeof(*ref));
	snprintf(reply->terminal, sizeof(reply->terminal), "%s", terminal);
	reply->res = calloc(push->n ? push->n : 1, sizeof(*reply->res));
	if (!reply->res)
		return SSA_ERR_NOMEM;
	if ((err = st->begin(st->cls)))
		return err;
	if ((err = register_key(st, terminal, pub)) ||
	    (err = st->journal_last(st->cls, terminal, &reply->last_seq, hash, &count)))
		goto fail;
	/* The settlement's outlet of the records stored from here on: the terminal's at the
	 * caisse now, whatever they name (a terminal attached to none: decided when settled). */
	err = st->terminal_outlet(st->cls, terminal, outlet);
	if (err == SSA_ERR_OK)
		err = st->outlet_mark(st->cls, terminal, reply->last_seq + 1, outlet);
	else if (err == SSA_ERR_NOT_FOUND)
		err = SSA_ERR_OK;
	if (err)
		goto fail;
	for (size_t i = 0; i < push->n; i++) {
		err = one_record(st, terminal, outlet, &push->rec[i], now_ms, &reply->last_seq, hash,
				 &cards, &elsewhere, &reply->res[i].outcome, ref);
		if (err == SSA_ERR_DB || err == SSA_ERR_NOMEM || err == SSA_ERR_CRYPTO)
			goto fail;
		if (err) {
			err = SSA_ERR_REJECTED;
			goto fail;
		}
		reply->res[i].seq = push->rec[i].seq;
		reply->n++;
	}
	if (elsewhere)
		log_warn("%s: %zu records name another establishment than its outlet %s: they are "
			 "settled for %s",
			 terminal, elsewhere, outlet, outlet);
	/* The ledgers in the same transaction as the records they are made of. */
	for (size_t i = 0; i < cards.n; i++)
		if ((err = ledger(st, caisse, &books, cards.v[i], reply)))
			goto fail;
	/* Order matters: the caller replies 2xx only after this commit is durable. */
	if ((err = st->commit(st->cls)))
		goto fail;
	caisse_books_fini(&books);
	free(cards.v);
	return SSA_ERR_OK;
fail:
	st->rollback(st->cls);
	caisse_books_fini(&books);
	free(cards.v);
	reply->n = 0;
	return err;
}

enum MHD_Result
caisse_h_journal(struct caisse_request *rq)
{
	struct protocol_push push;
	struct protocol_push_reply reply = { 0 };
	struct caisse_refusal ref;
	char why[PROTOCOL_WHY_MAX] = "";
	const char *anomalies;
	uint64_t stored = 0;
	char *body = NULL;
	size_t len;
	enum ssa_err err;
	enum MHD_Result ret;

	if (protocol_push_decode(rq->body, rq->body_len, &push, why) != SSA_ERR_OK) {
		protocol_push_fini(&push);
		return caisse_reply_error(rq, 400, "PROTOCOL", 0, "journal push: %s", why);
	}
	err = caisse_push(rq->store, rq->srv->caisse, rq->terminal, rq->has_key ? rq->pub : NULL,
			  &push, caisse_now_ms(), &reply, &ref);
	if (err == SSA_ERR_REJECTED) {
		ret = caisse_reply_error(rq, ref.status, ref.name, ref.seq, "%s", ref.msg);
		goto out;
	}
	if (err) {
		ret = caisse_reply_error(rq, 500, "DB",
					 0, "the caisse could not store the batch (%s); nothing was kept",
					 ssa_strerror(err));
		goto out;
	}
	/* The card checks go to a client that asked: an older one refuses keys it does not know. */
	anomalies = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "anomalies");
	reply.checked = anomalies && strcmp(anomalies, "1") == 0;
	for (size_t i = 0; i < reply.n; i++)
		stored += reply.res[i].outcome == PROTOCOL_STORED;
	log_info("%s: %zu records, %llu stored, last seq %llu", rq->terminal, push.n,
		 (unsigned long long)stored, (unsigned long long)reply.last_seq);
	if (protocol_push_reply_encode(&reply, &body, &len)) {
		ret = MHD_NO;
		goto out;
	}
	ret = caisse_reply_json(rq, 200, body, len);
out:
	free(body);
	protocol_push_reply_fini(&reply);
	protocol_push_fini(&push);
	return ret;
}
