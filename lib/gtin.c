/* gtin.c — see ssa/gtin.h and docs/barcodes.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ssa/gtin.h"

#define POW10_8 UINT64_C(100000000)
#define POW10_13 UINT64_C(10000000000000)
#define POW10_14 UINT64_C(100000000000000)
#define LOCAL_LEN_SHIFT 54
#define LOCAL_VALUE_MASK ((UINT64_C(1) << LOCAL_LEN_SHIFT) - 1)

static void
set_msg(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_msg(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static uint64_t
digits_value(const char *d, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(d[i] - '0');
	return v;
}

int
gtin_check_digit(const char *digits, size_t n)
{
	unsigned sum = 0;

	/* Weights 3, 1, 3 ... counted from the rightmost digit, so that the same digits padded
	 * with leading zeros (EAN-8, UPC-A inside a GTIN-14) give the same check digit. */
	for (size_t i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		if (!is_digit(c))
			return -1;
		sum += (unsigned)(c - '0') * (i % 2 == 0 ? 3 : 1);
	}
	return (int)((10 - sum % 10) % 10);
}

/* GS1 General Specifications §7.9.3: the weighting factors.  "2-": 2 x digit, units digit minus
 * tens digit; "3": units digit of 3 x digit; "5+": 5 x digit, units plus tens; "5-": 5 x digit,
 * units minus tens (each modulo 10). */
static const unsigned char w2m[10] = {0, 2, 4, 6, 8, 9, 1, 3, 5, 7};
static const unsigned char w3[10] = {0, 3, 6, 9, 2, 5, 8, 1, 4, 7};
static const unsigned char w5p[10] = {0, 5, 1, 6, 2, 7, 3, 8, 4, 9};
static const unsigned char w5m[10] = {0, 5, 9, 4, 8, 3, 7, 2, 6, 1};

int
gtin_price_check_digit(const char *digits, size_t n)
{
	unsigned sum = 0, want;

	for (size_t i = 0; i < n; i++)
		if (!is_digit(digits[i]))
			return -1;
	if (n == 4) {
		/* 2- 2- 3 5-; the check digit is the units digit of 3 x the sum. */
		sum = w2m[digits[0] - '0'] + w2m[digits[1] - '0'] + w3[digits[2] - '0'] +
		      w5m[digits[3] - '0'];
		return (int)(sum * 3 % 10);
	}
	if (n == 5) {
		/* 5+ 2- 5- 5+ 2-; subtract the sum's units digit from 10; the check digit is the
		 * digit whose 5- product is that. */
		sum = w5p[digits[0] - '0'] + w2m[digits[1] - '0'] + w5m[digits[2] - '0'] +
		      w5p[digits[3] - '0'] + w2m[digits[4] - '0'];
		want = (10 - sum % 10) % 10;
		for (int c = 0; c < 10; c++)
			if (w5m[c] == want)
				return c;
	}
	return -1;
}

const char *
gtin_kind_name(enum gtin_kind kind)
{
	switch (kind) {
	case GTIN_GTIN:
		return "GTIN";
	case GTIN_VARIABLE_WEIGHT:
		return "variable weight";
	case GTIN_VARIABLE_PRICE:
		return "variable price";
	case GTIN_PLU:
		return "PLU";
	case GTIN_LOCAL:
		return "local";
	case GTIN_NONE:
		break;
	}
	return "none";
}

/* @p v in @p width digits, zero-padded (more if it needs more), into @p buf with snprintf's
 * semantics: at most @p size bytes with the NUL, returns the length needed.  The hot path of
 * every scan: snprintf's format parsing was a tenth of a sale's own instructions. */
static size_t
put_digits(uint64_t v, int width, char *buf, size_t size)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < (size_t)width && n < sizeof(tmp))
		tmp[n++] = '0';
	for (size_t i = 0; i < n && i + 1 < size; i++)
		buf[i] = tmp[n - 1 - i];
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

size_t
gtin_format(uint64_t key, char *buf, size_t size)
{
	uint64_t v;

	if (key < POW10_14)
		return put_digits(key, key < POW10_8 ? 8 : key < POW10_13 ? 13 : 14, buf, size);
	if ((key & ~(GTIN_KEY_PLU - 1)) == GTIN_KEY_PLU && (key & (GTIN_KEY_PLU - 1)) < 100000) {
		v = key & (GTIN_KEY_PLU - 1);
		return put_digits(v, v >= 10000 ? 5 : 4, buf, size);
	}
	if ((key >> 60) == 2) {
		int len = (int)((key >> LOCAL_LEN_SHIFT) & 0x3f);
		if (len >= 1 && len <= GTIN_LOCAL_MAX_DIGITS)
			return put_digits(key & LOCAL_VALUE_MASK, len, buf, size);
	}
	if (size > 0)
		buf[0] = '\0';
	return 0;
}

