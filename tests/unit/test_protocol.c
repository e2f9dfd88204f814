/* test_protocol.c — the sync protocol's messages: round trips, limits, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/protocol.h"

static void
test_push_round_trip(void **state)
{
	struct protocol_push p, q;
	char why[PROTOCOL_WHY_MAX];
	const char *rec1 = "{\"kind\":\"SALE\",\"seq\":1,\"name\":\"caf\xc3\xa9 \\\"noir\\\"\"}";
	char *s = NULL;
	size_t len;

	(void)state;
	protocol_push_init(&p);
	assert_int_equal(protocol_push_add(&p, 1, rec1, strlen(rec1)), SSA_ERR_OK);
	assert_int_equal(protocol_push_add(&p, 2, "{\"seq\":2}", 9), SSA_ERR_OK);
	assert_int_equal(protocol_push_encode(&p, &s, &len), SSA_ERR_OK);
	assert_int_equal(strlen(s), len);
	assert_int_equal(protocol_push_decode(s, len, &q, why), SSA_ERR_OK);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.rec[0].seq, 1);
	assert_int_equal(q.rec[0].len, strlen(rec1));
	assert_string_equal(q.rec[0].data, rec1); /* the exact bytes come back */
	assert_string_equal(q.rec[1].data, "{\"seq\":2}");
	free(s);
	protocol_push_fini(&p);
	protocol_push_fini(&q);
	protocol_push_fini(NULL);
}

static void
test_push_add_refusals(void **state)
{
	struct protocol_push p;
	char *big;

	(void)state;
	protocol_push_init(&p);
	assert_int_equal(protocol_push_add(&p, 0, "x", 1), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_add(&p, 5, "x", 1), SSA_ERR_OK);
	assert_int_equal(protocol_push_add(&p, 5, "x", 1), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_add(&p, 4, "x", 1), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_add(&p, 6, "a\0b", 3), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_add(&p, 6, "", 0), SSA_ERR_INVAL);
	big = calloc(1, PROTOCOL_RECORD_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'a', PROTOCOL_RECORD_MAX_BYTES + 1);
	assert_int_equal(protocol_push_add(&p, 6, big, PROTOCOL_RECORD_MAX_BYTES + 1),
			 SSA_ERR_TOO_LONG);
	free(big);
	for (uint64_t s = 6; p.n < PROTOCOL_PUSH_MAX_RECORDS; s++)
		assert_int_equal(protocol_push_add(&p, s, "{}", 2), SSA_ERR_OK);
	assert_int_equal(protocol_push_add(&p, 999999, "{}", 2), SSA_ERR_TOO_LONG);
	assert_int_equal(p.rec[PROTOCOL_PUSH_MAX_RECORDS - 1].seq, 5 + PROTOCOL_PUSH_MAX_RECORDS - 1);
	protocol_push_fini(&p);
}

static void
expect_push_refused(const char *body, const char *why_part)
{
	struct protocol_push p;
	char why[PROTOCOL_WHY_MAX] = "";

	assert_int_equal(protocol_push_decode(body, strlen(body), &p, why), SSA_ERR_PROTOCOL);
	if (!strstr(why, why_part))
		fail_msg("body %s: why \"%s\" lacks \"%s\"", body, why, why_part);
	assert_int_equal(p.n, 0);
	protocol_push_fini(&p);
}

static void
test_push_decode_refusals(void **state)
{
	(void)state;
	expect_push_refused("", "not JSON");
	expect_push_refused("[1]", "not a JSON object");
	expect_push_refused("{}", "\"records\" is missing");
	expect_push_refused("{\"records\":[]}", "empty");
	expect_push_refused("{\"records\":[],\"more\":1}", "unknown key \"more\"");
	expect_push_refused("{\"records\":[{\"seq\":1,\"data\":\"a\"}],\"records\":[]}", "duplicate");
	expect_push_refused("{\"records\":[3]}", "record 1 is not an object");
	expect_push_refused("{\"records\":[{\"seq\":-1,\"data\":\"a\"}]}", "non-negative");
	expect_push_refused("{\"records\":[{\"seq\":1.5,\"data\":\"a\"}]}", "non-negative");
	expect_push_refused("{\"records\":[{\"data\":\"a\"}]}", "\"seq\" is missing");
	expect_push_refused("{\"records\":[{\"seq\":1,\"data\":\"\"}]}", "non-empty string");
	expect_push_refused("{\"records\":[{\"seq\":1,\"data\":7}]}", "non-empty string");
	expect_push_refused("{\"records\":[{\"seq\":1,\"data\":\"a\\u0000b\"}]}", "not JSON");
	expect_push_refused("{\"records\":[{\"seq\":2,\"data\":\"a\"},{\"seq\":2,\"data\":\"b\"}]}",
			    "record 2: seq 2");
	expect_push_refused("{\"records\":[{\"seq\":0,\"data\":\"a\"}]}", "record 1: seq 0");
	expect_push_refused("{\"records\":[{\"seq\":1,\"data\":\"a\",\"x\":1}]}", "unknown key");
}

