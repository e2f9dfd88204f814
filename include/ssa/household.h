/* ssa/household.h — the caisse's monthly allocation rule for a household, as data.
 *
 * Pure.  The rule is text the caisse can change without a new program (docs/caisse.md):
 *
 *     ssa-household-rules,1
 *     base,150.00          the household's first member (the eldest)
 *     adult,75.00          each other member aged child_age or more on the period's first day
 *     child,40.00          each other member younger than child_age
 *     child_age,14
 *     cap,400.00           optional: no household gets more
 *
 * Amounts are euros with at most two decimals ("150", "150.5", "150.50"), held as cents.  '#'
 * lines and blank lines are ignored; every key but cap is required, once.  Ages are whole years
 * reached on the first day of the period (passed in: the core has no clock); a member born after
 * that day is refused.
 */
#ifndef SSA_HOUSEHOLD_H
#define SSA_HOUSEHOLD_H

#include <stddef.h>
#include <stdint.h>

#include "ssa/convention.h"
#include "ssa/err.h"

#define HOUSEHOLD_FORMAT_VERSION 1
#define HOUSEHOLD_NO_CAP (-1)
#define HOUSEHOLD_MAX_MEMBERS 64
#define HOUSEHOLD_MAX_TEXT (64 * 1024)

struct household_rules {
	int64_t base;   /* cents, the first (eldest) member */
	int64_t adult;  /* cents per other member aged >= child_age */
	int64_t child;  /* cents per other member aged < child_age */
	int32_t child_age; /* years, 1..30 */
	int64_t cap;    /* cents, or HOUSEHOLD_NO_CAP */
};

/* Parse @p len bytes of rules text (format above) into @p out.  SSA_ERR_HOUSEHOLD_RULES with
 * @p err (may be NULL) saying which line and why, for anything else. */
enum ssa_err household_rules_parse(const char *text, size_t len, struct household_rules *out,
				   struct convention_error *err);

/* Write @p r in the format above into malloc'd NUL-terminated @p *out (caller frees). */
enum ssa_err household_rules_format(const struct household_rules *r, char **out, size_t *len);

/* Age in whole years on day @p day (YYYYMMDD) of a person born on @p birth (YYYYMMDD); a person
 * born on 29 February has a birthday on 1 March in other years.  SSA_ERR_HOUSEHOLD_MEMBER when a
 * date is not a calendar day or @p birth is after @p day. */
enum ssa_err household_age(int32_t birth, int32_t day, int32_t *age);

/* The first day YYYYMM01 of period @p period (YYYYMM); SSA_ERR_INVAL when it is not one. */
enum ssa_err household_period_first_day(int32_t period, int32_t *day);

/* The monthly amount for a household of @p n members (1..HOUSEHOLD_MAX_MEMBERS) born on
 * @p births (YYYYMMDD, any order) for period @p period (YYYYMM): base for the eldest, adult or
 * child for each other member by age on the period's first day, then the cap.  @p adults and
 * @p children (may be NULL) receive how many members counted as such (the eldest included). */
enum ssa_err household_amount(const struct household_rules *r, const int32_t *births, size_t n,
			      int32_t period, int64_t *amount, unsigned *adults,
			      unsigned *children);

#endif
