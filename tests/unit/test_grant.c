/* test_grant.c — household allocation rules with real-looking households; grant batches: build,
 * sign, verify, find, and everything a tampered or malformed batch must not get through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/grant.h"
#include "ssa/household.h"

static const uint8_t priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t other_priv[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
					7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

static const char rules_text[] = "ssa-household-rules,1\n"
				 "# caisse de Montpellier, 2026\n"
				 "base,150.00\n"
				 "adult,75\n"
				 "child,40.00\n"
				 "child_age,14\n";

static struct household_rules
rules(void)
{
	struct household_rules r;
	struct convention_error err;
	assert_int_equal(household_rules_parse(rules_text, strlen(rules_text), &r, &err),
			 SSA_ERR_OK);
	return r;
}

static void
test_household_rules_parse(void **state)
{
	struct household_rules r = rules(), back;
	char *text;
	size_t len;
	(void)state;
	assert_int_equal(r.base, 15000);
	assert_int_equal(r.adult, 7500);
	assert_int_equal(r.child, 4000);
	assert_int_equal(r.child_age, 14);
	assert_int_equal(r.cap, HOUSEHOLD_NO_CAP);
	r.cap = 40000;
	assert_int_equal(household_rules_format(&r, &text, &len), SSA_ERR_OK);
	assert_int_equal(household_rules_parse(text, len, &back, NULL), SSA_ERR_OK);
	free(text);
	assert_int_equal(back.base, r.base);
	assert_int_equal(back.adult, r.adult);
	assert_int_equal(back.child, r.child);
	assert_int_equal(back.child_age, r.child_age);
	assert_int_equal(back.cap, 40000);
}

static void
test_household_rules_bad(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "", 1 },
		{ "ssa-household-rules,2\nbase,1\n", 1 },
		{ "ssa-household-rules,1\nbase,150\nadult,75\nchild,40\n", 5 },   /* child_age */
		{ "ssa-household-rules,1\nbase,150\nbase,150\n", 3 },             /* twice */
		{ "ssa-household-rules,1\nbase,150.001\n", 2 },                   /* decimals */
		{ "ssa-household-rules,1\nbase,-150\n", 2 },                      /* sign */
		{ "ssa-household-rules,1\nbase,1 50\n", 2 },
		{ "ssa-household-rules,1\nbase,150.\n", 2 },
		{ "ssa-household-rules,1\nbonus,10\n", 2 },                       /* unknown */
		{ "ssa-household-rules,1\nbase,150,2\n", 2 },
		{ "ssa-household-rules,1\nchild_age,0\n", 2 },
		{ "ssa-household-rules,1\nchild_age,14y\n", 2 },
		{ "ssa-household-rules,1\nbase,150\x01\n", 2 },
		{ "ssa-household-rules,1\nbase,150\nadult,75\nchild,40\nchild_age,14\ncap,100\n", 7 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct household_rules r;
		struct convention_error err;
		assert_int_equal(household_rules_parse(bad[i].text, strlen(bad[i].text), &r, &err),
				 SSA_ERR_HOUSEHOLD_RULES);
		assert_int_equal(err.line, bad[i].line);
		assert_true(strlen(err.msg) > 5);
	}
}

static void
test_household_age(void **state)
{
	int32_t a;
	(void)state;
	assert_int_equal(household_age(20120301, 20260301, &a), SSA_ERR_OK);
	assert_int_equal(a, 14);
	assert_int_equal(household_age(20120302, 20260301, &a), SSA_ERR_OK);
	assert_int_equal(a, 13);
	/* born on 29 February: 14 on 1 March of a common year, not on 28 February */
	assert_int_equal(household_age(20120229, 20260228, &a), SSA_ERR_OK);
	assert_int_equal(a, 13);
	assert_int_equal(household_age(20120229, 20260301, &a), SSA_ERR_OK);
	assert_int_equal(a, 14);
	assert_int_equal(household_age(20260301, 20260301, &a), SSA_ERR_OK);
	assert_int_equal(a, 0);
	assert_int_equal(household_age(20260302, 20260301, &a), SSA_ERR_HOUSEHOLD_MEMBER);
	assert_int_equal(household_age(20110229, 20260301, &a), SSA_ERR_HOUSEHOLD_MEMBER);
	assert_int_equal(household_age(19801301, 20260301, &a), SSA_ERR_HOUSEHOLD_MEMBER);
	assert_int_equal(household_period_first_day(202603, &a), SSA_ERR_OK);
	assert_int_equal(a, 20260301);
	assert_int_equal(household_period_first_day(202613, &a), SSA_ERR_INVAL);
	assert_int_equal(household_period_first_day(2026031, &a), SSA_ERR_INVAL);
}

