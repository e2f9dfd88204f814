/* test_hotlist.c — the hot list: build, sign, verify, look up, full lists and deltas, versions
 * that must be refused, and tampering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/card.h"
#include "ssa/hotlist.h"

static const uint8_t priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t other_priv[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
					7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

static void
pub_of(const uint8_t *p, uint8_t pub[32])
{
	assert_int_equal(convention_public_key(p, pub), SSA_ERR_OK);
}

/* The caisse's line: v1 blocks 3 cards, v2 adds one, v3 adds two. */
static struct hotlist *
caisse_full(uint32_t version)
{
	static const struct hotlist_entry all[] = {
		{ 0x1122334455667788ull, 20260301, HOTLIST_LOST, 1 },
		{ 0x0000000000000005ull, 20260302, HOTLIST_STOLEN, 1 },
		{ 0xffffffffffffffffull, 20260302, HOTLIST_REPLACED, 1 },
		{ 0x99aabbccddeeff00ull, 20260304, HOTLIST_CLONED, 2 },
		{ 0x0000000000000042ull, 20260310, HOTLIST_TAMPERED, 3 },
		{ 0x7000000000000000ull, 20260311, HOTLIST_REVOKED, 3 },
	};
	struct hotlist *l;
	assert_int_equal(hotlist_new("caisse-34", version, 0, &l), SSA_ERR_OK);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i].version <= version)
			assert_int_equal(hotlist_add(l, &all[i]), SSA_ERR_OK);
	return l;
}

static char *
signed_of(const struct hotlist *l, size_t *len)
{
	char *t = NULL;
	enum ssa_err e = hotlist_sign(l, priv, &t, len);
	if (e != SSA_ERR_OK)
		fail_msg("hotlist_sign: %s", ssa_strerror(e));
	return t;
}

static struct hotlist *
load(const char *t, size_t len)
{
	uint8_t pub[32];
	struct hotlist *l = NULL;
	struct convention_error err;
	pub_of(priv, pub);
	if (hotlist_load(t, len, pub, "caisse-34", &l, &err) != SSA_ERR_OK)
		fail_msg("load: line %u: %s", err.line, err.msg);
	return l;
}

static void
test_hotlist_text_and_lookup(void **state)
{
	struct hotlist *c = caisse_full(1), *l;
	size_t len;
	char *t = signed_of(c, &len);
	const struct hotlist_entry *e;
	(void)state;
	assert_memory_equal(t,
			    "ssa-hotlist,1\ncaisse,caisse-34\nversion,1\n"
			    "card,0000000000000005,2026-03-02,stolen\n"
			    "card,1122334455667788,2026-03-01,lost\n"
			    "card,ffffffffffffffff,2026-03-02,replaced\n"
			    "signature,ed25519,",
			    strlen("ssa-hotlist,1\ncaisse,caisse-34\nversion,1\n") + 3 * 38 + 18);
	l = load(t, len);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->version, 1);
	assert_int_equal(l->base, 0);
	e = hotlist_find(l, 0x1122334455667788ull);
	assert_non_null(e);
	assert_int_equal(e->reason, HOTLIST_LOST);
	assert_int_equal(e->since, 20260301);
	assert_non_null(hotlist_find(l, 5));
	assert_non_null(hotlist_find(l, 0xffffffffffffffffull));
	assert_null(hotlist_find(l, 4));
	assert_null(hotlist_find(l, 6));
	assert_null(hotlist_find(l, 0));
	assert_string_equal(hotlist_reason_text(e->reason), "card reported lost");
	/* the serials array is what card_identity_check takes */
	assert_int_equal(l->serials[0], 5);
	assert_int_equal(l->serials[2], 0xffffffffffffffffull);
	hotlist_free(l);
	hotlist_free(c);
	free(t);
}