static uint64_t
local_key(const char *d, size_t n)
{
	return GTIN_KEY_LOCAL | ((uint64_t)n << LOCAL_LEN_SHIFT) | digits_value(d, n);
}

static void
set_local(struct gtin_code *out, const char *d, size_t n)
{
	out->kind = GTIN_LOCAL;
	out->key = local_key(d, n);
	memcpy(out->text, d, n);
	out->text[n] = '\0';
}

static void
set_gtin_text(struct gtin_code *out, uint64_t key)
{
	put_digits(key, 14, out->text, sizeof(out->text));
}

static int
rcn_prefix(const char *d13)
{
	return d13[0] == '2' || (d13[0] == '0' && (d13[1] == '2' || d13[1] == '4'));
}

static const struct gtin_rule *
find_rule(const struct gtin_nomenclature *nom, const char *d13, int *index)
{
	const struct gtin_rule *best = NULL;

	*index = -1;
	if (nom == NULL)
		return NULL;
	for (size_t i = 0; i < nom->n_rule && i < GTIN_RULES_MAX; i++) {
		const struct gtin_rule *r = &nom->rule[i];
		/* A rule filled in by hand rather than by gtin_rule_parse() must still not make us
		 * read past the 13 digits. */
		if (r->prefix_len == 0 || r->prefix_len > 3 || r->item_pos + r->item_len > 12 ||
		    r->value_pos + r->value_len > 12 || r->verifier_pos > 11 || r->decimals > 3 ||
		    (r->verifier_pos >= 0 && r->value_len != 4 && r->value_len != 5))
			continue;
		if (memcmp(d13, r->prefix, r->prefix_len) != 0)
			continue;
		if (best == NULL || r->prefix_len > best->prefix_len) {
			best = r;
			*index = (int)i;
		}
	}
	return best;
}

/* A GTIN-13 (EAN-13, or UPC-A / GTIN-14 reduced to it) whose check digit is verified already. */
static enum ssa_err
scan13(const struct gtin_nomenclature *nom, const char *d, struct gtin_code *out)
{
	const struct gtin_rule *r;
	char z[13];
	int index, check;
	uint64_t v;

	if (!rcn_prefix(d)) {
		out->kind = GTIN_GTIN;
		out->key = digits_value(d, 13);
		set_gtin_text(out, out->key);
		return SSA_ERR_OK;
	}
	r = find_rule(nom, d, &index);
	if (r == NULL) {
		/* In-store code with no rule for its prefix: the outlet's own, taken whole. */
		set_local(out, d, 13);
		return SSA_ERR_OK;
	}
	out->rule = index;
	out->item_ref = digits_value(d + r->item_pos, r->item_len);
	if (r->kind == GTIN_LOCAL) {
		set_local(out, d, 13);
		return SSA_ERR_OK;
	}
	if (r->verifier_pos >= 0) {
		check = gtin_price_check_digit(d + r->value_pos, r->value_len);
		if (check != d[r->verifier_pos] - '0') {
			snprintf(out->msg, sizeof(out->msg),
			         "wrong %s check digit in %.13s (rule %s): %c, expected %d",
			         r->kind == GTIN_VARIABLE_PRICE ? "price" : "weight", d, r->pattern,
			         d[r->verifier_pos], check);
			return SSA_ERR_BARCODE_CHECK;
		}
	}
	v = digits_value(d + r->value_pos, r->value_len);
	for (unsigned i = r->decimals; i < (r->kind == GTIN_VARIABLE_WEIGHT ? 3u : 2u); i++)
		v *= 10;
	out->kind = r->kind;
	out->value = (int64_t)v;
	/* The product's lookup key: the same code with the value (and its verifier) zeroed and the
	 * check digit computed again, as the catalog lists it. */
	memcpy(z, d, 13);
	memset(z + r->value_pos, '0', r->value_len);
	if (r->verifier_pos >= 0)
		z[r->verifier_pos] = '0';
	z[12] = (char)('0' + gtin_check_digit(z, 12));
	out->key = digits_value(z, 13);
	set_gtin_text(out, out->key);
	return SSA_ERR_OK;
}

static enum ssa_err
check_digit_ok(const char *d, size_t n, const char *shown, struct gtin_code *out)
{
	int check = gtin_check_digit(d, n - 1);

	if (check == d[n - 1] - '0')
		return SSA_ERR_OK;
	snprintf(out->msg, sizeof(out->msg), "wrong check digit in %s: ends in %c, expected %d",
	         shown, d[n - 1], check);
	return SSA_ERR_BARCODE_CHECK;
}

