/* ssa/settlement.h — what the caisse owes each outlet, per period, from the terminals' journals.
 *
 * Pure.  The caisse feeds every stored record once (SALE, VOID, REFUND; others are ignored);
 * the settlement sums, per (establishment, period, terminal), the SSA tender of sales and of
 * voids and refunds, with their counts:
 *
 *     owed = SSA of sales - SSA of voids - SSA of refunds
 *
 * A record counts in the period (YYYYMM) of its own time: a void in April of a sale made in
 * March reduces April's statement.  The period of a time is UTC unless the caller gives a
 * function (the caisse's local time, computed in an adapter: the core has no time zone data).
 * Records with no SSA tender (ssa_covered 0) are not counted.  Amounts are int64_t cents,
 * overflow-checked.  docs/caisse.md has the CSV columns.
 */
#ifndef SSA_SETTLEMENT_H
#define SSA_SETTLEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/journal.h"

#define SETTLEMENT_TOTAL "*" /* the terminal column of an establishment's total row */

/* The period YYYYMM of @p time_ms (milliseconds since the epoch). */
typedef enum ssa_err settlement_period_fn(void *cls, int64_t time_ms, int32_t *period);

struct settlement_row {
	char establishment[JOURNAL_ID_MAX + 1];
	int32_t period; /* YYYYMM */
	char terminal[JOURNAL_ID_MAX + 1]; /* SETTLEMENT_TOTAL in total rows */
	uint64_t sales, voids, refunds;    /* records with an SSA tender */
	int64_t sales_ssa, voids_ssa, refunds_ssa;
	int64_t owed; /* sales_ssa - voids_ssa - refunds_ssa */
};

struct settlement {
	size_t n, cap;
	struct settlement_row *rows; /* per terminal, sorted by (establishment, period, terminal) */
	settlement_period_fn *period_of;
	void *cls;
};

/* Start an empty settlement.  @p period_of NULL: periods in UTC (settlement_period_utc). */
void settlement_init(struct settlement *s, settlement_period_fn *period_of, void *cls);
/* Free and zero.  NULL is a no-op. */
void settlement_fini(struct settlement *s);

/* The UTC period YYYYMM of @p time_ms (>= 0): a settlement_period_fn (@p cls unused). */
enum ssa_err settlement_period_utc(void *cls, int64_t time_ms, int32_t *period);

/* Count record @p r (its SSA tender, kind, terminal, time) for outlet @p outlet: the caisse's
 * (the outlet the terminal was attached to when it pushed the record), not the establishment
 * the record names.  Closings, reloads and records without SSA tender change nothing.
 * SSA_ERR_INVAL for an empty or too long outlet, an empty terminal or a negative SSA amount,
 * SSA_ERR_OVERFLOW when a sum leaves the money range (the settlement is then unchanged). */
enum ssa_err settlement_add_for(struct settlement *s, const char *outlet,
				const struct journal_record *r);

/* settlement_add_for the establishment @p r names (tests, journals without a caisse). */
enum ssa_err settlement_add(struct settlement *s, const struct journal_record *r);

/* The total of @p establishment for @p period (terminal SETTLEMENT_TOTAL) into @p out; a zero row
 * when nothing was counted. */
enum ssa_err settlement_total(const struct settlement *s, const char *establishment,
			      int32_t period, struct settlement_row *out);

/* The statement as CSV, separator @p sep (',' or ';'): a header line
 *   period,establishment,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed
 * then, for each (establishment, period) in order, one row per terminal and the total row
 * (terminal "*").  Amounts are decimal euros "12.50".  @p establishment NULL: all; @p period 0:
 * all.  @p *out malloc'd, NUL-terminated, owned by the caller. */
enum ssa_err settlement_csv(const struct settlement *s, const char *establishment, int32_t period,
			    char sep, char **out, size_t *len);

#endif
