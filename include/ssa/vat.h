/* ssa/vat.h — VAT rates as configuration, and the one method for a sale's totals per rate.
 *
 * Rates are basis points (550 = 5.50 %).  They are never hard-coded: the configured set
 * (France 210/550/1000/2000, Belgium 600/1200/2100, ...) is a struct vat_rates filled from the
 * configuration file, and the catalog refuses a product whose rate is not in it.
 *
 * The method, written down once and used by the screen, the receipt, the journal and the
 * closings: every line carries its VAT-inclusive amount and its rate; per rate, the
 * VAT-inclusive amounts are summed, and the VAT contained in that sum is computed once with
 * money_vat_of_gross (gross x rate / (10000 + rate), half up to the cent); excluding VAT =
 * sum - VAT.  The SSA allocation is a tender, never a discount: it does not change these bases.
 * A closing adds up the per-rate figures of its sales as they were printed (vat_summary_merge),
 * it never recomputes VAT on the period's sum, so that a Z equals the sum of its receipts.
 */
#ifndef SSA_VAT_H
#define SSA_VAT_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

#define VAT_MAX_RATES 8

/* The configured rates of an establishment. */
struct vat_rates {
	size_t n;
	int64_t bp[VAT_MAX_RATES];
};

/* Parse a configuration value such as "2.1, 5.5, 10, 20" into @p out (sorted, no duplicate).
 * SSA_ERR_INVAL on a bad rate, a duplicate, or more than VAT_MAX_RATES rates. */
enum ssa_err vat_rates_parse(const char *text, struct vat_rates *out);

/* Write rate @p bp as in the configuration: "5.5", "20", "12.25" (no % sign).  snprintf
 * semantics. */
size_t vat_rate_format(int64_t bp, char *buf, size_t size);

/* Write @p rates as in the configuration, "5.5, 10, 20" ("any" for an empty set); cut to fit.
 * snprintf semantics. */
size_t vat_rates_format(const struct vat_rates *rates, char *buf, size_t size);

/* True when @p bp is one of @p rates (an empty set accepts every rate from 0 to 100 %). */
int vat_rates_contains(const struct vat_rates *rates, int64_t bp);

/* One rate's totals: VAT-inclusive, VAT, excluding VAT (gross = net + vat), in cents. */
struct vat_total {
	int64_t rate_bp;
	int64_t gross;
	int64_t vat;
	int64_t net;
};

/* Totals per rate of one sale (or of a closing), sorted by ascending rate. */
struct vat_summary {
	size_t n;
	struct vat_total rates[VAT_MAX_RATES];
};

/* Empty summary. */
void vat_summary_init(struct vat_summary *s);

/* Add one line's VAT-inclusive amount @p gross at @p rate_bp to @p s (gross only; vat/net are
 * computed by vat_summary_finish).  SSA_ERR_OVERFLOW; SSA_ERR_TOO_LONG when a
 * ninth rate appears; @p s unchanged on error. */
enum ssa_err vat_summary_add(struct vat_summary *s, int64_t rate_bp, int64_t gross);

/* Compute vat and net of every rate from its gross sum (the documented method). */
enum ssa_err vat_summary_finish(struct vat_summary *s);

/* Closings: add the finished per-rate figures of @p sale into @p total without recomputing
 * (gross, vat and net are each summed).  @p total unchanged on error. */
enum ssa_err vat_summary_merge(struct vat_summary *total, const struct vat_summary *sale);

#endif
