/* test_basket.c — lines, quantities, weights, embedded prices, decisions recomputed when the
 * card's caisse becomes known, caps across lines, totals, VAT per rate, overflow refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/basket.h"
#include "ssa/money.h"

static const uint8_t key[32] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
				 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };

static struct convention_list *
list(const char *body)
{
	char *text = NULL;
	size_t len;
	struct convention_list *l = NULL;
	struct convention_error err;

	assert_int_equal(convention_sign(body, strlen(body), key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_OK);
	free(text);
	return l;
}

static struct catalog_product
product(const char *code, const char *cat, int64_t price, enum catalog_unit unit, int64_t vat)
{
	struct catalog_product p = { .price = price, .unit = unit, .vat_bp = vat };
	strcpy(p.code, code);
	strcpy(p.name, code);
	strcpy(p.category, cat);
	return p;
}

#define L34 \
	"ssa-list,1\ncaisse,caisse-34\nversion,7\nvalid,2026-01-01,\n" \
	"category,fruits-legumes,100,4.00,,,\ncategory,epicerie,50,,10.00,,\n" \
	"code,3560070123452,100,,,,\nexclude,alcool,,,,,\n"
#define L30 \
	"ssa-list,1\ncaisse,caisse-30\nversion,2\nvalid,2026-01-01,\n" \
	"category,epicerie,100,,,,\n"

static void
test_lines_and_decisions(void **state)
{
	struct convention_list *l34 = list(L34), *l30 = list(L30);
	struct catalog_product lent = product("3560070123452", "epicerie", 235, CATALOG_PIECE, 550);
	struct catalog_product tom = product("2123450", "fruits-legumes", 590, CATALOG_KG, 550);
	struct catalog_product vin = product("3760000000017", "alcool", 899, CATALOG_PIECE, 2000);
	struct catalog_product riz = product("3000000000014", "epicerie", 300, CATALOG_PIECE, 550);
	struct basket b;
	struct basket_totals t;
	uint32_t a, w, v, r;
	(void)state;
	basket_init(&b, 20260415);
	assert_int_equal(basket_add_pieces(&b, &lent, 2, &a), SSA_ERR_OK);
	assert_int_equal(basket_add_weight(&b, &tom, 1234, &w), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&b, &vin, 1, &v), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&b, &riz, 1, &r), SSA_ERR_OK);
	/* no card yet */
	assert_int_equal(basket_line(&b, a)->decision.reason, CONVENTION_NO_CARD);
	basket_totals(&b, &t);
	assert_int_equal(t.lines, 4);
	assert_int_equal(t.total, 470 + 728 + 899 + 300);
	assert_int_equal(t.covered, 0);
	assert_int_equal(t.rest, t.total);
	/* the card says caisse-34 */
	assert_int_equal(basket_set_list(&b, l34, 20260415, NULL, 0), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, a)->decision.reason, CONVENTION_COVERED);
	assert_int_equal(basket_line(&b, a)->decision.covered, 470);
	assert_string_equal(basket_line(&b, a)->decision.caisse, "caisse-34");
	assert_int_equal(basket_line(&b, a)->decision.version, 7);
	assert_int_equal(basket_line(&b, w)->decision.reason, CONVENTION_OVER_CEILING);
	assert_int_equal(basket_line(&b, w)->decision.covered, 494);
	assert_int_equal(basket_line(&b, v)->decision.reason, CONVENTION_EXCLUDED_CATEGORY);
	assert_int_equal(basket_line(&b, r)->decision.reason, CONVENTION_PARTIAL_RATE);
	assert_int_equal(basket_line(&b, r)->decision.covered, 150);
	basket_totals(&b, &t);
	assert_int_equal(t.covered, 470 + 494 + 150);
	assert_int_equal(t.rest, t.total - t.covered);
	/* another member, caisse-30: the same basket decided by another list */
	assert_int_equal(basket_set_list(&b, l30, 20260415, NULL, 0), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, w)->decision.reason, CONVENTION_NOT_IN_LIST);
	assert_int_equal(basket_line(&b, r)->decision.reason, CONVENTION_COVERED);
	assert_int_equal(basket_line(&b, r)->decision.covered, 300);
	assert_string_equal(basket_line(&b, r)->decision.caisse, "caisse-30");
	/* quantities, weights, removal */
	assert_int_equal(basket_set_qty(&b, a, 3), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, a)->amount, 705);
	assert_int_equal(basket_set_qty(&b, w, 500), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, w)->amount, 295);
	assert_int_equal(basket_set_qty(&b, a, 0), SSA_ERR_INVAL);
	assert_int_equal(basket_remove(&b, v), SSA_ERR_OK);
	assert_null(basket_line(&b, v));
	assert_int_equal(basket_remove(&b, v), SSA_ERR_BASKET_LINE);
	assert_int_equal(basket_set_qty(&b, v, 2), SSA_ERR_BASKET_LINE);
	basket_totals(&b, &t);
	assert_int_equal(t.lines, 3);
	assert_int_equal(t.total, 705 + 295 + 300);
	/* the card withdrawn: back to NO_CARD */
	assert_int_equal(basket_set_list(&b, NULL, 20260415, NULL, 0), SSA_ERR_OK);
	basket_totals(&b, &t);
	assert_int_equal(t.covered, 0);
	/* ids are never reused */
	assert_int_equal(basket_add_pieces(&b, &vin, 1, &v), SSA_ERR_OK);
	assert_int_equal(v, 5);
	basket_fini(&b);
	convention_list_free(l34);
	convention_list_free(l30);
}

