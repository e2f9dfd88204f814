/* test_card.c — identity encoding and signature, offline checks, debit records, period state,
 * reload policy, every settlement case, key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/card.h"

static const uint8_t priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t other_priv[32] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
					9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
static const uint8_t uid[7] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
static const uint8_t uid_clone[7] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x67 };

static void
pub_of(const uint8_t *p, uint8_t pub[32])
{
	struct card_keys k;
	char text[256];
	static const char digits[] = "0123456789abcdef";
	int n = snprintf(text, sizeof(text), "ssa-card-keys,1\ncaisse,c\nsign,");
	for (int i = 0; i < 32; i++) {
		text[n++] = digits[p[i] >> 4];
		text[n++] = digits[p[i] & 15];
	}
	text[n++] = '\n';
	assert_int_equal(card_keys_parse(text, (size_t)n, &k, NULL), SSA_ERR_OK);
	assert_true(k.has_verify);
	memcpy(pub, k.verify, 32);
}

static struct card_identity
sample(void)
{
	struct card_identity id;
	memset(&id, 0, sizeof(id));
	id.serial = 0x1122334455667788ull;
	id.member_id = 0xa1b2c3d4e5f60718ull;
	id.household_id = 42;
	id.valid_from = 20260101;
	id.valid_to = 20271231;
	strcpy(id.caisse, "caisse-34");
	return id;
}

static void
test_identity_roundtrip(void **state)
{
	struct card_identity id = sample(), back;
	uint8_t buf[CARD_IDENTITY_LEN];
	(void)state;
	assert_int_equal(card_identity_sign(&id, uid, 7, priv), SSA_ERR_OK);
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_OK);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[33], 9);
	assert_memory_equal(buf + 34, "caisse-34", 9);
	assert_int_equal(card_identity_decode(buf, sizeof(buf), &back), SSA_ERR_OK);
	assert_true(back.serial == id.serial);
	assert_true(back.member_id == id.member_id);
	assert_true(back.household_id == 42);
	assert_int_equal(back.valid_from, 20260101);
	assert_int_equal(back.valid_to, 20271231);
	assert_string_equal(back.caisse, "caisse-34");
	assert_memory_equal(back.signature, id.signature, 64);
}

static void
test_identity_decode_refuses(void **state)
{
	struct card_identity id = sample(), back;
	uint8_t buf[CARD_IDENTITY_LEN], bad[CARD_IDENTITY_LEN];
	(void)state;
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_OK);
	assert_int_equal(card_identity_decode(buf, sizeof(buf) - 1, &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[0] = 2; /* version */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[33] = 0; /* empty caisse */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[33] = 17; /* caisse too long */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[36] = ' '; /* bad caisse character */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[45] = 'x'; /* padding not zero */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	memcpy(bad, buf, sizeof(bad));
	bad[32] = 0x20; /* valid_to 20271231 + 0x20-0x1f: 20271264, not a day */
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);
	/* All zero: a blank file. */
	memset(bad, 0, sizeof(bad));
	assert_int_equal(card_identity_decode(bad, sizeof(bad), &back), SSA_ERR_CARD_FORMAT);

	id = sample();
	strcpy(id.caisse, "caisse/34");
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_INVAL);
	id = sample();
	id.valid_to = 20250101; /* before from */
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_INVAL);
	id = sample();
	id.valid_from = 20260229; /* 2026 is not a leap year */
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_INVAL);
	id.valid_from = 20240229;
	assert_int_equal(card_identity_encode(&id, buf), SSA_ERR_OK);
}

static void
test_identity_signature(void **state)
{
	struct card_identity id = sample(), t;
	uint8_t pub[32], other_pub[32];
	(void)state;
	pub_of(priv, pub);
	pub_of(other_priv, other_pub);
	assert_int_equal(card_identity_sign(&id, uid, 7, priv), SSA_ERR_OK);
	assert_int_equal(card_identity_verify(&id, uid, 7, pub), SSA_ERR_OK);
	/* The identity file copied onto a card with another UID. */
	assert_int_equal(card_identity_verify(&id, uid_clone, 7, pub), SSA_ERR_CARD_SIGNATURE);
	/* Another caisse's key. */
	assert_int_equal(card_identity_verify(&id, uid, 7, other_pub), SSA_ERR_CARD_SIGNATURE);
	/* Any field changed. */
	t = id;
	t.valid_to = 20291231;
	assert_int_equal(card_identity_verify(&t, uid, 7, pub), SSA_ERR_CARD_SIGNATURE);
	t = id;
	t.member_id ^= 1;
	assert_int_equal(card_identity_verify(&t, uid, 7, pub), SSA_ERR_CARD_SIGNATURE);
	t = id;
	t.signature[10] ^= 0x40;
	assert_int_equal(card_identity_verify(&t, uid, 7, pub), SSA_ERR_CARD_SIGNATURE);
	/* A UID of an impossible length. */
	assert_int_equal(card_identity_verify(&id, uid, 6, pub), SSA_ERR_CARD_SIGNATURE);
}