enum ssa_err
gtin_scan(const struct gtin_nomenclature *nom, const char *text, struct gtin_code *out)
{
	char d[GTIN_TEXT_MAX + 2];
	const char *s = text, *e;
	size_t n, i;
	enum ssa_err err = SSA_ERR_OK;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->rule = -1;
	if (text == NULL) {
		snprintf(out->msg, sizeof(out->msg), "empty code");
		return SSA_ERR_BARCODE_EMPTY;
	}
	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0) {
		snprintf(out->msg, sizeof(out->msg), "empty code");
		return SSA_ERR_BARCODE_EMPTY;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_digit((char)c))
			continue;
		if (c > 0x20 && c < 0x7f)
			snprintf(out->msg, sizeof(out->msg),
			         "code has '%c' at position %zu: only digits are accepted", c, i + 1);
		else
			snprintf(out->msg, sizeof(out->msg),
			         "code has byte 0x%02x at position %zu: only digits are accepted", c,
			         i + 1);
		return SSA_ERR_BARCODE_CHARS;
	}
	if (n > GTIN_TEXT_MAX) {
		snprintf(out->msg, sizeof(out->msg), "code too long (%zu digits)", n);
		return SSA_ERR_BARCODE_LENGTH;
	}
	memcpy(d, s, n);
	d[n] = '\0';

	/* Local prefixes never take a code of a GTIN's length: the same GTIN read as EAN-8, UPC-A,
	 * EAN-13 or GTIN-14 must always give the same key.  13-digit in-store codes are what "local"
	 * rules are for. */
	if (nom != NULL && n != 8 && n != 12 && n != 13 && n != 14) {
		for (i = 0; i < nom->n_local_prefix && i < GTIN_LOCAL_PREFIX_MAX; i++) {
			const char *p = nom->local_prefix[i];
			size_t pl = strnlen(p, sizeof(nom->local_prefix[i]));
			if (pl == 0 || pl > n || memcmp(d, p, pl) != 0)
				continue;
			if (n > GTIN_LOCAL_MAX_DIGITS) {
				snprintf(out->msg, sizeof(out->msg),
				         "local code %s too long (%zu digits, at most %d)", d, n,
				         GTIN_LOCAL_MAX_DIGITS);
				return SSA_ERR_BARCODE_LENGTH;
			}
			set_local(out, d, n);
			return SSA_ERR_OK;
		}
	}

	switch (n) {
	case 8:
		err = check_digit_ok(d, 8, d, out);
		if (err != SSA_ERR_OK)
			break;
		out->kind = GTIN_GTIN;
		out->key = digits_value(d, 8);
		set_gtin_text(out, out->key);
		break;
	case 12: {
		char d13[14];
		d13[0] = '0';
		memcpy(d13 + 1, d, 13);
		err = check_digit_ok(d, 12, d, out);
		if (err == SSA_ERR_OK)
			err = scan13(nom, d13, out);
		break;
	}
	case 13:
		err = check_digit_ok(d, 13, d, out);
		if (err == SSA_ERR_OK)
			err = scan13(nom, d, out);
		break;
	case 14:
		err = check_digit_ok(d, 14, d, out);
		if (err != SSA_ERR_OK)
			break;
		if (d[0] == '0') {
			err = scan13(nom, d + 1, out);
			break;
		}
		out->kind = GTIN_GTIN;
		out->key = digits_value(d, 14);
		set_gtin_text(out, out->key);
		break;
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
		v = digits_value(d, n);
		if ((n == 4 && v >= 3000 && v <= 4999) ||
		    (n == 5 && v >= 93000 && v <= 94999)) {
			out->kind = GTIN_PLU;
			out->key = GTIN_KEY_PLU | v;
			out->organic = n == 5;
			memcpy(out->text, d, n + 1);
		} else {
			set_local(out, d, n);
		}
		break;
	default:
		snprintf(out->msg, sizeof(out->msg),
		         "a code of %zu digits is none of EAN-8 (8), UPC-A (12), EAN-13 (13), "
		         "GTIN-14 (14), PLU (4-5) or a local code (1-7)",
		         n);
		err = SSA_ERR_BARCODE_LENGTH;
		break;
	}
	if (err != SSA_ERR_OK) {
		char msg[sizeof(out->msg)];
		memcpy(msg, out->msg, sizeof(msg));
		memset(out, 0, sizeof(*out));
		out->rule = -1;
		memcpy(out->msg, msg, sizeof(msg));
	}
	return err;
}

