/* settlement.c — what the caisse owes each outlet per period (ssa/settlement.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/money.h"
#include "ssa/settlement.h"
#include "ssa/strbuf.h"

void
settlement_init(struct settlement *s, settlement_period_fn *period_of, void *cls)
{
	memset(s, 0, sizeof(*s));
	s->period_of = period_of != NULL ? period_of : settlement_period_utc;
	s->cls = cls;
}

void
settlement_fini(struct settlement *s)
{
	if (s == NULL)
		return;
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

enum ssa_err
settlement_period_utc(void *cls, int64_t time_ms, int32_t *period)
{
	int64_t z, era, doe, yoe, doy, mp, y, m;

	(void)cls;
	if (time_ms < 0 || period == NULL)
		return SSA_ERR_INVAL;
	/* Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar), after Howard
	 * Hinnant's days_from_civil inverse; exact integer arithmetic. */
	z = time_ms / 86400000 + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y > 9999)
		return SSA_ERR_INVAL;
	*period = (int32_t)(y * 100 + m);
	return SSA_ERR_OK;
}

static int
key_cmp(const char *est, int32_t period, const char *term, const struct settlement_row *r)
{
	int c = strcmp(est, r->establishment);

	if (c != 0)
		return c;
	if (period != r->period)
		return period < r->period ? -1 : 1;
	return strcmp(term, r->terminal);
}

/* Index of the first row not below the key. */
static size_t
lower_bound(const struct settlement *s, const char *est, int32_t period, const char *term)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(est, period, term, &s->rows[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
id_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n > 0 && n < size;
}

enum ssa_err
settlement_add(struct settlement *s, const struct journal_record *r)
{
	if (r == NULL)
		return SSA_ERR_INVAL;
	return settlement_add_for(s, r->establishment, r);
}

enum ssa_err
settlement_add_for(struct settlement *s, const char *outlet, const struct journal_record *r)
{
	struct settlement_row row;
	int32_t period;
	size_t i;
	enum ssa_err e = SSA_ERR_OK;

	if (s == NULL || r == NULL || outlet == NULL)
		return SSA_ERR_INVAL;
	if (r->kind != JOURNAL_SALE && r->kind != JOURNAL_VOID && r->kind != JOURNAL_REFUND)
		return SSA_ERR_OK;
	if (r->ssa_covered == 0)
		return SSA_ERR_OK;
	if (r->ssa_covered < 0 || !id_ok(outlet, sizeof(row.establishment)) ||
	    !id_ok(r->terminal, sizeof(r->terminal)) || strcmp(r->terminal, SETTLEMENT_TOTAL) == 0)
		return SSA_ERR_INVAL;
	if ((e = s->period_of(s->cls, r->time_ms, &period)) != SSA_ERR_OK)
		return e;
	i = lower_bound(s, outlet, period, r->terminal);
	if (i < s->n && key_cmp(outlet, period, r->terminal, &s->rows[i]) == 0) {
		row = s->rows[i];
	} else {
		memset(&row, 0, sizeof(row));
		memcpy(row.establishment, outlet, strlen(outlet) + 1);
		memcpy(row.terminal, r->terminal, sizeof(row.terminal));
		row.period = period;
	}
	/* Sums on a copy: an overflow leaves the settlement as it was. */
	switch (r->kind) {
	case JOURNAL_SALE:
		row.sales++;
		e = money_add(row.sales_ssa, r->ssa_covered, &row.sales_ssa);
		if (e == SSA_ERR_OK)
			e = money_add(row.owed, r->ssa_covered, &row.owed);
		break;
	case JOURNAL_VOID:
		row.voids++;
		e = money_add(row.voids_ssa, r->ssa_covered, &row.voids_ssa);
		if (e == SSA_ERR_OK)
			e = money_sub(row.owed, r->ssa_covered, &row.owed);
		break;
	default:
		row.refunds++;
		e = money_add(row.refunds_ssa, r->ssa_covered, &row.refunds_ssa);
		if (e == SSA_ERR_OK)
			e = money_sub(row.owed, r->ssa_covered, &row.owed);
	}
	if (e != SSA_ERR_OK)
		return e;
	if (i < s->n && key_cmp(outlet, period, r->terminal, &s->rows[i]) == 0) {
		s->rows[i] = row;
		return SSA_ERR_OK;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->rows, nc * sizeof(*s->rows));
		if (p == NULL)
			return SSA_ERR_NOMEM;
		s->rows = p;
		s->cap = nc;
	}
	memmove(&s->rows[i + 1], &s->rows[i], (s->n - i) * sizeof(*s->rows));
	s->rows[i] = row;
	s->n++;
	return SSA_ERR_OK;
}

