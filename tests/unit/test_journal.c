/* test_journal.c — record encoding (canonical only), seal, signatures and chain verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "journal_fixture.h"
#include "ssa/closing.h"
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

/* --- the encoder against jansson ---------------------------------------------------------------
 * lib/journal.c writes the canonical form by hand for speed; the canonical form is defined as
 * jansson's json_dumps(JSON_COMPACT | JSON_SORT_KEYS) of the record's fields.  This builds that
 * tree and compares the bytes on many records with awkward strings. */

static json_t *
ref_vat(const struct vat_summary *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_pack("{sIsIsIsI}", "rate", (json_int_t)v->rates[i].rate_bp,
						   "gross", (json_int_t)v->rates[i].gross, "vat",
						   (json_int_t)v->rates[i].vat, "net",
						   (json_int_t)v->rates[i].net));
	return a;
}

static json_t *
ref_record(const struct journal_record *r)
{
	json_t *o = json_object(), *lines = json_array(), *tenders = json_array();
	char hex[2 * JOURNAL_SIG_LEN + 1];

	for (size_t i = 0; i < r->n_lines; i++) {
		const struct journal_line *l = &r->lines[i];
		json_array_append_new(
		    lines, json_pack("{sssssssIsIsIsIsIsIsIsssssI}", "code", l->code, "name", l->name,
				     "cat", l->category, "qty", (json_int_t)l->qty, "grams",
				     (json_int_t)l->grams, "unit_price", (json_int_t)l->unit_price,
				     "amount", (json_int_t)l->amount, "vat", (json_int_t)l->vat_bp,
				     "covered", (json_int_t)l->covered, "paid_ssa",
				     (json_int_t)l->paid_ssa, "reason",
				     convention_reason_name(l->reason), "list", l->list_caisse,
				     "list_v", (json_int_t)l->list_version));
	}
	for (size_t i = 0; i < r->n_tenders; i++)
		json_array_append_new(tenders,
				      json_pack("{sssIsIsI}", "kind", tender_name(r->tenders[i].kind),
						"amount", (json_int_t)r->tenders[i].amount, "given",
						(json_int_t)r->tenders[i].given, "change",
						(json_int_t)r->tenders[i].change));
	json_object_set_new(o, "lines", lines);
	json_object_set_new(o, "tenders", tenders);
	json_object_set_new(o, "v", json_integer(JOURNAL_FORMAT_VERSION));
	json_object_set_new(o, "kind", json_string(journal_kind_name(r->kind)));
	json_object_set_new(o, "est", json_string(r->establishment));
	json_object_set_new(o, "term", json_string(r->terminal));
	json_object_set_new(o, "sw", json_string(r->software));
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "time", json_integer(r->time_ms));
	json_object_set_new(o, "op", json_string(r->operator_id));
	json_object_set_new(o, "card", json_string(r->card));
	json_object_set_new(o, "bal_before", r->balance_before == JOURNAL_NONE
						  ? json_null()
						  : json_integer(r->balance_before));
	json_object_set_new(o, "bal_after", r->balance_after == JOURNAL_NONE
						 ? json_null()
						 : json_integer(r->balance_after));
	json_object_set_new(o, "vat", ref_vat(&r->vat));
	json_object_set_new(o, "total", json_integer(r->total));
	json_object_set_new(o, "ssa", json_integer(r->ssa_covered));
	json_object_set_new(o, "link", json_integer((json_int_t)r->link_seq));
	json_object_set_new(o, "reload",
			    r->kind == JOURNAL_RELOAD
				? json_pack("{sssIsIsI}", "grant", r->reload.grant_id, "period",
					    (json_int_t)r->reload.period, "amount",
					    (json_int_t)r->reload.amount, "expired",
					    (json_int_t)r->reload.expired)
				: json_null());
	if (journal_kind_is_closing(r->kind)) {
		const struct journal_closing *c = &r->closing;
		json_t *x = json_object(), *t = json_object();
		for (size_t i = 0; i < TENDER__COUNT; i++)
			json_object_set_new(t, tender_name((enum tender_kind)i),
					    json_integer(c->tenders[i]));
		json_object_set_new(x, "tenders", t);
		json_object_set_new(x, "period", json_integer(c->period));
		json_object_set_new(x, "number", json_integer((json_int_t)c->number));
		json_object_set_new(x, "first_seq", json_integer((json_int_t)c->first_seq));
		json_object_set_new(x, "last_seq", json_integer((json_int_t)c->last_seq));
		json_object_set_new(x, "records", json_integer((json_int_t)c->records));
		json_object_set_new(x, "sales", json_integer((json_int_t)c->sales));
		json_object_set_new(x, "voids", json_integer((json_int_t)c->voids));
		json_object_set_new(x, "refunds", json_integer((json_int_t)c->refunds));
		json_object_set_new(x, "reloads", json_integer((json_int_t)c->reloads));
		json_object_set_new(x, "sales_total", json_integer(c->sales_total));
		json_object_set_new(x, "voids_total", json_integer(c->voids_total));
		json_object_set_new(x, "refunds_total", json_integer(c->refunds_total));
		json_object_set_new(x, "reloads_total", json_integer(c->reloads_total));
		json_object_set_new(x, "total", json_integer(c->total));
		json_object_set_new(x, "ssa", json_integer(c->ssa_total));
		json_object_set_new(x, "vat", ref_vat(&c->vat));
		json_object_set_new(x, "perpetual_prev", json_integer(c->perpetual_prev));
		json_object_set_new(x, "perpetual", json_integer(c->perpetual));
		json_object_set_new(o, "closing", x);
	} else {
		json_object_set_new(o, "closing", json_null());
	}
	journal_hex(r->key_id, sizeof(r->key_id), hex);
	json_object_set_new(o, "key", json_string(hex));
	journal_hex(r->prev, sizeof(r->prev), hex);
	json_object_set_new(o, "prev", json_string(hex));
	journal_hex(r->sig, sizeof(r->sig), hex);
	json_object_set_new(o, "sig", json_string(hex));
	return o;
}

