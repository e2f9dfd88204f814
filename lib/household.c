/* household.c — the monthly allocation of a household from the caisse's rules (ssa/household.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/household.h"
#include "ssa/money.h"
#include "ssa/strbuf.h"

static enum ssa_err
fail(struct convention_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return SSA_ERR_HOUSEHOLD_RULES;
}

/* "150", "150.5", "150.50" -> cents; nothing else (no sign, no spaces, no thousands). */
static bool
parse_euros(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0, dec = 0;

	if (s[0] < '0' || s[0] > '9')
		return false;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i >= 9)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	v *= 100;
	if (s[i] == '.') {
		i++;
		for (; s[i] >= '0' && s[i] <= '9'; i++, dec++) {
			if (dec == 2)
				return false;
			v += (s[i] - '0') * (dec == 0 ? 10 : 1);
		}
		if (dec == 0)
			return false;
	}
	if (s[i] != '\0')
		return false;
	*out = v;
	return true;
}

enum ssa_err
household_rules_parse(const char *text, size_t len, struct household_rules *out,
		      struct convention_error *err)
{
	static const char *const keys[] = { "base", "adult", "child", "child_age", "cap" };
	struct household_rules r = { .cap = HOUSEHOLD_NO_CAP };
	bool seen[5] = { false };
	char line[128];
	size_t pos = 0;
	unsigned lineno = 0;
	bool magic = false;

	if (err != NULL) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (len > HOUSEHOLD_MAX_TEXT)
		return fail(err, 0, "rules longer than %d bytes", HOUSEHOLD_MAX_TEXT);
	while (pos < len) {
		size_t n = 0;
		char *comma, *val;
		int k;

		lineno++;
		while (pos < len && text[pos] != '\n') {
			unsigned char c = (unsigned char)text[pos++];
			if (c == '\r' && (pos == len || text[pos] == '\n'))
				continue;
			if (c < 0x20 || c == 0x7f)
				return fail(err, lineno, "control character 0x%02x in the line", c);
			if (n + 1 >= sizeof(line))
				return fail(err, lineno, "line longer than %zu bytes", sizeof(line) - 1);
			line[n++] = (char)c;
		}
		pos++; /* the newline */
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (!magic) {
			if (strcmp(line, "ssa-household-rules,1") != 0)
				return fail(err, lineno,
					    "not household rules: first line must be "
					    "'ssa-household-rules,%d'",
					    HOUSEHOLD_FORMAT_VERSION);
			magic = true;
			continue;
		}
		comma = strchr(line, ',');
		if (comma == NULL || strchr(comma + 1, ',') != NULL)
			return fail(err, lineno, "expected 'key,value'");
		*comma = '\0';
		val = comma + 1;
		for (k = 0; k < 5; k++)
			if (strcmp(line, keys[k]) == 0)
				break;
		if (k == 5)
			return fail(err, lineno,
				    "unknown key '%s' (base, adult, child, child_age, cap)", line);
		if (seen[k])
			return fail(err, lineno, "key '%s' given twice", line);
		seen[k] = true;
		if (k == 3) {
			int64_t age = 0;
			size_t i;
			for (i = 0; val[i] >= '0' && val[i] <= '9' && i < 3; i++)
				age = age * 10 + (val[i] - '0');
			if (i == 0 || val[i] != '\0' || age < 1 || age > 30)
				return fail(err, lineno, "child_age '%s' is not a whole number 1..30",
					    val);
			r.child_age = (int32_t)age;
			continue;
		}
		int64_t v;
		if (!parse_euros(val, &v))
			return fail(err, lineno,
				    "%s '%s' is not an amount in euros (at most two decimals)",
				    line, val);
		if (v > MONEY_MAX / 1000)
			return fail(err, lineno, "%s '%s' is too large", line, val);
		switch (k) {
		case 0:
			r.base = v;
			break;
		case 1:
			r.adult = v;
			break;
		case 2:
			r.child = v;
			break;
		default:
			r.cap = v;
		}
	}
	if (!magic)
		return fail(err, lineno + 1, "empty rules");
	for (int k = 0; k < 4; k++)
		if (!seen[k])
			return fail(err, lineno + 1, "key '%s' is missing", keys[k]);
	if (r.cap != HOUSEHOLD_NO_CAP && r.cap < r.base)
		return fail(err, lineno + 1, "cap is below the base amount");
	*out = r;
	return SSA_ERR_OK;
}