static void
test_push_decode_limits(void **state)
{
	size_t n = PROTOCOL_PUSH_MAX_RECORDS + 1, len = 0;
	char *body = malloc(n * 40 + 32);
	struct protocol_push p;
	char why[PROTOCOL_WHY_MAX] = "";

	(void)state;
	assert_non_null(body);
	len += (size_t)sprintf(body + len, "{\"records\":[");
	for (size_t i = 1; i <= n; i++)
		len += (size_t)sprintf(body + len, "%s{\"seq\":%zu,\"data\":\"x\"}", i > 1 ? "," : "", i);
	len += (size_t)sprintf(body + len, "]}");
	assert_int_equal(protocol_push_decode(body, len, &p, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "the limit is 1000"));
	protocol_push_fini(&p);
	/* over the byte limit before parsing anything */
	assert_int_equal(protocol_push_decode(body, PROTOCOL_PUSH_MAX_BYTES + 1, &p, why),
			 SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "over the limit"));
	free(body);
}

static void
test_reply_round_trip(void **state)
{
	struct protocol_push_result res[2] = { { 7, PROTOCOL_DUPLICATE }, { 8, PROTOCOL_STORED } };
	struct protocol_push_reply r = { .last_seq = 8, .n = 2, .res = res }, q;
	char why[PROTOCOL_WHY_MAX];
	const char *c;
	char *s;
	size_t len;

	(void)state;
	strcpy(r.terminal, "T-01");
	assert_int_equal(protocol_push_reply_encode(&r, &s, &len), SSA_ERR_OK);
	assert_int_equal(protocol_push_reply_decode(s, len, &q, why), SSA_ERR_OK);
	assert_string_equal(q.terminal, "T-01");
	assert_int_equal(q.last_seq, 8);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.res[0].seq, 7);
	assert_int_equal(q.res[0].outcome, PROTOCOL_DUPLICATE);
	assert_int_equal(q.res[1].outcome, PROTOCOL_STORED);
	assert_string_equal(protocol_outcome_name(q.res[1].outcome), "stored");
	protocol_push_reply_fini(&q);
	free(s);

	c = "{\"terminal\":\"T\",\"last_seq\":1,\"results\":[{\"seq\":1,\"outcome\":\"maybe\"}]}";
	assert_int_equal(protocol_push_reply_decode(c, strlen(c), &q, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "unknown outcome"));
	protocol_push_reply_fini(&q);
	c = "{\"terminal\":\"T\",\"results\":[]}";
	assert_int_equal(protocol_push_reply_decode(c, strlen(c), &q, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "last_seq"));
	protocol_push_reply_fini(&q);
}

