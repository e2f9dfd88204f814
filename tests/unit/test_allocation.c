/* test_allocation.c — card debit = min(covered, balance), spread over lines in order, other
 * tenders, cash change, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/allocation.h"
#include "ssa/money.h"

static const uint8_t key[32] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
				 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };

struct fixture {
	struct convention_list *list;
	struct basket b;
	uint32_t id[4];
};

static int
setup(void **state)
{
	const char *body = "ssa-list,1\ncaisse,c1\nversion,1\nvalid,2026-01-01,\n"
			   "category,epicerie,100,,,,\ncategory,pain,50,,,,\n";
	struct fixture *f = calloc(1, sizeof(*f));
	struct catalog_product p = { .unit = CATALOG_PIECE, .vat_bp = 550 };
	char *text = NULL;
	size_t len;

	assert_int_equal(convention_sign(body, strlen(body), key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &f->list, NULL), SSA_ERR_OK);
	free(text);
	basket_init(&f->b, 20260415);
	/* 1: 3,00 covered 3,00; 2: 2,50 not covered; 3: 4,01 covered 2,01 (50 %); 4: 1,20 covered */
	strcpy(p.name, "x");
	strcpy(p.code, "1");
	strcpy(p.category, "epicerie");
	p.price = 300;
	assert_int_equal(basket_add_pieces(&f->b, &p, 1, &f->id[0]), SSA_ERR_OK);
	strcpy(p.code, "2");
	strcpy(p.category, "droguerie");
	p.price = 250;
	assert_int_equal(basket_add_pieces(&f->b, &p, 1, &f->id[1]), SSA_ERR_OK);
	strcpy(p.code, "3");
	strcpy(p.category, "pain");
	p.price = 401;
	assert_int_equal(basket_add_pieces(&f->b, &p, 1, &f->id[2]), SSA_ERR_OK);
	strcpy(p.code, "4");
	strcpy(p.category, "epicerie");
	p.price = 120;
	assert_int_equal(basket_add_pieces(&f->b, &p, 1, &f->id[3]), SSA_ERR_OK);
	assert_int_equal(basket_set_list(&f->b, f->list, 20260415, NULL, 0), SSA_ERR_OK);
	assert_int_equal(f->b.covered, 300 + 201 + 120);
	assert_int_equal(f->b.total, 300 + 250 + 401 + 120);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	basket_fini(&f->b);
	convention_list_free(f->list);
	free(f);
	return 0;
}

static int64_t
paid(struct fixture *f, int i)
{
	return basket_line(&f->b, f->id[i])->paid_ssa;
}

static void
test_enough_balance(void **state)
{
	struct fixture *f = *state;
	struct allocation a;
	assert_int_equal(allocation_compute(&f->b, 5000, &a), SSA_ERR_OK);
	assert_int_equal(a.ssa_debit, 621);
	assert_int_equal(a.balance_after, 5000 - 621);
	assert_int_equal(a.rest, 1071 - 621);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.tenders[0].kind, TENDER_SSA);
	assert_int_equal(paid(f, 0), 300);
	assert_int_equal(paid(f, 1), 0);
	assert_int_equal(paid(f, 2), 201);
	assert_int_equal(paid(f, 3), 120);
	assert_int_equal(allocation_check(&a, &f->b), SSA_ERR_BASKET_UNPAID);
	assert_int_equal(allocation_pay(&a, TENDER_BANK_CARD, 450), SSA_ERR_OK);
	assert_int_equal(allocation_due(&a), 0);
	assert_int_equal(allocation_check(&a, &f->b), SSA_ERR_OK);
	assert_int_equal(allocation_pay(&a, TENDER_CASH, 1), SSA_ERR_BASKET_PAID);
}

