/* journal_mem.c — an in-memory journal store with the rules of the SQLite one (unit tests). */
#include <stdlib.h>
#include <string.h>

#include "ssa/journal_store.h"

struct mem_rec {
	char *buf;
	size_t len;
	enum journal_kind kind;
	uint8_t hash[JOURNAL_HASH_LEN];
};

struct mem_pending {
	uint64_t id;
	void *buf;
	size_t len;
};

struct mem {
	struct mem_rec *recs; /* recs[i] has seq i + 1 */
	size_t n, cap;
	struct mem_pending *pend;
	size_t n_pend;
	uint64_t next_pending;
	uint64_t acked;
};

static enum ssa_err
mem_append(void *cls, struct journal_record *r, const struct journal_signer *signer,
	   uint64_t pending_id, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	struct mem *m = cls;
	struct mem_rec rec;
	size_t pi = m->n_pend;
	enum ssa_err e;

	if (pending_id != 0) {
		for (pi = 0; pi < m->n_pend && m->pend[pi].id != pending_id; pi++)
			;
		if (pi == m->n_pend)
			return SSA_ERR_NOT_FOUND;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct mem_rec *n = realloc(m->recs, cap * sizeof(*n));
		if (n == NULL)
			return SSA_ERR_NOMEM;
		m->recs = n;
		m->cap = cap;
	}
	e = journal_seal(r, m->n, m->n ? m->recs[m->n - 1].hash : NULL, signer, &rec.buf,
			 &rec.len, rec.hash);
	if (e != SSA_ERR_OK)
		return e;
	rec.kind = r->kind;
	m->recs[m->n++] = rec;
	if (pending_id != 0) {
		free(m->pend[pi].buf);
		m->pend[pi] = m->pend[--m->n_pend];
	}
	if (seq != NULL)
		*seq = m->n;
	if (hash != NULL)
		memcpy(hash, rec.hash, JOURNAL_HASH_LEN);
	return SSA_ERR_OK;
}

static enum ssa_err
mem_append_after(void *cls, uint64_t last_seq, struct journal_record *r,
		 const struct journal_signer *signer, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	struct mem *m = cls;

	if (m->n != last_seq)
		return SSA_ERR_JOURNAL_MOVED;
	return mem_append(cls, r, signer, 0, seq, hash);
}

static enum ssa_err
mem_last(void *cls, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	struct mem *m = cls;

	*seq = m->n;
	if (hash != NULL) {
		if (m->n)
			memcpy(hash, m->recs[m->n - 1].hash, JOURNAL_HASH_LEN);
		else
			memset(hash, 0, JOURNAL_HASH_LEN);
	}
	return SSA_ERR_OK;
}

static enum ssa_err
mem_get(void *cls, uint64_t seq, char **buf, size_t *len)
{
	struct mem *m = cls;

	if (seq == 0 || seq > m->n)
		return SSA_ERR_NOT_FOUND;
	if ((*buf = strdup(m->recs[seq - 1].buf)) == NULL)
		return SSA_ERR_NOMEM;
	*len = m->recs[seq - 1].len;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_scan(void *cls, uint64_t from_seq, journal_scan_fn *fn, void *ctx)
{
	struct mem *m = cls;
	enum ssa_err e;

	for (uint64_t s = from_seq ? from_seq : 1; s <= m->n; s++)
		if ((e = fn(ctx, s, m->recs[s - 1].buf, m->recs[s - 1].len)) != SSA_ERR_OK)
			return e;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_last_of_kind(void *cls, enum journal_kind kind, uint64_t *seq)
{
	struct mem *m = cls;

	*seq = 0;
	for (size_t i = m->n; i > 0; i--)
		if (m->recs[i - 1].kind == kind) {
			*seq = i;
			break;
		}
	return SSA_ERR_OK;
}

static enum ssa_err
mem_put_pending(void *cls, const void *buf, size_t len, uint64_t *id)
{
	struct mem *m = cls;
	struct mem_pending *n = realloc(m->pend, (m->n_pend + 1) * sizeof(*n));
	void *copy;

	if (n == NULL)
		return SSA_ERR_NOMEM;
	m->pend = n;
	if ((copy = malloc(len)) == NULL)
		return SSA_ERR_NOMEM;
	memcpy(copy, buf, len);
	m->pend[m->n_pend].id = ++m->next_pending;
	m->pend[m->n_pend].buf = copy;
	m->pend[m->n_pend].len = len;
	m->n_pend++;
	if (id != NULL)
		*id = m->next_pending;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_get_pending(void *cls, uint64_t *id, void **buf, size_t *len)
{
	struct mem *m = cls;
	size_t best = m->n_pend;
	char *p;

	for (size_t i = 0; i < m->n_pend; i++)
		if (best == m->n_pend || m->pend[i].id < m->pend[best].id)
			best = i;
	if (best == m->n_pend)
		return SSA_ERR_NOT_FOUND;
	if ((p = malloc(m->pend[best].len + 1)) == NULL)
		return SSA_ERR_NOMEM;
	memcpy(p, m->pend[best].buf, m->pend[best].len);
	p[m->pend[best].len] = '\0';
	*buf = p;
	*len = m->pend[best].len;
	*id = m->pend[best].id;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_drop_pending(void *cls, uint64_t id)
{
	struct mem *m = cls;

	for (size_t i = 0; i < m->n_pend; i++)
		if (m->pend[i].id == id) {
			free(m->pend[i].buf);
			m->pend[i] = m->pend[--m->n_pend];
			return SSA_ERR_OK;
		}
	return SSA_ERR_NOT_FOUND;
}

static enum ssa_err
mem_ack(void *cls, uint64_t seq)
{
	struct mem *m = cls;

	if (seq > m->n)
		return SSA_ERR_INVAL;
	if (seq > m->acked)
		m->acked = seq;
	return SSA_ERR_OK;
}

static enum ssa_err
mem_acked(void *cls, uint64_t *seq)
{
	*seq = ((struct mem *)cls)->acked;
	return SSA_ERR_OK;
}

static void
mem_close(void *cls)
{
	struct mem *m = cls;

	for (size_t i = 0; i < m->n; i++)
		free(m->recs[i].buf);
	for (size_t i = 0; i < m->n_pend; i++)
		free(m->pend[i].buf);
	free(m->recs);
	free(m->pend);
	free(m);
}

enum ssa_err
journal_mem_new(struct ssa_journal_store **out)
{
	struct ssa_journal_store *s = calloc(1, sizeof(*s));
	struct mem *m = calloc(1, sizeof(*m));

	if (s == NULL || m == NULL) {
		free(s);
		free(m);
		return SSA_ERR_NOMEM;
	}
	s->cls = m;
	s->append = mem_append;
	s->append_after = mem_append_after;
	s->last = mem_last;
	s->get = mem_get;
	s->scan = mem_scan;
	s->last_of_kind = mem_last_of_kind;
	s->put_pending = mem_put_pending;
	s->get_pending = mem_get_pending;
	s->drop_pending = mem_drop_pending;
	s->ack = mem_ack;
	s->acked = mem_acked;
	s->close = mem_close;
	*out = s;
	return SSA_ERR_OK;
}
