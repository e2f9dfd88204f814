/* ssa/caisse_books.h — what the caisse checks a card's ledger against: the grant batches it
 * issued and the cards of its members, read from the caisse's storage (ssa/caisse_store.h).
 *
 * ssa-admin caisse ledger rebuilds every card's ledger with these books (lib/ledger.c): the
 * card's story starts from ledger_opening, as ssa-caissed's check at every push does, so the
 * balance anomalies it prints (GAP, EXCESS, DOUBLE_SPEND) are the server's; the books add the
 * grants (GRANT_UNKNOWN), each reload's policy from its batch, and what the books say the card
 * should hold (OVERDRAWN, RELOAD_POLICY).
 */
#ifndef SSA_CAISSE_BOOKS_H
#define SSA_CAISSE_BOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/caisse_store.h"
#include "ssa/err.h"
#include "ssa/grant.h"
#include "ssa/journal.h"
#include "ssa/ledger.h"

struct caisse_books_card {
	uint64_t serial, member;
	int active; /* state "active" */
};

struct caisse_books {
	size_t n_batches;
	struct grant_batch **batches; /* owned, every stored batch */
	size_t n_cards;
	struct caisse_books_card *cards; /* owned, the issued cards */
};

/* Load every stored grant batch (parsed: the caisse signed them itself) and every issued card
 * of @p st into @p out (fini it, also on error).  SSA_ERR_GRANT_* for a stored batch that does
 * not parse (a broken database), storage errors as the store's. */
enum ssa_err caisse_books_load(struct caisse_store *st, struct caisse_books *out);

/* Free and zero.  NULL is a no-op. */
void caisse_books_fini(struct caisse_books *b);

/* The parameters to check card @p card (the journal's card id: the member id in 16 hex
 * digits) with: @p params->opening ledger_opening of its @p n records @p recs, the batches of
 * @p b, its member id and the serial of the member's active card (else any of its cards);
 * @p params->policy and rollover_cap are left as the caller set them (the policy of reloads
 * whose batch is not found).  @p params points into @p b: keep @p b while it is used. */
void caisse_books_params(const struct caisse_books *b, const char *card,
			 const struct journal_record *const *recs, size_t n,
			 struct ledger_params *params);

#endif
