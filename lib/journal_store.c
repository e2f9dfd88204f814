/* journal_store.c — the port's wrappers, and whole-chain verification through the port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/journal_store.h"

enum ssa_err
journal_store_append(struct ssa_journal_store *s, struct journal_record *r,
		     const struct journal_signer *signer, uint64_t pending_id, uint64_t *seq,
		     uint8_t hash[JOURNAL_HASH_LEN])
{
	if (s == NULL || r == NULL || signer == NULL)
		return SSA_ERR_INVAL;
	return s->append(s->cls, r, signer, pending_id, seq, hash);
}

enum ssa_err
journal_store_append_after(struct ssa_journal_store *s, uint64_t last_seq,
			   struct journal_record *r, const struct journal_signer *signer,
			   uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	if (s == NULL || r == NULL || signer == NULL)
		return SSA_ERR_INVAL;
	return s->append_after(s->cls, last_seq, r, signer, seq, hash);
}

enum ssa_err
journal_store_last(struct ssa_journal_store *s, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	return s->last(s->cls, seq, hash);
}

enum ssa_err
journal_store_get(struct ssa_journal_store *s, uint64_t seq, char **buf, size_t *len)
{
	return s->get(s->cls, seq, buf, len);
}

enum ssa_err
journal_store_scan(struct ssa_journal_store *s, uint64_t from_seq, journal_scan_fn *fn,
		   void *ctx)
{
	return s->scan(s->cls, from_seq, fn, ctx);
}

enum ssa_err
journal_store_last_of_kind(struct ssa_journal_store *s, enum journal_kind kind, uint64_t *seq)
{
	if ((unsigned)kind >= JOURNAL__KIND_COUNT)
		return SSA_ERR_INVAL;
	return s->last_of_kind(s->cls, kind, seq);
}

enum ssa_err
journal_store_put_pending(struct ssa_journal_store *s, const void *buf, size_t len,
			  uint64_t *id)
{
	if (buf == NULL || len == 0 || len > JOURNAL_MAX_BYTES)
		return SSA_ERR_INVAL;
	return s->put_pending(s->cls, buf, len, id);
}

enum ssa_err
journal_store_get_pending(struct ssa_journal_store *s, uint64_t *id, void **buf, size_t *len)
{
	return s->get_pending(s->cls, id, buf, len);
}

enum ssa_err
journal_store_drop_pending(struct ssa_journal_store *s, uint64_t id)
{
	return s->drop_pending(s->cls, id);
}

enum ssa_err
journal_store_ack(struct ssa_journal_store *s, uint64_t seq)
{
	return s->ack(s->cls, seq);
}

enum ssa_err
journal_store_acked(struct ssa_journal_store *s, uint64_t *seq)
{
	return s->acked(s->cls, seq);
}

void
journal_store_free(struct ssa_journal_store *s)
{
	if (s == NULL)
		return;
	s->close(s->cls);
	free(s);
}

struct verify_ctx {
	struct ssa_journal_store *s;
	struct journal_chain *c;
};

/* A void or a refund must name an earlier sale of this journal. */
static enum ssa_err
check_link(struct verify_ctx *v, const struct journal_record *r)
{
	struct journal_record target;
	char *buf = NULL;
	size_t len = 0;
	enum ssa_err e;

	if (r->kind != JOURNAL_VOID && r->kind != JOURNAL_REFUND)
		return SSA_ERR_OK;
	e = journal_store_get(v->s, r->link_seq, &buf, &len);
	if (e == SSA_ERR_OK)
		e = journal_record_decode(buf, len, &target, NULL);
	free(buf);
	if (e == SSA_ERR_NOMEM || e == SSA_ERR_DB)
		return e;
	if (e != SSA_ERR_OK || target.kind != JOURNAL_SALE) {
		v->c->bad_seq = r->seq;
		snprintf(v->c->why, sizeof(v->c->why),
			 "record %llu: %s of record %llu, which is not a sale",
			 (unsigned long long)r->seq, r->kind == JOURNAL_VOID ? "void" : "refund",
			 (unsigned long long)r->link_seq);
		if (e == SSA_ERR_OK)
			journal_record_fini(&target);
		return SSA_ERR_JOURNAL_FORMAT;
	}
	journal_record_fini(&target);
	return SSA_ERR_OK;
}

static enum ssa_err
verify_one(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct verify_ctx *v = ctx;
	struct journal_record r;
	enum ssa_err e = journal_chain_next(v->c, seq, buf, len, &r);

	if (e != SSA_ERR_OK)
		return e;
	e = check_link(v, &r);
	journal_record_fini(&r);
	return e;
}

enum ssa_err
journal_store_verify(struct ssa_journal_store *s, const uint8_t pub[32], struct journal_chain *c)
{
	struct verify_ctx v = { s, c };
	uint64_t acked = 0;
	enum ssa_err e;

	if ((e = journal_chain_init(c, pub)) != SSA_ERR_OK)
		return e;
	if ((e = journal_store_scan(s, 1, verify_one, &v)) != SSA_ERR_OK)
		return e;
	if ((e = journal_store_acked(s, &acked)) != SSA_ERR_OK)
		return e;
	if (acked > c->last_seq) {
		c->bad_seq = c->last_seq + 1;
		snprintf(c->why, sizeof(c->why),
			 "the journal ends at record %llu but the caisse acknowledged records up "
			 "to %llu: records deleted at the end",
			 (unsigned long long)c->last_seq, (unsigned long long)acked);
		return SSA_ERR_JOURNAL_SEQ;
	}
	return SSA_ERR_OK;
}
