/* ssa/caisse_books.h — the caisse's books from its storage (ssa/caisse_store.h): what it
 * checks a card's ledger against (the grant batches it issued, the cards of its members), and
 * what it owes each outlet (the settlement).
 *
 * ssa-admin caisse ledger rebuilds every card's ledger with these books (lib/ledger.c): the
 * card's story starts from ledger_opening, as ssa-caissed's check at every push does, so the
 * balance anomalies it prints (GAP, EXCESS, DOUBLE_SPEND) are the server's; the books add the
 * grants (GRANT_UNKNOWN), each reload's policy from its batch, and what the books say the card
 * should hold (OVERDRAWN, RELOAD_POLICY).
 */
#ifndef SSA_CAISSE_BOOKS_H
#define SSA_CAISSE_BOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/caisse_store.h"
#include "ssa/err.h"
#include "ssa/grant.h"
#include "ssa/journal.h"
#include "ssa/ledger.h"
#include "ssa/settlement.h"

struct caisse_books_card {
	uint64_t serial, member;
	int active; /* state "active" */
};

struct caisse_books {
	size_t n_batches;
	struct grant_batch **batches; /* owned, every stored batch */
	size_t n_cards;
	struct caisse_books_card *cards; /* owned, the issued cards */
	bool loaded;                     /* caisse_books_load filled it */
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

/* --- whose records: one till's journal at several caisses (docs/caisse.md) ------------------ */

/* A till conventioned by several caisses pushes its one journal to each of them, so a caisse
 * stores records of other caisses' cards too; its settlement and its card ledgers count only
 * its own.  Whose a record is: */

/* The caisse whose books sale, void or refund @p r belongs to, in @p owner (@p size >=
 * CONVENTION_CAISSE_MAX + 1): a SALE's is the caisse whose list decided its lines (the
 * card's caisse: the lines' list_caisse, all alike); a VOID's or a REFUND's is that of the
 * sale it links to, read from @p st (same terminal, seq link_seq).  "" for a record of no
 * caisse: a sale whose lines no list decided (no card: cash), one whose lines name two
 * caisses (logged: no till makes it), a void or refund linking to no stored sale, and every
 * other kind (a RELOAD is decided with its card's records: caisse_books_mine).  SSA_ERR_DB
 * (a stored record that does not decode too), SSA_ERR_NOMEM. */
enum ssa_err caisse_record_owner(struct caisse_store *st, const struct journal_record *r,
				 char *owner, size_t size);

/* For each of the @p n records @p recs of one card (the journal's card id, in all of them),
 * whether it is caisse @p caisse's: @p mine[i].  Sales, voids, refunds: caisse_record_owner.
 * A RELOAD applied a grant of the card's caisse (the till takes it from the batch of the
 * caisse the card names), so it is @p caisse's when another record of the card is (its lists
 * decided the card's lines), else when @p caisse issued a card to the member (its stored
 * cards), else when one of its grant batches of the reload's period holds the reload's grant
 * for this member (@p b: used as they are when loaded, else loaded into
 * @p b only when a reload needs them, for the caller's next calls (it fini's @p b); NULL:
 * loaded and freed here when needed; a batch that does not parse is then only logged, and the
 * books taken as empty).  Closings and reprints are nobody's.  Storage errors as the store's,
 * SSA_ERR_NOMEM. */
enum ssa_err caisse_books_mine(struct caisse_store *st, const char *caisse, struct caisse_books *b,
			       const struct journal_record *const *recs, size_t n, bool *mine);

/* --- the settlement: what the caisse owes each outlet (lib/settlement.c) -------------------- */

/* A record caisse_settle met that the caisse should know of: it names establishment @p named
 * but is counted for @p outlet, or (@p outlet NULL) it is not counted: its terminal is attached
 * to no outlet. */
typedef void caisse_settle_note_fn(void *cls, const char *terminal, uint64_t seq,
				   const char *named, const char *outlet);

/* Count every stored record of caisse @p caisse (caisse_record_owner: the sales its lists
 * decided, their voids and refunds; other caisses' cards' records are theirs to settle) of
 * @p from_ms <= time < @p to_ms into @p s (settlement_add_for)
 * for the outlet its terminal was attached to when it pushed it (outlet_mark), else — pushed
 * before the terminal was attached, or by an older ssa-caissed — the outlet the terminal is
 * attached to now.  A record is never counted for the establishment it names: a terminal can
 * claim no other outlet's money.  @p note (may be NULL) hears of every record with an SSA
 * tender that names another establishment than its outlet, or that is not counted.  The one
 * settlement of the caisse: ssa-caissed's GET /v1/settlement and ssa-admin caisse settlement.
 * SSA_ERR_DB (a stored record that does not decode too), SSA_ERR_OVERFLOW, SSA_ERR_NOMEM. */
enum ssa_err caisse_settle(struct caisse_store *st, const char *caisse, int64_t from_ms,
			   int64_t to_ms, struct settlement *s, caisse_settle_note_fn *note,
			   void *cls);

#endif