enum ssa_err
gtin_canonical(const char *text, char *buf, size_t size, char *msg, size_t msg_size)
{
	struct gtin_code c;
	enum ssa_err err;

	/* Without a nomenclature: a 13-digit in-store code is then taken whole, which gives the
	 * same digits as the zeroed key a rule makes of a scanned label. */
	err = gtin_scan(NULL, text, &c);
	if (err != SSA_ERR_OK) {
		set_msg(msg, msg_size, "%s", c.msg);
		return err;
	}
	if (gtin_format(c.key, buf, size) >= size) {
		if (size > 0)
			buf[0] = '\0';
		set_msg(msg, msg_size, "code too long for its field");
		return SSA_ERR_TOO_LONG;
	}
	return SSA_ERR_OK;
}

enum ssa_err
gtin_rule_parse(const char *text, struct gtin_rule *out, char *msg, size_t msg_size)
{
	struct gtin_rule r;
	const char *s = text, *p, *k;
	size_t plen, klen, i;
	int value_end = -1, in_d = 0;

	memset(&r, 0, sizeof(r));
	r.verifier_pos = -1;
	if (text == NULL) {
		set_msg(msg, msg_size, "empty rule");
		return SSA_ERR_INVAL;
	}
	while (is_blank(*s))
		s++;
	p = s;
	while (*s != '\0' && !is_blank(*s))
		s++;
	plen = (size_t)(s - p);
	while (is_blank(*s))
		s++;
	k = s;
	while (*s != '\0' && !is_blank(*s))
		s++;
	klen = (size_t)(s - k);
	while (is_blank(*s))
		s++;
	if (plen == 0 || klen == 0 || *s != '\0') {
		set_msg(msg, msg_size, "a rule is '<13-character pattern> weight|price|local'");
		return SSA_ERR_INVAL;
	}
	if (plen != 13) {
		set_msg(msg, msg_size, "pattern '%.*s' has %zu characters, a GTIN-13 has 13",
		        (int)(plen > 40 ? 40 : plen), p, plen);
		return SSA_ERR_INVAL;
	}
	memcpy(r.pattern, p, 13);
	if (klen == 6 && memcmp(k, "weight", 6) == 0)
		r.kind = GTIN_VARIABLE_WEIGHT;
	else if (klen == 5 && memcmp(k, "price", 5) == 0)
		r.kind = GTIN_VARIABLE_PRICE;
	else if (klen == 5 && memcmp(k, "local", 5) == 0)
		r.kind = GTIN_LOCAL;
	else {
		set_msg(msg, msg_size, "kind '%.*s' is none of weight, price, local",
		        (int)(klen > 40 ? 40 : klen), k);
		return SSA_ERR_INVAL;
	}
	for (i = 0; i < 13 && is_digit(p[i]); i++)
		;
	r.prefix_len = (uint8_t)i;
	if (i == 0 || i > 3) {
		set_msg(msg, msg_size, "pattern %s must start with a prefix of 1 to 3 digits",
		        r.pattern);
		return SSA_ERR_INVAL;
	}
	memcpy(r.prefix, p, i);
	if (!(p[0] == '2' || (i >= 2 && p[0] == '0' && (p[1] == '2' || p[1] == '4')))) {
		set_msg(msg, msg_size,
		        "pattern %s: prefix %s is not for in-store use (02, 04 or 20-29)",
		        r.pattern, r.prefix);
		return SSA_ERR_INVAL;
	}
	if (p[12] != 'c' && p[12] != 'C') {
		set_msg(msg, msg_size, "pattern %s must end with the check digit 'c'", r.pattern);
		return SSA_ERR_INVAL;
	}
	for (i = r.prefix_len; i < 12; i++) {
		char c = p[i];
		switch (c) {
		case 'x':
		case 'X':
			if (r.item_len > 0 && r.item_pos + r.item_len != i)
				goto split;
			if (r.item_len == 0)
				r.item_pos = (uint8_t)i;
			r.item_len++;
			break;
		case 'N':
		case 'n':
		case 'D':
		case 'd':
			if (r.value_len > 0 && value_end != (int)i)
				goto split;
			if (c == 'N' || c == 'n') {
				if (in_d) {
					set_msg(msg, msg_size,
					        "pattern %s: whole digits 'N' must come before "
					        "decimals 'D'",
					        r.pattern);
					return SSA_ERR_INVAL;
				}
			} else {
				in_d = 1;
				r.decimals++;
			}
			if (r.value_len == 0)
				r.value_pos = (uint8_t)i;
			r.value_len++;
			value_end = (int)i + 1;
			break;
		case 'v':
		case 'V':
			if (r.verifier_pos >= 0) {
				set_msg(msg, msg_size, "pattern %s has more than one verifier 'v'",
				        r.pattern);
				return SSA_ERR_INVAL;
			}
			r.verifier_pos = (int8_t)i;
			break;
		default:
			set_msg(msg, msg_size,
			        "pattern %s: '%c' at position %zu is none of x N D v (c ends it)",
			        r.pattern, c, i + 1);
			return SSA_ERR_INVAL;
		}
	}
	if (r.item_len == 0) {
		set_msg(msg, msg_size, "pattern %s has no item reference digits 'x'", r.pattern);
		return SSA_ERR_INVAL;
	}
	if (r.kind == GTIN_LOCAL) {
		if (r.value_len > 0 || r.verifier_pos >= 0) {
			set_msg(msg, msg_size, "pattern %s: a local rule carries no value", r.pattern);
			return SSA_ERR_INVAL;
		}
	} else {
		if (r.value_len == 0) {
			set_msg(msg, msg_size, "pattern %s has no value digits 'N'/'D'", r.pattern);
			return SSA_ERR_INVAL;
		}
		if (r.value_len > 10) {
			set_msg(msg, msg_size, "pattern %s: at most 10 value digits", r.pattern);
			return SSA_ERR_INVAL;
		}
		if (r.kind == GTIN_VARIABLE_WEIGHT && r.decimals > 3) {
			set_msg(msg, msg_size,
			        "pattern %s: a weight in kg has at most 3 decimals (grams)",
			        r.pattern);
			return SSA_ERR_INVAL;
		}
		if (r.kind == GTIN_VARIABLE_PRICE && r.decimals > 2) {
			set_msg(msg, msg_size,
			        "pattern %s: a price in euros has at most 2 decimals (cents)",
			        r.pattern);
			return SSA_ERR_INVAL;
		}
		if (r.verifier_pos >= 0 && r.value_len != 4 && r.value_len != 5) {
			set_msg(msg, msg_size,
			        "pattern %s: a verifier digit 'v' needs a 4- or 5-digit value",
			        r.pattern);
			return SSA_ERR_INVAL;
		}
	}
	*out = r;
	return SSA_ERR_OK;
split:
	set_msg(msg, msg_size, "pattern %s: the '%c' digits must be side by side", r.pattern,
	        p[i]);
	return SSA_ERR_INVAL;
}

