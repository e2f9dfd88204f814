/* ssa/closing.h — daily (Z), monthly and annual closings computed from journal records.
 *
 * A Z summarises the SALE, VOID, REFUND and RELOAD records after the previous Z: counts, gross
 * of sales, voids and refunds, net total, net per tender kind, net per VAT rate (the per-record
 * figures summed, never recomputed: see ssa/vat.h), SSA total, reloads credited, and a perpetual
 * grand total = previous Z's perpetual + this period's total (NF525-like).  A monthly or an
 * annual closing summarises the CLOSING_Z records after the previous closing of its own kind
 * the same way (their perpetual continues the previous monthly / annual one).  Voids and
 * refunds carry positive amounts; a closing subtracts them.
 *
 * Pure: the records come from the caller or through the store port.
 */
#ifndef SSA_CLOSING_H
#define SSA_CLOSING_H

#include <stdint.h>

#include "ssa/err.h"
#include "ssa/journal.h"
#include "ssa/journal_store.h"

struct closing_acc {
	enum journal_kind kind; /* CLOSING_Z, CLOSING_MONTH or CLOSING_YEAR */
	struct journal_closing c;
};

/* Start a closing of @p kind for @p period after @p prev, the previous closing of the same kind
 * (NULL for the first one: number 1, perpetual from 0).  SSA_ERR_INVAL when @p kind is not a
 * closing or @p prev is of another kind. */
enum ssa_err closing_begin(struct closing_acc *a, enum journal_kind kind, int32_t period,
			   const struct journal_record *prev);

/* Add record @p r (seq order) if this kind of closing summarises it (a Z: sales, voids,
 * refunds, reloads; monthly and annual: Zs); other records are ignored.  SSA_ERR_OVERFLOW,
 * SSA_ERR_TOO_LONG (more than VAT_MAX_RATES rates); @p a unchanged on error. */
enum ssa_err closing_add(struct closing_acc *a, const struct journal_record *r);

/* The finished figures (perpetual = perpetual_prev + total) in @p out. */
enum ssa_err closing_finish(const struct closing_acc *a, struct journal_closing *out);

/* Compute from store @p s the closing of @p kind for @p period over the records after the last
 * closing of that kind, into @p r: its kind and closing are set, its header (establishment,
 * terminal, software, operator, time) is the caller's.  Nothing is appended: use closing_append
 * when another process may append to the journal (a till selling while ssa-admin closes). */
enum ssa_err closing_compute(struct ssa_journal_store *s, enum journal_kind kind, int32_t period,
			     struct journal_record *r);

/* How many times closing_append computes again when records keep coming in. */
#define CLOSING_APPEND_TRIES 64

/* Compute the closing as closing_compute does and append it, sealed by @p signer, atomically
 * with respect to other appenders: it is appended only if no record came after those it
 * summarises (journal_store_append_after); otherwise it is computed again, at most
 * CLOSING_APPEND_TRIES times (then SSA_ERR_JOURNAL_MOVED, nothing appended).  So every record
 * falls into exactly one closing of each kind.  @p seq and @p hash (may be NULL) as for
 * journal_store_append. */
enum ssa_err closing_append(struct ssa_journal_store *s, enum journal_kind kind, int32_t period,
			    struct journal_record *r, const struct journal_signer *signer,
			    uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN]);

#endif