static void
test_hotlist_with_card_check(void **state)
{
	struct hotlist *c = caisse_full(2);
	struct card_identity id;
	static const uint8_t uid[7] = { 4, 1, 2, 3, 4, 5, 6 };
	uint8_t pub[32];
	(void)state;
	pub_of(priv, pub);
	memset(&id, 0, sizeof(id));
	id.serial = 0x99aabbccddeeff00ull;
	id.member_id = 1;
	id.household_id = 1;
	id.valid_from = 20260101;
	id.valid_to = 20271231;
	strcpy(id.caisse, "caisse-34");
	assert_int_equal(card_identity_sign(&id, uid, 7, priv), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, c->serials, c->n, 20260315),
			 SSA_ERR_CARD_HOTLISTED);
	id.serial = 0x99aabbccddeeff01ull;
	assert_int_equal(card_identity_sign(&id, uid, 7, priv), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, c->serials, c->n, 20260315),
			 SSA_ERR_OK);
	hotlist_free(c);
}

static void
test_hotlist_deltas(void **state)
{
	struct hotlist *c1 = caisse_full(1), *c2 = caisse_full(2), *c3 = caisse_full(3);
	struct hotlist *d12, *d13, *d23, *l1, *l2, *l3, *in, *tmp;
	char *t, *f3, *g3;
	size_t len, f3len, g3len;
	(void)state;

	/* the terminal starts from nothing with the full v1 */
	t = signed_of(c1, &len);
	in = load(t, len);
	free(t);
	assert_int_equal(hotlist_apply(NULL, in, &l1), SSA_ERR_OK);
	hotlist_free(in);
	assert_int_equal(l1->n, 3);

	/* the caisse's deltas */
	assert_int_equal(hotlist_delta(c2, 1, &d12), SSA_ERR_OK);
	assert_int_equal(d12->n, 1);
	assert_int_equal(d12->base, 1);
	assert_int_equal(hotlist_delta(c3, 1, &d13), SSA_ERR_OK);
	assert_int_equal(d13->n, 3);
	assert_int_equal(hotlist_delta(c3, 2, &d23), SSA_ERR_OK);
	assert_int_equal(d23->n, 2);
	assert_int_equal(hotlist_delta(c3, 3, &tmp), SSA_ERR_INVAL);
	assert_int_equal(hotlist_delta(c3, 0, &tmp), SSA_ERR_OK);
	assert_int_equal(tmp->n, 6);
	hotlist_free(tmp);

	/* v1 + delta(1->2) + delta(2->3) == v1 + delta(1->3) == full v3 */
	t = signed_of(d12, &len);
	assert_non_null(strstr(t, "\nbase,1\n"));
	in = load(t, len);
	free(t);
	assert_int_equal(hotlist_apply(l1, in, &l2), SSA_ERR_OK);
	hotlist_free(in);
	assert_int_equal(l2->n, 4);
	assert_int_equal(l2->version, 2);
	t = signed_of(d23, &len);
	in = load(t, len);
	free(t);
	/* a delta from 2 does not apply to 1 */
	assert_int_equal(hotlist_apply(l1, in, &tmp), SSA_ERR_HOTLIST_BASE);
	assert_int_equal(hotlist_apply(NULL, in, &tmp), SSA_ERR_HOTLIST_BASE);
	assert_int_equal(hotlist_apply(l2, in, &l3), SSA_ERR_OK);
	hotlist_free(in);
	assert_int_equal(hotlist_format(l3, &f3, &f3len), SSA_ERR_OK);
	assert_int_equal(hotlist_format(c3, &g3, &g3len), SSA_ERR_OK);
	assert_int_equal(f3len, g3len);
	assert_memory_equal(f3, g3, f3len);
	free(f3);
	free(g3);
	hotlist_free(l3);
	t = signed_of(d13, &len);
	in = load(t, len);
	free(t);
	assert_int_equal(hotlist_apply(l1, in, &l3), SSA_ERR_OK);
	assert_int_equal(l3->n, 6);
	assert_non_null(hotlist_find(l3, 0x42));
	/* an older or equal version is refused, whether full or delta */
	assert_int_equal(hotlist_apply(l3, in, &tmp), SSA_ERR_HOTLIST_OLDER);
	hotlist_free(in);
	t = signed_of(c2, &len);
	in = load(t, len);
	free(t);
	assert_int_equal(hotlist_apply(l3, in, &tmp), SSA_ERR_HOTLIST_OLDER);
	hotlist_free(in);
	t = signed_of(c3, &len);
	in = load(t, len);
	free(t);
	assert_int_equal(hotlist_apply(l3, in, &tmp), SSA_ERR_HOTLIST_OLDER);
	hotlist_free(in);

	/* a new full list unblocks a card found again */
	{
		struct hotlist *c4, *l4;
		struct hotlist_entry e = { 5, 20260302, HOTLIST_STOLEN, 0 };
		assert_int_equal(hotlist_new("caisse-34", 4, 0, &c4), SSA_ERR_OK);
		assert_int_equal(hotlist_add(c4, &e), SSA_ERR_OK);
		assert_int_equal(hotlist_add(c4, &e), SSA_ERR_EXISTS);
		t = signed_of(c4, &len);
		in = load(t, len);
		free(t);
		assert_int_equal(hotlist_apply(l3, in, &l4), SSA_ERR_OK);
		assert_int_equal(l4->n, 1);
		assert_null(hotlist_find(l4, 0x42));
		hotlist_free(in);
		hotlist_free(l4);
		hotlist_free(c4);
	}
	/* another caisse */
	{
		struct hotlist *o;
		assert_int_equal(hotlist_new("caisse-12", 9, 0, &o), SSA_ERR_OK);
		assert_int_equal(hotlist_apply(l3, o, &tmp), SSA_ERR_HOTLIST_CAISSE);
		hotlist_free(o);
	}
	hotlist_free(l1);
	hotlist_free(l2);
	hotlist_free(l3);
	hotlist_free(d12);
	hotlist_free(d13);
	hotlist_free(d23);
	hotlist_free(c1);
	hotlist_free(c2);
	hotlist_free(c3);
}