static void
test_household_amounts(void **state)
{
	struct household_rules r = rules();
	int64_t amount;
	unsigned ad, ch;
	/* a retired woman living alone */
	static const int32_t alone[] = { 19520714 };
	/* a couple with children of 9 and 5, and a 16-year-old */
	static const int32_t family[] = { 19840302, 19861120, 20090611, 20160930, 20201224 };
	/* a single father with a baby born in the month before the period */
	static const int32_t father[] = { 20250215, 19950101 };
	/* a boy who turns 14 on the period's first day counts as an adult */
	static const int32_t turning[] = { 19800101, 20120301 };
	static const int32_t unborn[] = { 19800101, 20260315 };
	(void)state;

	assert_int_equal(household_amount(&r, alone, 1, 202603, &amount, &ad, &ch), SSA_ERR_OK);
	assert_int_equal(amount, 15000);
	assert_int_equal(ad, 1);
	assert_int_equal(ch, 0);
	assert_int_equal(household_amount(&r, family, 5, 202603, &amount, &ad, &ch), SSA_ERR_OK);
	assert_int_equal(amount, 15000 + 7500 + 7500 + 4000 + 4000);
	assert_int_equal(ad, 3);
	assert_int_equal(ch, 2);
	assert_int_equal(household_amount(&r, father, 2, 202603, &amount, &ad, &ch), SSA_ERR_OK);
	assert_int_equal(amount, 15000 + 4000);
	assert_int_equal(household_amount(&r, turning, 2, 202603, &amount, NULL, NULL), SSA_ERR_OK);
	assert_int_equal(amount, 15000 + 7500);
	assert_int_equal(household_amount(&r, turning, 2, 202602, &amount, NULL, NULL), SSA_ERR_OK);
	assert_int_equal(amount, 15000 + 4000);
	assert_int_equal(household_amount(&r, unborn, 2, 202603, &amount, NULL, NULL),
			 SSA_ERR_HOUSEHOLD_MEMBER);
	assert_int_equal(household_amount(&r, alone, 0, 202603, &amount, NULL, NULL), SSA_ERR_INVAL);
	r.cap = 30000;
	assert_int_equal(household_amount(&r, family, 5, 202603, &amount, NULL, NULL), SSA_ERR_OK);
	assert_int_equal(amount, 30000);
}

/* --- grants --------------------------------------------------------------------------------- */

static void
pub_of(const uint8_t *p, uint8_t pub[32])
{
	assert_int_equal(convention_public_key(p, pub), SSA_ERR_OK);
}

static struct grant_batch *
sample_batch(void)
{
	struct grant_batch *b;
	struct grant g[] = {
		{ .id = 1001, .target = GRANT_CARD, .holder = 0x1122334455667788ull, .amount = 26500 },
		{ .id = 1002, .target = GRANT_MEMBER, .holder = 0xa1b2c3d4e5f60718ull, .amount = 15000 },
		{ .id = 1003, .target = GRANT_CARD, .holder = 0x99, .amount = 5 },
		{ .id = 1004, .target = GRANT_MEMBER, .holder = 0x42, .amount = 19000 },
	};
	assert_int_equal(grant_batch_new("caisse-34", 202603, "*", &b), SSA_ERR_OK);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(grant_batch_add(b, &g[i]), SSA_ERR_OK);
	return b;
}

static char *
signed_text(size_t *len)
{
	struct grant_batch *b = sample_batch();
	char *text;
	assert_int_equal(grant_batch_sign(b, priv, &text, len), SSA_ERR_OK);
	grant_batch_free(b);
	return text;
}

