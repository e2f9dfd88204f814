/* test_settlement.c — the outlets' settlement from real journal records (built, sealed, encoded,
 * decoded): it equals the sum of the SSA tenders over the journals exactly, per outlet, terminal
 * and period; month boundaries in UTC and with a caller's period function; the CSV export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ssa/csv.h"
#include "ssa/money.h"
#include "ssa/settlement.h"

static const uint8_t key[32] = { 5, 4, 3, 2, 1 };

/* A valid record of @p kind: one line of @p amount cents, @p ssa of it paid by the card, the
 * rest in cash; sealed after (@p prev_seq, @p prev_hash), encoded and decoded into @p out. */
static void
make(struct journal_record *out, enum journal_kind kind, const char *est, const char *term,
     int64_t time_ms, int64_t amount, int64_t ssa, uint64_t *prev_seq, uint8_t prev_hash[32],
     const struct journal_signer *signer)
{
	struct journal_record r;
	struct journal_line l;
	struct journal_tender t;
	char *enc;
	size_t len;
	const char *why = NULL;

	journal_record_init(&r, kind);
	snprintf(r.establishment, sizeof(r.establishment), "%s", est);
	snprintf(r.terminal, sizeof(r.terminal), "%s", term);
	snprintf(r.software, sizeof(r.software), "test");
	snprintf(r.operator_id, sizeof(r.operator_id), "op1");
	r.time_ms = time_ms;
	memset(&l, 0, sizeof(l));
	snprintf(l.code, sizeof(l.code), "3560070123456");
	snprintf(l.name, sizeof(l.name), "Pommes");
	snprintf(l.category, sizeof(l.category), "fruits-legumes");
	l.qty = 1;
	l.unit_price = amount;
	l.amount = amount;
	l.vat_bp = 550;
	l.covered = ssa;
	l.paid_ssa = ssa;
	l.reason = CONVENTION_COVERED;
	assert_int_equal(journal_record_add_line(&r, &l), SSA_ERR_OK);
	if (ssa > 0) {
		t = (struct journal_tender){ .kind = TENDER_SSA, .amount = ssa, .given = ssa };
		assert_int_equal(journal_record_add_tender(&r, &t), SSA_ERR_OK);
		snprintf(r.card, sizeof(r.card), "1122334455667788");
		r.balance_before = 100000;
		r.balance_after = kind == JOURNAL_SALE ? 100000 - ssa : 100000 + ssa;
	}
	if (amount > ssa) {
		t = (struct journal_tender){ .kind = TENDER_CASH, .amount = amount - ssa,
					     .given = amount - ssa };
		assert_int_equal(journal_record_add_tender(&r, &t), SSA_ERR_OK);
	}
	r.total = amount;
	r.ssa_covered = ssa;
	vat_summary_init(&r.vat);
	assert_int_equal(vat_summary_add(&r.vat, 550, amount), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&r.vat), SSA_ERR_OK);
	if (kind != JOURNAL_SALE)
		r.link_seq = *prev_seq;
	if (journal_seal(&r, *prev_seq, *prev_seq ? prev_hash : NULL, signer, &enc, &len,
			 prev_hash) != SSA_ERR_OK) {
		journal_record_check(&r, &why);
		fail_msg("seal: %s", why ? why : "?");
	}
	*prev_seq = r.seq;
	assert_int_equal(journal_record_decode(enc, len, out, &why), SSA_ERR_OK);
	free(enc);
	journal_record_fini(&r);
}

static void
test_period_utc(void **state)
{
	int32_t p;
	(void)state;
	assert_int_equal(settlement_period_utc(NULL, 0, &p), SSA_ERR_OK);
	assert_int_equal(p, 197001);
	/* 2026-03-31T23:59:59.999Z and 2026-04-01T00:00:00Z */
	assert_int_equal(settlement_period_utc(NULL, INT64_C(1775001599999), &p), SSA_ERR_OK);
	assert_int_equal(p, 202603);
	assert_int_equal(settlement_period_utc(NULL, INT64_C(1775001600000), &p), SSA_ERR_OK);
	assert_int_equal(p, 202604);
	/* 2024-02-29T12:00Z */
	assert_int_equal(settlement_period_utc(NULL, INT64_C(1709208000000), &p), SSA_ERR_OK);
	assert_int_equal(p, 202402);
	assert_int_equal(settlement_period_utc(NULL, -1, &p), SSA_ERR_INVAL);
	/* against the C library, one random instant per day over two centuries */
	uint64_t x = 12345;
	for (int64_t day = 0; day < 73000; day++) {
		struct tm tm;
		time_t t;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		int64_t ms = day * 86400000 + (int64_t)(x >> 33) % 86400000;
		t = (time_t)(ms / 1000);
		assert_non_null(gmtime_r(&t, &tm));
		assert_int_equal(settlement_period_utc(NULL, ms, &p), SSA_ERR_OK);
		if (p != (tm.tm_year + 1900) * 100 + tm.tm_mon + 1)
			fail_msg("%lld ms: %d, libc %d-%02d", (long long)ms, p, tm.tm_year + 1900,
				 tm.tm_mon + 1);
	}
}