static void
test_hotlist_tampered(void **state)
{
	struct hotlist *c = caisse_full(3), *l = NULL;
	uint8_t pub[32], other[32];
	size_t len;
	char *t = signed_of(c, &len), *p;
	(void)state;
	pub_of(priv, pub);
	pub_of(other_priv, other);
	assert_int_equal(hotlist_load(t, len, other, NULL, &l, NULL), SSA_ERR_HOTLIST_SIGNATURE);
	assert_int_equal(hotlist_load(t, len, pub, "caisse-12", &l, NULL), SSA_ERR_HOTLIST_CAISSE);
	assert_null(l);
	/* a card taken off the list: the line removed */
	p = strstr(t, "card,0000000000000042");
	assert_non_null(p);
	{
		char *cut = malloc(len);
		size_t a = (size_t)(p - t), ll = strlen("card,0000000000000042,2026-03-10,tampered\n");
		memcpy(cut, t, a);
		memcpy(cut + a, p + ll, len - a - ll);
		assert_int_equal(hotlist_load(cut, len - ll, pub, NULL, &l, NULL),
				 SSA_ERR_HOTLIST_SIGNATURE);
		free(cut);
	}
	/* its serial changed by one digit, a version raised, a reason changed */
	p[20] = '3';
	assert_int_equal(hotlist_load(t, len, pub, NULL, &l, NULL), SSA_ERR_HOTLIST_SIGNATURE);
	p[20] = '2';
	p = strstr(t, "version,3");
	p[8] = '4';
	assert_int_equal(hotlist_load(t, len, pub, NULL, &l, NULL), SSA_ERR_HOTLIST_SIGNATURE);
	p[8] = '3';
	p = strstr(t, "stolen");
	memcpy(p, "cloned", 6);
	assert_int_equal(hotlist_load(t, len, pub, NULL, &l, NULL), SSA_ERR_HOTLIST_SIGNATURE);
	memcpy(p, "stolen", 6);
	/* every bit of the signature */
	for (size_t i = len - 129; i < len - 1; i++) {
		char was = t[i];
		t[i] = t[i] == 'a' ? 'b' : 'a';
		assert_int_not_equal(hotlist_load(t, len, pub, NULL, &l, NULL), SSA_ERR_OK);
		t[i] = was;
	}
	assert_null(l);
	assert_int_equal(hotlist_load(t, len, pub, NULL, &l, NULL), SSA_ERR_OK);
	hotlist_free(l);
	hotlist_free(c);
	free(t);
}