static void
test_units_and_refusals(void **state)
{
	struct catalog_product lent = product("1", "epicerie", 235, CATALOG_PIECE, 550);
	struct catalog_product tom = product("2", "fruits-legumes", 590, CATALOG_KG, 550);
	struct catalog_product gold = product("3", "epicerie", MONEY_MAX / 2 - 1000, CATALOG_PIECE, 2000);
	struct basket b;
	struct basket_totals t;
	uint32_t id = 0, p;
	(void)state;
	basket_init(&b, 20260415);
	assert_int_equal(basket_add_weight(&b, &lent, 100, &id), SSA_ERR_BASKET_UNIT);
	assert_int_equal(basket_add_pieces(&b, &tom, 1, &id), SSA_ERR_BASKET_UNIT);
	assert_int_equal(basket_add_pieces(&b, &lent, 0, &id), SSA_ERR_INVAL);
	assert_int_equal(basket_add_pieces(&b, &lent, BASKET_MAX_QTY + 1, &id), SSA_ERR_INVAL);
	assert_int_equal(basket_add_weight(&b, &tom, 0, &id), SSA_ERR_INVAL);
	assert_int_equal(basket_add_priced(&b, &tom, -5, &id), SSA_ERR_NEGATIVE);
	/* an embedded price is taken as is */
	assert_int_equal(basket_add_priced(&b, &tom, 347, &p), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, p)->amount, 347);
	assert_int_equal(basket_line(&b, p)->measure, BASKET_PRICED);
	assert_int_equal(basket_set_qty(&b, p, 2), SSA_ERR_BASKET_UNIT);
	/* overflow: refused, basket unchanged */
	assert_int_equal(basket_add_pieces(&b, &gold, 3, &id), SSA_ERR_OVERFLOW);
	assert_int_equal(basket_add_pieces(&b, &gold, 2, &id), SSA_ERR_OK);
	basket_totals(&b, &t);
	assert_int_equal(t.lines, 2);
	assert_int_equal(basket_add_pieces(&b, &gold, 1, &p), SSA_ERR_OVERFLOW);
	assert_int_equal(basket_set_qty(&b, id, 3), SSA_ERR_OVERFLOW);
	assert_int_equal(basket_line(&b, id)->qty, 2);
	basket_totals(&b, &t);
	assert_int_equal(t.lines, 2);
	assert_int_equal(t.total, 347 + (MONEY_MAX / 2 - 1000) * 2);
	basket_fini(&b);
	/* a full basket */
	basket_init(&b, 20260415);
	for (int i = 0; i < BASKET_MAX_LINES; i++)
		assert_int_equal(basket_add_pieces(&b, &lent, 1, NULL), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&b, &lent, 1, NULL), SSA_ERR_BASKET_FULL);
	basket_fini(&b);
}

