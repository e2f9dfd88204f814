/* reader.h — the till's card reader, kept open: a reader that goes away (unplugged, its
 * pseudo-terminal gone) is closed and opened again, never more often than every
 * POS_READER_RETRY_MS, when a card is next asked for.
 *
 * pos_reader is itself a struct ssa_card_reader (the port of ssa/card_reader.h) in front of the
 * libnfc adapter, so the till's logic (till.c, till_card.c, till_refund.c) sees one reader that
 * is sometimes without a card.  While the reader is gone, wait_card answers SSA_ERR_CARD_ABSENT
 * at once (the till never waits for it) and the other operations SSA_ERR_READER; the till's
 * message line says the reader is gone when that is noticed and that it is back once it is.
 * Cash and the other tenders go on meanwhile.  A reader opened again has the main caisse's keys:
 * the till gives it a card's caisse's keys (use_keys) at every card read.
 */
#ifndef POS_READER_H
#define POS_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "ssa/card_reader.h"

#include "till.h"

/* How long the till waits between two tries to open a reader that is gone. */
#define POS_READER_RETRY_MS 2000

struct pos_reader {
	char *connstring;             /* libnfc's connection string (owned) */
	const struct card_keys *keys; /* borrowed: outlives the reader */
	struct ssa_card_reader inner; /* the libnfc adapter; inner.cls NULL: not open */
	struct till *till;            /* where messages go (borrowed) */
	bool lost;                    /* the reader went away (or never came) */
	int64_t next_try_ms;          /* monotonic ms of the next try to open it */
	unsigned reopened;            /* times it was opened again, for logs and tests */
};

/* Open the reader @p connstring with @p keys (both copied or borrowed as above) for till @p t.
 * A reader that cannot be opened now is no error: it is tried again at the next card asked
 * for, and @p *opened tells whether it is open now.
 * @param[out] r     set up here; pos_reader_fini it
 * @param[out] port  the port the till uses (its cls is @p r)
 * @return SSA_ERR_NOMEM, else SSA_ERR_OK */
enum ssa_err pos_reader_init(struct pos_reader *r, const char *connstring,
                             const struct card_keys *keys, struct till *t,
                             struct ssa_card_reader *port, bool *opened);

/* Close the reader, free what @p r holds. */
void pos_reader_fini(struct pos_reader *r);

/* Is the reader gone (or never opened) right now? */
bool pos_reader_lost(const struct pos_reader *r);

#endif
