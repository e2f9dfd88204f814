/* test_ledger.c — a card's ledger from several terminals' records: ordering across clocks that
 * disagree, expiry and rollover, and every anomaly (a clone spending offline at two outlets, a
 * tampered balance, records not yet received, a grant applied twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/ledger.h"

#define CARD "1122334455667788"
#define MAXR 400

struct book {
	size_t n;
	struct journal_record r[MAXR];
	const struct journal_record *p[MAXR];
};

static struct journal_record *
rec(struct book *b, enum journal_kind kind, const char *terminal, uint64_t seq, int64_t t,
    int64_t before, int64_t after, int64_t ssa)
{
	struct journal_record *r;
	assert_true(b->n < MAXR);
	r = &b->r[b->n];
	journal_record_init(r, kind);
	snprintf(r->establishment, sizeof(r->establishment), "epicerie-%c", terminal[1]);
	snprintf(r->terminal, sizeof(r->terminal), "%s", terminal);
	snprintf(r->card, sizeof(r->card), "%s", CARD);
	r->seq = seq;
	r->time_ms = t;
	r->balance_before = before;
	r->balance_after = after;
	r->ssa_covered = ssa;
	if (kind == JOURNAL_VOID || kind == JOURNAL_REFUND)
		r->link_seq = seq - 1;
	b->p[b->n] = r;
	b->n++;
	return r;
}

static struct journal_record *
reload(struct book *b, const char *terminal, uint64_t seq, int64_t t, int64_t before,
       int64_t expired, int64_t amount, const char *grant)
{
	struct journal_record *r =
		rec(b, JOURNAL_RELOAD, terminal, seq, t, before, before - expired + amount, 0);
	snprintf(r->reload.grant_id, sizeof(r->reload.grant_id), "%s", grant);
	r->reload.period = 202603;
	r->reload.amount = amount;
	r->reload.expired = expired;
	return r;
}

static const struct ledger_params expire = { .opening = 0, .policy = CARD_RELOAD_EXPIRE };

static void
check(struct book *b, const struct ledger_params *p, struct ledger_report *rep)
{
	enum ssa_err e = ledger_check(CARD, b->p, b->n, p, rep);
	if (e != SSA_ERR_OK)
		fail_msg("ledger_check: %s", ssa_strerror(e));
}

static void
test_ledger_clean_life(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	(void)state;
	reload(b, "T1", 1, 1000, 0, 0, 26500, "00000000000003e9");
	rec(b, JOURNAL_SALE, "T1", 2, 2000, 26500, 20000, 6500);
	rec(b, JOURNAL_SALE, "T2", 1, 3000, 20000, 18000, 2000);
	rec(b, JOURNAL_REFUND, "T2", 2, 4000, 18000, 18500, 500);
	rec(b, JOURNAL_SALE, "T1", 3, 5000, 18500, 10000, 8500);
	rec(b, JOURNAL_VOID, "T1", 4, 5100, 10000, 18500, 8500);
	rec(b, JOURNAL_SALE, "T2", 3, 6000, 18500, 18500, 0); /* nothing covered */
	check(b, &expire, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_false(rep.flagged);
	assert_false(rep.pending);
	assert_int_equal(rep.n_steps, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(rep.steps[i].record, i);
		assert_false(rep.steps[i].mismatch);
		assert_int_equal(rep.steps[i].expected_before, b->r[i].balance_before);
		assert_int_equal(rep.steps[i].expected_after, b->r[i].balance_after);
	}
	assert_int_equal(rep.balance, 18500);
	assert_int_equal(rep.card_balance, 18500);
	ledger_report_fini(&rep);
	ledger_report_fini(NULL);
	free(b);
}