static void
test_identity_check(void **state)
{
	struct card_identity id = sample();
	uint8_t pub[32];
	uint64_t hot[3] = { 7, 0x1122334455667788ull, 9 };
	(void)state;
	pub_of(priv, pub);
	assert_int_equal(card_identity_sign(&id, uid, 7, priv), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 0, 20260615), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, hot, 1, 20260615), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, hot, 3, 20260615),
			 SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 0, 20260101), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 0, 20271231), SSA_ERR_OK);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 0, 20280101),
			 SSA_ERR_CARD_EXPIRED);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 0, 20251231),
			 SSA_ERR_CARD_NOT_YET_VALID);
	/* A bad signature wins over everything: nothing else on that card is trusted. */
	assert_int_equal(card_identity_check(&id, uid_clone, 7, pub, hot, 3, 20280101),
			 SSA_ERR_CARD_SIGNATURE);
	assert_int_equal(card_identity_check(&id, uid, 7, pub, NULL, 1, 20260615), SSA_ERR_INVAL);
}

static void
test_ids(void **state)
{
	char buf[17];
	uint64_t v = 0;
	(void)state;
	card_id_format(0xa1b2c3d4e5f60718ull, buf, sizeof(buf));
	assert_string_equal(buf, "a1b2c3d4e5f60718");
	assert_int_equal(card_id_parse(buf, &v), SSA_ERR_OK);
	assert_true(v == 0xa1b2c3d4e5f60718ull);
	assert_int_equal(card_id_parse("2A", &v), SSA_ERR_OK);
	assert_true(v == 42);
	assert_int_equal(card_id_parse("", &v), SSA_ERR_INVAL);
	assert_int_equal(card_id_parse("12345678901234567", &v), SSA_ERR_INVAL);
	assert_int_equal(card_id_parse("12g", &v), SSA_ERR_INVAL);
}

static void
test_debit_record(void **state)
{
	struct card_debit_record r = { 7, 1234, 2550, 12450, 1767225600u }, back;
	uint8_t buf[CARD_DEBIT_RECORD_LEN];
	static const uint8_t want[] = { 0, 0, 0, 7, 0, 0, 0x04, 0xd2, 0, 0, 0x09, 0xf6,
					0, 0, 0x30, 0xa2, 0x69, 0x55, 0xb9, 0x00 };
	(void)state;
	assert_int_equal(card_debit_record_encode(&r, buf), SSA_ERR_OK);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(card_debit_record_decode(buf, &back), SSA_ERR_OK);
	assert_int_equal(back.terminal_id, 7);
	assert_int_equal(back.seq, 1234);
	assert_int_equal(back.amount, 2550);
	assert_int_equal(back.balance_after, 12450);
	assert_int_equal(back.time, 1767225600u);
	r.amount = 0;
	assert_int_equal(card_debit_record_encode(&r, buf), SSA_ERR_INVAL);
	r.amount = CARD_BALANCE_MAX + 1;
	assert_int_equal(card_debit_record_encode(&r, buf), SSA_ERR_INVAL);
	r.amount = 1;
	r.balance_after = -1;
	assert_int_equal(card_debit_record_encode(&r, buf), SSA_ERR_INVAL);
	memset(buf, 0, sizeof(buf)); /* amount 0: never written by a terminal */
	assert_int_equal(card_debit_record_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(card_debit_record_decode(buf, &back), SSA_ERR_CARD_FORMAT);
}

static void
test_period(void **state)
{
	struct card_period_state st = { 202611, 0x0102030405060708ull, 0 }, back;
	uint8_t buf[CARD_PERIOD_LEN];
	(void)state;
	card_period_encode(&st, buf);
	assert_int_equal(buf[0], 1);
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_OK);
	assert_int_equal(back.period, 202611);
	assert_true(back.grant_id == 0x0102030405060708ull);
	st.period = 0;
	st.grant_id = 0;
	card_period_encode(&st, buf);
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_OK);
	assert_int_equal(back.period, 0);
	buf[0] = 2;
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	/* All zero: the file as created. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_OK);
	assert_int_equal(back.period, 0);
	buf[9] = 1;
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	st.period = 202613;
	card_period_encode(&st, buf);
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	st.period = 202601;
	card_period_encode(&st, buf);
	buf[2] = 1;
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	/* Version 2: the applying terminal's low 24 bits. */
	st = (struct card_period_state){ 202611, 9, 0x01abcdef };
	card_period_encode(&st, buf);
	assert_int_equal(buf[0], 2);
	assert_int_equal(buf[1], 0xab);
	assert_int_equal(buf[3], 0xef);
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_OK);
	assert_int_equal(back.terminal, 0xabcdef);
	assert_int_equal(back.period, 202611);
	assert_int_equal(card_period_terminal(0x01000000), 0);
	buf[1] = buf[2] = buf[3] = 0;
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
	buf[0] = 3;
	buf[3] = 1;
	assert_int_equal(card_period_decode(buf, &back), SSA_ERR_CARD_FORMAT);
}

