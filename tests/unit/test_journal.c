/* test_journal.c — record encoding (canonical only), seal, signatures and chain verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal_fixture.h"
#include "ssa/journal.h"

static void
sample_sale(struct journal_record *r)
{
	jf_sale(r, INT64_C(1795000000000), 300);
}

static void
test_roundtrip(void **state)
{
	struct journal_record r, d;
	struct journal_signer *s;
	char *enc = NULL, *enc2 = NULL;
	size_t len, len2;
	const char *why;
	uint8_t h[32];

	(void)state;
	assert_int_equal(journal_signer_new(jf_priv_a, &s), SSA_ERR_OK);
	sample_sale(&r);
	assert_int_equal(journal_seal(&r, 0, NULL, s, &enc, &len, h), SSA_ERR_OK);
	assert_int_equal(r.seq, 1);
	assert_int_equal(journal_record_decode(enc, len, &d, &why), SSA_ERR_OK);
	assert_int_equal(d.n_lines, 2);
	assert_string_equal(d.lines[1].name, "Comté 18 mois (kg)");
	assert_int_equal(d.lines[1].grams, 350);
	assert_int_equal(d.lines[1].reason, CONVENTION_NOT_IN_LIST);
	assert_int_equal(d.tenders[1].change, 500);
	assert_int_equal(d.balance_after, 14700);
	assert_int_equal(d.vat.n, 2);
	assert_memory_equal(d.sig, r.sig, 64);
	assert_int_equal(journal_record_encode(&d, &enc2, &len2), SSA_ERR_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(enc, enc2, len);
	assert_int_equal(journal_record_verify(&d, (const uint8_t[32]){ 0 }), SSA_ERR_JOURNAL_KEY);
	{
		uint8_t pub[32];
		journal_signer_public(s, pub, NULL);
		assert_int_equal(journal_record_verify(&d, pub), SSA_ERR_OK);
	}
	journal_record_fini(&d);
	journal_record_fini(&r);
	free(enc);
	free(enc2);
	journal_signer_free(s);
}

/* A copy of @p enc with the first @p from replaced by @p to. */
static char *
edit(const char *enc, const char *from, const char *to)
{
	const char *p = strstr(enc, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(enc) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, enc, (size_t)(p - enc));
	strcpy(out + (p - enc), to);
	strcat(out, p + strlen(from));
	return out;
}

static void
test_not_canonical(void **state)
{
	static const char *const edits[][2] = {
		{ "{", "{ " },                          /* spacing */
		{ "\"v\":1", "\"v\":1.0" },             /* a real for an integer */
		{ "\"v\":1", "\"v\":1,\"x\":0" },       /* an unknown field */
		{ "\"v\":1", "\"v\":1,\"v\":1" },       /* a duplicate key */
		{ "\"total\":1140", "\"total\":1141" }, /* totals that do not add up */
		{ "\"kind\":\"SALE\"", "\"kind\":\"SALES\"" },
		{ "\"term\":\"T1\"", "\"term\":\"T\\u0031\"" }, /* an escape not needed */
		{ "\"card\":\"c-4f2a9b\",", "" },               /* a missing field */
		{ "\"seq\":1", "\"seq\":-1" },
		{ "\"reason\":\"COVERED\"", "\"reason\":\"covered\"" },
	};
	struct journal_record r, d;
	struct journal_signer *s;
	char *enc = NULL;
	size_t len;
	const char *why;

	(void)state;
	assert_int_equal(journal_signer_new(jf_priv_a, &s), SSA_ERR_OK);
	sample_sale(&r);
	assert_int_equal(journal_seal(&r, 0, NULL, s, &enc, &len, NULL), SSA_ERR_OK);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *bad = edit(enc, edits[i][0], edits[i][1]);
		why = NULL;
		assert_int_equal(journal_record_decode(bad, strlen(bad), &d, &why),
				 SSA_ERR_JOURNAL_FORMAT);
		assert_non_null(why);
		journal_record_fini(&d);
		free(bad);
	}
	/* Upper-case hex in the signature. */
	{
		char *p = strstr(enc, "\"sig\":\"") + 7, *bad = strdup(enc);
		size_t at = (size_t)(p - enc);
		for (size_t k = at; bad[k] != '"'; k++)
			if (bad[k] >= 'a' && bad[k] <= 'f') {
				bad[k] = (char)(bad[k] - 'a' + 'A');
				break;
			}
		assert_int_equal(journal_record_decode(bad, len, &d, &why), SSA_ERR_JOURNAL_FORMAT);
		free(bad);
	}
	assert_int_equal(journal_record_decode(enc, len - 1, &d, &why), SSA_ERR_JOURNAL_FORMAT);
	assert_int_equal(journal_record_decode("", 0, &d, &why), SSA_ERR_JOURNAL_FORMAT);
	assert_int_equal(journal_record_decode("[]", 2, &d, &why), SSA_ERR_JOURNAL_FORMAT);
	journal_record_fini(&r);
	free(enc);
	journal_signer_free(s);
}