static void
test_ledger_clocks_disagree(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	(void)state;
	/* T2's clock is an hour behind: by time its sale would come first, by the card's balances
	 * it comes second */
	reload(b, "T1", 1, 10000000, 0, 0, 15000, "0000000000000001");
	rec(b, JOURNAL_SALE, "T1", 2, 10060000, 15000, 12000, 3000);
	rec(b, JOURNAL_SALE, "T2", 7, 6520000, 12000, 11000, 1000);
	rec(b, JOURNAL_SALE, "T1", 3, 10080000, 11000, 5000, 6000);
	check(b, &expire, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_int_equal(rep.steps[2].record, 2);
	assert_int_equal(rep.balance, 5000);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_double_spend(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	(void)state;
	/* a card and its clone, both offline, at two outlets the same afternoon */
	reload(b, "T1", 1, 1000, 0, 0, 10000, "0000000000000001");
	rec(b, JOURNAL_SALE, "T1", 2, 5000, 10000, 2000, 8000);
	rec(b, JOURNAL_SALE, "T2", 1, 5500, 10000, 3000, 7000);
	rec(b, JOURNAL_SALE, "T2", 2, 5600, 3000, 1000, 2000);
	check(b, &expire, &rep);
	assert_true(rep.flagged);
	assert_false(rep.pending);
	assert_int_equal(rep.n_anomalies, 3);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_DOUBLE_SPEND);
	assert_int_equal(rep.anomalies[0].record, 2);
	assert_int_equal(rep.anomalies[0].other, 1);
	assert_int_equal(rep.anomalies[0].expected, 2000);
	assert_int_equal(rep.anomalies[0].found, 10000);
	assert_int_equal(rep.anomalies[1].kind, LEDGER_OVERDRAWN);
	assert_int_equal(rep.anomalies[1].found, -5000);
	assert_int_equal(rep.anomalies[2].kind, LEDGER_OVERDRAWN);
	assert_int_equal(rep.anomalies[2].found, -7000);
	assert_true(rep.steps[2].mismatch);
	assert_int_equal(rep.steps[2].expected_before, 2000);
	assert_int_equal(rep.balance, -7000);
	assert_int_equal(rep.card_balance, 1000);
	assert_string_equal(ledger_anomaly_name(LEDGER_DOUBLE_SPEND), "DOUBLE_SPEND");
	assert_true(ledger_anomaly_flags(LEDGER_DOUBLE_SPEND));
	assert_false(ledger_anomaly_flags(LEDGER_GAP));
	ledger_report_fini(&rep);

	/* the same, the clone's clock earlier: the other record is the one flagged */
	b->r[2].time_ms = 4000;
	b->r[3].time_ms = 4100;
	check(b, &expire, &rep);
	assert_true(rep.flagged);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_DOUBLE_SPEND);
	assert_int_equal(rep.anomalies[0].record, 1);
	assert_int_equal(rep.anomalies[0].other, 2);
	assert_int_equal(rep.balance, -7000);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_gap_then_resolved(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	(void)state;
	reload(b, "T1", 1, 1000, 0, 0, 10000, "0000000000000001");
	rec(b, JOURNAL_SALE, "T2", 1, 3000, 6000, 5000, 1000);
	/* T3's sale (10000 -> 6000) has not been synced yet */
	check(b, &expire, &rep);
	assert_false(rep.flagged);
	assert_true(rep.pending);
	assert_int_equal(rep.n_anomalies, 1);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_GAP);
	assert_int_equal(rep.anomalies[0].expected, 10000);
	assert_int_equal(rep.anomalies[0].found, 6000);
	assert_int_equal(rep.balance, 9000);
	assert_int_equal(rep.card_balance, 5000);
	ledger_report_fini(&rep);
	rec(b, JOURNAL_SALE, "T3", 1, 2000, 10000, 6000, 4000);
	check(b, &expire, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_int_equal(rep.balance, 5000);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_tampered_and_arithmetic(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	(void)state;
	reload(b, "T1", 1, 1000, 0, 0, 10000, "0000000000000001");
	rec(b, JOURNAL_SALE, "T1", 2, 2000, 10000, 9000, 1000);
	rec(b, JOURNAL_SALE, "T1", 3, 3000, 90000, 80000, 10000); /* someone wrote 900 € */
	rec(b, JOURNAL_SALE, "T1", 4, 4000, 80000, 79000, 500);   /* 10 € taken for 5 */
	check(b, &expire, &rep);
	assert_true(rep.flagged);
	assert_int_equal(rep.n_anomalies, 4);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_EXCESS);
	assert_int_equal(rep.anomalies[0].record, 2);
	assert_int_equal(rep.anomalies[0].other, LEDGER_NO_RECORD);
	assert_int_equal(rep.anomalies[1].kind, LEDGER_OVERDRAWN);
	assert_int_equal(rep.anomalies[2].kind, LEDGER_ARITHMETIC);
	assert_int_equal(rep.anomalies[2].record, 3);
	assert_int_equal(rep.anomalies[2].expected, 79500);
	assert_int_equal(rep.anomalies[2].found, 79000);
	assert_int_equal(rep.anomalies[3].kind, LEDGER_OVERDRAWN); /* still spending 500 */
	assert_int_equal(rep.anomalies[3].found, -1500);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_reload_policies(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	struct ledger_params roll = { .policy = CARD_RELOAD_ROLLOVER, .rollover_cap = 5000 };
	(void)state;
	reload(b, "T1", 1, 1000, 0, 0, 15000, "0000000000000001");
	rec(b, JOURNAL_SALE, "T1", 2, 2000, 15000, 7000, 8000);
	/* next month: EXPIRE drops the 70 € left */
	reload(b, "T2", 1, 3000, 7000, 7000, 15000, "0000000000000002");
	check(b, &expire, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_int_equal(rep.balance, 15000);
	ledger_report_fini(&rep);
	/* under ROLLOVER with a cap of 50 €, that card should have kept 50 € */
	check(b, &roll, &rep);
	assert_int_equal(rep.balance, 20000);
	assert_int_equal(rep.steps[2].expected_after, 20000);
	/* and the till expired all 70 €, not the 20 € above the cap */
	assert_int_equal(rep.n_anomalies, 1);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_RELOAD_POLICY);
	assert_int_equal(rep.anomalies[0].expected, 2000);
	assert_int_equal(rep.anomalies[0].found, 7000);
	ledger_report_fini(&rep);
	/* and the same grant applied twice (a card restored from a copy) */
	reload(b, "T1", 3, 4000, 15000, 15000, 15000, "0000000000000002");
	check(b, &expire, &rep);
	assert_true(rep.flagged);
	assert_int_equal(rep.n_anomalies, 1);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_GRANT_TWICE);
	assert_int_equal(rep.anomalies[0].record, 3);
	assert_int_equal(rep.anomalies[0].other, 2);
	ledger_report_fini(&rep);
	free(b);
}

/* One card event recorded at two terminals (a till whose reload was interrupted recorded, at the
 * card's next tap, the grant another till had applied): counted once, no anomaly.  The same
 * grant taken twice by the card (other balances) counts once in the books and is flagged. */
static void
test_ledger_reload_recorded_twice(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	struct ledger_params roll = { .opening = 1000, .policy = CARD_RELOAD_ROLLOVER,
				      .rollover_cap = 5000 };
	(void)state;
	reload(b, "T2", 1, 2000, 1000, 0, 15000, "0000000000000009");
	rec(b, JOURNAL_SALE, "T2", 2, 3000, 16000, 14000, 2000);
	reload(b, "T1", 2, 4000, 1000, 0, 15000, "0000000000000009");
	rec(b, JOURNAL_SALE, "T1", 3, 5000, 14000, 13000, 1000);
	check(b, &roll, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_false(rep.flagged);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.n_steps, 3);
	assert_int_equal(rep.balance, 13000);
	ledger_report_fini(&rep);
	/* in any order */
	{
		const struct journal_record *p = b->p[0];
		b->p[0] = b->p[3];
		b->p[3] = p;
	}
	check(b, &roll, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.balance, 13000);
	ledger_report_fini(&rep);
	/* the card restored from a copy taking the grant again: flagged, counted once */
	reload(b, "T1", 4, 6000, 13000, 8000, 15000, "0000000000000009");
	check(b, &roll, &rep);
	assert_true(rep.flagged);
	assert_int_equal(rep.n_anomalies, 1);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_GRANT_TWICE);
	assert_int_equal(rep.balance, 13000);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_input(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	struct journal_record *r;
	struct ledger_params bad = { .opening = -1, .policy = CARD_RELOAD_EXPIRE };
	(void)state;
	reload(b, "T1", 1, 1000, 0, 0, 15000, "0000000000000001");
	r = rec(b, JOURNAL_VOID, "T1", 2, 2000, 0, 0, 0);
	r->balance_before = r->balance_after = JOURNAL_NONE; /* voided without the card */
	check(b, &expire, &rep);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.n_steps, 1);
	ledger_report_fini(&rep);
	assert_int_equal(ledger_check(CARD, b->p, b->n, &bad, &rep), SSA_ERR_INVAL);
	assert_int_equal(ledger_check("", b->p, b->n, &expire, &rep), SSA_ERR_INVAL);
	assert_int_equal(ledger_check(CARD, b->p, 0, &expire, &rep), SSA_ERR_OK);
	assert_int_equal(rep.n_steps, 0);
	ledger_report_fini(&rep);
	/* the same (terminal, seq) twice */
	rec(b, JOURNAL_SALE, "T1", 1, 2000, 15000, 14000, 1000);
	assert_int_equal(ledger_check(CARD, b->p, b->n, &expire, &rep), SSA_ERR_LEDGER_INPUT);
	ledger_report_fini(&rep);
	b->r[2].seq = 3;
	check(b, &expire, &rep);
	ledger_report_fini(&rep);
	/* another card's record */
	snprintf(b->r[2].card, sizeof(b->r[2].card), "99");
	assert_int_equal(ledger_check(CARD, b->p, b->n, &expire, &rep), SSA_ERR_LEDGER_INPUT);
	ledger_report_fini(&rep);
	/* a closing */
	snprintf(b->r[2].card, sizeof(b->r[2].card), CARD);
	b->r[2].kind = JOURNAL_CLOSING_Z;
	assert_int_equal(ledger_check(CARD, b->p, b->n, &expire, &rep), SSA_ERR_LEDGER_INPUT);
	ledger_report_fini(&rep);
	free(b);
}

