/* till_fixture.h — the steps every till test takes: a till with its ids, scans, the journal's
 * records, a receipt layout. */
#ifndef TILL_FIXTURE_H
#define TILL_FIXTURE_H

#include <stdint.h>

#include "ssa/journal.h"
#include "ssa/journal_store.h"

#include "../../pos/receipt.h"
#include "../../pos/till.h"

/* till_init(@p t, @p today) as terminal T01 of establishment epicerie-test, operator @p op,
 * appending to @p journal signed by @p signer (neither owned by the till). */
void tf_till(struct till *t, int32_t today, const char *op, struct ssa_journal_store *journal,
	     struct journal_signer *signer);

/* @p code typed or scanned into @p t's entry, then Enter (asserts it is taken). */
void tf_scan(struct till *t, const char *code);

/* The last sequence number of @p journal (0: empty). */
uint64_t tf_last_seq(struct ssa_journal_store *journal);

/* Record @p seq of @p journal, decoded into @p r (journal_record_fini it). */
void tf_record(struct ssa_journal_store *journal, uint64_t seq, struct journal_record *r);

/* A 40-column receipt layout in English, timed "now". */
struct receipt tf_receipt(void);

/* The payment under way on @p t is committed at @p now_ms with its card torn away (the test's
 * fake reader tears it as told; SSA_ERR_CARD_TORN asserted); the till stops there and another
 * starts in its place on the same journal and ports: @p t is finied, set up again by
 * @p setup(@p cls, @p t) as the test sets its till up, and recovers (till_recover). */
void tf_torn_restart(struct till *t, int64_t now_ms, void (*setup)(void *cls, struct till *t),
                     void *cls);

#endif
