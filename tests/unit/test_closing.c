/* test_closing.c — Z, monthly and annual closings: counts, tenders, VAT per rate, voids and
 * refunds subtracted, perpetual totals, ranges; computed through the store port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal_fixture.h"
#include "ssa/closing.h"
#include "ssa/journal_store.h"
#include "ssa/money.h"

struct fx {
	struct ssa_journal_store *s;
	struct journal_signer *signer;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(journal_mem_new(&f->s), SSA_ERR_OK);
	f->signer = jf_signer(jf_priv_a);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	journal_store_free(f->s);
	journal_signer_free(f->signer);
	free(f);
	return 0;
}

static uint64_t
put(struct fx *f, struct journal_record *r)
{
	uint64_t seq = 0;

	assert_int_equal(journal_store_append(f->s, r, f->signer, 0, &seq, NULL), SSA_ERR_OK);
	journal_record_fini(r);
	return seq;
}

/* Close @p kind for @p period; the appended record's closing in @p out, its seq returned. */
static uint64_t
close_(struct fx *f, enum journal_kind kind, int32_t period, struct journal_closing *out)
{
	struct journal_record r;

	journal_record_init(&r, JOURNAL_SALE);
	jf_header(&r, 99000);
	assert_int_equal(closing_compute(f->s, kind, period, &r), SSA_ERR_OK);
	assert_int_equal(r.kind, kind);
	*out = r.closing;
	return put(f, &r);
}

static void
test_z_month_year(void **state)
{
	struct fx *f = *state;
	struct journal_record r;
	struct journal_closing z, m, y;
	struct journal_chain c;
	uint8_t pub[32];
	uint64_t s1, s2, s3, s5, zseq;

	jf_sale(&r, 1000, 300);
	s1 = put(f, &r);
	jf_sale(&r, 2000, 0);
	s2 = put(f, &r);
	jf_sale(&r, 3000, 200);
	s3 = put(f, &r);
	jf_cancel(&r, JOURNAL_VOID, s2, 4000, 0);
	put(f, &r);
	jf_cancel(&r, JOURNAL_REFUND, s3, 5000, 200);
	s5 = put(f, &r);
	jf_reload(&r, 6000, 300, 15000);
	put(f, &r);

	zseq = close_(f, JOURNAL_CLOSING_Z, 20261123, &z);
	assert_int_equal(z.number, 1);
	assert_int_equal(z.period, 20261123);
	assert_int_equal(z.first_seq, s1);
	assert_int_equal(z.last_seq, s5 + 1);
	assert_int_equal(z.records, 6);
	assert_int_equal(z.sales, 3);
	assert_int_equal(z.voids, 1);
	assert_int_equal(z.refunds, 1);
	assert_int_equal(z.reloads, 1);
	assert_int_equal(z.sales_total, 3420);
	assert_int_equal(z.voids_total, 1140);
	assert_int_equal(z.refunds_total, 1140);
	assert_int_equal(z.reloads_total, 15000);
	assert_int_equal(z.total, 1140);
	assert_int_equal(z.ssa_total, 300);
	assert_int_equal(z.tenders[TENDER_SSA], 300);
	assert_int_equal(z.tenders[TENDER_CASH], 840);
	assert_int_equal(z.tenders[TENDER_BANK_CARD], 0);
	/* Per rate, each record's printed figures summed: 5.5 % of 3,00 € = 0,16 € (half up),
	 * 20 % of 8,40 € = 1,40 €. */
	assert_int_equal(z.vat.n, 2);
	assert_int_equal(z.vat.rates[0].rate_bp, 550);
	assert_int_equal(z.vat.rates[0].gross, 300);
	assert_int_equal(z.vat.rates[0].vat, 16);
	assert_int_equal(z.vat.rates[0].net, 284);
	assert_int_equal(z.vat.rates[1].rate_bp, 2000);
	assert_int_equal(z.vat.rates[1].gross, 840);
	assert_int_equal(z.vat.rates[1].vat, 140);
	assert_int_equal(z.perpetual_prev, 0);
	assert_int_equal(z.perpetual, 1140);

	jf_sale(&r, 7000, 0);
	s1 = put(f, &r);
	close_(f, JOURNAL_CLOSING_Z, 20261124, &z);
	assert_int_equal(z.number, 2);
	assert_int_equal(z.first_seq, s1);
	assert_int_equal(z.last_seq, s1);
	assert_int_equal(z.records, 1);
	assert_int_equal(z.total, 1140);
	assert_int_equal(z.perpetual_prev, 1140);
	assert_int_equal(z.perpetual, 2280);
	/* An empty day still gets its Z. */
	close_(f, JOURNAL_CLOSING_Z, 20261125, &z);
	assert_int_equal(z.number, 3);
	assert_int_equal(z.records, 0);
	assert_int_equal(z.first_seq, 0);
	assert_int_equal(z.total, 0);
	assert_int_equal(z.perpetual, 2280);

	close_(f, JOURNAL_CLOSING_MONTH, 202611, &m);
	assert_int_equal(m.number, 1);
	assert_int_equal(m.first_seq, zseq);
	assert_int_equal(m.records, 3);
	assert_int_equal(m.sales, 4);
	assert_int_equal(m.voids, 1);
	assert_int_equal(m.total, 2280);
	assert_int_equal(m.tenders[TENDER_CASH], 1980);
	assert_int_equal(m.vat.rates[0].gross, 600);
	assert_int_equal(m.vat.rates[0].vat, 32);
	assert_int_equal(m.perpetual, 2280);

	jf_sale(&r, 8000, 100);
	put(f, &r);
	close_(f, JOURNAL_CLOSING_Z, 20261201, &z);
	assert_int_equal(z.number, 4);
	assert_int_equal(z.perpetual, 3420);
	close_(f, JOURNAL_CLOSING_MONTH, 202612, &m);
	assert_int_equal(m.number, 2);
	assert_int_equal(m.records, 1);
	assert_int_equal(m.total, 1140);
	assert_int_equal(m.perpetual_prev, 2280);
	assert_int_equal(m.perpetual, 3420);
	assert_int_equal(m.ssa_total, 100);

	close_(f, JOURNAL_CLOSING_YEAR, 2026, &y);
	assert_int_equal(y.number, 1);
	assert_int_equal(y.records, 4);
	assert_int_equal(y.sales, 5);
	assert_int_equal(y.total, 3420);
	assert_int_equal(y.ssa_total, 400);
	assert_int_equal(y.perpetual, 3420);

	jf_public(jf_priv_a, pub);
	assert_int_equal(journal_store_verify(f->s, pub, &c), SSA_ERR_OK);
}

