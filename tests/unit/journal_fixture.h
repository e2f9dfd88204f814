/* journal_fixture.h — records, keys and scratch directories for the journal tests. */
#ifndef JOURNAL_FIXTURE_H
#define JOURNAL_FIXTURE_H

#include <stdint.h>

#include "ssa/journal.h"

extern const uint8_t jf_priv_a[32]; /* the terminal's key */
extern const uint8_t jf_priv_b[32]; /* another key */

/* A sale of two lines (3,00 € at 5.5 % covered, 8,40 € at 20 % not in the list), total
 * 11,40 €: @p ssa cents (0..300) by the card, the rest in cash with 5 € over (change). */
void jf_sale(struct journal_record *r, int64_t time_ms, int64_t ssa);

/* A void (JOURNAL_VOID) or refund of every line of jf_sale(@p ssa) sale @p link_seq. */
void jf_cancel(struct journal_record *r, enum journal_kind kind, uint64_t link_seq,
	       int64_t time_ms, int64_t ssa);

/* A reload of @p amount on card c-4f2a9b from @p before. */
void jf_reload(struct journal_record *r, int64_t time_ms, int64_t before, int64_t amount);

/* The header every record of the tests carries (ids, version, operator). */
void jf_header(struct journal_record *r, int64_t time_ms);

/* A signer for @p priv (assert on failure); and its public key. */
struct journal_signer *jf_signer(const uint8_t priv[32]);
void jf_public(const uint8_t priv[32], uint8_t pub[32]);

/* mkdtemp under /tmp (caller frees) and rm -rf of it. */
char *jf_tmpdir(void);
void jf_rmtree(const char *dir);

#endif
