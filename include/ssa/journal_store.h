/* ssa/journal_store.h — the journal's storage port (isync's struct driver, Taler's DB plugin).
 *
 * The till's logic talks to a struct ssa_journal_store: a table of functions and a cls.  The
 * real adapter is SQLite (io/journal_sqlite.c, journal_sqlite_open); unit tests can use the
 * in-memory store of lib/journal_mem.c (journal_mem_new), which keeps the same rules.
 *
 * Rules every store keeps:
 * - append assigns the sequence number and the previous hash itself and seals (signs) the record
 *   inside its transaction: a caller can never create a gap or a fork.  One transaction per
 *   record; it also deletes the pending row named by the caller, so that "pending" and "final"
 *   can never both be visible, nor neither.
 * - Stored records are never changed or deleted.  The sync daemon's acknowledgements live apart
 *   (ack/acked), as do the pending intents of card debits (put_pending/get_pending/drop_pending).
 * - Records are given back exactly as stored (canonical encoding, see ssa/journal.h), in
 *   sequence order.
 */
#ifndef SSA_JOURNAL_STORE_H
#define SSA_JOURNAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/journal.h"

/* Called for each stored record in sequence order: @p seq the store's key, @p buf/@p len the
 * encoding (valid during the call only).  A non-OK return stops the scan and is returned. */
typedef enum ssa_err journal_scan_fn(void *ctx, uint64_t seq, const void *buf, size_t len);

struct ssa_journal_store {
	void *cls;
	/* See the journal_store_* wrappers below for each function's contract. */
	enum ssa_err (*append)(void *cls, struct journal_record *r,
			       const struct journal_signer *signer, uint64_t pending_id,
			       uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN]);
	enum ssa_err (*append_after)(void *cls, uint64_t last_seq, struct journal_record *r,
				     const struct journal_signer *signer, uint64_t *seq,
				     uint8_t hash[JOURNAL_HASH_LEN]);
	enum ssa_err (*last)(void *cls, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN]);
	enum ssa_err (*get)(void *cls, uint64_t seq, char **buf, size_t *len);
	enum ssa_err (*scan)(void *cls, uint64_t from_seq, journal_scan_fn *fn, void *ctx);
	enum ssa_err (*last_of_kind)(void *cls, enum journal_kind kind, uint64_t *seq);
	enum ssa_err (*put_pending)(void *cls, const void *buf, size_t len, uint64_t *id);
	enum ssa_err (*get_pending)(void *cls, uint64_t *id, void **buf, size_t *len);
	enum ssa_err (*drop_pending)(void *cls, uint64_t id);
	enum ssa_err (*ack)(void *cls, uint64_t seq);
	enum ssa_err (*acked)(void *cls, uint64_t *seq);
	void (*close)(void *cls);
};

/* Append @p r: in one transaction, seal it after the last stored record with @p signer (sets
 * r->seq, prev, key_id, sig), store it, and delete pending row @p pending_id (0: none; an id
 * that does not exist is SSA_ERR_NOT_FOUND and nothing is stored).  @p seq and @p hash (both may
 * be NULL) receive the new record's sequence number and hash.  On error nothing is stored. */
enum ssa_err journal_store_append(struct ssa_journal_store *s, struct journal_record *r,
				  const struct journal_signer *signer, uint64_t pending_id,
				  uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN]);

/* Append @p r as journal_store_append does (no pending row), but only if the last stored record
 * is still @p last_seq, checked inside the append's own transaction: a record computed from the
 * journal as it stood (a closing) cannot miss one another writer appended meanwhile.  Otherwise
 * SSA_ERR_JOURNAL_MOVED and nothing is stored: compute again and retry (closing_append). */
enum ssa_err journal_store_append_after(struct ssa_journal_store *s, uint64_t last_seq,
					struct journal_record *r,
					const struct journal_signer *signer, uint64_t *seq,
					uint8_t hash[JOURNAL_HASH_LEN]);

/* The last record's sequence number and hash; (0, zeros) for an empty journal. */
enum ssa_err journal_store_last(struct ssa_journal_store *s, uint64_t *seq,
				uint8_t hash[JOURNAL_HASH_LEN]);

/* Record @p seq's encoding in @p *buf (caller frees; NUL-terminated) and @p *len.
 * SSA_ERR_NOT_FOUND when there is none. */
enum ssa_err journal_store_get(struct ssa_journal_store *s, uint64_t seq, char **buf,
			       size_t *len);

/* Call @p fn for every record with seq >= @p from_seq, in order. */
enum ssa_err journal_store_scan(struct ssa_journal_store *s, uint64_t from_seq,
				journal_scan_fn *fn, void *ctx);

/* Sequence number of the last record of kind @p kind, 0 when there is none. */
enum ssa_err journal_store_last_of_kind(struct ssa_journal_store *s, enum journal_kind kind,
					uint64_t *seq);

/* Durably record the intent @p buf/@p len (a card debit about to happen; its content is the
 * caller's) before the card is touched.  @p id receives its id (> 0). */
enum ssa_err journal_store_put_pending(struct ssa_journal_store *s, const void *buf, size_t len,
				       uint64_t *id);

/* The oldest pending intent (start-up recovery): @p id, @p *buf (caller frees; a NUL byte
 * follows its @p len bytes).
 * SSA_ERR_NOT_FOUND when there is none. */
enum ssa_err journal_store_get_pending(struct ssa_journal_store *s, uint64_t *id, void **buf,
				       size_t *len);

/* Drop pending intent @p id without a record (the card was not debited).
 * SSA_ERR_NOT_FOUND when there is no such intent. */
enum ssa_err journal_store_drop_pending(struct ssa_journal_store *s, uint64_t id);

/* The server acknowledged every record up to @p seq (never moves backwards: a smaller value
 * is ignored; a value past the last record is SSA_ERR_INVAL). */
enum ssa_err journal_store_ack(struct ssa_journal_store *s, uint64_t seq);

/* Highest acknowledged sequence number, 0 when none. */
enum ssa_err journal_store_acked(struct ssa_journal_store *s, uint64_t *seq);

/* Close the store and free it.  NULL is a no-op. */
void journal_store_free(struct ssa_journal_store *s);

/* Verify the whole stored chain from the genesis with public key @p pub: @p c (initialised
 * here) holds the count and last hash, or bad_seq and why on failure (the error of
 * journal_chain_next).  A journal shorter than its acknowledged sequence number is
 * SSA_ERR_JOURNAL_SEQ (records deleted at the end); a void or refund that does not name a sale
 * of this journal is SSA_ERR_JOURNAL_FORMAT. */
enum ssa_err journal_store_verify(struct ssa_journal_store *s, const uint8_t pub[32],
				  struct journal_chain *c);

/* An empty in-memory store (lib/journal_mem.c) with the same rules, for unit tests.
 * journal_store_free releases it. */
enum ssa_err journal_mem_new(struct ssa_journal_store **out);

/* The SQLite store in file @p path (io/journal_sqlite.c): created and migrated when needed;
 * WAL, synchronous=FULL.  SSA_ERR_DB or SSA_ERR_JOURNAL_SCHEMA, with a sentence in @p why. */
enum ssa_err journal_sqlite_open(const char *path, struct ssa_journal_store **out, char *why,
				 size_t why_size);

#endif