static void
test_check(void **state)
{
	struct journal_record r;
	const char *why = NULL;
	char *enc = NULL;
	size_t len;

	(void)state;
	sample_sale(&r);
	r.seq = 3;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_OK);
	r.kind = JOURNAL_VOID;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	r.link_seq = 2;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_OK);
	r.link_seq = 3;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	r.kind = JOURNAL_SALE;
	r.link_seq = 0;
	r.tenders[1].amount = 839;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	assert_string_equal(why, "tenders do not add up to the total");
	r.tenders[1].amount = 840;
	strcpy(r.terminal, "T\t1");
	assert_int_equal(journal_record_encode(&r, &enc, &len), SSA_ERR_JOURNAL_FORMAT);
	strcpy(r.terminal, "T1");
	r.balance_after = JOURNAL_NONE;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	r.balance_before = JOURNAL_NONE;
	r.card[0] = '\0';
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_OK);
	r.lines[0].reason = CONVENTION__REASON_COUNT;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	journal_record_fini(&r);
}

/* Five sealed records chained with key @p priv; the caller frees each. */
static void
make_chain(const uint8_t *priv, char *enc[5], size_t len[5])
{
	struct journal_signer *s;
	uint8_t h[32];

	assert_int_equal(journal_signer_new(priv, &s), SSA_ERR_OK);
	for (uint64_t i = 0; i < 5; i++) {
		struct journal_record r;
		sample_sale(&r);
		r.time_ms += (int64_t)i * 1000;
		assert_int_equal(journal_seal(&r, i, i == 0 ? NULL : h, s, &enc[i], &len[i], h),
				 SSA_ERR_OK);
		journal_record_fini(&r);
	}
	journal_signer_free(s);
}

/* Verify positions @p pos[0..n) holding @p enc[idx[k]]; returns the first error. */
static enum ssa_err
verify(char *enc[5], size_t len[5], const uint64_t *pos, const int *idx, size_t n,
       uint64_t *bad)
{
	struct journal_chain c;
	struct journal_signer *s;
	uint8_t pub[32];
	enum ssa_err e = SSA_ERR_OK;

	assert_int_equal(journal_signer_new(jf_priv_a, &s), SSA_ERR_OK);
	journal_signer_public(s, pub, NULL);
	journal_signer_free(s);
	assert_int_equal(journal_chain_init(&c, pub), SSA_ERR_OK);
	for (size_t k = 0; k < n && e == SSA_ERR_OK; k++)
		e = journal_chain_next(&c, pos[k], enc[idx[k]], len[idx[k]], NULL);
	*bad = e == SSA_ERR_OK ? 0 : c.bad_seq;
	if (e != SSA_ERR_OK)
		print_message("  %s: %s\n", ssa_errname(e), c.why);
	return e;
}