static void
test_reload_policy(void **state)
{
	int64_t b = -1;
	(void)state;
	assert_int_equal(card_reload_balance(3000, 15000, CARD_RELOAD_EXPIRE, 0, &b), SSA_ERR_OK);
	assert_int_equal(b, 15000);
	assert_int_equal(card_reload_balance(3000, 15000, CARD_RELOAD_ROLLOVER, 5000, &b),
			 SSA_ERR_OK);
	assert_int_equal(b, 18000);
	assert_int_equal(card_reload_balance(8000, 15000, CARD_RELOAD_ROLLOVER, 5000, &b),
			 SSA_ERR_OK);
	assert_int_equal(b, 20000);
	assert_int_equal(card_reload_balance(0, 0, CARD_RELOAD_EXPIRE, 0, &b), SSA_ERR_OK);
	assert_int_equal(b, 0);
	assert_int_equal(card_reload_balance(-1, 15000, CARD_RELOAD_EXPIRE, 0, &b),
			 SSA_ERR_NEGATIVE);
	assert_int_equal(card_reload_balance(1, -1, CARD_RELOAD_EXPIRE, 0, &b), SSA_ERR_NEGATIVE);
	assert_int_equal(card_reload_balance(CARD_BALANCE_MAX, 1, CARD_RELOAD_ROLLOVER,
					     CARD_BALANCE_MAX, &b),
			 SSA_ERR_OVERFLOW);
	assert_int_equal(card_reload_balance(0, CARD_BALANCE_MAX + 1, CARD_RELOAD_EXPIRE, 0, &b),
			 SSA_ERR_OVERFLOW);
	assert_int_equal(card_reload_balance(INT64_MAX, 1, CARD_RELOAD_ROLLOVER, 0, &b),
			 SSA_ERR_OVERFLOW);
}

/* --- settlement: every case ---------------------------------------------------------------- */

static const struct card_intent intent = { 0x55, 7, 100, 2550 };

static enum card_settle_outcome
settle(const struct card_debit_record *recs, size_t n, enum ssa_err want_err)
{
	enum card_settle_outcome o = (enum card_settle_outcome)-1;
	assert_int_equal(card_settle(&intent, 0x55, recs, n, &o, NULL), want_err);
	return o;
}

static void
test_settle_debited(void **state)
{
	struct card_debit_record recs[3] = {
		{ 3, 100, 990, 5000, 1 }, /* another terminal, same sequence number */
		{ 7, 100, 2550, 2450, 2 },
		{ 7, 99, 100, 5000, 0 },
	};
	struct card_debit_record m;
	enum card_settle_outcome o;
	(void)state;
	assert_int_equal(card_settle(&intent, 0x55, recs, 3, &o, &m), SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_DEBITED);
	assert_int_equal(m.balance_after, 2450);
	/* The matching record in a full file. */
	struct card_debit_record full[CARD_DEBIT_RECORDS];
	for (int i = 0; i < CARD_DEBIT_RECORDS; i++)
		full[i] = (struct card_debit_record){ 3, (uint32_t)i, 10, 10, 0 };
	full[5] = recs[1];
	assert_int_equal(settle(full, CARD_DEBIT_RECORDS, SSA_ERR_OK), CARD_SETTLE_DEBITED);
}