static void
test_hotlist_malformed(void **state)
{
	static const struct {
		const char *body;
		unsigned line;
	} bad[] = {
		{ "ssa-hotlist,2\n", 1 },
		{ "ssa-grants,1\ncaisse,c\nversion,1\n", 1 },
		{ "ssa-hotlist,1\ncaisse,\nversion,1\n", 2 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,0\n", 3 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,01\n", 3 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,4294967296\n", 3 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\nbase,3\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\nbase,0\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\nbase,1\nbase,2\n", 5 },
		{ "ssa-hotlist,1\ncaisse,c\n", 3 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,lost\n"
		  "card,0000000000000001,2026-03-01,lost\n",
		  5 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,lost\n"
		  "card,0000000000000002,2026-03-01,lost\n",
		  5 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000000,2026-03-01,lost\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,2,2026-03-01,lost\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-02-30,lost\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,20260301,lost\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,LOST\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,lost,x\n",
		  4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\n-card,0000000000000002,2026-03-01,lost\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\n\n", 4 },
		{ "ssa-hotlist,1\ncaisse,c\nversion,3\ncard,0000000000000002,2026-03-01,l\xc3\xa9\n",
		  4 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		char *t;
		struct hotlist *l = NULL;
		struct convention_error err;
		assert_int_equal(convention_sign(bad[i].body, strlen(bad[i].body), priv, &t, &len),
				 SSA_ERR_OK);
		assert_int_equal(hotlist_parse(t, len, &l, &err), SSA_ERR_HOTLIST_FORMAT);
		assert_null(l);
		if (err.line != bad[i].line)
			fail_msg("case %zu: line %u (%s), expected %u", i, err.line, err.msg,
				 bad[i].line);
		free(t);
	}
}

static void
test_hotlist_truncated_and_trailing(void **state)
{
	struct hotlist *c = caisse_full(3), *l = NULL;
	size_t len;
	char *t = signed_of(c, &len), *more;
	(void)state;
	for (size_t n = 0; n < len; n++)
		assert_int_equal(hotlist_parse(t, n, &l, NULL), SSA_ERR_HOTLIST_FORMAT);
	more = malloc(len + 2);
	memcpy(more, t, len);
	memcpy(more + len, "\n", 1);
	assert_int_equal(hotlist_parse(more, len + 1, &l, NULL), SSA_ERR_HOTLIST_FORMAT);
	assert_null(l);
	assert_int_equal(hotlist_parse(t, len, &l, NULL), SSA_ERR_OK);
	hotlist_free(l);
	free(more);
	free(t);
	hotlist_free(c);
}

static void
test_hotlist_build_rules(void **state)
{
	struct hotlist *l;
	struct hotlist_entry e = { 1, 20260230, HOTLIST_LOST, 0 };
	(void)state;
	assert_int_equal(hotlist_new("c", 0, 0, &l), SSA_ERR_INVAL);
	assert_int_equal(hotlist_new("c", 3, 3, &l), SSA_ERR_INVAL);
	assert_int_equal(hotlist_new("c,d", 3, 0, &l), SSA_ERR_INVAL);
	assert_int_equal(hotlist_new("c", 3, 0, &l), SSA_ERR_OK);
	assert_int_equal(hotlist_add(l, &e), SSA_ERR_INVAL);
	e.since = 20260228;
	e.reason = HOTLIST__REASON_COUNT;
	assert_int_equal(hotlist_add(l, &e), SSA_ERR_INVAL);
	e.reason = HOTLIST_LOST;
	e.serial = 0;
	assert_int_equal(hotlist_add(l, &e), SSA_ERR_INVAL);
	/* many cards in random order come out sorted */
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 5000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		e.serial = x;
		assert_int_equal(hotlist_add(l, &e), SSA_ERR_OK);
	}
	for (size_t i = 1; i < l->n; i++)
		assert_true(l->serials[i - 1] < l->serials[i]);
	for (size_t i = 0; i < l->n; i++)
		assert_ptr_equal(hotlist_find(l, l->serials[i]), &l->entries[i]);
	hotlist_free(l);
	hotlist_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotlist_text_and_lookup),
		cmocka_unit_test(test_hotlist_with_card_check),
		cmocka_unit_test(test_hotlist_deltas),
		cmocka_unit_test(test_hotlist_tampered),
		cmocka_unit_test(test_hotlist_malformed),
		cmocka_unit_test(test_hotlist_truncated_and_trailing),
		cmocka_unit_test(test_hotlist_build_rules),
	};
	return cmocka_run_group_tests_name("hotlist", tests, NULL, NULL);
}
