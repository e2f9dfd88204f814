/* ssa/money.h — amounts of money, quantities and weights.
 *
 * Money is int64_t cents (euro cents), always.  Every operation that can overflow is checked and
 * returns SSA_ERR_OVERFLOW, leaving the result untouched.  No floating point anywhere.
 *
 * Quantities of pieces are whole numbers; weights are grams; rates (VAT, coverage) are in
 * hundredths of a percent ("basis points": 550 = 5.50 %, 10000 = 100 %).
 *
 * The rounding rule, written down once (docs/ARCHITECTURE.md repeats it): whenever a product of
 * cents by a fraction is not a whole number of cents, it is rounded half up to the cent, i.e. to
 * the nearest cent, and exactly half a cent goes away from zero.  It is used for weighed items
 * (price per kg x grams / 1000), for partial coverage (amount x rate / 10000), and for VAT
 * (see money_vat_of_gross).
 */
#ifndef SSA_MONEY_H
#define SSA_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"

/* The largest amount ssa-pos accepts anywhere: 10^13 cents (100 billion euro).  Staying far from
 * INT64_MAX lets intermediate products (amount x grams, amount x basis points) fit in 128 bits
 * trivially and keeps every total of a day's journal representable. */
#define MONEY_MAX INT64_C(10000000000000)

enum money_locale { MONEY_FR, MONEY_EN };

/* @p *out = a + b.  SSA_ERR_OVERFLOW if |result| > MONEY_MAX or an operand is out of range. */
enum ssa_err money_add(int64_t a, int64_t b, int64_t *out);

/* @p *out = a - b.  Same range rule as money_add. */
enum ssa_err money_sub(int64_t a, int64_t b, int64_t *out);

/* @p *out = unit_price x qty (a whole number of pieces, may be negative for returns). */
enum ssa_err money_mul_qty(int64_t unit_price, int64_t qty, int64_t *out);

/* @p *out = price_per_kg x grams / 1000, rounded half up to the cent. */
enum ssa_err money_mul_weight(int64_t price_per_kg, int64_t grams, int64_t *out);

/* @p *out = amount x bp / 10000, rounded half up to the cent (bp: basis points, 0..10000 and
 * beyond for tax-exclusive computations).  Used for partial coverage. */
enum ssa_err money_apply_rate(int64_t amount, int64_t bp, int64_t *out);

/* VAT contained in a VAT-inclusive amount @p gross at rate @p rate_bp:
 * vat = gross x rate / (10000 + rate), rounded half up to the cent.  @p *net = gross - vat. */
enum ssa_err money_vat_of_gross(int64_t gross, int64_t rate_bp, int64_t *vat, int64_t *net);

/* Smaller of two amounts. */
int64_t money_min(int64_t a, int64_t b);

/* Format @p cents for a person: MONEY_FR "12,50 €", "-0,05 €", "1 234,50 €" (a narrow no-break
 * space U+202F groups thousands, a no-break space U+00A0 stands before €); MONEY_EN "€12.50", "-€0.05", "€1,234.50".  Writes at most
 * @p size bytes including the NUL into @p buf; returns the length that was needed (snprintf
 * semantics).  UTF-8. */
size_t money_format(int64_t cents, enum money_locale loc, char *buf, size_t size);

/* Format as a plain machine decimal "12.50", "-0.05" (CSV exports, protocol amounts in text). */
size_t money_format_plain(int64_t cents, char *buf, size_t size);

/* Parse a decimal amount as a person or a CSV file writes it: "12", "12.5", "12,50", "-3.05",
 * "1 234,50", optional trailing "€" or leading "€".  More than two decimals is refused.
 * SSA_ERR_INVAL on anything else; SSA_ERR_OVERFLOW beyond MONEY_MAX. */
enum ssa_err money_parse(const char *text, int64_t *cents);

/* Parse a rate written "5.5", "5,5", "20", "5.50%" into basis points (550).  At most two
 * decimals; 0 <= rate <= 10000 %. */
enum ssa_err money_parse_rate(const char *text, int64_t *bp);

/* Parse a non-negative decimal "1,5", "0.250", "2" into an integer scaled by 10^decimals
 * (decimals 0..6): "1,5" with 3 decimals gives 1500.  Used for quantities in thousandths and
 * weights.  More decimals than allowed, or a value above @p limit, is refused. */
enum ssa_err decimal_parse(const char *text, int decimals, int64_t limit, int64_t *out);

#endif
