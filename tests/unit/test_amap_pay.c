/* test_amap_pay.c — a household's AMAP baskets are never debited twice in a day
 * (amap_pay_find, pos/amap_pay.c): the card's sale of AMAP baskets of the day is found after the
 * last Z, and also when a Z was closed after it the same day (the till stopped between the sale
 * and the sign-in log, then the day was closed: the next tap must not debit again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/closing.h"
#include "ssa/journal_store.h"
#include "ssa/vat.h"

#include "../../pos/amap_pay.h"
#include "journal_fixture.h"

#define DAY_MS 1795392000000LL /* 2026-11-23 00:00 UTC: "today's" start in these tests */
#define CARD "00000000000000b1"

struct fixture {
	struct ssa_journal_store *journal;
	struct journal_signer *signer;
};

/* A sale at @p time_ms by card CARD of one line of @p category, paid by the card. */
static uint64_t
sale(struct fixture *f, int64_t time_ms, const char *category)
{
	struct journal_record r;
	struct journal_line l = {.code = "amap-1",
	                         .name = "Legumes panier",
	                         .qty = 1,
	                         .unit_price = 900,
	                         .amount = 900,
	                         .vat_bp = 0,
	                         .covered = 900,
	                         .paid_ssa = 900,
	                         .reason = CONVENTION_COVERED,
	                         .list_caisse = "caisse-34",
	                         .list_version = 1};
	struct journal_tender tn = {TENDER_SSA, 900, 900, 0};
	uint64_t seq = 0;

	snprintf(l.category, sizeof(l.category), "%s", category);
	journal_record_init(&r, JOURNAL_SALE);
	jf_header(&r, time_ms);
	strcpy(r.card, CARD);
	r.balance_before = 10000;
	r.balance_after = 9100;
	r.total = 900;
	r.ssa_covered = 900;
	assert_int_equal(journal_record_add_line(&r, &l), SSA_ERR_OK);
	assert_int_equal(journal_record_add_tender(&r, &tn), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&r.vat, 0, 900), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&r.vat), SSA_ERR_OK);
	assert_int_equal(journal_store_append(f->journal, &r, f->signer, 0, &seq, NULL),
	                 SSA_ERR_OK);
	journal_record_fini(&r);
	return seq;
}

static void
close_z(struct fixture *f, int64_t time_ms)
{
	struct journal_record r;

	journal_record_init(&r, JOURNAL_CLOSING_Z);
	jf_header(&r, time_ms);
	assert_int_equal(
	    closing_append(f->journal, JOURNAL_CLOSING_Z, 20261123, &r, f->signer, NULL, NULL),
	    SSA_ERR_OK);
	journal_record_fini(&r);
}

static uint64_t
found(struct fixture *f)
{
	uint64_t seq = 99;

	assert_int_equal(amap_pay_find(f->journal, CARD, DAY_MS, &seq), SSA_ERR_OK);
	return seq;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(journal_mem_new(&f->journal), SSA_ERR_OK);
	f->signer = jf_signer(jf_priv_a);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	journal_signer_free(f->signer);
	journal_store_free(f->journal);
	free(f);
	return 0;
}

static void
test_found_after_last_z(void **state)
{
	struct fixture *f = *state;
	uint64_t seq;

	assert_int_equal(found(f), 0);             /* an empty journal */
	sale(f, DAY_MS - 3600000, "amap-legumes"); /* yesterday's distribution */
	close_z(f, DAY_MS - 1800000);
	assert_int_equal(found(f), 0);
	sale(f, DAY_MS + 3600000, "epicerie"); /* a counter sale of the card: not baskets */
	assert_int_equal(found(f), 0);
	seq = sale(f, DAY_MS + 7200000, "amap-legumes");
	assert_int_equal(found(f), seq);
}

static void
test_found_before_a_z_of_the_same_day(void **state)
{
	struct fixture *f = *state;
	uint64_t seq;

	close_z(f, DAY_MS - 1800000);
	seq = sale(f, DAY_MS + 3600000, "amap-legumes");
	/* the till stopped before the sign-in log had the pickup; the day was closed */
	close_z(f, DAY_MS + 7200000);
	assert_int_equal(found(f), seq);
	/* and tomorrow it is another day */
	{
		uint64_t seq2 = 99;

		assert_int_equal(amap_pay_find(f->journal, CARD, DAY_MS + 86400000, &seq2),
		                 SSA_ERR_OK);
		assert_int_equal(seq2, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_found_after_last_z, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_found_before_a_z_of_the_same_day, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