static void
test_grant_sign_load_find(void **state)
{
	uint8_t pub[32];
	size_t len;
	char *text = signed_text(&len);
	struct grant_batch *b = NULL;
	const struct grant *g;
	struct convention_error err;
	char id[17];
	uint64_t v;
	(void)state;

	pub_of(priv, pub);
	assert_non_null(strstr(text, "ssa-grants,1\ncaisse,caisse-34\nperiod,202603\noutlet,*\n"
				     "policy,expire\n"
				     "grant,00000000000003e9,card,1122334455667788,265.00\n"
				     "grant,00000000000003ea,member,a1b2c3d4e5f60718,150.00\n"
				     "grant,00000000000003eb,card,0000000000000099,0.05\n"));
	assert_int_equal(grant_batch_load(text, len, pub, "caisse-34", &b, &err), SSA_ERR_OK);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->period, 202603);
	/* by card */
	assert_int_equal(grant_find(b, 0x1122334455667788ull, 0xa1b2c3d4e5f60718ull, 202603, &g),
			 SSA_ERR_OK);
	assert_int_equal(g->id, 1001);
	assert_int_equal(g->amount, 26500);
	/* a replacement card of the member: by member id */
	assert_int_equal(grant_find(b, 0x5555, 0xa1b2c3d4e5f60718ull, 202603, &g), SSA_ERR_OK);
	assert_int_equal(g->id, 1002);
	/* member id 0 is never looked up; a serial equal to a member id is not a member */
	assert_int_equal(grant_find(b, 0xa1b2c3d4e5f60718ull, 0, 202603, &g), SSA_ERR_NOT_FOUND);
	assert_int_equal(grant_find(b, 0x42, 0, 202603, &g), SSA_ERR_NOT_FOUND);
	assert_int_equal(grant_find(b, 0x99, 0x42, 202603, &g), SSA_ERR_OK);
	assert_int_equal(g->id, 1003);
	assert_int_equal(grant_find(b, 0x1122334455667788ull, 0, 202604, &g), SSA_ERR_GRANT_PERIOD);
	assert_ptr_equal(grant_by_id(b, 1004), &b->grants[3]);
	assert_null(grant_by_id(b, 1005));
	/* what the till writes into the RELOAD record, and back */
	grant_id_format(g->id, id, sizeof(id));
	assert_string_equal(id, "00000000000003eb");
	assert_int_equal(grant_id_parse(id, &v), SSA_ERR_OK);
	assert_int_equal(v, 1003);
	assert_int_equal(grant_id_parse("00000000000003EB", &v), SSA_ERR_INVAL);
	assert_int_equal(grant_id_parse("0000000000000000", &v), SSA_ERR_INVAL);
	assert_int_equal(grant_id_parse("3eb", &v), SSA_ERR_INVAL);
	grant_batch_free(b);
	free(text);
}

static void
test_grant_roundtrip_canonical(void **state)
{
	size_t len, blen;
	char *text = signed_text(&len), *body;
	struct grant_batch *b;
	(void)state;
	assert_int_equal(grant_batch_parse(text, len, &b, NULL), SSA_ERR_OK);
	assert_int_equal(grant_batch_format(b, &body, &blen), SSA_ERR_OK);
	assert_int_equal(blen, b->signed_len);
	assert_memory_equal(body, text, blen);
	free(body);
	grant_batch_free(b);
	free(text);
}

static void
test_grant_tampered(void **state)
{
	uint8_t pub[32], other_pub[32];
	size_t len;
	char *text = signed_text(&len);
	struct grant_batch *b = NULL;
	char *p;
	(void)state;
	pub_of(priv, pub);
	pub_of(other_priv, other_pub);
	/* another caisse's key */
	assert_int_equal(grant_batch_load(text, len, other_pub, NULL, &b, NULL),
			 SSA_ERR_GRANT_SIGNATURE);
	assert_null(b);
	/* another caisse named */
	assert_int_equal(grant_batch_load(text, len, pub, "caisse-12", &b, NULL),
			 SSA_ERR_GRANT_CAISSE);
	assert_null(b);
	/* every single-digit change to an amount still parses but no longer verifies */
	p = strstr(text, "265.00");
	assert_non_null(p);
	for (char c = '0'; c <= '9'; c++) {
		if (c == '2')
			continue;
		p[0] = c;
		assert_int_equal(grant_batch_load(text, len, pub, NULL, &b, NULL),
				 c == '0' ? SSA_ERR_GRANT_FORMAT : SSA_ERR_GRANT_SIGNATURE);
		assert_null(b);
	}
	p[0] = '2';
	/* a grant moved to another card */
	p = strstr(text, "1122334455667788");
	p[15] = '9';
	assert_int_equal(grant_batch_load(text, len, pub, NULL, &b, NULL), SSA_ERR_GRANT_SIGNATURE);
	p[15] = '8';
	/* a flipped signature bit */
	text[len - 2] ^= 1;
	assert_int_equal(grant_batch_load(text, len, pub, NULL, &b, NULL), SSA_ERR_GRANT_SIGNATURE);
	text[len - 2] ^= 1;
	/* truncated: the signature line gone */
	assert_int_equal(grant_batch_load(text, len - 147, pub, NULL, &b, NULL),
			 SSA_ERR_GRANT_FORMAT);
	/* intact */
	assert_int_equal(grant_batch_load(text, len, pub, NULL, &b, NULL), SSA_ERR_OK);
	grant_batch_free(b);
	free(text);
}