static void
test_insufficient_balance_spread_in_order(void **state)
{
	struct fixture *f = *state;
	struct allocation a;
	int64_t sum = 0;
	assert_int_equal(allocation_compute(&f->b, 400, &a), SSA_ERR_OK);
	assert_int_equal(a.ssa_debit, 400);
	assert_int_equal(a.balance_after, 0);
	assert_int_equal(a.rest, 1071 - 400);
	assert_int_equal(paid(f, 0), 300);
	assert_int_equal(paid(f, 1), 0);
	assert_int_equal(paid(f, 2), 100);
	assert_int_equal(paid(f, 3), 0);
	for (int i = 0; i < 4; i++) {
		const struct basket_line *l = basket_line(&f->b, f->id[i]);
		assert_true(l->paid_ssa <= l->decision.covered);
		sum += l->paid_ssa;
	}
	assert_int_equal(sum, a.ssa_debit);
	/* the VAT base does not change with the allocation */
	{
		struct vat_summary v;
		assert_int_equal(basket_vat(&f->b, &v), SSA_ERR_OK);
		assert_int_equal(v.rates[0].gross, 1071);
	}
	/* zero balance: nothing from the card, no SSA tender */
	assert_int_equal(allocation_compute(&f->b, 0, &a), SSA_ERR_OK);
	assert_int_equal(a.ssa_debit, 0);
	assert_int_equal(a.n, 0);
	assert_int_equal(a.rest, 1071);
	assert_int_equal(paid(f, 0), 0);
	assert_int_equal(allocation_compute(&f->b, -1, &a), SSA_ERR_NEGATIVE);
	assert_int_equal(allocation_compute(&f->b, MONEY_MAX + 1, &a), SSA_ERR_OVERFLOW);
}

static void
test_cash_change_and_mixed_tenders(void **state)
{
	struct fixture *f = *state;
	struct allocation a;
	assert_int_equal(allocation_compute(&f->b, 400, &a), SSA_ERR_OK);
	/* 6,71 due: 2,00 local currency, then a 5 € note */
	assert_int_equal(allocation_pay(&a, TENDER_SSA, 100), SSA_ERR_INVAL);
	assert_int_equal(allocation_pay(&a, TENDER_LOCAL_CURRENCY, 0), SSA_ERR_INVAL);
	assert_int_equal(allocation_pay(&a, TENDER_LOCAL_CURRENCY, -3), SSA_ERR_NEGATIVE);
	assert_int_equal(allocation_pay(&a, TENDER_BANK_CARD, 672), SSA_ERR_BASKET_PAID);
	assert_int_equal(allocation_pay(&a, TENDER_LOCAL_CURRENCY, 200), SSA_ERR_OK);
	assert_int_equal(allocation_due(&a), 471);
	assert_int_equal(allocation_pay(&a, TENDER_CASH, 500), SSA_ERR_OK);
	assert_int_equal(allocation_due(&a), 0);
	assert_int_equal(a.change, 29);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.tenders[2].kind, TENDER_CASH);
	assert_int_equal(a.tenders[2].amount, 471);
	assert_int_equal(a.tenders[2].given, 500);
	assert_int_equal(allocation_check(&a, &f->b), SSA_ERR_OK);
	assert_string_equal(tender_name(TENDER_LOCAL_CURRENCY), "LOCAL_CURRENCY");
	/* the basket changed after the allocation: it no longer matches */
	assert_int_equal(basket_set_qty(&f->b, f->id[1], 2), SSA_ERR_OK);
	assert_int_equal(allocation_check(&a, &f->b), SSA_ERR_INVAL);
}

static void
test_tender_limit(void **state)
{
	struct fixture *f = *state;
	struct allocation a;
	assert_int_equal(allocation_compute(&f->b, 0, &a), SSA_ERR_OK);
	for (int i = 0; i < ALLOCATION_MAX_TENDERS; i++)
		assert_int_equal(allocation_pay(&a, TENDER_OTHER, 1), SSA_ERR_OK);
	assert_int_equal(allocation_pay(&a, TENDER_OTHER, 1), SSA_ERR_TOO_LONG);
	assert_int_equal(allocation_due(&a), 1071 - ALLOCATION_MAX_TENDERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enough_balance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insufficient_balance_spread_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cash_change_and_mixed_tenders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tender_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
