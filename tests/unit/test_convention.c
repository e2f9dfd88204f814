/* test_convention.c — list format, Ed25519 signatures, deltas, every eligibility reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/convention.h"
#include "ssa/money.h"

static const uint8_t priv_a[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t priv_b[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
				    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

static const char body34[] = "ssa-list,1\n"
			     "caisse,caisse-34\n"
			     "version,7\n"
			     "valid,2026-01-01,2026-12-31\n"
			     "# fresh produce and staples\n"
			     "code,3560070123452,100,,,,\n"
			     "code,3000000000014,100,2.00,,,\n"
			     "code,3000000000021,100,,,2026-06-01,\n"
			     "code,3000000000038,100,,,,2026-03-31\n"
			     "code,3000000000045,100,,,,\n"
			     "category,fruits-legumes,100,4.00,,,\n"
			     "category,epicerie,50,,30.00,,\n"
			     "category,boulangerie,33.33,,,,\n"
			     "exclude,alcool,,,,,\n";

/* A signed copy of @p body with key @p priv; caller frees. */
static char *
signed_list(const char *body, const uint8_t *priv, size_t *len)
{
	char *out = NULL;
	assert_int_equal(convention_sign(body, strlen(body), priv, &out, len), SSA_ERR_OK);
	return out;
}

static void
pub_of(const uint8_t *priv, uint8_t pub[32])
{
	assert_int_equal(convention_public_key(priv, pub), SSA_ERR_OK);
}

static struct convention_list *
load34(void)
{
	uint8_t pub[32];
	size_t len;
	char *text = signed_list(body34, priv_a, &len);
	struct convention_list *l = NULL;
	struct convention_error err;

	pub_of(priv_a, pub);
	assert_int_equal(convention_list_load(text, len, pub, &l, &err), SSA_ERR_OK);
	free(text);
	return l;
}

static void
test_parse_and_find(void **state)
{
	struct convention_list *l = load34();
	const struct convention_entry *e;
	(void)state;
	assert_string_equal(l->caisse, "caisse-34");
	assert_int_equal(l->version, 7);
	assert_int_equal(l->base, 0);
	assert_int_equal(l->valid_from, 20260101);
	assert_int_equal(l->valid_to, 20261231);
	assert_int_equal(l->n, 9);
	e = convention_list_find(l, CONVENTION_CATEGORY, "epicerie");
	assert_non_null(e);
	assert_int_equal(e->rate_bp, 5000);
	assert_int_equal(e->cap, 3000);
	assert_int_equal(e->ceiling, CONVENTION_NONE);
	e = convention_list_find(l, CONVENTION_CODE, "3000000000014");
	assert_non_null(e);
	assert_int_equal(e->ceiling, 200);
	assert_null(convention_list_find(l, CONVENTION_CODE, "epicerie"));
	assert_non_null(convention_list_find(l, CONVENTION_EXCLUDE, "alcool"));
	convention_list_free(l);
}