/* Add row @p r into total @p t. */
static enum ssa_err
accumulate(struct settlement_row *t, const struct settlement_row *r)
{
	enum ssa_err e;

	t->sales += r->sales;
	t->voids += r->voids;
	t->refunds += r->refunds;
	if ((e = money_add(t->sales_ssa, r->sales_ssa, &t->sales_ssa)) != SSA_ERR_OK ||
	    (e = money_add(t->voids_ssa, r->voids_ssa, &t->voids_ssa)) != SSA_ERR_OK ||
	    (e = money_add(t->refunds_ssa, r->refunds_ssa, &t->refunds_ssa)) != SSA_ERR_OK ||
	    (e = money_add(t->owed, r->owed, &t->owed)) != SSA_ERR_OK)
		return e;
	return SSA_ERR_OK;
}

static void
total_init(struct settlement_row *t, const char *establishment, int32_t period)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->establishment, sizeof(t->establishment), "%s", establishment);
	t->period = period;
	strcpy(t->terminal, SETTLEMENT_TOTAL);
}

enum ssa_err
settlement_total(const struct settlement *s, const char *establishment, int32_t period,
		 struct settlement_row *out)
{
	enum ssa_err e;

	if (s == NULL || establishment == NULL || out == NULL)
		return SSA_ERR_INVAL;
	total_init(out, establishment, period);
	for (size_t i = lower_bound(s, establishment, period, ""); i < s->n; i++) {
		const struct settlement_row *r = &s->rows[i];
		if (strcmp(r->establishment, establishment) != 0 || r->period != period)
			break;
		if ((e = accumulate(out, r)) != SSA_ERR_OK)
			return e;
	}
	return SSA_ERR_OK;
}

static void
csv_row(struct strbuf *b, const struct settlement_row *r, char sep)
{
	char a[4][32];

	money_format_plain(r->sales_ssa, a[0], sizeof(a[0]));
	money_format_plain(r->voids_ssa, a[1], sizeof(a[1]));
	money_format_plain(r->refunds_ssa, a[2], sizeof(a[2]));
	money_format_plain(r->owed, a[3], sizeof(a[3]));
	strbuf_printf(b, "%06d%c", (int)r->period, sep);
	strbuf_add_csv(b, r->establishment, sep);
	strbuf_printf(b, "%c", sep);
	strbuf_add_csv(b, r->terminal, sep);
	strbuf_printf(b, "%c%llu%c%s%c%llu%c%s%c%llu%c%s%c%s\n", sep,
		      (unsigned long long)r->sales, sep, a[0], sep, (unsigned long long)r->voids,
		      sep, a[1], sep, (unsigned long long)r->refunds, sep, a[2], sep, a[3]);
}

enum ssa_err
settlement_csv(const struct settlement *s, const char *establishment, int32_t period, char sep,
	       char **out, size_t *len)
{
	struct strbuf b = { 0 };
	struct settlement_row total;
	enum ssa_err e;

	if (s == NULL || out == NULL || len == NULL || (sep != ',' && sep != ';'))
		return SSA_ERR_INVAL;
	strbuf_printf(&b, "period%cestablishment%cterminal%csales%csales_ssa%cvoids%cvoids_ssa%c"
			  "refunds%crefunds_ssa%cowed\n",
		      sep, sep, sep, sep, sep, sep, sep, sep, sep);
	for (size_t i = 0; i < s->n;) {
		const struct settlement_row *first = &s->rows[i];
		size_t j = i;
		bool wanted = (establishment == NULL ||
			       strcmp(first->establishment, establishment) == 0) &&
			      (period == 0 || first->period == period);

		total_init(&total, first->establishment, first->period);
		for (; j < s->n && strcmp(s->rows[j].establishment, first->establishment) == 0 &&
		       s->rows[j].period == first->period;
		     j++) {
			if (!wanted)
				continue;
			csv_row(&b, &s->rows[j], sep);
			if ((e = accumulate(&total, &s->rows[j])) != SSA_ERR_OK) {
				strbuf_fini(&b);
				return e;
			}
		}
		if (wanted)
			csv_row(&b, &total, sep);
		i = j;
	}
	return strbuf_finish(&b, out, len);
}