/* The card checks of a push reply: only when asked, round trip, and what a decoder refuses. */
static void
test_reply_card_checks(void **state)
{
	struct protocol_push_result res[1] = { { 3, PROTOCOL_STORED } };
	struct protocol_push_reply r = { .last_seq = 3, .n = 1, .res = res }, q;
	struct protocol_anomaly a = { .seq = 2, .ledger_balance = 99700, .record_balance = 100000,
				      .time_ms = 1795500000000 };
	char why[PROTOCOL_WHY_MAX];
	const char *c;
	char *s;
	size_t len;

	(void)state;
	strcpy(r.terminal, "T-02");
	/* not asked: the reply an older client knows */
	assert_int_equal(protocol_push_reply_encode(&r, &s, &len), SSA_ERR_OK);
	assert_null(strstr(s, "cards"));
	assert_null(strstr(s, "anomalies"));
	assert_int_equal(protocol_push_reply_decode(s, len, &q, why), SSA_ERR_OK);
	assert_false(q.checked);
	protocol_push_reply_fini(&q);
	free(s);

	strcpy(a.card, "demo-card-0");
	strcpy(a.terminal, "T-01");
	strcpy(a.kind, "DOUBLE_SPEND");
	assert_int_equal(protocol_push_reply_add_anomaly(&r, &a), SSA_ERR_INVAL); /* card first */
	assert_int_equal(protocol_push_reply_add_card(&r, "demo-card-0"), SSA_ERR_OK);
	assert_int_equal(protocol_push_reply_add_card(&r, "demo-card-1"), SSA_ERR_OK);
	assert_int_equal(protocol_push_reply_add_card(&r, "a card"), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_reply_add_anomaly(&r, &a), SSA_ERR_OK);
	strcpy(a.kind, "double spend");
	assert_int_equal(protocol_push_reply_add_anomaly(&r, &a), SSA_ERR_INVAL);
	assert_int_equal(protocol_push_reply_encode(&r, &s, &len), SSA_ERR_OK);
	assert_int_equal(protocol_push_reply_decode(s, len, &q, why), SSA_ERR_OK);
	assert_true(q.checked);
	assert_int_equal(q.n_cards, 2);
	assert_string_equal(q.cards[1], "demo-card-1");
	assert_int_equal(q.n_anomalies, 1);
	assert_string_equal(q.anomalies[0].card, "demo-card-0");
	assert_string_equal(q.anomalies[0].terminal, "T-01");
	assert_int_equal(q.anomalies[0].seq, 2);
	assert_string_equal(q.anomalies[0].kind, "DOUBLE_SPEND");
	assert_int_equal(q.anomalies[0].ledger_balance, 99700);
	assert_int_equal(q.anomalies[0].record_balance, 100000);
	assert_int_equal(q.anomalies[0].time_ms, 1795500000000);
	protocol_push_reply_fini(&q);
	free(s);
	r.res = NULL; /* not owned */
	r.n = 0;
	protocol_push_reply_fini(&r);

	/* asked, nothing checked: both keys, empty */
	c = "{\"terminal\":\"T\",\"last_seq\":1,\"results\":[],\"cards\":[],\"anomalies\":[]}";
	assert_int_equal(protocol_push_reply_decode(c, strlen(c), &q, why), SSA_ERR_OK);
	assert_true(q.checked);
	protocol_push_reply_fini(&q);
	/* one without the other, an anomaly of a card not listed, a card twice, a bad field */
	static const char *const bad[] = {
		"\"cards\":[]",
		"\"cards\":[\"c\"],\"anomalies\":[{\"card\":\"d\",\"terminal\":\"T\",\"seq\":1,"
		"\"kind\":\"EXCESS\",\"ledger_balance\":1,\"record_balance\":2,\"time_ms\":3}]",
		"\"cards\":[\"c\",\"c\"],\"anomalies\":[]",
		"\"cards\":[\"c\"],\"anomalies\":[{\"card\":\"c\",\"terminal\":\"T\",\"seq\":0,"
		"\"kind\":\"EXCESS\",\"ledger_balance\":1,\"record_balance\":2,\"time_ms\":3}]",
		"\"cards\":[\"c\"],\"anomalies\":[{\"card\":\"c\",\"terminal\":\"T\",\"seq\":1,"
		"\"kind\":\"EXCESS\",\"ledger_balance\":1,\"record_balance\":2,\"time_ms\":3,"
		"\"why\":1}]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[512];

		snprintf(body, sizeof(body), "{\"terminal\":\"T\",\"last_seq\":1,\"results\":[],%s}",
			 bad[i]);
		assert_int_equal(protocol_push_reply_decode(body, strlen(body), &q, why),
				 SSA_ERR_PROTOCOL);
		protocol_push_reply_fini(&q);
	}
}

