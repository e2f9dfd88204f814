/* ssa/ledger.h — a card's ledger at the caisse, rebuilt from every terminal's journal records.
 *
 * Pure.  The caisse feeds the decoded, verified records of one card from all its terminals
 * (SALE, VOID, REFUND, RELOAD; any order, each (terminal, seq) once).  The ledger orders them,
 * computes after each one the balance the card should hold by the caisse's books — grants
 * credited, old balances expired or rolled over by the caisse's policy, SSA debits of sales, SSA
 * credits of voids and refunds — and checks every record's balance_before against it.
 *
 * Ordering (docs/caisse.md): the card keeps no global counter (its debit records carry the
 * terminal's own sequence), so the only order that is certain is each terminal's sequence.  The
 * ledger merges the terminals' sequences: at each step it takes, among the next record of each
 * terminal, the one whose balance_before continues the card's last reported balance_after; when
 * several do, the earliest by time (then terminal id, then sequence); when none does, the
 * earliest by time, and that record is an anomaly.  Clocks of offline terminals may disagree;
 * balances chained by the card itself do not.
 *
 * Anomalies are reported where the card's own story breaks (balance_before differs from the
 * balance_after of the record before it in ledger order): a card holding more than it should
 * (EXCESS, or DOUBLE_SPEND when another terminal's sale started from the same balance: a clone
 * spent offline) flags the card; a card holding less (GAP) means records of some terminal have not
 * reached the caisse yet and resolves itself when they arrive (the ledger is recomputed).
 */
#ifndef SSA_LEDGER_H
#define SSA_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/card.h"
#include "ssa/err.h"
#include "ssa/grant.h"
#include "ssa/journal.h"

#define LEDGER_NO_RECORD SIZE_MAX
#define LEDGER_MAX_RECORDS 10000000

/* Anomaly kinds: name, whether it flags the card, and the sentence for the caisse. */
#define LEDGER_ANOMALIES(_) \
	_(GAP, false, "card holds less than the caisse's books: records of another terminal " \
		      "have not arrived yet") \
	_(EXCESS, true, "card holds more than the caisse's books: cloned or tampered card") \
	_(DOUBLE_SPEND, true, "spent from the same balance at two terminals: cloned card") \
	_(OVERDRAWN, true, "more spent than the caisse granted") \
	_(ARITHMETIC, true, "the record's balances do not match its amount") \
	_(GRANT_TWICE, true, "the same grant was applied to the card twice") \
	_(GRANT_UNKNOWN, true, "reload of a grant the caisse did not issue to this card, or of " \
			       "another amount") \
	_(RELOAD_POLICY, true, "reload did not expire the old balance as the caisse's policy says")

#define LEDGER_ANOMALY_ENUM_(name, flags, text) LEDGER_##name,
enum ledger_anomaly_kind { LEDGER_ANOMALIES(LEDGER_ANOMALY_ENUM_) LEDGER__ANOMALY_COUNT };
#undef LEDGER_ANOMALY_ENUM_

/* "DOUBLE_SPEND"; static storage. */
const char *ledger_anomaly_name(enum ledger_anomaly_kind k);
/* The sentence above; static storage. */
const char *ledger_anomaly_text(enum ledger_anomaly_kind k);
/* Whether an anomaly of kind @p k flags the card (all but GAP). */
bool ledger_anomaly_flags(enum ledger_anomaly_kind k);

struct ledger_params {
	int64_t opening;                /* balance written at issuance (ledger_opening) */
	enum card_reload_policy policy; /* the caisse's policy for the old balance at a reload
					 * whose grant batch is not given */
	int64_t rollover_cap;           /* CARD_RELOAD_ROLLOVER: most cents kept */
	/* Optional: the grant batches the caisse issued (any periods), to check every RELOAD
	 * against (GRANT_UNKNOWN) and to take its policy from (the batch's policy line); NULL/0:
	 * not checked.  With them, the card's serial and member id (0: none), since grants name
	 * one or the other. */
	const struct grant_batch *const *grants;
	size_t n_grants;
	uint64_t card_serial;
	uint64_t member_id;
};

/* One record in ledger order. */
struct ledger_step {
	size_t record;           /* index into the records given */
	int64_t expected_before; /* the caisse's books before it (may be negative: overdrawn) */
	int64_t expected_after;  /* and after it */
	bool mismatch;           /* balance_before != expected_before */
};

struct ledger_anomaly {
	enum ledger_anomaly_kind kind;
	size_t record;    /* index into the records given */
	size_t other;     /* the other record involved (DOUBLE_SPEND: the first spend;
			   * GRANT_TWICE: the first reload), else LEDGER_NO_RECORD */
	int64_t expected; /* GAP/EXCESS/DOUBLE_SPEND: the balance the card reported before;
			   * OVERDRAWN: 0; ARITHMETIC: the balance_after the amount implies;
			   * GRANT_TWICE, GRANT_UNKNOWN: 0; RELOAD_POLICY: the expired
			   * amount the policy gives */
	int64_t found;    /* what the record says (OVERDRAWN: the books after it, negative;
			   * GRANT_UNKNOWN: the amount credited; RELOAD_POLICY: expired) */
};

struct ledger_report {
	size_t n_steps;
	struct ledger_step *steps; /* owned, ledger order */
	size_t n_anomalies;
	struct ledger_anomaly *anomalies; /* owned, ledger order */
	size_t skipped;       /* records without card balances (no effect on the card), and
			       * copies of a RELOAD another terminal recorded too (same grant,
			       * balances and amounts): a grant counts once per card */
	int64_t balance;      /* the caisse's books after the last record */
	int64_t card_balance; /* the card's last reported balance_after (opening when none) */
	bool flagged;         /* an anomaly that flags the card */
	bool pending;         /* a GAP: recompute when more records arrive */
};

/* Rebuild the ledger of card @p card (the journal's card id) from @p n records @p recs (decoded
 * and verified by the caller; not modified, not kept).  SSA_ERR_LEDGER_INPUT when a record is of
 * another card, is a closing, or repeats a (terminal, seq) already given; SSA_ERR_OVERFLOW when
 * amounts add up out of range.  Records of the card without balances (a void or refund made
 * without the card) are skipped and counted.  @p out is initialised here (fini it, also on
 * error). */
enum ssa_err ledger_check(const char *card, const struct journal_record *const *recs, size_t n,
			  const struct ledger_params *params, struct ledger_report *out);

/* Free what @p r owns and zero it.  NULL is a no-op. */
void ledger_report_fini(struct ledger_report *r);

/* The balance card's story starts from, from its @p n records @p recs (any order): the caisse
 * does not know what a card was issued with, so it is the balance before of the card's first
 * record — one whose balance before no other record of the card ended at (the earliest such
 * by time, then terminal, then sequence), else the earliest record; 0 without records with
 * balances.  ssa-caissed and ssa-admin caisse ledger both start the card's ledger from it.
 * Quadratic in @p n (a card's records are few). */
int64_t ledger_opening(const struct journal_record *const *recs, size_t n);

#endif