static void
test_settle_not_debited(void **state)
{
	struct card_debit_record recs[2] = {
		{ 7, 99, 100, 5000, 0 },
		{ 3, 100, 2550, 2450, 2 }, /* same seq and amount, other terminal */
	};
	(void)state;
	/* A blank record file (fresh card), and a file that is not full. */
	assert_int_equal(settle(NULL, 0, SSA_ERR_OK), CARD_SETTLE_NOT_DEBITED);
	assert_int_equal(settle(recs, 2, SSA_ERR_OK), CARD_SETTLE_NOT_DEBITED);
	/* Full file, but this terminal's earlier debit is still there. */
	struct card_debit_record full[CARD_DEBIT_RECORDS];
	for (int i = 0; i < CARD_DEBIT_RECORDS; i++)
		full[i] = (struct card_debit_record){ 3, (uint32_t)i + 200, 10, 10, 0 };
	full[0] = recs[0];
	assert_int_equal(settle(full, CARD_DEBIT_RECORDS, SSA_ERR_OK), CARD_SETTLE_NOT_DEBITED);
}

static void
test_settle_unknown(void **state)
{
	struct card_debit_record full[CARD_DEBIT_RECORDS];
	(void)state;
	/* Full of other terminals' debits: ours may have been overwritten. */
	for (int i = 0; i < CARD_DEBIT_RECORDS; i++)
		full[i] = (struct card_debit_record){ 3, (uint32_t)i, 10, 10, 0 };
	assert_int_equal(settle(full, CARD_DEBIT_RECORDS, SSA_ERR_OK), CARD_SETTLE_UNKNOWN);
	/* Only later debits of this terminal: ours, older, may have gone first. */
	full[2] = (struct card_debit_record){ 7, 101, 10, 10, 0 };
	assert_int_equal(settle(full, CARD_DEBIT_RECORDS, SSA_ERR_OK), CARD_SETTLE_UNKNOWN);
}

static void
test_settle_contradictions(void **state)
{
	struct card_debit_record recs[2] = {
		{ 7, 100, 2551, 2450, 2 }, /* our terminal and sequence, another amount */
		{ 7, 100, 2550, 2450, 2 },
	};
	(void)state;
	settle(recs, 1, SSA_ERR_CARD_RECORD);
	/* The same terminal and sequence twice. */
	recs[0].amount = 2550;
	settle(recs, 2, SSA_ERR_CARD_RECORD);
}