static char *
sign_body(const char *body, size_t *len)
{
	char *out;
	assert_int_equal(convention_sign(body, strlen(body), priv, &out, len), SSA_ERR_OK);
	return out;
}

static void
test_grant_malformed(void **state)
{
	static const struct {
		const char *body;
		unsigned line;
	} bad[] = {
		{ "ssa-grants,2\n", 1 },
		{ "ssa-list,1\ncaisse,c\nperiod,202603\noutlet,*\n", 1 },
		{ "ssa-grants,1\ncaisse,c d\nperiod,202603\noutlet,*\n", 2 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202613\noutlet,*\n", 3 },
		{ "ssa-grants,1\ncaisse,c\nperiod,20263\noutlet,*\n", 3 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,a,b\n", 4 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\n", 4 }, /* signature too early */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000002,card,0000000000000001,1.00\n"
		  "grant,0000000000000001,card,0000000000000003,1.00\n",
		  7 }, /* unsorted */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,1.00\n"
		  "grant,0000000000000001,card,0000000000000003,1.00\n",
		  7 }, /* duplicate id */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000007,1.00\n"
		  "grant,0000000000000002,member,0000000000000007,1.00\n"
		  "grant,0000000000000003,card,0000000000000007,1.00\n",
		  8 }, /* card twice (a member with the same number is another holder) */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,000000000000000A,1.00\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000000,card,0000000000000001,1.00\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,household,0000000000000001,1.00\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,1.0\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,01.00\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,0.00\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,10000.01\n",
		  6 }, /* above CARD_BALANCE_MAX */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n"
		  "grant,0000000000000001,card,0000000000000001,1.00,x\n",
		  6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n# comment\n", 6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\n\n", 6 },
		{ "ssa-grants,1\r\ncaisse,c\nperiod,202603\noutlet,*\n", 1 },
		/* the policy line: always there, right after outlet, canonical */
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\n"
		  "grant,0000000000000001,card,0000000000000001,1.00\n",
		  5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,keep\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,rollover\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,rollover,50\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,rollover,-5.00\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,rollover,10000.01\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire,0.00\n", 5 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\noutlet,*\npolicy,expire\npolicy,expire\n", 6 },
		{ "ssa-grants,1\ncaisse,c\nperiod,202603\npolicy,expire\noutlet,*\n", 4 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		char *text = sign_body(bad[i].body, &len);
		struct grant_batch *b = NULL;
		struct convention_error err;
		assert_int_equal(grant_batch_parse(text, len, &b, &err), SSA_ERR_GRANT_FORMAT);
		assert_null(b);
		if (err.line != bad[i].line)
			fail_msg("case %zu: line %u (%s), expected %u", i, err.line, err.msg,
				 bad[i].line);
		free(text);
	}
}

static void
test_grant_trailing_and_nul(void **state)
{
	size_t len;
	char *text = signed_text(&len), *more;
	struct grant_batch *b = NULL;
	(void)state;
	more = malloc(len + 8);
	memcpy(more, text, len);
	memcpy(more + len, "x\n", 2);
	assert_int_equal(grant_batch_parse(more, len + 2, &b, NULL), SSA_ERR_GRANT_FORMAT);
	/* no final newline */
	assert_int_equal(grant_batch_parse(text, len - 1, &b, NULL), SSA_ERR_GRANT_FORMAT);
	/* a NUL byte in the body */
	memcpy(more, text, len);
	more[20] = '\0';
	assert_int_equal(grant_batch_parse(more, len, &b, NULL), SSA_ERR_GRANT_FORMAT);
	assert_null(b);
	free(more);
	free(text);
}