enum ssa_err
gtin_nomenclature_add_rule(struct gtin_nomenclature *nom, const char *text, char *msg,
                           size_t msg_size)
{
	struct gtin_rule r;
	enum ssa_err err;

	err = gtin_rule_parse(text, &r, msg, msg_size);
	if (err != SSA_ERR_OK)
		return err;
	for (size_t i = 0; i < nom->n_rule; i++) {
		if (nom->rule[i].prefix_len == r.prefix_len &&
		    memcmp(nom->rule[i].prefix, r.prefix, r.prefix_len) == 0) {
			set_msg(msg, msg_size, "prefix %s has a rule already (%s)", r.prefix,
			        nom->rule[i].pattern);
			return SSA_ERR_INVAL;
		}
	}
	if (nom->n_rule >= GTIN_RULES_MAX) {
		set_msg(msg, msg_size, "at most %d rules", GTIN_RULES_MAX);
		return SSA_ERR_TOO_LONG;
	}
	nom->rule[nom->n_rule++] = r;
	return SSA_ERR_OK;
}

enum ssa_err
gtin_nomenclature_add_local_prefix(struct gtin_nomenclature *nom, const char *prefix, char *msg,
                                   size_t msg_size)
{
	size_t n = prefix == NULL ? 0 : strlen(prefix);

	if (n == 0 || n > 7 || strspn(prefix, "0123456789") != n) {
		set_msg(msg, msg_size, "a local prefix is 1 to 7 digits");
		return SSA_ERR_INVAL;
	}
	for (size_t i = 0; i < nom->n_local_prefix; i++) {
		if (strcmp(nom->local_prefix[i], prefix) == 0) {
			set_msg(msg, msg_size, "local prefix %s given twice", prefix);
			return SSA_ERR_INVAL;
		}
	}
	if (nom->n_local_prefix >= GTIN_LOCAL_PREFIX_MAX) {
		set_msg(msg, msg_size, "at most %d local prefixes", GTIN_LOCAL_PREFIX_MAX);
		return SSA_ERR_TOO_LONG;
	}
	memcpy(nom->local_prefix[nom->n_local_prefix++], prefix, n + 1);
	return SSA_ERR_OK;
}
