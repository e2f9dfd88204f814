/* money.c — int64 cents, checked arithmetic, the one rounding rule, formatting and parsing.
 * See ssa/money.h for the contract.  Intermediate products use __int128 so that no operation
 * on in-range operands can overflow before the range check. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ssa/money.h"

static int
in_range(__int128 v)
{
	return v >= -(__int128)MONEY_MAX && v <= (__int128)MONEY_MAX;
}

static enum ssa_err
store(__int128 v, int64_t *out)
{
	if (!in_range(v))
		return SSA_ERR_OVERFLOW;
	*out = (int64_t)v;
	return SSA_ERR_OK;
}

/* num / den rounded half away from zero; den > 0. */
static __int128
div_round_half_up(__int128 num, __int128 den)
{
	__int128 q = num / den, r = num % den;

	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	return q;
}

enum ssa_err
money_add(int64_t a, int64_t b, int64_t *out)
{
	if (!in_range(a) || !in_range(b))
		return SSA_ERR_OVERFLOW;
	return store((__int128)a + b, out);
}

enum ssa_err
money_sub(int64_t a, int64_t b, int64_t *out)
{
	if (!in_range(a) || !in_range(b))
		return SSA_ERR_OVERFLOW;
	return store((__int128)a - b, out);
}

enum ssa_err
money_mul_qty(int64_t unit_price, int64_t qty, int64_t *out)
{
	if (!in_range(unit_price) || !in_range(qty))
		return SSA_ERR_OVERFLOW;
	return store((__int128)unit_price * qty, out);
}

enum ssa_err
money_mul_weight(int64_t price_per_kg, int64_t grams, int64_t *out)
{
	if (!in_range(price_per_kg) || !in_range(grams))
		return SSA_ERR_OVERFLOW;
	return store(div_round_half_up((__int128)price_per_kg * grams, 1000), out);
}

enum ssa_err
money_apply_rate(int64_t amount, int64_t bp, int64_t *out)
{
	if (!in_range(amount) || bp < 0 || bp > 1000000)
		return bp < 0 ? SSA_ERR_NEGATIVE : SSA_ERR_OVERFLOW;
	return store(div_round_half_up((__int128)amount * bp, 10000), out);
}

enum ssa_err
money_vat_of_gross(int64_t gross, int64_t rate_bp, int64_t *vat, int64_t *net)
{
	__int128 v;

	if (!in_range(gross) || rate_bp < 0 || rate_bp > 1000000)
		return rate_bp < 0 ? SSA_ERR_NEGATIVE : SSA_ERR_OVERFLOW;
	v = div_round_half_up((__int128)gross * rate_bp, 10000 + (__int128)rate_bp);
	*vat = (int64_t)v;
	*net = (int64_t)(gross - v);
	return SSA_ERR_OK;
}

int64_t
money_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Digits of |cents| / 100 grouped by @p sep every three digits, into buf (no NUL limit check:
 * buf has room for 64 bytes). */
static size_t
group_units(uint64_t units, const char *sep, char *buf)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)units);
	size_t len = 0, seplen = strlen(sep);

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			memcpy(buf + len, sep, seplen);
			len += seplen;
		}
		buf[len++] = digits[i];
	}
	buf[len] = '\0';
	return len;
}

size_t
money_format(int64_t cents, enum money_locale loc, char *buf, size_t size)
{
	/* INT64_MIN has no positive counterpart; go through uint64. */
	uint64_t abs = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char units[64];
	int n;

	if (loc == MONEY_FR) {
		group_units(abs / 100, "\u202f", units);
		n = snprintf(buf, size, "%s%s,%02u\u00a0€", cents < 0 ? "-" : "", units,
		             (unsigned)(abs % 100));
	} else {
		group_units(abs / 100, ",", units);
		n = snprintf(buf, size, "%s€%s.%02u", cents < 0 ? "-" : "", units, (unsigned)(abs % 100));
	}
	return n < 0 ? 0 : (size_t)n;
}