static void
test_error_body(void **state)
{
	struct protocol_error e;
	char why[PROTOCOL_WHY_MAX];
	char longmsg[PROTOCOL_MESSAGE_MAX + 20];
	const char *c;
	char *s;
	size_t len;

	(void)state;
	assert_int_equal(protocol_error_encode("CONFLICT", "record 3 differs", 3, &s, &len),
			 SSA_ERR_OK);
	assert_string_equal(s, "{\"error\":\"CONFLICT\",\"message\":\"record 3 differs\",\"seq\":3}");
	assert_int_equal(protocol_error_decode(s, len, &e, why), SSA_ERR_OK);
	assert_string_equal(e.name, "CONFLICT");
	assert_string_equal(e.message, "record 3 differs");
	assert_int_equal(e.seq, 3);
	free(s);
	assert_int_equal(protocol_error_encode("NOT_FOUND", "no such path", 0, &s, &len),
			 SSA_ERR_OK);
	assert_null(strstr(s, "seq"));
	free(s);
	/* a long message is cut on a character boundary: 'é' is two bytes */
	memset(longmsg, 0, sizeof(longmsg));
	memset(longmsg, 'a', PROTOCOL_MESSAGE_MAX - 1);
	strcat(longmsg, "\xc3\xa9\xc3\xa9");
	assert_int_equal(protocol_error_encode("X", longmsg, 0, &s, &len), SSA_ERR_OK);
	assert_int_equal(protocol_error_decode(s, len, &e, why), SSA_ERR_OK);
	assert_int_equal(strlen(e.message), PROTOCOL_MESSAGE_MAX - 1);
	free(s);
	c = "{\"error\":\"\",\"message\":\"m\"}";
	assert_int_equal(protocol_error_decode(c, strlen(c), &e, why), SSA_ERR_PROTOCOL);
	c = "<html>502 Bad Gateway</html>";
	assert_int_equal(protocol_error_decode(c, strlen(c), &e, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "not JSON"));
}

static void
test_status(void **state)
{
	struct protocol_status s = { .last_seq = 42, .records = 42 }, t;
	char why[PROTOCOL_WHY_MAX];
	const char *c;
	char *b;
	size_t len;

	(void)state;
	strcpy(s.terminal, "T1");
	strcpy(s.caisse, "caisse-34");
	assert_int_equal(protocol_status_encode(&s, &b, &len), SSA_ERR_OK);
	assert_int_equal(protocol_status_decode(b, len, &t, why), SSA_ERR_OK);
	assert_string_equal(t.terminal, "T1");
	assert_string_equal(t.caisse, "caisse-34");
	assert_int_equal(t.last_seq, 42);
	free(b);
	c = "{\"terminal\":\"T1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"caisse\":\"c\",\"last_seq\":1,"
	    "\"records\":1}";
	assert_int_equal(protocol_status_decode(c, strlen(c), &t, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "longer than"));
}

static void
test_settlement(void **state)
{
	struct protocol_settlement s = { 0 }, t;
	char why[PROTOCOL_WHY_MAX];
	char *b;
	size_t len;

	(void)state;
	strcpy(s.outlet, "epicerie-34");
	s.period = 202611;
	assert_int_equal(protocol_settlement_add(&s, "T-02", 0, 1000), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_add(&s, "T-01", 0, 250), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_add(&s, "T-01", 0, 150), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_add(&s, "T-01", 1, 150), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_add(&s, "T-02", 2, 1200), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_add(&s, "T 3", 0, 1), SSA_ERR_INVAL);
	assert_int_equal(protocol_settlement_add(&s, "T-01", 3, 1), SSA_ERR_INVAL);
	assert_int_equal(protocol_settlement_add(&s, "T-01", 0, -1), SSA_ERR_INVAL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0].terminal, "T-01"); /* sorted */
	assert_int_equal(s.line[0].sales, 2);
	assert_int_equal(s.line[0].sales_ssa, 400);
	assert_int_equal(s.line[0].voids_ssa, 150);
	assert_int_equal(s.line[0].owed, 250);
	assert_int_equal(s.line[1].owed, -200); /* refunds beyond sales: the outlet owes */
	assert_int_equal(s.owed, 50);
	assert_int_equal(protocol_settlement_encode(&s, &b, &len), SSA_ERR_OK);
	assert_int_equal(protocol_settlement_decode(b, len, &t, why), SSA_ERR_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.owed, 50);
	assert_int_equal(t.line[1].refunds, 1);
	assert_string_equal(t.outlet, "epicerie-34");
	protocol_settlement_fini(&t);
	free(b);
	assert_int_equal(protocol_settlement_csv(&s, &b, &len), SSA_ERR_OK);
	assert_string_equal(b, "outlet,period,terminal,sales,sales_ssa,voids,voids_ssa,refunds,"
			       "refunds_ssa,owed\r\n"
			       "epicerie-34,202611,T-01,2,4.00,1,1.50,0,0.00,2.50\r\n"
			       "epicerie-34,202611,T-02,1,10.00,0,0.00,1,12.00,-2.00\r\n"
			       "epicerie-34,202611,total,,,,,,,0.50\r\n");
	free(b);
	/* a statement that does not add up is refused */
	b = strdup("{\"outlet\":\"o\",\"period\":202611,\"owed\":5,\"terminals\":[{\"terminal\":"
		   "\"T\",\"sales\":1,\"sales_ssa\":5,\"voids\":0,\"voids_ssa\":0,\"refunds\":0,"
		   "\"refunds_ssa\":0,\"owed\":4}]}");
	assert_int_equal(protocol_settlement_decode(b, strlen(b), &t, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "does not add up"));
	free(b);
	protocol_settlement_fini(&s);
}

