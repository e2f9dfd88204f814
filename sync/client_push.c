/* client_push.c — push the journal records the caisse has not acknowledged.
 *
 * Order matters, for exactly-once without a distributed transaction (docs/protocol.md):
 * 1. read the records after the acknowledged mark, in sequence order;
 * 2. POST them; the caisse stores the batch all or nothing and answers 2xx only after commit;
 * 3. only then move the acknowledged mark (journal_store_ack).
 * A crash between 2 and 3 sends the batch again, which the caisse answers with "duplicate": never
 * lost, never doubled.  Journal records are never deleted here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/crash.h"
#include "ssa/log.h"
#include "client.h"

#define BATCH_MAX_BYTES (PROTOCOL_PUSH_MAX_BYTES - 64 * 1024) /* room for the wrapping */

struct collect {
	struct protocol_push *push;
	size_t max, bytes;
};

static enum ssa_err
collect_one(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct collect *c = ctx;
	enum ssa_err err;

	/* stop the scan (not an error) when the batch is full */
	if (c->push->n >= c->max || (c->push->n && c->bytes + len + 64 > BATCH_MAX_BYTES))
		return SSA_ERR_TOO_LONG;
	err = protocol_push_add(c->push, seq, buf, len);
	if (err == SSA_ERR_OK)
		c->bytes += len + 32;
	return err;
}

/* Keep only the records before @p seq. */
static void
truncate_before(struct protocol_push *p, uint64_t seq)
{
	while (p->n && p->rec[p->n - 1].seq >= seq) {
		p->n--;
		free(p->rec[p->n].data);
	}
}

/* Send @p p; on 2xx, check the reply covers it and acknowledge.  On a refusal, @p *refused_seq
 * is the refused record (0 when the refusal names none). */
static enum ssa_err
send_batch(struct syncd_http *h, struct ssa_journal_store *journal, struct syncd_state *state,
	   const struct protocol_push *p, int64_t now_ms, struct syncd_stats *stats,
	   uint64_t *refused_seq)
{
	struct protocol_push_reply reply = { 0 };
	struct protocol_error perr;
	char why[PROTOCOL_WHY_MAX] = "";
	char *body = NULL, *resp = NULL;
	size_t len, resp_len;
	long status;
	enum ssa_err err;
	uint64_t first = p->rec[0].seq, last = p->rec[p->n - 1].seq;

	*refused_seq = 0;
	if ((err = protocol_push_encode(p, &body, &len)))
		return err;
	err = syncd_http_request(h, "POST", PROTOCOL_PREFIX "/journal?anomalies=1", body, len,
				 &status, &resp, &resp_len);
	free(body);
	if (err)
		return err;
	stats->batches++;
	if (status >= 200 && status < 300) {
		size_t i;

		if ((err = protocol_push_reply_decode(resp, resp_len, &reply, why))) {
			log_warn("journal push: the caisse's reply is unreadable: %s", why);
			err = SSA_ERR_PROTOCOL;
			goto out;
		}
		/* acknowledge only what the caisse says it holds */
		for (i = 0; i < reply.n && i < p->n; i++)
			if (reply.res[i].seq != p->rec[i].seq)
				break;
		if (i != p->n || reply.n != p->n || reply.last_seq < last) {
			log_warn("journal push: the caisse's reply does not cover records %llu-%llu",
				 (unsigned long long)first, (unsigned long long)last);
			err = SSA_ERR_PROTOCOL;
			goto out;
		}
		for (i = 0; i < reply.n; i++) {
			if (reply.res[i].outcome == PROTOCOL_STORED)
				stats->stored++;
			else
				stats->duplicates++;
		}
		stats->sent += p->n;
		/* Order matters: the card checks before the ack, since the same batch again comes
		 * back all "duplicate" and the caisse rebuilds no ledger for it. */
		if ((err = syncd_state_card_checks(state, &reply, now_ms)))
			goto out;
		for (i = 0; i < reply.n_anomalies; i++)
			log_warn("card %s: record %s/%llu says it held %lld cents, its ledger %lld "
				 "(%s): the caisse may hot-list it",
				 reply.anomalies[i].card, reply.anomalies[i].terminal,
				 (unsigned long long)reply.anomalies[i].seq,
				 (long long)reply.anomalies[i].record_balance,
				 (long long)reply.anomalies[i].ledger_balance, reply.anomalies[i].kind);
		crash_step("sync: batch accepted, before ack");
		if ((err = journal_store_ack(journal, last)))
			goto out;
		stats->acked = last;
		log_info("journal: records %llu-%llu acknowledged by the caisse (%zu sent)",
			 (unsigned long long)first, (unsigned long long)last, p->n);
		goto out;
	}
	if (protocol_error_decode(resp, resp_len, &perr, why) != SSA_ERR_OK) {
		log_warn("journal push: HTTP %ld without an error body (%s)", status, why);
		err = status >= 500 ? SSA_ERR_NET : SSA_ERR_PROTOCOL;
		goto out;
	}
	log_warn("journal push: HTTP %ld %s: %s", status, perr.name, perr.message);
	if (status == 409 || status == 422) {
		*refused_seq = perr.seq;
		err = syncd_state_reject(state, perr.seq, perr.name, perr.message, now_ms);
		if (!err)
			err = status == 409 ? SSA_ERR_CONFLICT : SSA_ERR_REJECTED;
		goto out;
	}
	err = status >= 500 ? SSA_ERR_NET : SSA_ERR_PROTOCOL;
out:
	protocol_push_reply_fini(&reply);
	free(resp);
	return err;
}