size_t
money_format_plain(int64_t cents, char *buf, size_t size)
{
	uint64_t abs = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	int n = snprintf(buf, size, "%s%llu.%02u", cents < 0 ? "-" : "",
	                 (unsigned long long)(abs / 100), (unsigned)(abs % 100));
	return n < 0 ? 0 : (size_t)n;
}

/* Parse an unsigned decimal with at most @p max_decimals decimals into an integer scaled by
 * 10^max_decimals.  Accepts '.' or ',' as the decimal mark and, in the integer part, spaces,
 * no-break spaces (U+00A0, U+202F) as group separators.  *p advances past what was read. */
static enum ssa_err
parse_scaled(const char **p, int max_decimals, __int128 limit, int64_t *out)
{
	const char *s = *p;
	__int128 v = 0;
	int digits = 0, decimals = -1;

	for (;;) {
		if (isdigit((unsigned char)*s)) {
			if (decimals >= 0 && ++decimals > max_decimals)
				return SSA_ERR_INVAL;
			v = v * 10 + (*s - '0');
			if (v > limit * 1000)
				return SSA_ERR_OVERFLOW;
			digits++;
			s++;
		} else if ((*s == '.' || *s == ',') && decimals < 0 && digits > 0) {
			decimals = 0;
			s++;
		} else if (decimals < 0 && digits > 0 && *s == ' ' && isdigit((unsigned char)s[1])) {
			s++;
		} else if (decimals < 0 && digits > 0 && strncmp(s, "\u00a0", 2) == 0) {
			s += 2;
		} else if (decimals < 0 && digits > 0 && strncmp(s, "\u202f", 3) == 0) {
			s += 3;
		} else {
			break;
		}
	}
	if (digits == 0 || decimals == 0)
		return SSA_ERR_INVAL;
	for (int d = decimals < 0 ? 0 : decimals; d < max_decimals; d++)
		v *= 10;
	if (v > limit)
		return SSA_ERR_OVERFLOW;
	*out = (int64_t)v;
	*p = s;
	return SSA_ERR_OK;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static const char *
skip_euro(const char *s)
{
	s = skip_space(s);
	if (strncmp(s, "€", 3) == 0)
		s = skip_space(s + 3);
	else if (strncmp(s, "\u00a0€", 5) == 0)
		s = skip_space(s + 5);
	return s;
}

enum ssa_err
money_parse(const char *text, int64_t *cents)
{
	const char *s;
	int neg = 0;
	int64_t v;
	enum ssa_err err;

	if (text == NULL)
		return SSA_ERR_INVAL;
	s = skip_space(text);
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	s = skip_euro(s);
	if (*s == '-' && !neg) {
		neg = 1;
		s++;
	}
	err = parse_scaled(&s, 2, MONEY_MAX, &v);
	if (err)
		return err;
	s = skip_euro(s);
	if (*s != '\0')
		return SSA_ERR_INVAL;
	*cents = neg ? -v : v;
	return SSA_ERR_OK;
}

enum ssa_err
money_parse_rate(const char *text, int64_t *bp)
{
	const char *s;
	int64_t v;
	enum ssa_err err;

	if (text == NULL)
		return SSA_ERR_INVAL;
	s = skip_space(text);
	err = parse_scaled(&s, 2, 1000000, &v);
	if (err)
		return err;
	s = skip_space(s);
	if (*s == '%')
		s = skip_space(s + 1);
	if (*s != '\0')
		return SSA_ERR_INVAL;
	*bp = v;
	return SSA_ERR_OK;
}

enum ssa_err
decimal_parse(const char *text, int decimals, int64_t limit, int64_t *out)
{
	const char *s;
	int64_t v;
	enum ssa_err err;

	if (text == NULL || decimals < 0 || decimals > 6 || limit < 0)
		return SSA_ERR_INVAL;
	s = skip_space(text);
	err = parse_scaled(&s, decimals, limit, &v);
	if (err)
		return err;
	if (*skip_space(s) != '\0')
		return SSA_ERR_INVAL;
	*out = v;
	return SSA_ERR_OK;
}