static void
test_settle_other_card(void **state)
{
	struct card_debit_record recs[1] = { { 7, 100, 2550, 2450, 2 } };
	enum card_settle_outcome o;
	(void)state;
	assert_int_equal(card_settle(&intent, 0x56, recs, 1, &o, NULL), SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
	assert_int_equal(card_settle(NULL, 0x55, recs, 1, &o, NULL), SSA_ERR_INVAL);
	assert_int_equal(card_settle(&intent, 0x55, NULL, 1, &o, NULL), SSA_ERR_INVAL);
	assert_string_equal(card_settle_name(CARD_SETTLE_UNKNOWN), "UNKNOWN");
}

/* Two caisses may number their cards alike: card B (caisse-12, serial 0x55) is not card A
 * (caisse-34, serial 0x55), whose debit it could otherwise be taken for. */
static void
test_settle_other_caisse(void **state)
{
	struct card_debit_record recs[1] = { { 7, 100, 2550, 2450, 2 } };
	enum card_settle_outcome o;
	(void)state;
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x55, "caisse-12", NULL, 0, &o,
					  NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x55, "caisse-340", recs, 1, &o,
					  NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x55, "caisse-34", recs, 1, &o,
					  NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_DEBITED);
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x55, "caisse-34", NULL, 0, &o,
					  NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_NOT_DEBITED);
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x56, "caisse-34", recs, 1, &o,
					  NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
	/* serials only (a till of one caisse) */
	assert_int_equal(card_settle_card(&intent, "caisse-34", 0x55, NULL, recs, 1, &o, NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_DEBITED);
	/* an intent without its caisse matches no caisse */
	assert_int_equal(card_settle_card(&intent, "", 0x55, "caisse-34", recs, 1, &o, NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
	assert_int_equal(card_settle_card(&intent, NULL, 0x55, "caisse-34", recs, 1, &o, NULL),
			 SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_OTHER_CARD);
}

/* --- key files ------------------------------------------------------------------------------ */

static void
test_keys(void **state)
{
	struct card_keys k, back;
	char *text = NULL;
	unsigned line = 0;
	static const char terminal[] = "ssa-card-keys,1\r\n"
				       "# a till\n"
				       "caisse,caisse-34\n"
				       "\n"
				       "debit,000102030405060708090a0b0c0d0e0f\n"
				       "read,F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF\n";
	(void)state;
	assert_int_equal(card_keys_parse(terminal, strlen(terminal), &k, &line), SSA_ERR_OK);
	assert_string_equal(k.caisse, "caisse-34");
	assert_false(k.has[CARD_KEY_MASTER]);
	assert_true(k.has[CARD_KEY_DEBIT]);
	assert_false(k.has[CARD_KEY_CREDIT]);
	assert_true(k.has[CARD_KEY_READ]);
	assert_int_equal(k.master[CARD_KEY_DEBIT][15], 0x0f);
	assert_int_equal(k.master[CARD_KEY_READ][0], 0xf0);
	assert_false(k.has_sign);
	assert_false(k.has_verify);

	/* The issuing station's file, written and read back. */
	memset(&k, 0, sizeof(k));
	strcpy(k.caisse, "c1");
	for (int i = 0; i < CARD_KEY_COUNT; i++) {
		k.has[i] = true;
		memset(k.master[i], 0x10 * (i + 1), 16);
	}
	k.has_sign = true;
	memcpy(k.sign, priv, 32);
	assert_int_equal(card_keys_format(&k, &text), SSA_ERR_OK);
	assert_int_equal(card_keys_parse(text, strlen(text), &back, NULL), SSA_ERR_OK);
	assert_memory_equal(back.master, k.master, sizeof(k.master));
	assert_memory_equal(back.sign, priv, 32);
	assert_true(back.has_verify);
	free(text);
	k = back;
	assert_int_equal(card_keys_format(&k, &text), SSA_ERR_OK);
	assert_non_null(strstr(text, "verify,"));
	assert_int_equal(card_keys_parse(text, strlen(text), &back, NULL), SSA_ERR_OK);
	/* A verify line that is not the sign key's. */
	char *v = strstr(text, "verify,") + 7;
	*v = *v == '0' ? '1' : '0';
	assert_int_equal(card_keys_parse(text, strlen(text), &back, &line), SSA_ERR_KEY);
	free(text);
	card_keys_wipe(&k);
	assert_false(k.has_sign);
}

static void
test_keys_refused(void **state)
{
	struct card_keys k;
	unsigned line = 0;
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "", 1 },
		{ "caisse,c\n", 1 },
		{ "ssa-card-keys,2\ncaisse,c\n", 1 },
		{ "ssa-card-keys,1\n", 2 },
		{ "ssa-card-keys,1\ncaisse,c\ndebit,00\n", 3 },
		{ "ssa-card-keys,1\ncaisse,c\ndebit,000102030405060708090a0b0c0d0e0g\n", 3 },
		{ "ssa-card-keys,1\ncaisse,c\nbogus,000102030405060708090a0b0c0d0e0f\n", 3 },
		{ "ssa-card-keys,1\ncaisse,c\ndebit,000102030405060708090a0b0c0d0e0f\n"
		  "debit,000102030405060708090a0b0c0d0e0f\n",
		  4 },
		{ "ssa-card-keys,1\ncaisse,c\ncaisse,d\n", 3 },
		{ "ssa-card-keys,1\ncaisse,a b\n", 2 },
		{ "ssa-card-keys,1\ncaisse,c\nno comma\n", 3 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(card_keys_parse(bad[i].text, strlen(bad[i].text), &k, &line),
				 SSA_ERR_KEY);
		assert_int_equal(line, bad[i].line);
	}
	/* An embedded NUL. */
	assert_int_equal(card_keys_parse("ssa-card-keys,1\0\n", 17, &k, &line), SSA_ERR_KEY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_roundtrip),
		cmocka_unit_test(test_identity_decode_refuses),
		cmocka_unit_test(test_identity_signature),
		cmocka_unit_test(test_identity_check),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_debit_record),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_reload_policy),
		cmocka_unit_test(test_settle_debited),
		cmocka_unit_test(test_settle_not_debited),
		cmocka_unit_test(test_settle_unknown),
		cmocka_unit_test(test_settle_contradictions),
		cmocka_unit_test(test_settle_other_card),
		cmocka_unit_test(test_settle_other_caisse),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_keys_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