enum ssa_err
syncd_push_all(struct syncd_http *h, struct ssa_journal_store *journal, struct syncd_state *state,
	       size_t batch, int64_t now_ms, struct syncd_stats *stats)
{
	struct protocol_push p;
	uint64_t acked, last, refused;
	uint8_t hash[JOURNAL_HASH_LEN];
	enum ssa_err err;

	memset(stats, 0, sizeof(*stats));
	if (batch == 0 || batch > PROTOCOL_PUSH_MAX_RECORDS)
		batch = PROTOCOL_PUSH_MAX_RECORDS;
	if ((err = journal_store_acked(journal, &acked)) ||
	    (err = journal_store_last(journal, &last, hash)))
		return err;
	stats->acked = acked;
	if (acked < last)
		log_info("journal: %llu records to push (%llu-%llu)",
			 (unsigned long long)(last - acked), (unsigned long long)acked + 1,
			 (unsigned long long)last);
	/* bounded: every turn acknowledges at least one record or returns */
	while (acked < last) {
		struct collect c = { &p, batch, 0 };

		protocol_push_init(&p);
		err = journal_store_scan(journal, acked + 1, collect_one, &c);
		if (err == SSA_ERR_TOO_LONG && p.n)
			err = SSA_ERR_OK;
		if (err || p.n == 0 || p.rec[0].seq != acked + 1) {
			if (!err) {
				log_err("journal: record %llu is missing locally",
					(unsigned long long)acked + 1);
				err = SSA_ERR_JOURNAL_SEQ;
			}
			protocol_push_fini(&p);
			return err;
		}
		err = send_batch(h, journal, state, &p, now_ms, stats, &refused);
		if ((err == SSA_ERR_REJECTED || err == SSA_ERR_CONFLICT) && refused > p.rec[0].seq) {
			/* push what comes before the refused record, then stop */
			enum ssa_err e2;

			truncate_before(&p, refused);
			e2 = send_batch(h, journal, state, &p, now_ms, stats, &refused);
			if (e2 != SSA_ERR_OK)
				err = e2;
		}
		protocol_push_fini(&p);
		if (err)
			return err;
		acked = stats->acked;
	}
	return SSA_ERR_OK;
}