static void
test_errors(void **state)
{
	struct closing_acc a, before;
	struct journal_record big, z;
	struct journal_tender t = { TENDER_CASH, MONEY_MAX, MONEY_MAX, 0 };
	struct journal_closing out;
	struct journal_record r;

	(void)state;
	journal_record_init(&z, JOURNAL_CLOSING_Z);
	assert_int_equal(closing_begin(&a, JOURNAL_SALE, 1, NULL), SSA_ERR_INVAL);
	assert_int_equal(closing_begin(&a, JOURNAL_CLOSING_MONTH, 1, &z), SSA_ERR_INVAL);
	assert_int_equal(closing_begin(&a, JOURNAL_CLOSING_Z, 20261123, &z), SSA_ERR_OK);
	assert_int_equal(a.c.number, 1);
	journal_record_init(&big, JOURNAL_SALE);
	big.seq = 1;
	big.total = MONEY_MAX;
	assert_int_equal(journal_record_add_tender(&big, &t), SSA_ERR_OK);
	assert_int_equal(closing_add(&a, &big), SSA_ERR_OK);
	before = a;
	big.seq = 2;
	assert_int_equal(closing_add(&a, &big), SSA_ERR_OVERFLOW);
	assert_memory_equal(&a, &before, sizeof(a));
	/* Records a Z does not summarise are ignored. */
	assert_int_equal(closing_add(&a, &z), SSA_ERR_OK);
	assert_memory_equal(&a, &before, sizeof(a));
	assert_int_equal(closing_finish(&a, &out), SSA_ERR_OK);
	assert_int_equal(out.perpetual, MONEY_MAX);
	/* Nine VAT rates cannot be summed into eight. */
	assert_int_equal(closing_begin(&a, JOURNAL_CLOSING_Z, 1, NULL), SSA_ERR_OK);
	for (int i = 0; i < 9; i++) {
		journal_record_init(&r, JOURNAL_SALE);
		r.seq = (uint64_t)i + 1;
		r.vat.n = 1;
		r.vat.rates[0].rate_bp = 100 + i;
		assert_int_equal(closing_add(&a, &r), i < 8 ? SSA_ERR_OK : SSA_ERR_TOO_LONG);
	}
	assert_int_equal(a.c.vat.n, 8);
	assert_int_equal(a.c.sales, 8);
	journal_record_fini(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_z_month_year, setup, teardown),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
