/* amap_pay.h — paying AMAP baskets with the food card at pickup (docs/amap.md).
 *
 * The caisse decides, contract by contract, in its own signed convention list: a contract's
 * baskets are paid from the card when the list covers the contract's category
 * (amap_contract_category, e.g. "amap-legumes"); otherwise the pickup is only recorded.  The
 * debit is an ordinary sale of the till whose lines are the baskets, recorded through the till's
 * crash-safe card path (till_pay_commit).  No curses here.
 */
#ifndef POS_AMAP_PAY_H
#define POS_AMAP_PAY_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/amap.h"
#include "ssa/err.h"
#include "ssa/journal_store.h"

#include "till.h"

/* Put into @p t's sale (selling, empty basket) the baskets of household @p h of @p d that the
 * list of caisse @p caisse covers: items with a price whose contract's category the list covers
 * at least in part.  @p *lines gets how many; 0 leaves the basket empty (nothing to pay: the
 * pickup is only recorded).  SSA_ERR_INVAL when the till is not selling an empty basket. */
enum ssa_err amap_pay_build(const struct amap_distribution *d, size_t h, struct till *t,
			    const char *caisse, size_t *lines);

/* The sale of AMAP baskets recorded in @p j at or after @p since_ms (UTC ms) for card
 * @p card_id (journal card id), so that a household is never debited twice (a till that
 * stopped between the record and the sign-in log).  @p *seq gets its sequence number, 0 when
 * there is none. */
enum ssa_err amap_pay_find(struct ssa_journal_store *j, const char *card_id, int64_t since_ms,
			   uint64_t *seq);

/* The members' statement of distribution @p d, for the caisse: one row per item of every
 * household with an SSA member id that collected its baskets, with the day (local), the amount
 * and how it is settled: "card" when the card paid it at pickup (a SALE of that card that day in
 * @p j, which may be NULL), else "reimburse" (the pickup is the proof; the caisse reimburses
 * the AMAP or the member).  ';'-separated, UTF-8, decimal commas, a header line:
 *   member;household;date;contract;product;quantity;amount;paid
 * @p *out malloc'd, owned by the caller. */
enum ssa_err amap_pay_statement(const struct amap_distribution *d, struct ssa_journal_store *j,
				char **out, size_t *len);

#endif