static void
test_chain(void **state)
{
	char *enc[5], *other[5];
	size_t len[5], olen[5];
	uint64_t bad;
	const uint64_t pos[] = { 1, 2, 3, 4, 5 };

	(void)state;
	make_chain(jf_priv_a, enc, len);
	make_chain(jf_priv_b, other, olen);
	assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 1, 2, 3, 4 }, 5, &bad),
			 SSA_ERR_OK);
	/* deleted record 3 */
	assert_int_equal(verify(enc, len, (const uint64_t[]){ 1, 2, 4, 5 },
				(const int[]){ 0, 1, 3, 4 }, 4, &bad),
			 SSA_ERR_JOURNAL_SEQ);
	assert_int_equal(bad, 4);
	/* records 2 and 3 swapped in their slots */
	assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 2, 1, 3, 4 }, 5, &bad),
			 SSA_ERR_JOURNAL_ORDER);
	assert_int_equal(bad, 2);
	/* record 3 edited */
	{
		char *e3 = enc[2];
		size_t l3 = len[2];
		enc[2] = edit(e3, "\"total\":1140", "\"total\":1140 ");
		len[2] = strlen(enc[2]);
		assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 1, 2, 3, 4 }, 5, &bad),
				 SSA_ERR_JOURNAL_FORMAT);
		free(enc[2]);
		enc[2] = edit(e3, "\"op\":\"op7\"", "\"op\":\"op8\"");
		len[2] = strlen(enc[2]);
		assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 1, 2, 3, 4 }, 5, &bad),
				 SSA_ERR_JOURNAL_SIGNATURE);
		assert_int_equal(bad, 3);
		free(enc[2]);
		enc[2] = e3;
		len[2] = l3;
	}
	/* record 3 replaced by one signed with another key */
	{
		char *e3 = enc[2];
		size_t l3 = len[2];
		enc[2] = other[2];
		len[2] = olen[2];
		assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 1, 2, 3, 4 }, 5, &bad),
				 SSA_ERR_JOURNAL_KEY);
		assert_int_equal(bad, 3);
		enc[2] = e3;
		len[2] = l3;
	}
	/* record 1 of the genuine key but from another chain position: 5 records sealed
	 * after a different record 1 break the chain at 2 */
	{
		struct journal_signer *s;
		struct journal_record r;
		char *alt;
		size_t alen;
		uint8_t h[32];
		char *keep = enc[0];
		size_t klen = len[0];

		assert_int_equal(journal_signer_new(jf_priv_a, &s), SSA_ERR_OK);
		sample_sale(&r);
		r.total = 1140;
		strcpy(r.operator_id, "someone-else");
		assert_int_equal(journal_seal(&r, 0, NULL, s, &alt, &alen, h), SSA_ERR_OK);
		journal_record_fini(&r);
		journal_signer_free(s);
		enc[0] = alt;
		len[0] = alen;
		assert_int_equal(verify(enc, len, pos, (const int[]){ 0, 1, 2, 3, 4 }, 5, &bad),
				 SSA_ERR_JOURNAL_CHAIN);
		assert_int_equal(bad, 2);
		free(alt);
		enc[0] = keep;
		len[0] = klen;
	}
	for (int i = 0; i < 5; i++) {
		free(enc[i]);
		free(other[i]);
	}
}

/* Text that looks like the signature field does not confuse sealing. */
static void
test_seal_tricky_text(void **state)
{
	struct journal_record r, d;
	struct journal_signer *s = jf_signer(jf_priv_a);
	char *enc = NULL, *again = NULL;
	size_t len, alen;
	uint8_t pub[32];

	(void)state;
	sample_sale(&r);
	strcpy(r.lines[0].name, "x,\"sig\":\"\",y \\ \u00e9");
	strcpy(r.operator_id, ",\"sig\":\"\",");
	assert_int_equal(journal_seal(&r, 41, (const uint8_t[32]){ 7 }, s, &enc, &len, NULL),
			 SSA_ERR_OK);
	assert_int_equal(journal_record_encode(&r, &again, &alen), SSA_ERR_OK);
	assert_int_equal(len, alen);
	assert_memory_equal(enc, again, len);
	assert_int_equal(journal_record_decode(enc, len, &d, NULL), SSA_ERR_OK);
	assert_string_equal(d.operator_id, ",\"sig\":\"\",");
	assert_int_equal(d.seq, 42);
	journal_signer_public(s, pub, NULL);
	assert_int_equal(journal_record_verify(&d, pub), SSA_ERR_OK);
	journal_record_fini(&d);
	journal_record_fini(&r);
	free(enc);
	free(again);
	journal_signer_free(s);
}

static void
test_kinds(void **state)
{
	enum journal_kind k;

	(void)state;
	for (unsigned i = 0; i < JOURNAL__KIND_COUNT; i++) {
		assert_int_equal(journal_kind_parse(journal_kind_name((enum journal_kind)i), &k),
				 SSA_ERR_OK);
		assert_int_equal(k, i);
	}
	assert_int_equal(journal_kind_parse("AMAP", &k), SSA_ERR_JOURNAL_FORMAT);
	assert_true(journal_kind_is_closing(JOURNAL_CLOSING_MONTH));
	assert_false(journal_kind_is_closing(JOURNAL_REFUND));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_not_canonical),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_seal_tricky_text),
		cmocka_unit_test(test_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