static void
test_caps_across_lines_and_period(void **state)
{
	struct convention_list *l = list(L34);
	struct catalog_product riz = product("11", "epicerie", 900, CATALOG_PIECE, 550);
	struct catalog_product pates = product("12", "epicerie", 1000, CATALOG_PIECE, 550);
	struct basket_use used = { .category = "epicerie", .used = 300 };
	struct basket b;
	uint32_t a, c, d;
	(void)state;
	basket_init(&b, 20260415);
	/* cap 10,00 per period, 50 %; 3,00 already used this period */
	assert_int_equal(basket_add_pieces(&b, &riz, 1, &a), SSA_ERR_OK);   /* 4,50 */
	assert_int_equal(basket_add_pieces(&b, &pates, 1, &c), SSA_ERR_OK); /* 5,00 */
	assert_int_equal(basket_add_pieces(&b, &riz, 1, &d), SSA_ERR_OK);   /* 4,50 */
	assert_int_equal(basket_set_list(&b, l, 20260415, &used, 1), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, a)->decision.reason, CONVENTION_PARTIAL_RATE);
	assert_int_equal(basket_line(&b, a)->decision.covered, 450);
	assert_int_equal(basket_line(&b, c)->decision.reason, CONVENTION_CAP_REACHED);
	assert_int_equal(basket_line(&b, c)->decision.covered, 250);
	assert_int_equal(basket_line(&b, d)->decision.reason, CONVENTION_CAP_REACHED);
	assert_int_equal(basket_line(&b, d)->decision.covered, 0);
	/* removing the first line moves the cap to later lines */
	assert_int_equal(basket_remove(&b, a), SSA_ERR_OK);
	assert_int_equal(basket_line(&b, c)->decision.reason, CONVENTION_PARTIAL_RATE);
	assert_int_equal(basket_line(&b, c)->decision.covered, 500);
	assert_int_equal(basket_line(&b, d)->decision.covered, 200);
	/* bad uses are refused and change nothing */
	used.used = -1;
	assert_int_equal(basket_set_list(&b, NULL, 20260415, &used, 1), SSA_ERR_NEGATIVE);
	assert_int_equal(basket_line(&b, c)->decision.covered, 500);
	basket_fini(&b);
	convention_list_free(l);
}

/* Lines added one by one after the card is known (only the new line is decided) end with the
 * same decisions as deciding the whole basket again: caps depend on earlier lines only. */
static void
test_added_lines_as_whole_basket(void **state)
{
	struct convention_list *l = list(L34);
	struct catalog_product ps[4] = {
		product("11", "epicerie", 900, CATALOG_PIECE, 550),
		product("12", "epicerie", 130, CATALOG_PIECE, 550),
		product("3560070123452", "epicerie", 235, CATALOG_PIECE, 550),
		product("2123450", "fruits-legumes", 590, CATALOG_KG, 550),
	};
	struct basket_use used = { .category = "epicerie", .used = 300 };
	struct convention_decision inc[40];
	struct basket_totals before, after;
	struct basket b;
	unsigned seed = 7;
	size_t capped = 0;
	(void)state;
	basket_init(&b, 20260415);
	assert_int_equal(basket_set_list(&b, l, 20260415, &used, 1), SSA_ERR_OK);
	for (size_t i = 0; i < 40; i++) {
		const struct catalog_product *p = &ps[rand_r(&seed) % 4];
		if (p->unit == CATALOG_KG)
			assert_int_equal(basket_add_weight(&b, p, 100 + rand_r(&seed) % 900, NULL),
					 SSA_ERR_OK);
		else
			assert_int_equal(basket_add_pieces(&b, p, 1 + rand_r(&seed) % 3, NULL),
					 SSA_ERR_OK);
	}
	for (size_t i = 0; i < b.n; i++) {
		inc[i] = b.lines[i].decision;
		capped += inc[i].reason == CONVENTION_CAP_REACHED;
	}
	assert_true(capped > 0 && capped < b.n); /* the cap is reached on the way */
	basket_totals(&b, &before);
	assert_int_equal(basket_set_list(&b, l, 20260415, &used, 1), SSA_ERR_OK);
	for (size_t i = 0; i < b.n; i++)
		assert_memory_equal(&inc[i], &b.lines[i].decision, sizeof(inc[i]));
	basket_totals(&b, &after); /* the running totals are the whole basket's */
	assert_int_equal(before.total, after.total);
	assert_int_equal(before.covered, after.covered);
	assert_int_equal(before.lines, after.lines);
	basket_fini(&b);
	convention_list_free(l);
}