/* A random string of up to @p max - 1 bytes: ASCII with quotes and backslashes, and when
 * @p utf8, accented letters, the euro sign and a character outside the BMP. */
static void
rand_text(char *out, size_t max, bool utf8, unsigned *seed)
{
	static const char *const bits[] = { "a", "Z", "0", " ", "\"", "\\", "/", "'", "{", "}",
					    ",", ":", "é", "€", "😀", "ß" };
	size_t n = 0, want = (size_t)(rand_r(seed) % (unsigned)max);

	while (n < want) {
		const char *b = bits[rand_r(seed) % (utf8 ? 16u : 12u)];
		size_t l = strlen(b);
		if (n + l >= max)
			break;
		memcpy(out + n, b, l);
		n += l;
	}
	out[n] = '\0';
}

static void
test_encoding_is_janssons(void **state)
{
	unsigned seed = 20261123;

	(void)state;
	for (unsigned round = 0; round < 400; round++) {
		struct journal_record r;
		char *ours = NULL, *theirs;
		size_t len;
		json_t *o;

		switch (round % 5) {
		case 0:
			jf_sale(&r, (int64_t)round * 997, round % 301);
			break;
		case 1:
			jf_cancel(&r, round % 2 ? JOURNAL_VOID : JOURNAL_REFUND, 1 + round % 5,
				  (int64_t)round, round % 301);
			break;
		case 2:
			jf_reload(&r, (int64_t)round, round % 7 ? 1234 : 0, 15000);
			rand_text(r.reload.grant_id, 20, false, &seed);
			if (r.reload.grant_id[0] == '\0')
				strcpy(r.reload.grant_id, "g");
			break;
		default: {
			struct journal_record s;
			struct closing_acc a;
			jf_sale(&s, 1, round % 301);
			s.seq = 7;
			journal_record_init(&r, JOURNAL_CLOSING_Z + round % 3);
			jf_header(&r, (int64_t)round);
			assert_int_equal(closing_begin(&a, JOURNAL_CLOSING_Z, 20261123, NULL),
					 SSA_ERR_OK);
			assert_int_equal(closing_add(&a, &s), SSA_ERR_OK);
			assert_int_equal(closing_finish(&a, &r.closing), SSA_ERR_OK);
			r.closing.number = round;
			journal_record_fini(&s);
			break;
		}
		}
		rand_text(r.operator_id, 9, false, &seed);
		rand_text(r.software, sizeof(r.software), false, &seed);
		if (r.card[0] != '\0')
			rand_text(r.card + 1, 20, false, &seed);
		for (size_t i = 0; i < r.n_lines; i++) {
			rand_text(r.lines[i].name, sizeof(r.lines[i].name), true, &seed);
			rand_text(r.lines[i].category, sizeof(r.lines[i].category), false, &seed);
		}
		r.seq = 1 + round * 1000003ull;
		r.link_seq = r.link_seq ? 1 + round % 5 : 0;
		if (r.link_seq >= r.seq)
			r.seq = r.link_seq + 1;
		for (size_t i = 0; i < sizeof(r.sig); i++)
			r.sig[i] = (uint8_t)rand_r(&seed);
		for (size_t i = 0; i < sizeof(r.prev); i++)
			r.prev[i] = (uint8_t)rand_r(&seed);
		{
			const char *why = NULL;
			journal_record_check(&r, &why);
			if (why != NULL)
				fail_msg("round %u: %s", round, why);
		}
		assert_int_equal(journal_record_encode(&r, &ours, &len), SSA_ERR_OK);
		o = ref_record(&r);
		theirs = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(theirs);
		assert_int_equal(len, strlen(theirs));
		assert_string_equal(ours, theirs);
		free(theirs);
		free(ours);
		json_decref(o);
		journal_record_fini(&r);
	}
}

/* A name that is not UTF-8 is refused by the encoder, as jansson would. */
static void
test_encoding_refuses_bad_utf8(void **state)
{
	static const char *const bad[] = { "\xc3", "a\xc3(", "\xe2\x82", "\xed\xa0\x80",
					   "\xc0\xaf", "\xf4\x90\x80\x80", "\xff" };
	struct journal_record r;
	char *enc = NULL;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sample_sale(&r);
		r.seq = 1;
		snprintf(r.lines[0].name, sizeof(r.lines[0].name), "%s", bad[i]);
		assert_int_equal(journal_record_encode(&r, &enc, &len), SSA_ERR_JOURNAL_FORMAT);
		journal_record_fini(&r);
	}
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
		cmocka_unit_test(test_encoding_is_janssons),
		cmocka_unit_test(test_encoding_refuses_bad_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