static void
test_ledger_grants_checked(void **state)
{
	struct book *b = calloc(1, sizeof(*b));
	struct ledger_report rep;
	struct grant_batch *march, *april;
	const struct grant_batch *batches[2];
	struct grant g1 = { 1, GRANT_CARD, 0x1122334455667788ull, 15000 };
	struct grant g2 = { 2, GRANT_MEMBER, 0x77, 19000 };
	struct grant g3 = { 3, GRANT_CARD, 0x1234, 15000 }; /* another card's */
	struct ledger_params p = expire;
	(void)state;
	assert_int_equal(grant_batch_new("caisse-34", 202603, "*", &march), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(march, &g1), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(march, &g2), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(march, &g3), SSA_ERR_OK);
	assert_int_equal(grant_batch_new("caisse-34", 202604, "*", &april), SSA_ERR_OK);
	batches[0] = april;
	batches[1] = march;
	p.grants = batches;
	p.n_grants = 2;
	p.card_serial = 0x1122334455667788ull;
	p.member_id = 0x77;
	reload(b, "T1", 1, 1000, 0, 0, 15000, "0000000000000001");
	check(b, &p, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	ledger_report_fini(&rep);
	/* the member's grant, on this card: fine (a replacement card) */
	reload(b, "T1", 2, 2000, 15000, 15000, 19000, "0000000000000002");
	check(b, &p, &rep);
	assert_int_equal(rep.n_anomalies, 0);
	ledger_report_fini(&rep);
	p.member_id = 0;
	check(b, &p, &rep);
	assert_int_equal(rep.n_anomalies, 1);
	assert_int_equal(rep.anomalies[0].kind, LEDGER_GRANT_UNKNOWN);
	assert_int_equal(rep.anomalies[0].record, 1);
	ledger_report_fini(&rep);
	p.member_id = 0x77;
	/* another card's grant, a grant of another amount, of another period, unknown */
	reload(b, "T1", 3, 3000, 19000, 19000, 15000, "0000000000000003");
	reload(b, "T1", 4, 4000, 15000, 15000, 15001, "0000000000000001");
	reload(b, "T1", 5, 5000, 15001, 15001, 100, "0000000000000009");
	b->r[4].reload.period = 202603;
	reload(b, "T1", 6, 6000, 100, 100, 15000, "0000000000000001");
	b->r[5].reload.period = 202604;
	reload(b, "T1", 7, 7000, 15000, 15000, 15000, "not-a-grant-id");
	check(b, &p, &rep);
	assert_true(rep.flagged);
	size_t unknown = 0;
	for (size_t i = 0; i < rep.n_anomalies; i++)
		if (rep.anomalies[i].kind == LEDGER_GRANT_UNKNOWN) {
			assert_int_equal(rep.anomalies[i].record, 2 + unknown);
			unknown++;
		}
	assert_int_equal(unknown, 5);
	ledger_report_fini(&rep);
	p.grants = NULL;
	assert_int_equal(ledger_check(CARD, b->p, b->n, &p, &rep), SSA_ERR_INVAL);
	ledger_report_fini(&rep);
	grant_batch_free(march);
	grant_batch_free(april);
	free(b);
}

/* xorshift: the same pseudo-random run every time */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* A genuine card used at 4 terminals whose clocks are off by up to an hour, over 6 months, its
 * records fed in random order: never an anomaly, and the books equal the card.  Then a clone
 * spends at a fifth terminal from a balance the card already left: always caught. */
static void
test_ledger_simulated(void **state)
{
	(void)state;
	for (int run = 0; run < 200; run++) {
		struct book *b = calloc(1, sizeof(*b));
		struct ledger_report rep;
		int64_t bal = 0, t = 1000000, skew[4];
		uint64_t seq[4] = { 0 };
		char term[4][4] = { "T1", "T2", "T3", "T4" }, grant[17];
		size_t snap = 0;
		int64_t snap_bal = 0;
		for (int i = 0; i < 4; i++)
			skew[i] = (int64_t)rnd(7200000) - 3600000;
		for (int month = 0; month < 6; month++) {
			int k = (int)rnd(4);
			snprintf(grant, sizeof(grant), "%016x", month + 1);
			reload(b, term[k], ++seq[k], t + skew[k], bal, bal, 15000 + 100 * month,
			       grant);
			bal = 15000 + 100 * month;
			t += 60000;
			for (int s = 0, ns = 1 + (int)rnd(20); s < ns; s++) {
				int64_t amount = (int64_t)rnd((uint64_t)bal + 1);
				k = (int)rnd(4);
				t += 600000 + (int64_t)rnd(86400000);
				if (rnd(8) == 0 && b->n > 0 &&
				    b->r[b->n - 1].kind == JOURNAL_SALE &&
				    strcmp(b->r[b->n - 1].terminal, term[k]) == 0) {
					int64_t back = b->r[b->n - 1].ssa_covered;
					rec(b, JOURNAL_VOID, term[k], ++seq[k], t + skew[k], bal,
					    bal + back, back);
					bal += back;
					continue;
				}
				if (month == 3 && snap == 0) {
					snap = b->n;
					snap_bal = bal;
				}
				rec(b, JOURNAL_SALE, term[k], ++seq[k], t + skew[k], bal,
				    bal - amount, amount);
				bal -= amount;
			}
		}
		/* shuffle */
		for (size_t i = b->n; i > 1; i--) {
			size_t j = (size_t)rnd(i);
			const struct journal_record *x = b->p[i - 1];
			b->p[i - 1] = b->p[j];
			b->p[j] = x;
		}
		check(b, &expire, &rep);
		if (rep.n_anomalies != 0)
			fail_msg("run %d: %zu anomalies, first %s on record %zu", run, rep.n_anomalies,
				 ledger_anomaly_name(rep.anomalies[0].kind), rep.anomalies[0].record);
		assert_int_equal(rep.balance, bal);
		assert_int_equal(rep.card_balance, bal);
		assert_int_equal(rep.n_steps, b->n);
		ledger_report_fini(&rep);
		/* the clone: a copy of the card taken before sale @p snap spends at T5 */
		if (snap_bal > 0) {
			rec(b, JOURNAL_SALE, "T5", 1, b->r[snap].time_ms + 1000, snap_bal,
			    snap_bal - 1, 1);
			check(b, &expire, &rep);
			assert_true(rep.flagged);
			assert_int_equal(rep.anomalies[0].kind, LEDGER_DOUBLE_SPEND);
			ledger_report_fini(&rep);
		}
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger_clean_life),
		cmocka_unit_test(test_ledger_clocks_disagree),
		cmocka_unit_test(test_ledger_double_spend),
		cmocka_unit_test(test_ledger_gap_then_resolved),
		cmocka_unit_test(test_ledger_tampered_and_arithmetic),
		cmocka_unit_test(test_ledger_reload_policies),
		cmocka_unit_test(test_ledger_reload_recorded_twice),
		cmocka_unit_test(test_ledger_input),
		cmocka_unit_test(test_ledger_grants_checked),
		cmocka_unit_test(test_ledger_simulated),
	};
	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