static void
test_vat_totals(void **state)
{
	struct convention_list *l = list(L34);
	struct catalog_product lent = product("3560070123452", "epicerie", 235, CATALOG_PIECE, 550);
	struct catalog_product savon = product("99", "droguerie", 360, CATALOG_PIECE, 2000);
	struct basket b;
	struct vat_summary before, after;
	(void)state;
	basket_init(&b, 20260415);
	assert_int_equal(basket_add_pieces(&b, &lent, 3, NULL), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&b, &savon, 1, NULL), SSA_ERR_OK);
	assert_int_equal(basket_vat(&b, &before), SSA_ERR_OK);
	assert_int_equal(before.n, 2);
	/* 7,05 at 5.5 %: VAT 0,3675 -> 0,37; 3,60 at 20 %: VAT 0,60 */
	assert_int_equal(before.rates[0].gross, 705);
	assert_int_equal(before.rates[0].vat, 37);
	assert_int_equal(before.rates[0].net, 668);
	assert_int_equal(before.rates[1].vat, 60);
	/* the SSA allocation is a tender: the card changes nothing in the VAT */
	assert_int_equal(basket_set_list(&b, l, 20260415, NULL, 0), SSA_ERR_OK);
	assert_int_equal(basket_vat(&b, &after), SSA_ERR_OK);
	assert_memory_equal(&before, &after, sizeof(before));
	basket_fini(&b);
	convention_list_free(l);
}

/* The till sets the list in force again at every payment: the same list keeps the decisions
 * (and drops what a previous split paid); a newer list, even at the same address, decides
 * again. */
static void
test_same_list_again(void **state)
{
	struct convention_list *l34 = list(L34), *l30 = list(L30);
	struct catalog_product riz = product("3000000000014", "epicerie", 300, CATALOG_PIECE, 550);
	struct basket b;
	uint64_t gen;
	(void)state;

	basket_init(&b, 20260301);
	assert_int_equal(basket_set_list(&b, l34, 20260301, NULL, 0), SSA_ERR_OK);
	assert_int_equal(basket_add_pieces(&b, &riz, 1, NULL), SSA_ERR_OK);
	assert_int_equal(b.lines[0].decision.covered, 150); /* epicerie 50 % */
	b.lines[0].paid_ssa = 150;
	gen = b.generation;
	assert_int_equal(basket_set_list(&b, l34, 20260301, NULL, 0), SSA_ERR_OK);
	assert_int_equal(b.lines[0].decision.covered, 150);
	assert_int_equal(b.lines[0].paid_ssa, 0);
	assert_true(b.generation > gen);
	/* A newer version where the old one was: the entry's rate is now 100 %. */
	l34->version = 8;
	for (size_t i = 0; i < l34->n; i++)
		if (l34->entries[i].rate_bp == 5000)
			l34->entries[i].rate_bp = 10000;
	assert_int_equal(basket_set_list(&b, l34, 20260301, NULL, 0), SSA_ERR_OK);
	assert_int_equal(b.lines[0].decision.covered, 300);
	assert_int_equal(b.lines[0].decision.version, 8);
	/* Another caisse, then another day: decided again. */
	assert_int_equal(basket_set_list(&b, l30, 20260301, NULL, 0), SSA_ERR_OK);
	assert_string_equal(b.lines[0].decision.caisse, "caisse-30");
	assert_int_equal(basket_set_list(&b, l30, 20251231, NULL, 0), SSA_ERR_OK);
	assert_int_equal(b.lines[0].decision.covered, 0); /* not yet in force */
	basket_fini(&b);
	convention_list_free(l34);
	convention_list_free(l30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_decisions),
		cmocka_unit_test(test_units_and_refusals),
		cmocka_unit_test(test_caps_across_lines_and_period),
		cmocka_unit_test(test_added_lines_as_whole_basket),
		cmocka_unit_test(test_vat_totals),
		cmocka_unit_test(test_same_list_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
