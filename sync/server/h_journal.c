/* h_journal.c — POST /v1/journal: store a batch of a terminal's journal records, all or nothing.
 *
 * docs/protocol.md has the rules.  For each record in order: decode (canonical only), check that
 * it belongs to the certificate's terminal; a record already stored under (terminal, seq) is a
 * duplicate when the bytes are equal and a conflict otherwise; a new one must follow the last
 * stored record (seq, prev hash) and verify with a key registered for the terminal.  One SQL
 * transaction: the first refusal rolls the whole batch back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/journal.h"
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

/* The card's ledger: a record whose balance before is not what the caisse last saw for the card
 * is an anomaly (spent elsewhere offline, cloned or tampered card) — stored for the caisse, who
 * can hot-list the card; the record itself is kept (the sale happened). */
static enum ssa_err
ledger(struct caisse_store *st, const char *terminal, const struct journal_record *r)
{
	int64_t balance;
	enum ssa_err err;

	if (!r->card[0] || r->balance_before == JOURNAL_NONE || r->balance_after == JOURNAL_NONE)
		return SSA_ERR_OK;
	err = st->card_get(st->cls, r->card, &balance);
	if (err == SSA_ERR_OK && balance != r->balance_before) {
		log_warn("card %s: record %s/%llu says the card held %lld, the ledger says %lld",
			 r->card, terminal, (unsigned long long)r->seq, (long long)r->balance_before,
			 (long long)balance);
		err = st->anomaly_put(st->cls, r->card, terminal, r->seq, balance, r->balance_before,
				      r->time_ms);
	} else if (err == SSA_ERR_NOT_FOUND)
		err = SSA_ERR_OK;
	if (err)
		return err;
	return st->card_put(st->cls, r->card, r->balance_after, terminal, r->seq, r->time_ms);
}

/* Check and store one record.  SSA_ERR_OK with @p *outcome, or an error with @p ref filled
 * (SSA_ERR_DB / SSA_ERR_NOMEM: a server failure). */
static enum ssa_err
one_record(struct caisse_store *st, const char *terminal, const struct protocol_record *pr,
	   int64_t now_ms, uint64_t *last, uint8_t hash[CAISSE_HASH_LEN],
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
	if ((err = ledger(st, terminal, &r)))
		goto out;
	*last = pr->seq;
	memcpy(hash, chain.last_hash, CAISSE_HASH_LEN);
	*outcome = PROTOCOL_STORED;
out:
	free(stored);
	journal_record_fini(&r);
	return err;
}

enum ssa_err
caisse_push(struct caisse_store *st, const char *terminal, const uint8_t *pub,
	    const struct protocol_push *push, int64_t now_ms, struct protocol_push_reply *reply,
	    struct caisse_refusal *ref)
{
	uint8_t hash[CAISSE_HASH_LEN];
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
	for (size_t i = 0; i < push->n; i++) {
		err = one_record(st, terminal, &push->rec[i], now_ms, &reply->last_seq, hash,
				 &reply->res[i].outcome, ref);
		if (err == SSA_ERR_DB || err == SSA_ERR_NOMEM || err == SSA_ERR_CRYPTO)
			goto fail;
		if (err) {
			err = SSA_ERR_REJECTED;
			goto fail;
		}
		reply->res[i].seq = push->rec[i].seq;
		reply->n++;
	}
	/* Order matters: the caller replies 2xx only after this commit is durable. */
	if ((err = st->commit(st->cls)))
		goto fail;
	return SSA_ERR_OK;
fail:
	st->rollback(st->cls);
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
	uint64_t stored = 0;
	char *body = NULL;
	size_t len;
	enum ssa_err err;
	enum MHD_Result ret;

	if (protocol_push_decode(rq->body, rq->body_len, &push, why) != SSA_ERR_OK) {
		protocol_push_fini(&push);
		return caisse_reply_error(rq, 400, "PROTOCOL", 0, "journal push: %s", why);
	}
	err = caisse_push(rq->store, rq->terminal, rq->has_key ? rq->pub : NULL, &push,
			  caisse_now_ms(), &reply, &ref);
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
