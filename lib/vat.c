/* vat.c — configured VAT rates and totals per rate (see ssa/vat.h for the method). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/money.h"
#include "ssa/vat.h"

enum ssa_err
vat_rates_parse(const char *text, struct vat_rates *out)
{
	struct vat_rates r = { 0 };
	char buf[32];
	const char *p = text;

	if (text == NULL)
		return SSA_ERR_INVAL;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		int64_t bp;
		size_t i;

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(buf))
			return SSA_ERR_INVAL;
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (money_parse_rate(buf, &bp) != SSA_ERR_OK || bp > 10000)
			return SSA_ERR_INVAL;
		if (r.n == VAT_MAX_RATES)
			return SSA_ERR_INVAL;
		for (i = 0; i < r.n && r.bp[i] < bp; i++)
			;
		if (i < r.n && r.bp[i] == bp)
			return SSA_ERR_INVAL;
		memmove(&r.bp[i + 1], &r.bp[i], (r.n - i) * sizeof(r.bp[0]));
		r.bp[i] = bp;
		r.n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (r.n == 0)
		return SSA_ERR_INVAL;
	*out = r;
	return SSA_ERR_OK;
}

size_t
vat_rate_format(int64_t bp, char *buf, size_t size)
{
	int n;

	if (bp % 100 == 0)
		n = snprintf(buf, size, "%lld", (long long)(bp / 100));
	else if (bp % 10 == 0)
		n = snprintf(buf, size, "%lld.%lld", (long long)(bp / 100),
			     (long long)(bp % 100 / 10));
	else
		n = snprintf(buf, size, "%lld.%02lld", (long long)(bp / 100), (long long)(bp % 100));
	return n < 0 ? 0 : (size_t)n;
}

size_t
vat_rates_format(const struct vat_rates *rates, char *buf, size_t size)
{
	size_t used = 0;

	if (size > 0)
		buf[0] = '\0';
	if (rates == NULL || rates->n == 0)
		return (size_t)snprintf(buf, size, "any");
	for (size_t i = 0; i < rates->n; i++) {
		char r[32];
		int n;

		vat_rate_format(rates->bp[i], r, sizeof(r));
		n = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, "%s%s",
			     i ? ", " : "", r);
		if (n > 0)
			used += (size_t)n;
	}
	return used;
}

int
vat_rates_contains(const struct vat_rates *rates, int64_t bp)
{
	if (rates == NULL || rates->n == 0)
		return bp >= 0 && bp <= 10000;
	for (size_t i = 0; i < rates->n; i++)
		if (rates->bp[i] == bp)
			return 1;
	return 0;
}

void
vat_summary_init(struct vat_summary *s)
{
	memset(s, 0, sizeof(*s));
}

/* Index of @p rate_bp in @p s, inserting an empty slot in rate order when absent; -1 if full. */
static int
slot(struct vat_summary *s, int64_t rate_bp)
{
	size_t i;

	for (i = 0; i < s->n && s->rates[i].rate_bp < rate_bp; i++)
		;
	if (i < s->n && s->rates[i].rate_bp == rate_bp)
		return (int)i;
	if (s->n == VAT_MAX_RATES)
		return -1;
	memmove(&s->rates[i + 1], &s->rates[i], (s->n - i) * sizeof(s->rates[0]));
	memset(&s->rates[i], 0, sizeof(s->rates[i]));
	s->rates[i].rate_bp = rate_bp;
	s->n++;
	return (int)i;
}

enum ssa_err
vat_summary_add(struct vat_summary *s, int64_t rate_bp, int64_t gross)
{
	struct vat_summary tmp = *s;
	enum ssa_err err;
	int i;

	if (rate_bp < 0 || rate_bp > 10000)
		return SSA_ERR_INVAL;
	i = slot(&tmp, rate_bp);
	if (i < 0)
		return SSA_ERR_TOO_LONG;
	err = money_add(tmp.rates[i].gross, gross, &tmp.rates[i].gross);
	if (err != SSA_ERR_OK)
		return err;
	*s = tmp;
	return SSA_ERR_OK;
}

enum ssa_err
vat_summary_finish(struct vat_summary *s)
{
	for (size_t i = 0; i < s->n; i++) {
		enum ssa_err err = money_vat_of_gross(s->rates[i].gross, s->rates[i].rate_bp,
						      &s->rates[i].vat, &s->rates[i].net);
		if (err != SSA_ERR_OK)
			return err;
	}
	return SSA_ERR_OK;
}

enum ssa_err
vat_summary_merge(struct vat_summary *total, const struct vat_summary *sale)
{
	struct vat_summary tmp = *total;
	enum ssa_err err;

	for (size_t j = 0; j < sale->n; j++) {
		const struct vat_total *v = &sale->rates[j];
		int i = slot(&tmp, v->rate_bp);

		if (i < 0)
			return SSA_ERR_TOO_LONG;
		if ((err = money_add(tmp.rates[i].gross, v->gross, &tmp.rates[i].gross)) ||
		    (err = money_add(tmp.rates[i].vat, v->vat, &tmp.rates[i].vat)) ||
		    (err = money_add(tmp.rates[i].net, v->net, &tmp.rates[i].net)))
			return err;
	}
	*total = tmp;
	return SSA_ERR_OK;
}