static void
test_hotlist(void **state)
{
	struct protocol_hotlist h = { 0 }, g;
	char why[PROTOCOL_WHY_MAX];
	char *b;
	size_t len;

	(void)state;
	assert_int_equal(protocol_hotlist_add(&h, "card-1", 3, "clon\xc3\xa9" "e"), SSA_ERR_OK);
	assert_int_equal(protocol_hotlist_add(&h, "card-2", 3, ""), SSA_ERR_INVAL); /* not above */
	assert_int_equal(protocol_hotlist_add(&h, "card 2", 4, ""), SSA_ERR_INVAL);
	assert_int_equal(protocol_hotlist_add(&h, "card,2", 4, ""), SSA_ERR_INVAL);
	assert_int_equal(protocol_hotlist_add(&h, "", 4, ""), SSA_ERR_INVAL);
	assert_int_equal(protocol_hotlist_add(&h, "card-2", 5, "lost"), SSA_ERR_OK);
	assert_int_equal(h.version, 5);
	h.version = 7; /* versions may have moved on without cards */
	assert_int_equal(protocol_hotlist_encode(&h, &b, &len), SSA_ERR_OK);
	assert_string_equal(b, "{\"cards\":[{\"card\":\"card-1\",\"reason\":\"clon\xc3\xa9" "e\","
			       "\"version\":3},{\"card\":\"card-2\",\"reason\":\"lost\","
			       "\"version\":5}],\"version\":7}");
	assert_int_equal(protocol_hotlist_decode(b, len, &g, why), SSA_ERR_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.version, 7);
	assert_string_equal(g.e[1].card, "card-2");
	protocol_hotlist_fini(&g);
	free(b);
	b = strdup("{\"cards\":[{\"card\":\"c\",\"reason\":\"\",\"version\":9}],\"version\":8}");
	assert_int_equal(protocol_hotlist_decode(b, strlen(b), &g, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "below"));
	free(b);
	b = strdup("{\"cards\":[{\"card\":\"c\",\"version\":2,\"reason\":\"\"},"
		   "{\"card\":\"d\",\"version\":2,\"reason\":\"\"}],\"version\":8}");
	assert_int_equal(protocol_hotlist_decode(b, strlen(b), &g, why), SSA_ERR_PROTOCOL);
	assert_non_null(strstr(why, "card 2"));
	free(b);
	protocol_hotlist_fini(&h);
}

static void
test_ids(void **state)
{
	(void)state;
	assert_true(protocol_id_valid("T-01.outlet_3"));
	assert_false(protocol_id_valid(""));
	assert_false(protocol_id_valid(NULL));
	assert_false(protocol_id_valid("T 1"));
	assert_false(protocol_id_valid("T/1"));
	assert_false(protocol_id_valid("\xc3\xa9"));
	assert_true(protocol_id_valid("0123456789abcdef0123456789abcdef"));
	assert_false(protocol_id_valid("0123456789abcdef0123456789abcdef0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_round_trip),	  cmocka_unit_test(test_push_add_refusals),
		cmocka_unit_test(test_push_decode_refusals), cmocka_unit_test(test_push_decode_limits),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_card_checks),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_status),		  cmocka_unit_test(test_ids),
		cmocka_unit_test(test_settlement),	  cmocka_unit_test(test_hotlist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