static void
test_grant_build_rules(void **state)
{
	struct grant_batch *b;
	struct grant g = { .id = 5, .target = GRANT_CARD, .holder = 1, .amount = 100 };
	char *text;
	size_t len;
	(void)state;
	assert_int_equal(grant_batch_new("c", 202603, "bad id", &b), SSA_ERR_INVAL);
	assert_int_equal(grant_batch_new("c", 202600, "*", &b), SSA_ERR_INVAL);
	assert_int_equal(grant_batch_new("c", 202603, "epicerie-7", &b), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_EXISTS);
	g.id = 6;
	g.amount = 0;
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_INVAL);
	g.amount = 100;
	g.holder = 0;
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_INVAL);
	g.holder = 1; /* the same card again */
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, priv, &text, &len), SSA_ERR_EXISTS);
	grant_batch_free(b);
	grant_batch_free(NULL);
}

static void
test_grant_policy(void **state)
{
	uint8_t pub[32];
	struct grant_batch *b, *back;
	struct grant g = { .id = 1, .target = GRANT_CARD, .holder = 0x77, .amount = 15000 };
	char *text;
	size_t len;
	(void)state;
	pub_of(priv, pub);
	assert_int_equal(grant_batch_new("caisse-34", 202603, "*", &b), SSA_ERR_OK);
	assert_int_equal(b->policy, CARD_RELOAD_EXPIRE);
	assert_int_equal(b->cap, 0);
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_OK);
	/* refused settings leave the batch as it was */
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_EXPIRE, 1), SSA_ERR_INVAL);
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, -1), SSA_ERR_INVAL);
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, CARD_BALANCE_MAX + 1),
			 SSA_ERR_INVAL);
	assert_int_equal(grant_batch_set_policy(b, (enum card_reload_policy)7, 0), SSA_ERR_INVAL);
	assert_int_equal(grant_batch_set_policy(NULL, CARD_RELOAD_EXPIRE, 0), SSA_ERR_INVAL);
	assert_int_equal(b->policy, CARD_RELOAD_EXPIRE);
	assert_int_equal(b->cap, 0);
	/* rollover with a cap of 50.00 EUR: written after outlet, read back, signed */
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, 5000), SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, priv, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "outlet,*\npolicy,rollover,50.00\ngrant,"));
	assert_int_equal(grant_batch_load(text, len, pub, "caisse-34", &back, NULL), SSA_ERR_OK);
	assert_int_equal(back->policy, CARD_RELOAD_ROLLOVER);
	assert_int_equal(back->cap, 5000);
	grant_batch_free(back);
	/* the policy is signed: a changed cap does not verify */
	char *p = strstr(text, "50.00");
	p[0] = '9';
	assert_int_equal(grant_batch_load(text, len, pub, NULL, &back, NULL), SSA_ERR_GRANT_SIGNATURE);
	free(text);
	/* rollover with a cap of 0 and the maximum */
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, 0), SSA_ERR_OK);
	assert_int_equal(grant_batch_format(b, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "\npolicy,rollover,0.00\n"));
	free(text);
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, CARD_BALANCE_MAX),
			 SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, priv, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "\npolicy,rollover,10000.00\n"));
	assert_int_equal(grant_batch_parse(text, len, &back, NULL), SSA_ERR_OK);
	assert_int_equal(back->cap, CARD_BALANCE_MAX);
	grant_batch_free(back);
	free(text);
	/* back to expire */
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_EXPIRE, 0), SSA_ERR_OK);
	assert_int_equal(grant_batch_format(b, &text, &len), SSA_ERR_OK);
	assert_non_null(strstr(text, "outlet,*\npolicy,expire\ngrant,"));
	free(text);
	grant_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_household_rules_parse),
		cmocka_unit_test(test_household_rules_bad),
		cmocka_unit_test(test_household_age),
		cmocka_unit_test(test_household_amounts),
		cmocka_unit_test(test_grant_sign_load_find),
		cmocka_unit_test(test_grant_roundtrip_canonical),
		cmocka_unit_test(test_grant_tampered),
		cmocka_unit_test(test_grant_malformed),
		cmocka_unit_test(test_grant_trailing_and_nul),
		cmocka_unit_test(test_grant_build_rules),
		cmocka_unit_test(test_grant_policy),
	};
	return cmocka_run_group_tests_name("grant", tests, NULL, NULL);
}