/* Paris in summer: UTC+2 (a caller's adapter would use the time zone database). */
static enum ssa_err
plus_two_hours(void *cls, int64_t time_ms, int32_t *period)
{
	int *calls = cls;
	(*calls)++;
	return settlement_period_utc(NULL, time_ms + 7200000, period);
}

static void
test_basic_and_boundaries(void **state)
{
	struct journal_signer *signer;
	struct journal_record r[5];
	struct settlement s;
	struct settlement_row t;
	uint64_t seq = 0;
	uint8_t h[32];
	int calls = 0;
	char *csv;
	size_t len;
	(void)state;
	assert_int_equal(journal_signer_new(key, &signer), SSA_ERR_OK);
	/* 31 March 23:30 UTC (1 April 01:30 in Paris), then 1 April */
	make(&r[0], JOURNAL_SALE, "epicerie-7", "T1", INT64_C(1775001599999) - 1800000, 2500, 2000,
	     &seq, h, signer);
	make(&r[1], JOURNAL_VOID, "epicerie-7", "T1", INT64_C(1775001600000) + 60000, 2500, 2000,
	     &seq, h, signer);
	make(&r[2], JOURNAL_SALE, "epicerie-7", "T1", INT64_C(1775001600000) + 120000, 1000, 0,
	     &seq, h, signer); /* no SSA tender: not counted */
	make(&r[3], JOURNAL_SALE, "epicerie-7", "T1", INT64_C(1775001600000) + 180000, 4321, 4321,
	     &seq, h, signer);
	make(&r[4], JOURNAL_REFUND, "epicerie-7", "T1", INT64_C(1775001600000) + 240000, 321, 321,
	     &seq, h, signer);

	settlement_init(&s, NULL, NULL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(settlement_add(&s, &r[i]), SSA_ERR_OK);
	assert_int_equal(settlement_total(&s, "epicerie-7", 202603, &t), SSA_ERR_OK);
	assert_int_equal(t.sales, 1);
	assert_int_equal(t.owed, 2000);
	assert_int_equal(settlement_total(&s, "epicerie-7", 202604, &t), SSA_ERR_OK);
	assert_int_equal(t.sales, 1);
	assert_int_equal(t.voids, 1);
	assert_int_equal(t.refunds, 1);
	assert_int_equal(t.sales_ssa, 4321);
	assert_int_equal(t.voids_ssa, 2000);
	assert_int_equal(t.refunds_ssa, 321);
	assert_int_equal(t.owed, 4321 - 2000 - 321);
	assert_string_equal(t.terminal, "*");
	assert_int_equal(settlement_total(&s, "epicerie-8", 202604, &t), SSA_ERR_OK);
	assert_int_equal(t.owed, 0);
	assert_int_equal(settlement_csv(&s, NULL, 0, ',', &csv, &len), SSA_ERR_OK);
	assert_string_equal(csv,
			    "period,establishment,terminal,sales,sales_ssa,voids,voids_ssa,refunds,"
			    "refunds_ssa,owed\n"
			    "202603,epicerie-7,T1,1,20.00,0,0.00,0,0.00,20.00\n"
			    "202603,epicerie-7,*,1,20.00,0,0.00,0,0.00,20.00\n"
			    "202604,epicerie-7,T1,1,43.21,1,20.00,1,3.21,20.00\n"
			    "202604,epicerie-7,*,1,43.21,1,20.00,1,3.21,20.00\n");
	free(csv);
	settlement_fini(&s);
	/* counted for the outlet the caisse says, whatever the records name */
	settlement_init(&s, NULL, NULL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(settlement_add_for(&s, "amap-2", &r[i]), SSA_ERR_OK);
	assert_int_equal(settlement_total(&s, "epicerie-7", 202604, &t), SSA_ERR_OK);
	assert_int_equal(t.owed, 0);
	assert_int_equal(settlement_total(&s, "amap-2", 202604, &t), SSA_ERR_OK);
	assert_int_equal(t.owed, 4321 - 2000 - 321);
	assert_int_equal(settlement_add_for(&s, "", &r[0]), SSA_ERR_INVAL);
	assert_int_equal(settlement_add_for(&s, "o123456789012345678901234567890123", &r[0]),
			 SSA_ERR_INVAL);
	settlement_fini(&s);

	/* in Paris time the first sale is April's too */
	settlement_init(&s, plus_two_hours, &calls);
	for (int i = 0; i < 5; i++)
		assert_int_equal(settlement_add(&s, &r[i]), SSA_ERR_OK);
	assert_int_equal(calls, 4);
	assert_int_equal(settlement_total(&s, "epicerie-7", 202604, &t), SSA_ERR_OK);
	assert_int_equal(t.sales, 2);
	assert_int_equal(t.owed, 2000 + 4321 - 2000 - 321);
	assert_int_equal(settlement_csv(&s, "epicerie-7", 202604, ';', &csv, &len), SSA_ERR_OK);
	assert_string_equal(csv,
			    "period;establishment;terminal;sales;sales_ssa;voids;voids_ssa;refunds;"
			    "refunds_ssa;owed\n"
			    "202604;epicerie-7;T1;2;63.21;1;20.00;1;3.21;40.00\n"
			    "202604;epicerie-7;*;2;63.21;1;20.00;1;3.21;40.00\n");
	free(csv);
	assert_int_equal(settlement_csv(&s, NULL, 0, '\t', &csv, &len), SSA_ERR_INVAL);
	settlement_fini(&s);
	settlement_fini(NULL);
	for (int i = 0; i < 5; i++)
		journal_record_fini(&r[i]);
	journal_signer_free(signer);
}

#define N_EST 3
#define N_TERM 2
#define N_REC 300

/* Six outlets' terminals (3 establishments x 2 terminals) over four months, random sales, voids
 * and refunds.  The settlement equals, to the cent, the sums of the SSA tender lines over the
 * journals, per terminal, per outlet and in total; and the CSV read back says the same. */
static void
test_equals_journals(void **state)
{
	static const char *const est[N_EST] = { "epicerie-7", "amap-du-lez", "super-coop" };
	static const char *const term[N_TERM] = { "T1", "T2" };
	struct journal_signer *signer;
	struct journal_record *recs = calloc(N_EST * N_TERM * N_REC, sizeof(*recs));
	int64_t want[N_EST][N_TERM][4] = { { { 0 } } }; /* owed by month 0..3 */
	uint64_t counts[N_EST][4][3] = { { { 0 } } };
	int64_t grand = 0, csv_grand = 0, csv_totals = 0;
	struct settlement s;
	uint64_t x = 99;
	size_t nr = 0;
	char *csv;
	size_t len;
	struct csv_reader rd;
	(void)state;
	assert_int_equal(journal_signer_new(key, &signer), SSA_ERR_OK);
	/* 2026-01-01T00:00Z */
	const int64_t jan = INT64_C(1767225600000);
	const int64_t month_ms[5] = { jan, jan + INT64_C(31) * 86400000,
				      jan + INT64_C(59) * 86400000, jan + INT64_C(90) * 86400000,
				      jan + INT64_C(120) * 86400000 };
	for (int e = 0; e < N_EST; e++)
		for (int k = 0; k < N_TERM; k++) {
			uint64_t seq = 0;
			uint8_t h[32];
			int64_t tm = jan;
			for (int i = 0; i < N_REC; i++) {
				enum journal_kind kind = JOURNAL_SALE;
				int64_t amount, ssa, tender = 0;
				int m;
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				tm += (int64_t)((x >> 33) % 40000000);
				if (tm >= month_ms[4])
					break;
				if (i > 0 && (x >> 20) % 10 == 0)
					kind = JOURNAL_VOID;
				else if (i > 0 && (x >> 20) % 10 == 1)
					kind = JOURNAL_REFUND;
				amount = 1 + (int64_t)((x >> 40) % 20000);
				ssa = (x >> 12) % 4 == 0 ? 0 : (int64_t)((x >> 28) % (uint64_t)(amount + 1));
				make(&recs[nr], kind, est[e], term[k], tm, amount, ssa, &seq, h, signer);
				for (size_t q = 0; q < recs[nr].n_tenders; q++)
					if (recs[nr].tenders[q].kind == TENDER_SSA)
						tender += recs[nr].tenders[q].amount;
				for (m = 0; tm >= month_ms[m + 1]; m++)
					;
				if (tender > 0) {
					want[e][k][m] += kind == JOURNAL_SALE ? tender : -tender;
					grand += kind == JOURNAL_SALE ? tender : -tender;
					counts[e][m][kind == JOURNAL_SALE ? 0 :
						     kind == JOURNAL_VOID ? 1 : 2]++;
				}
				nr++;
			}
		}
	/* fed in an order mixing all terminals */
	settlement_init(&s, NULL, NULL);
	for (size_t step = 0; step < nr; step++)
		assert_int_equal(settlement_add(&s, &recs[(step * 7919) % nr]), SSA_ERR_OK);
	assert_int_equal(nr % 7919 == 0, 0);
	for (int e = 0; e < N_EST; e++)
		for (int m = 0; m < 4; m++) {
			struct settlement_row t;
			int64_t sum = 0;
			assert_int_equal(settlement_total(&s, est[e], 202601 + m, &t), SSA_ERR_OK);
			for (int k = 0; k < N_TERM; k++)
				sum += want[e][k][m];
			assert_int_equal(t.owed, sum);
			assert_int_equal(t.owed, t.sales_ssa - t.voids_ssa - t.refunds_ssa);
			assert_int_equal(t.sales, counts[e][m][0]);
			assert_int_equal(t.voids, counts[e][m][1]);
			assert_int_equal(t.refunds, counts[e][m][2]);
		}
	for (size_t i = 0; i < s.n; i++) {
		const struct settlement_row *r = &s.rows[i];
		int e, k;
		for (e = 0; strcmp(est[e], r->establishment) != 0; e++)
			;
		for (k = 0; strcmp(term[k], r->terminal) != 0; k++)
			;
		assert_int_equal(r->owed, want[e][k][r->period - 202601]);
	}
	/* the CSV, read back with the CSV reader */
	assert_int_equal(settlement_csv(&s, NULL, 0, ';', &csv, &len), SSA_ERR_OK);
	csv_init(&rd, csv, len);
	assert_int_equal(csv_next(&rd), SSA_ERR_OK);
	assert_int_equal(rd.nfields, 10);
	assert_string_equal(rd.field[9], "owed");
	while (csv_next(&rd) == SSA_ERR_OK) {
		int64_t owed;
		assert_int_equal(rd.nfields, 10);
		assert_int_equal(money_parse(rd.field[9], &owed), SSA_ERR_OK);
		if (strcmp(rd.field[2], "*") == 0)
			csv_totals += owed;
		else
			csv_grand += owed;
	}
	csv_fini(&rd);
	assert_int_equal(csv_grand, grand);
	assert_int_equal(csv_totals, grand);
	free(csv);
	settlement_fini(&s);
	for (size_t i = 0; i < nr; i++)
		journal_record_fini(&recs[i]);
	free(recs);
	journal_signer_free(signer);
}

static void
test_refused(void **state)
{
	struct settlement s;
	struct journal_record r;
	(void)state;
	settlement_init(&s, NULL, NULL);
	journal_record_init(&r, JOURNAL_SALE);
	r.ssa_covered = 100;
	snprintf(r.establishment, sizeof(r.establishment), "e");
	assert_int_equal(settlement_add(&s, &r), SSA_ERR_INVAL); /* no terminal */
	snprintf(r.terminal, sizeof(r.terminal), "*");
	assert_int_equal(settlement_add(&s, &r), SSA_ERR_INVAL);
	snprintf(r.terminal, sizeof(r.terminal), "T1");
	r.ssa_covered = MONEY_MAX;
	assert_int_equal(settlement_add(&s, &r), SSA_ERR_OK);
	r.ssa_covered = 1;
	assert_int_equal(settlement_add(&s, &r), SSA_ERR_OVERFLOW);
	assert_int_equal(s.rows[0].sales, 1); /* unchanged by the refused record */
	assert_int_equal(s.rows[0].owed, MONEY_MAX);
	r.kind = JOURNAL_CLOSING_Z; /* ignored */
	assert_int_equal(settlement_add(&s, &r), SSA_ERR_OK);
	assert_int_equal(s.rows[0].sales, 1);
	journal_record_fini(&r);
	settlement_fini(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_utc),
		cmocka_unit_test(test_basic_and_boundaries),
		cmocka_unit_test(test_equals_journals),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("settlement", tests, NULL, NULL);
}