enum ssa_err
household_rules_format(const struct household_rules *r, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	char a[32];

	strbuf_printf(&b, "ssa-household-rules,%d\n", HOUSEHOLD_FORMAT_VERSION);
	money_format_plain(r->base, a, sizeof(a));
	strbuf_printf(&b, "base,%s\n", a);
	money_format_plain(r->adult, a, sizeof(a));
	strbuf_printf(&b, "adult,%s\n", a);
	money_format_plain(r->child, a, sizeof(a));
	strbuf_printf(&b, "child,%s\n", a);
	strbuf_printf(&b, "child_age,%d\n", (int)r->child_age);
	if (r->cap != HOUSEHOLD_NO_CAP) {
		money_format_plain(r->cap, a, sizeof(a));
		strbuf_printf(&b, "cap,%s\n", a);
	}
	return strbuf_finish(&b, out, len);
}

static bool
valid_day(int32_t d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = d / 10000, m = d / 100 % 100, day = d % 100, dim;

	if (d < 10000101 || d > 99991231 || m < 1 || m > 12 || day < 1)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	return day <= dim;
}

enum ssa_err
household_age(int32_t birth, int32_t day, int32_t *age)
{
	int32_t a;

	if (!valid_day(birth) || !valid_day(day) || birth > day)
		return SSA_ERR_HOUSEHOLD_MEMBER;
	/* Whole years: the month-day of @p day compared to the birthday's.  Someone born on
	 * 29 February reaches the age on 1 March in common years (0301 > 0229 > 0228). */
	a = day / 10000 - birth / 10000;
	if (day % 10000 < birth % 10000)
		a--;
	*age = a;
	return SSA_ERR_OK;
}

enum ssa_err
household_period_first_day(int32_t period, int32_t *day)
{
	int32_t d = period * 100 + 1;

	if (period < 100001 || period > 999912 || !valid_day(d))
		return SSA_ERR_INVAL;
	*day = d;
	return SSA_ERR_OK;
}

enum ssa_err
household_amount(const struct household_rules *r, const int32_t *births, size_t n,
		 int32_t period, int64_t *amount, unsigned *adults, unsigned *children)
{
	int32_t first, eldest_age = -1, age;
	size_t eldest = 0;
	unsigned na = 0, nc = 0;
	int64_t total = 0;
	enum ssa_err e;

	if (r == NULL || amount == NULL || births == NULL || n == 0 || n > HOUSEHOLD_MAX_MEMBERS)
		return SSA_ERR_INVAL;
	if ((e = household_period_first_day(period, &first)) != SSA_ERR_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		if ((e = household_age(births[i], first, &age)) != SSA_ERR_OK)
			return e;
		if (age > eldest_age) {
			eldest_age = age;
			eldest = i;
		}
	}
	total = r->base;
	for (size_t i = 0; i < n; i++) {
		household_age(births[i], first, &age);
		if (age >= r->child_age)
			na++;
		else
			nc++;
		if (i == eldest)
			continue;
		if ((e = money_add(total, age >= r->child_age ? r->adult : r->child, &total)) !=
		    SSA_ERR_OK)
			return e;
	}
	if (r->cap != HOUSEHOLD_NO_CAP && total > r->cap)
		total = r->cap;
	*amount = total;
	if (adults != NULL)
		*adults = na;
	if (children != NULL)
		*children = nc;
	return SSA_ERR_OK;
}