static void
test_signature_failures(void **state)
{
	uint8_t pub_a[32], pub_b[32];
	size_t len;
	char *text = signed_list(body34, priv_a, &len);
	struct convention_list *l = NULL;
	struct convention_error err;
	char *copy;
	(void)state;
	pub_of(priv_a, pub_a);
	pub_of(priv_b, pub_b);
	/* wrong key */
	assert_int_equal(convention_list_load(text, len, pub_b, &l, &err), SSA_ERR_LIST_SIGNATURE);
	assert_null(l);
	assert_non_null(strstr(err.msg, "does not verify"));
	/* one edited byte in the body: 100 % -> 900 % would not parse, so 2.00 -> 9.00 */
	copy = strdup(text);
	*strstr(copy, "2.00") = '9';
	assert_int_equal(convention_list_load(copy, len, pub_a, &l, &err), SSA_ERR_LIST_SIGNATURE);
	/* one edited byte in the signature itself */
	strcpy(copy, text);
	{
		char *sig = strstr(copy, "signature,ed25519,") + 20;
		*sig = *sig == 'a' ? 'b' : 'a';
	}
	assert_int_equal(convention_list_load(copy, len, pub_a, &l, &err), SSA_ERR_LIST_SIGNATURE);
	/* truncated: inside the signature line, and before it */
	assert_int_equal(convention_list_load(text, len - 10, pub_a, &l, &err),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(convention_list_load(text, strlen(body34) - 5, pub_a, &l, &err),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(convention_list_load(text, strlen(body34), pub_a, &l, &err),
			 SSA_ERR_LIST_FORMAT);
	assert_non_null(strstr(err.msg, "missing signature"));
	/* data appended after the signature */
	copy = realloc(copy, len + 32);
	strcpy(copy, text);
	strcat(copy, "code,1234,100,,,,\n");
	assert_int_equal(convention_list_load(copy, strlen(copy), pub_a, &l, &err),
			 SSA_ERR_LIST_FORMAT);
	assert_null(l);
	/* the untouched text still loads */
	assert_int_equal(convention_list_load(text, len, pub_a, &l, &err), SSA_ERR_OK);
	convention_list_free(l);
	free(copy);
	free(text);
}

/* Parse @p body + a dummy signature line; returns the error and the line it names. */
static enum ssa_err
parse_body(const char *body, unsigned *line)
{
	char *text = NULL;
	size_t len;
	struct convention_list *l = NULL;
	struct convention_error err;
	enum ssa_err e;

	assert_int_equal(convention_sign(body, strlen(body), priv_a, &text, &len), SSA_ERR_OK);
	e = convention_list_parse(text, len, &l, &err);
	*line = err.line;
	if (e == SSA_ERR_OK)
		assert_non_null(l);
	else
		assert_true(err.msg[0] != '\0');
	convention_list_free(l);
	free(text);
	return e;
}

#define HDR "ssa-list,1\ncaisse,c1\nversion,2\nvalid,2026-01-01,\n"

static void
test_format_errors_name_lines(void **state)
{
	unsigned line = 0;
	(void)state;
	assert_int_equal(parse_body(HDR "code,123,100,,,,\n", &line), SSA_ERR_OK);
	assert_int_equal(parse_body("ssa-list,3\ncaisse,c1\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 1);
	assert_int_equal(parse_body("ssa-list,1\ncaisse,c 1\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 2);
	assert_int_equal(parse_body("ssa-list,1\ncaisse,c1\nversion,0\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 3);
	assert_int_equal(parse_body(HDR "code,123,100,,,,\nbogus,1,,,,,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 6);
	/* a wrong check digit */
	assert_int_equal(parse_body(HDR "code,3560070123456,100,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(parse_body(HDR "code,123,101,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(parse_body(HDR "code,123,0,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "code,123,100,-1,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "code,123,100,,5.00,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "category,a,100,,,2026-02-30,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "category,a,100,,,2026-03-01,2026-02-01\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "category,A,100,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "exclude,alcool,100,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "code,123,100,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "code,123,100,,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(parse_body(HDR "-code,123,,,,,\n", &line), SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(parse_body(HDR "code,1,100,,,,\ncode,2,,,,,\ncode,1,50,,,,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 7);
	/* base must be below version */
	assert_int_equal(parse_body("ssa-list,1\ncaisse,c1\nversion,2\nbase,2\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 4);
	/* a NUL byte */
	{
		struct convention_list *l = NULL;
		struct convention_error err;
		const char t[] = "ssa-list,1\n\0caisse";
		assert_int_equal(convention_list_parse(t, sizeof(t) - 1, &l, &err),
				 SSA_ERR_LIST_FORMAT);
		assert_null(l);
	}
}

static void
test_format_roundtrip(void **state)
{
	struct convention_list *l = load34(), *again = NULL;
	char *body = NULL, *body2 = NULL, *text = NULL;
	size_t len, len2, tlen;
	(void)state;
	assert_int_equal(convention_list_format(l, &body, &len), SSA_ERR_OK);
	assert_int_equal(convention_sign(body, len, priv_a, &text, &tlen), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, tlen, &again, NULL), SSA_ERR_OK);
	assert_int_equal(convention_list_format(again, &body2, &len2), SSA_ERR_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(body, body2, len);
	assert_non_null(strstr(body, "category,boulangerie,33.33,,,,\n"));
	assert_non_null(strstr(body, "category,epicerie,50,,30.00,,\n"));
	free(body);
	free(body2);
	free(text);
	convention_list_free(again);
	convention_list_free(l);
}

#define HDR2 "ssa-list,2\ncaisse,c1\nversion,2\n"

/* The caisse's age limit: "max_age,<days>" in a format 2 header, before valid. */
static void
test_max_age(void **state)
{
	struct convention_list *l = NULL, *again = NULL;
	struct convention_error err;
	char *text = NULL, *body = NULL, *text2 = NULL, *copy;
	size_t len, blen, len2;
	uint8_t pub[32];
	unsigned line = 0;
	(void)state;
	pub_of(priv_a, pub);
	text = signed_list(HDR2 "max_age,7\nvalid,2026-01-01,\ncode,123,100,,,,\n", priv_a, &len);
	assert_int_equal(convention_list_load(text, len, pub, &l, &err), SSA_ERR_OK);
	assert_int_equal(l->max_age, 7);
	/* the signature covers it: 7 days edited to 9 */
	copy = strdup(text);
	assert_non_null(copy);
	strstr(copy, "max_age,7")[8] = '9';
	assert_int_equal(convention_list_load(copy, len, pub, &again, &err),
			 SSA_ERR_LIST_SIGNATURE);
	assert_null(again);
	free(copy);
	free(text);
	/* format round trip: format 2 with the line, and the same list again */
	assert_int_equal(convention_list_format(l, &body, &blen), SSA_ERR_OK);
	assert_non_null(strstr(body, "ssa-list,2\ncaisse,c1\nversion,2\nmax_age,7\nvalid,"));
	assert_int_equal(convention_sign(body, blen, priv_a, &text2, &len2), SSA_ERR_OK);
	assert_int_equal(convention_list_load(text2, len2, pub, &again, &err), SSA_ERR_OK);
	assert_int_equal(again->max_age, 7);
	assert_int_equal(again->n, 1);
	free(body);
	free(text2);
	convention_list_free(again);
	again = NULL;
	/* without a limit: format 1, read by a till older than max_age */
	l->max_age = 0;
	assert_int_equal(convention_list_format(l, &body, &blen), SSA_ERR_OK);
	assert_int_equal(strncmp(body, "ssa-list,1\n", 11), 0);
	assert_null(strstr(body, "max_age"));
	free(body);
	convention_list_free(l);
	l = NULL;
	/* optional: a format 2 list without it, and every format 1 list, have none */
	assert_int_equal(parse_body(HDR2 "valid,2026-01-01,\n", &line), SSA_ERR_OK);
	text = signed_list(HDR "code,123,100,,,,\n", priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &l, NULL), SSA_ERR_OK);
	assert_int_equal(l->max_age, 0);
	free(text);
	convention_list_free(l);
	l = NULL;
	/* the bounds, 1 and 365 days, and after base in a delta */
	assert_int_equal(parse_body(HDR2 "max_age,1\nvalid,2026-01-01,\n", &line), SSA_ERR_OK);
	assert_int_equal(parse_body(HDR2 "max_age,365\nvalid,2026-01-01,\n", &line), SSA_ERR_OK);
	assert_int_equal(parse_body("ssa-list,2\ncaisse,c1\nversion,3\nbase,2\nmax_age,3\n"
				    "valid,2026-01-01,\n",
				    &line),
			 SSA_ERR_OK);
	/* refused, with the line */
	static const char *const bad[] = {
		HDR2 "max_age,0\nvalid,2026-01-01,\n",
		HDR2 "max_age,366\nvalid,2026-01-01,\n",
		HDR2 "max_age,-1\nvalid,2026-01-01,\n",
		HDR2 "max_age,07\nvalid,2026-01-01,\n",
		HDR2 "max_age,7 days\nvalid,2026-01-01,\n",
		HDR2 "max_age,\nvalid,2026-01-01,\n",
		HDR2 "max_age,4294967303\nvalid,2026-01-01,\n",
		HDR2 "max_age,7,8\nvalid,2026-01-01,\n",
		"ssa-list,1\ncaisse,c1\nversion,2\nmax_age,7\nvalid,2026-01-01,\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_body(bad[i], &line), SSA_ERR_LIST_FORMAT);
		assert_int_equal(line, 4);
	}
	/* twice; base after it; after valid (an entry line there) */
	assert_int_equal(parse_body(HDR2 "max_age,7\nmax_age,7\nvalid,2026-01-01,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(parse_body("ssa-list,2\ncaisse,c1\nversion,3\nmax_age,3\nbase,2\n"
				    "valid,2026-01-01,\n",
				    &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(parse_body(HDR2 "valid,2026-01-01,\nmax_age,7\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	/* the message says what is wrong */
	{
		const char *b = HDR2 "max_age,400\nvalid,2026-01-01,\n";
		text = signed_list(b, priv_a, &len);
		assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_LIST_FORMAT);
		assert_non_null(strstr(err.msg, "1..365"));
		free(text);
		b = "ssa-list,1\ncaisse,c1\nversion,2\nmax_age,7\nvalid,2026-01-01,\n";
		text = signed_list(b, priv_a, &len);
		assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_LIST_FORMAT);
		assert_non_null(strstr(err.msg, "ssa-list,2"));
		free(text);
	}
}

/* A delta's header replaces the base's: its max_age, or none. */
static void
test_max_age_delta(void **state)
{
	struct convention_list *base = NULL, *delta = NULL, *merged = NULL, *m2 = NULL;
	const char *full = HDR2 "max_age,7\nvalid,2026-01-01,\ncode,123,100,,,,\n";
	const char *d3 = "ssa-list,2\ncaisse,c1\nversion,3\nbase,2\nmax_age,3\n"
			 "valid,2026-01-01,\ncode,124,100,,,,\n";
	const char *d4 = "ssa-list,1\ncaisse,c1\nversion,4\nbase,3\nvalid,2026-01-01,\n";
	char *text;
	size_t len;
	(void)state;
	text = signed_list(full, priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &base, NULL), SSA_ERR_OK);
	free(text);
	text = signed_list(d3, priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &delta, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(delta->max_age, 3);
	assert_int_equal(convention_list_apply_delta(base, delta, &merged), SSA_ERR_OK);
	assert_int_equal(merged->max_age, 3);
	assert_int_equal(merged->n, 2);
	convention_list_free(delta);
	delta = NULL;
	/* a delta without the line lifts the limit */
	text = signed_list(d4, priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &delta, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(convention_list_apply_delta(merged, delta, &m2), SSA_ERR_OK);
	assert_int_equal(m2->max_age, 0);
	/* dup keeps it */
	convention_list_free(m2);
	m2 = NULL;
	assert_int_equal(convention_list_dup(merged, &m2), SSA_ERR_OK);
	assert_int_equal(m2->max_age, 3);
	convention_list_free(m2);
	convention_list_free(delta);
	convention_list_free(merged);
	convention_list_free(base);
}

/* What the caisse's signing command does to a body: the line set, replaced or taken out, the
 * format line following it, every other line kept. */
static void
test_body_set_max_age(void **state)
{
	const char *b1 = "ssa-list,1\ncaisse,c1\nversion,2\n# the header\nvalid,2026-01-01,\n"
			 "code,123,100,,,,\n";
	const char *b2 = "ssa-list,2\ncaisse,c1\nversion,3\nbase,2\nmax_age,30\n"
			 "valid,2026-01-01,\n-code,123,,,,,";
	char *out = NULL, *out2 = NULL;
	size_t len, len2;
	unsigned line = 0;
	(void)state;
	assert_int_equal(convention_body_set_max_age(b1, strlen(b1), 7, &out, &len), SSA_ERR_OK);
	assert_string_equal(out, "ssa-list,2\ncaisse,c1\nversion,2\n# the header\nmax_age,7\n"
				 "valid,2026-01-01,\ncode,123,100,,,,\n");
	assert_int_equal(len, strlen(out));
	assert_int_equal(parse_body(out, &line), SSA_ERR_OK);
	/* again with another value: replaced, not added */
	assert_int_equal(convention_body_set_max_age(out, len, 14, &out2, &len2), SSA_ERR_OK);
	assert_non_null(strstr(out2, "\nmax_age,14\nvalid,"));
	assert_null(strstr(out2, "max_age,7"));
	free(out);
	free(out2);
	/* a delta's line replaced; its last line without a newline kept as it is */
	assert_int_equal(convention_body_set_max_age(b2, strlen(b2), 3, &out, &len), SSA_ERR_OK);
	assert_string_equal(out, "ssa-list,2\ncaisse,c1\nversion,3\nbase,2\nmax_age,3\n"
				 "valid,2026-01-01,\n-code,123,,,,,");
	free(out);
	/* 0: no line, format 1 */
	assert_int_equal(convention_body_set_max_age(b2, strlen(b2), 0, &out, &len), SSA_ERR_OK);
	assert_string_equal(out, "ssa-list,1\ncaisse,c1\nversion,3\nbase,2\n"
				 "valid,2026-01-01,\n-code,123,,,,,");
	free(out);
	out = NULL;
	/* refused: a limit out of range, a body that is not a list or has no valid line */
	assert_int_equal(convention_body_set_max_age(b1, strlen(b1), 366, &out, &len),
			 SSA_ERR_INVAL);
	assert_int_equal(convention_body_set_max_age("code,1\n", 7, 7, &out, &len),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(convention_body_set_max_age("ssa-list,1\ncaisse,c1\n", 21, 7, &out, &len),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(convention_body_set_max_age("", 0, 7, &out, &len), SSA_ERR_LIST_FORMAT);
	assert_null(out);
	/* another format version is left for the parser to refuse */
	assert_int_equal(convention_body_set_max_age("ssa-list,9\nvalid,2026-01-01,\n", 27, 7, &out,
						     &len),
			 SSA_ERR_OK);
	assert_int_equal(strncmp(out, "ssa-list,9\n", 11), 0);
	free(out);
}

static struct convention_line
piece(const char *code, const char *cat, int64_t price, int64_t qty)
{
	struct convention_line ln = { .code = code, .category = cat, .unit = CATALOG_PIECE,
				      .unit_price = price, .qty = qty, .amount = price * qty };
	return ln;
}

static void
decide(const struct convention_list *l, int32_t today, struct convention_line ln,
       enum convention_reason reason, int64_t covered)
{
	struct convention_decision d;
	assert_int_equal(convention_decide(l, today, &ln, &d), SSA_ERR_OK);
	assert_string_equal(convention_reason_name(d.reason), convention_reason_name(reason));
	assert_int_equal(d.covered, covered);
	if (l != NULL) {
		assert_string_equal(d.caisse, l->caisse);
		assert_int_equal(d.version, l->version);
	} else {
		assert_string_equal(d.caisse, "");
	}
}

static void
test_every_reason(void **state)
{
	struct convention_list *l = load34();
	const int32_t today = 20260415;
	(void)state;
	decide(NULL, today, piece("3560070123452", "epicerie", 235, 1), CONVENTION_NO_CARD, 0);
	decide(l, today, piece("3560070123452", "epicerie", 235, 2), CONVENTION_COVERED, 470);
	decide(l, today, piece("9999999999994", "droguerie", 235, 1), CONVENTION_NOT_IN_LIST, 0);
	decide(l, today, piece("3560070123452", "alcool", 235, 1), CONVENTION_EXCLUDED_CATEGORY, 0);
	decide(l, today, piece("9999999999994", "alcool", 235, 1), CONVENTION_EXCLUDED_CATEGORY, 0);
	decide(l, today, piece("3000000000021", "droguerie", 100, 1),
	       CONVENTION_NOT_YET_IN_FORCE, 0);
	decide(l, today, piece("3000000000038", "droguerie", 100, 1),
	       CONVENTION_NO_LONGER_IN_FORCE, 0);
	/* ceiling 2,00 on a 2,50 item x 3: covered 6,00 of 7,50 */
	decide(l, today, piece("3000000000014", "droguerie", 250, 3), CONVENTION_OVER_CEILING, 600);
	/* at or under the ceiling: fully covered */
	decide(l, today, piece("3000000000014", "droguerie", 200, 1), CONVENTION_COVERED, 200);
	decide(l, today, piece("1234", "epicerie", 301, 1), CONVENTION_PARTIAL_RATE, 151);
	/* the whole list before and after its validity */
	decide(l, 20251231, piece("3560070123452", "epicerie", 235, 1),
	       CONVENTION_NOT_YET_IN_FORCE, 0);
	decide(l, 20270101, piece("3560070123452", "epicerie", 235, 1),
	       CONVENTION_NO_LONGER_IN_FORCE, 0);
	/* bounds are inclusive */
	decide(l, 20260101, piece("3560070123452", "epicerie", 235, 1), CONVENTION_COVERED, 235);
	decide(l, 20261231, piece("3560070123452", "epicerie", 235, 1), CONVENTION_COVERED, 235);
	decide(l, 20260601, piece("3000000000021", "droguerie", 100, 1), CONVENTION_COVERED, 100);
	decide(l, 20260331, piece("3000000000038", "droguerie", 100, 1), CONVENTION_COVERED, 100);
	/* a code entry out of its dates falls back on the category entry in force */
	decide(l, today, piece("3000000000021", "epicerie", 100, 1), CONVENTION_PARTIAL_RATE, 50);
	for (int r = 0; r < CONVENTION__REASON_COUNT; r++)
		assert_string_not_equal(convention_reason_name(r), "UNKNOWN");
	convention_list_free(l);
}

static void
test_partial_rounding(void **state)
{
	struct convention_list *l = load34();
	(void)state;
	/* 50 % of 1,01 = 0,505 -> 0,51 (half up) */
	decide(l, 20260415, piece("1", "epicerie", 101, 1), CONVENTION_PARTIAL_RATE, 51);
	/* 33.33 % of 3,00 = 0,9999 -> 1,00 */
	decide(l, 20260415, piece("1", "boulangerie", 300, 1), CONVENTION_PARTIAL_RATE, 100);
	/* 33.33 % of 0,01 = 0,003333 -> 0 */
	decide(l, 20260415, piece("1", "boulangerie", 1, 1), CONVENTION_PARTIAL_RATE, 0);
	/* 50 % of 0,01 = 0,005 -> 0,01 */
	decide(l, 20260415, piece("1", "epicerie", 1, 1), CONVENTION_PARTIAL_RATE, 1);
	convention_list_free(l);
}

static void
test_ceiling_weight_and_embedded(void **state)
{
	struct convention_list *l = load34();
	struct convention_decision d;
	/* tomatoes 5,90 €/kg, ceiling 4,00 €/kg, 1,234 kg: amount 7,28; covered 4,936 -> 4,94 */
	struct convention_line w = { .code = "2000123", .category = "fruits-legumes",
				     .unit = CATALOG_KG, .unit_price = 590, .grams = 1234 };
	(void)state;
	assert_int_equal(money_mul_weight(590, 1234, &w.amount), SSA_ERR_OK);
	assert_int_equal(w.amount, 728);
	assert_int_equal(convention_decide(l, 20260415, &w, &d), SSA_ERR_OK);
	assert_int_equal(d.reason, CONVENTION_OVER_CEILING);
	assert_int_equal(d.covered, 494);
	/* embedded price 5,90 for a product at 5,90 €/kg: covered 5,90 x 4,00 / 5,90 = 4,00 */
	w.grams = 0;
	w.amount = 590;
	assert_int_equal(convention_decide(l, 20260415, &w, &d), SSA_ERR_OK);
	assert_int_equal(d.reason, CONVENTION_OVER_CEILING);
	assert_int_equal(d.covered, 400);
	/* embedded 3,00 at 5,90 €/kg: 3,00 x 400 / 590 = 2,0339 -> 2,03 */
	w.amount = 300;
	assert_int_equal(convention_decide(l, 20260415, &w, &d), SSA_ERR_OK);
	assert_int_equal(d.covered, 203);
	/* cheap apples under the ceiling: covered in full */
	w.unit_price = 250;
	w.grams = 2000;
	w.amount = 500;
	assert_int_equal(convention_decide(l, 20260415, &w, &d), SSA_ERR_OK);
	assert_int_equal(d.reason, CONVENTION_COVERED);
	assert_int_equal(d.covered, 500);
	convention_list_free(l);
}

static void
test_caps(void **state)
{
	struct convention_list *l = load34();
	struct convention_line ln = piece("1", "epicerie", 2000, 1);
	struct convention_decision d;
	(void)state;
	assert_int_equal(convention_decide(l, 20260415, &ln, &d), SSA_ERR_OK);
	assert_int_equal(d.cap, 3000);
	assert_int_equal(d.covered, 1000);
	convention_apply_cap(&d, 0);
	assert_int_equal(d.reason, CONVENTION_PARTIAL_RATE);
	assert_int_equal(d.covered, 1000);
	convention_apply_cap(&d, 2500); /* 5,00 left */
	assert_int_equal(d.reason, CONVENTION_CAP_REACHED);
	assert_int_equal(d.covered, 500);
	assert_int_equal(convention_decide(l, 20260415, &ln, &d), SSA_ERR_OK);
	convention_apply_cap(&d, 3500); /* already over */
	assert_int_equal(d.reason, CONVENTION_CAP_REACHED);
	assert_int_equal(d.covered, 0);
	/* no cap on the category: untouched */
	ln = piece("3560070123452", "fruits-legumes", 100, 1);
	assert_int_equal(convention_decide(l, 20260415, &ln, &d), SSA_ERR_OK);
	assert_int_equal(d.cap, CONVENTION_NONE);
	convention_apply_cap(&d, 1000000);
	assert_int_equal(d.covered, 100);
	convention_list_free(l);
}

static void
test_exclusion_beats_inclusion(void **state)
{
	char *text = NULL;
	size_t len;
	struct convention_list *l = NULL;
	const char *body = HDR "code,3760000000017,100,,,,\ncategory,vins,100,,,,\n"
			       "exclude,vins,,,,,\n";
	(void)state;
	assert_int_equal(convention_sign(body, strlen(body), priv_a, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, NULL), SSA_ERR_OK);
	decide(l, 20260415, piece("3760000000017", "vins", 900, 1), CONVENTION_EXCLUDED_CATEGORY,
	       0);
	decide(l, 20260415, piece("3760000000017", "epicerie", 900, 1), CONVENTION_COVERED, 900);
	convention_list_free(l);
	free(text);
}

/* Alcohol is never eligible: a rule of the code (CONVENTION_CATEGORY_ALCOHOL), whatever the
 * caisse's list says. */
static void
test_alcohol_never_eligible(void **state)
{
	unsigned line = 0;
	char *text = NULL;
	size_t len;
	struct convention_list *l = NULL;
	struct convention_error err;
	/* no exclusion line, and a code entry for a bottle of wine */
	const char *body = HDR "code,3760000000017,100,,,,\ncategory,epicerie,100,,,,\n";
	(void)state;
	assert_string_equal(CONVENTION_CATEGORY_ALCOHOL, "alcool");
	assert_int_equal(convention_sign(body, strlen(body), priv_a, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, NULL), SSA_ERR_OK);
	decide(l, 20260415, piece("3760000000017", "alcool", 900, 1),
	       CONVENTION_EXCLUDED_CATEGORY, 0);
	decide(l, 20260415, piece("3760000000024", "alcool", 900, 1),
	       CONVENTION_EXCLUDED_CATEGORY, 0);
	/* the same code in another category is covered by its code entry */
	decide(l, 20260415, piece("3760000000017", "epicerie", 900, 1), CONVENTION_COVERED, 900);
	convention_list_free(l);
	l = NULL;
	free(text);

	/* a list that would cover the category is refused, naming the line */
	assert_int_equal(parse_body(HDR "code,123,100,,,,\ncategory,alcool,100,,,,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 6);
	assert_int_equal(parse_body(HDR "category,alcool,50,2.00,,2026-02-01,\n", &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 5);
	assert_int_equal(convention_sign(HDR "category,alcool,100,,,,\n",
					 strlen(HDR "category,alcool,100,,,,\n"), priv_a, &text,
					 &len),
			 SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_LIST_FORMAT);
	assert_null(l);
	assert_non_null(strstr(err.msg, "never eligible"));
	free(text);
	/* ... in a delta too; excluding it, or removing an entry, is fine */
	assert_int_equal(parse_body("ssa-list,1\ncaisse,c1\nversion,3\nbase,2\n"
				    "valid,2026-01-01,\ncategory,alcool,100,,,,\n",
				    &line),
			 SSA_ERR_LIST_FORMAT);
	assert_int_equal(line, 6);
	assert_int_equal(parse_body("ssa-list,1\ncaisse,c1\nversion,3\nbase,2\n"
				    "valid,2026-01-01,\n-category,alcool,,,,,\n",
				    &line),
			 SSA_ERR_OK);
	assert_int_equal(parse_body(HDR "exclude,alcool,,,,,\n", &line), SSA_ERR_OK);
}

static void
test_multi_caisse(void **state)
{
	struct convention_list *l34 = load34(), *l30 = NULL;
	const char *b30 = "ssa-list,1\ncaisse,caisse-30\nversion,3\nvalid,2026-01-01,\n"
			  "category,epicerie,100,,,,\nexclude,fruits-legumes,,,,,\n";
	char *text;
	size_t len;
	struct convention_line ln = piece("1", "epicerie", 400, 1);
	(void)state;
	text = signed_list(b30, priv_b, &len);
	assert_int_equal(convention_list_parse(text, len, &l30, NULL), SSA_ERR_OK);
	/* the same product, two caisses, two decisions, each naming its list */
	decide(l34, 20260415, ln, CONVENTION_PARTIAL_RATE, 200);
	decide(l30, 20260415, ln, CONVENTION_COVERED, 400);
	ln = piece("3560070123452", "fruits-legumes", 100, 1);
	decide(l34, 20260415, ln, CONVENTION_COVERED, 100);
	decide(l30, 20260415, ln, CONVENTION_EXCLUDED_CATEGORY, 0);
	convention_list_free(l30);
	convention_list_free(l34);
	free(text);
}

static void
test_delta(void **state)
{
	struct convention_list *base = load34(), *delta = NULL, *merged = NULL, *wrong = NULL;
	const char *d8 = "ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\n"
			 "-code,3000000000045,,,,,\n"
			 "code,3560070123452,80,,,,\n"
			 "code,4000000000006,100,,,,\n"
			 "-exclude,alcool,,,,,\n";
	const char *dbad = "ssa-list,1\ncaisse,caisse-34\nversion,9\nbase,8\nvalid,2026-01-01,\n"
			   "-code,5555,,,,,\n";
	const char *dother = "ssa-list,1\ncaisse,caisse-30\nversion,8\nbase,7\n"
			     "valid,2026-01-01,\n";
	char *text;
	size_t len;
	(void)state;
	text = signed_list(d8, priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &delta, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(delta->base, 7);
	assert_int_equal(convention_list_apply_delta(base, delta, &merged), SSA_ERR_OK);
	assert_int_equal(merged->version, 8);
	assert_int_equal(merged->base, 0);
	assert_int_equal(merged->valid_to, 0);
	assert_int_equal(merged->n, base->n - 2 + 1);
	assert_null(convention_list_find(merged, CONVENTION_CODE, "3000000000045"));
	assert_null(convention_list_find(merged, CONVENTION_EXCLUDE, "alcool"));
	assert_int_equal(convention_list_find(merged, CONVENTION_CODE, "3560070123452")->rate_bp,
			 8000);
	assert_non_null(convention_list_find(merged, CONVENTION_CODE, "4000000000006"));
	assert_non_null(convention_list_find(merged, CONVENTION_CATEGORY, "epicerie"));
	/* applying the same delta to the merged list: its base is no longer in force */
	assert_int_equal(convention_list_apply_delta(merged, delta, &wrong), SSA_ERR_LIST_OLDER);
	/* a removal of an unknown entry */
	text = signed_list(dbad, priv_a, &len);
	convention_list_free(delta);
	delta = NULL;
	assert_int_equal(convention_list_parse(text, len, &delta, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(convention_list_apply_delta(merged, delta, &wrong), SSA_ERR_LIST_FORMAT);
	/* a delta on the wrong base */
	assert_int_equal(convention_list_apply_delta(base, delta, &wrong), SSA_ERR_LIST_BASE);
	convention_list_free(delta);
	delta = NULL;
	text = signed_list(dother, priv_a, &len);
	assert_int_equal(convention_list_parse(text, len, &delta, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(convention_list_apply_delta(base, delta, &wrong), SSA_ERR_LIST_CAISSE);
	assert_null(wrong);
	convention_list_free(delta);
	convention_list_free(merged);
	convention_list_free(base);
}

static void
test_codes_canonical(void **state)
{
	const char *body = HDR "code,036000291452,100,,,,\n";
	char *text = NULL;
	size_t len;
	struct convention_list *l = NULL;
	(void)state;
	assert_int_equal(convention_sign(body, strlen(body), priv_a, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, NULL), SSA_ERR_OK);
	assert_non_null(convention_list_find(l, CONVENTION_CODE, "0036000291452"));
	decide(l, 20260415, piece("0036000291452", "droguerie", 100, 1), CONVENTION_COVERED, 100);
	convention_list_free(l);
	free(text);
}

static void
test_dates(void **state)
{
	int32_t d = 0;
	char buf[16];
	(void)state;
	assert_int_equal(convention_date_parse("2028-02-29", &d), SSA_ERR_OK);
	assert_int_equal(d, 20280229);
	assert_int_equal(convention_date_parse("2026-02-29", &d), SSA_ERR_INVAL);
	assert_int_equal(convention_date_parse("2100-02-29", &d), SSA_ERR_INVAL);
	assert_int_equal(convention_date_parse("2026-13-01", &d), SSA_ERR_INVAL);
	assert_int_equal(convention_date_parse("2026-1-01", &d), SSA_ERR_INVAL);
	assert_int_equal(convention_date_parse("26-01-01xx", &d), SSA_ERR_INVAL);
	convention_date_format(20260105, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-05");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_find),
		cmocka_unit_test(test_signature_failures),
		cmocka_unit_test(test_format_errors_name_lines),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_max_age_delta),
		cmocka_unit_test(test_body_set_max_age),
		cmocka_unit_test(test_every_reason),
		cmocka_unit_test(test_partial_rounding),
		cmocka_unit_test(test_ceiling_weight_and_embedded),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_exclusion_beats_inclusion),
		cmocka_unit_test(test_alcohol_never_eligible),
		cmocka_unit_test(test_multi_caisse),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_codes_canonical),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
