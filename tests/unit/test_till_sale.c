/* test_till_sale.c — the till's sale with a fake catalog behind the port (catalog_mem): codes
 * looked up, quantities, weights and the weight prompt, eligibility marks with the preview
 * caisse's list, void a line, cancel the sale; every refusal changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/gtin.h"

#include "../../pos/till.h"

static const uint8_t key[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
				 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

#define LIST34 \
	"ssa-list,1\ncaisse,caisse-34\nversion,7\nvalid,2026-01-01,\n" \
	"code,3560070894222,100,,,,\ncategory,fruits-legumes,100,,,,\n" \
	"category,epicerie,100,8.00,,,\ncategory,fromage,50,,,,\nexclude,alcool,,,,,\n"

struct fixture {
	struct ssa_catalog *cat;
	struct till t;
};

static void
put(struct ssa_catalog *cat, const char *code, const char *name, int64_t price,
    enum catalog_unit unit, const char *category)
{
	struct catalog_product p = { .price = price, .unit = unit, .vat_bp = 550 };

	strcpy(p.code, code);
	strcpy(p.name, name);
	strcpy(p.category, category);
	assert_int_equal(catalog_mem_put(cat, &p), SSA_ERR_OK);
}

/* @p twelve digits and their GS1 check digit, in @p buf (14 bytes at least). */
static const char *
with_check(const char *twelve, char *buf)
{
	snprintf(buf, 16, "%.12s%d", twelve, gtin_check_digit(twelve, 12));
	return buf;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct convention_list *l = NULL;
	struct convention_error err;
	char *text = NULL;
	size_t len;
	char buf[64];

	assert_non_null(f);
	assert_int_equal(catalog_mem_new(&f->cat), SSA_ERR_OK);
	put(f->cat, "3560070894222", "Lentilles vertes 500 g", 235, CATALOG_PIECE, "legumineuses");
	put(f->cat, "3017620422003", "Pate a tartiner 400 g", 389, CATALOG_PIECE, "sucre");
	put(f->cat, "3176582033303", "Vin rouge 75 cl", 590, CATALOG_PIECE, "alcool");
	put(f->cat, "3250390000457", "Huile d'olive 1 l", 1290, CATALOG_PIECE, "epicerie");
	put(f->cat, "2345678", "Comte au lait cru", 2490, CATALOG_KG, "fromage");
	put(f->cat, "4011", "Bananes", 199, CATALOG_KG, "fruits-legumes");
	assert_int_equal(convention_sign(LIST34, strlen(LIST34), key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_OK);
	free(text);
	assert_int_equal(catalog_mem_set_list(f->cat, l), SSA_ERR_OK);
	put(f->cat, with_check("211234500000", buf), "Tomates vrac", 390, CATALOG_KG,
	    "fruits-legumes");
	put(f->cat, with_check("235432100000", buf), "Plateau de fromages", 1, CATALOG_PIECE,
	    "fromage");
	till_init(&f->t, 20261123);
	till_set_catalog(&f->t, f->cat, "caisse-34");
	assert_int_equal(gtin_nomenclature_add_rule(&f->t.nomenclature, "21xxxxxNNDDDc weight",
						    buf, sizeof(buf)),
			 SSA_ERR_OK);
	assert_int_equal(gtin_nomenclature_add_rule(&f->t.nomenclature, "23xxxxxNNNDDc price",
						    buf, sizeof(buf)),
			 SSA_ERR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	till_fini(&f->t);
	catalog_close(f->cat);
	free(f);
	return 0;
}

static enum ssa_err
type_enter(struct till *t, const char *text)
{
	strcpy(t->entry, text);
	return till_enter(t);
}

static const struct basket_line *
last(struct till *t)
{
	return basket_line(&t->basket, t->last_line);
}

static void
test_marks_and_reasons(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	struct basket_totals tot;

	assert_int_equal(type_enter(t, "3560070894222"), SSA_ERR_OK);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
	assert_string_equal(t->msg, "Lentilles vertes 500 g.");
	assert_int_equal(type_enter(t, "3017620422003"), SSA_ERR_OK);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_NONE);
	assert_int_equal(last(t)->decision.reason, CONVENTION_NOT_IN_LIST);
	assert_int_equal(type_enter(t, "2*3176582033303"), SSA_ERR_OK);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_NONE);
	assert_int_equal(last(t)->decision.reason, CONVENTION_EXCLUDED_CATEGORY);
	assert_int_equal(last(t)->qty, 2);
	assert_string_equal(t->msg, "2 x Vin rouge 75 cl.");
	assert_int_equal(type_enter(t, "3250390000457"), SSA_ERR_OK);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_PARTIAL);
	assert_int_equal(last(t)->decision.reason, CONVENTION_OVER_CEILING);
	assert_int_equal(last(t)->decision.covered, 800);

	basket_totals(&t->basket, &tot);
	assert_int_equal(tot.lines, 4);
	assert_int_equal(tot.total, 235 + 389 + 2 * 590 + 1290);
	assert_int_equal(tot.covered, 235 + 800);
	assert_int_equal(tot.rest, tot.total - tot.covered);
}

static void
test_weight_paths(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;

	/* typed with the code */
	assert_int_equal(type_enter(t, "0,350*2345678"), SSA_ERR_OK);
	assert_int_equal(last(t)->measure, BASKET_WEIGHT);
	assert_int_equal(last(t)->grams, 350);
	assert_int_equal(last(t)->amount, 872); /* 24.90 x 0.350 = 8.715 -> 8.72 */
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_PARTIAL);
	assert_int_equal(last(t)->decision.covered, 436);

	/* scanned without weight: the prompt opens, a bad weight keeps it open */
	assert_int_equal(type_enter(t, "4011"), SSA_ERR_OK);
	assert_int_equal(t->basket.n, 1);
	assert_true(t->weight_prompt);
	assert_string_equal(t->msg, "Bananes is sold by weight: type the weight in kg.");
	assert_int_equal(type_enter(t, "abc"), SSA_ERR_INVAL);
	assert_true(t->weight_prompt);
	assert_int_equal(t->basket.n, 1);
	assert_int_equal(type_enter(t, "1,2"), SSA_ERR_OK);
	assert_false(t->weight_prompt);
	assert_int_equal(t->basket.n, 2);
	assert_int_equal(last(t)->grams, 1200);
	assert_int_equal(last(t)->amount, 239); /* 1.99 x 1.2 = 2.388 */
	assert_string_equal(t->msg, "1,200 kg of Bananes.");

	/* F6 first, then the item */
	till_weight_prompt(t);
	assert_int_equal(type_enter(t, "0,5"), SSA_ERR_OK);
	assert_int_equal(type_enter(t, "4011"), SSA_ERR_OK);
	assert_int_equal(last(t)->grams, 500);
	assert_int_equal(t->basket.n, 3);
	assert_int_equal(t->pending_grams, 0);

	/* Esc drops a waiting item */
	assert_int_equal(type_enter(t, "4011"), SSA_ERR_OK);
	till_entry_clear(t);
	assert_int_equal(type_enter(t, "1"), SSA_ERR_NOT_FOUND);
	assert_int_equal(t->basket.n, 3);
}

static void
test_variable_measure_codes(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	char code[16], qty[24];

	/* 0.350 kg of tomatoes printed by the scale */
	assert_int_equal(type_enter(t, with_check("211234500350", code)), SSA_ERR_OK);
	assert_int_equal(last(t)->measure, BASKET_WEIGHT);
	assert_int_equal(last(t)->grams, 350);
	assert_int_equal(last(t)->amount, 137); /* 3.90 x 0.350 = 1.365 -> 1.37 */
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
	/* a priced code: 5.99 */
	assert_int_equal(type_enter(t, with_check("235432100599", code)), SSA_ERR_OK);
	assert_int_equal(last(t)->measure, BASKET_PRICED);
	assert_int_equal(last(t)->amount, 599);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_PARTIAL);
	assert_string_equal(t->msg, "Plateau de fromages at 5,99\u00a0\u20ac.");
	/* a quantity on it contradicts the code */
	snprintf(qty, sizeof(qty), "2*%s", with_check("235432100599", code));
	assert_int_equal(type_enter(t, qty), SSA_ERR_INVAL);
	assert_int_equal(t->basket.n, 2);
	/* a wrong check digit is refused, never guessed */
	assert_int_equal(type_enter(t, "3560070894223"), SSA_ERR_BARCODE_CHECK);
	assert_string_equal(t->msg, "Cannot read \"3560070894223\": wrong check digit.");
	assert_int_equal(t->basket.n, 2);
}

static void
test_refusals_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;

	assert_int_equal(type_enter(t, "3*4011"), SSA_ERR_INVAL);
	assert_string_equal(t->msg, "Bananes is sold by weight: type the weight, not a quantity.");
	assert_int_equal(type_enter(t, "0,5*3560070894222"), SSA_ERR_INVAL);
	assert_string_equal(t->msg, "Lentilles vertes 500 g is sold by the piece, not by weight.");
	assert_int_equal(type_enter(t, "9999999999994"), SSA_ERR_NOT_FOUND);
	assert_string_equal(t->msg, "Unknown product: 9999999999994.");
	assert_int_equal(t->msg_level, TILL_MSG_ERROR);
	assert_int_equal(t->basket.n, 0);
	assert_int_equal(till_void_line(t, 12345), SSA_ERR_BASKET_LINE);
	assert_int_equal(t->basket.n, 0);
}

static void
test_void_and_cancel(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	uint32_t first;

	type_enter(t, "3560070894222");
	first = t->last_line;
	type_enter(t, "3017620422003");
	type_enter(t, "3250390000457");
	assert_int_equal(t->basket.n, 3);
	assert_int_equal(till_void_line(t, first), SSA_ERR_OK);
	assert_string_equal(t->msg, "Line voided: Lentilles vertes 500 g.");
	assert_int_equal(t->basket.n, 2);
	assert_int_equal(t->basket.total, 389 + 1290);
	assert_int_equal(t->basket.covered, 800);
	till_cancel_sale(t);
	assert_int_equal(t->basket.n, 0);
	assert_int_equal(t->basket.total, 0);
	assert_string_equal(t->msg, "Sale cancelled: 2 line(s) removed.");
	/* the next sale still decides with the preview list */
	type_enter(t, "3560070894222");
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
}

static void
test_without_catalog_or_list(void **state)
{
	struct fixture *f = *state;
	struct till t2;

	till_init(&t2, 20261123);
	assert_int_equal(type_enter(&t2, "3560070894222"), SSA_ERR_NOT_FOUND);
	assert_string_equal(t2.msg, "No product list: nothing can be sold.");
	/* a caisse without a list in force: lines are undecided, shown as such */
	till_set_catalog(&t2, f->cat, "caisse-99");
	assert_int_equal(type_enter(&t2, "3560070894222"), SSA_ERR_OK);
	assert_int_equal(till_line_mark(last(&t2)), TILL_MARK_UNKNOWN);
	till_fini(&t2);
}

static void
test_pay_split_and_tenders(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	struct till_card card = { .id = "00000000000000aa", .caisse = "caisse-34", .balance = 500 };

	assert_int_equal(till_pay_start(t), SSA_ERR_INVAL); /* empty basket */
	assert_int_equal(t->state, TILL_SELLING);
	type_enter(t, "3560070894222");   /* 2.35 covered */
	type_enter(t, "3176582033303");   /* 5.90 alcohol */
	type_enter(t, "4*3560070894222"); /* 9.40 covered */
	assert_int_equal(till_pay_start(t), SSA_ERR_OK);
	assert_int_equal(t->state, TILL_PAYING);
	assert_int_equal(till_due(t), 1765);
	/* lines cannot change while paying */
	assert_int_equal(till_void_line(t, t->last_line), SSA_ERR_INVAL);
	assert_int_equal(t->basket.n, 3);

	/* the card covers min(11.75, 5.00) */
	assert_int_equal(till_pay_card(t, &card), SSA_ERR_OK);
	assert_int_equal(t->alloc.ssa_debit, 500);
	assert_int_equal(t->alloc.balance_after, 0);
	assert_int_equal(till_due(t), 1265);
	assert_string_equal(t->msg, "Card balance 5,00\u00a0\u20ac: SSA pays 5,00\u00a0\u20ac, "
				    "12,65\u00a0\u20ac left to pay.");
	/* a bank card cannot take more than is due; cash can, with change */
	assert_int_equal(till_pay_tender(t, TENDER_BANK_CARD, 2000), SSA_ERR_BASKET_PAID);
	assert_int_equal(till_pay_tender(t, TENDER_LOCAL_CURRENCY, 265), SSA_ERR_OK);
	assert_int_equal(till_due(t), 1000);
	/* the card cannot change once a tender was taken */
	card.balance = 5000;
	assert_int_equal(till_pay_card(t, &card), SSA_ERR_INVAL);
	assert_int_equal(t->alloc.ssa_debit, 500);
	assert_int_equal(till_pay_tender(t, TENDER_CASH, 2000), SSA_ERR_OK);
	assert_int_equal(till_due(t), 0);
	assert_int_equal(t->alloc.change, 1000);
	assert_string_equal(t->msg, "Paid. Change to give: 10,00\u00a0\u20ac.");
	assert_int_equal(allocation_check(&t->alloc, &t->basket), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(t, TENDER_CASH, 100), SSA_ERR_BASKET_PAID);
}

static void
test_pay_card_of_another_caisse(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	struct till_card card = { .id = "bb", .caisse = "caisse-99", .balance = 5000 };

	type_enter(t, "3560070894222");
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
	assert_int_equal(till_pay_start(t), SSA_ERR_OK);
	/* caisse-99 has no list here: nothing is covered, everything is due */
	assert_int_equal(till_pay_card(t, &card), SSA_ERR_OK);
	assert_int_equal(t->alloc.ssa_debit, 0);
	assert_int_equal(till_due(t), 235);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_UNKNOWN);
	/* back to the sale: the outlet's caisse decides again */
	assert_int_equal(till_pay_back(t), SSA_ERR_OK);
	assert_int_equal(t->state, TILL_SELLING);
	assert_false(t->has_card);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
	/* a scan while paying goes back to the sale and adds the line */
	assert_int_equal(till_pay_start(t), SSA_ERR_OK);
	assert_int_equal(type_enter(t, "3017620422003"), SSA_ERR_OK);
	assert_int_equal(t->state, TILL_SELLING);
	assert_int_equal(t->basket.n, 2);
	/* cancel while paying drops everything */
	assert_int_equal(till_pay_start(t), SSA_ERR_OK);
	till_cancel_sale(t);
	assert_int_equal(t->state, TILL_SELLING);
	assert_int_equal(t->basket.n, 0);
	assert_int_equal(till_due(t), 0);
}

static void
test_sale_record(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	struct till_card card = { .id = "00000000000000aa", .caisse = "caisse-34", .balance = 1000 };
	struct journal_record r, back;
	struct journal_signer *signer = NULL;
	uint8_t pub[32], kid[JOURNAL_KEY_ID_LEN];
	char *enc = NULL;
	size_t len;
	const char *why = NULL;

	strcpy(t->establishment, "epicerie-test");
	strcpy(t->terminal, "T01");
	assert_int_equal(till_sign_in(t, "12a"), SSA_ERR_INVAL);
	assert_int_equal(till_sign_in(t, "123456789"), SSA_ERR_INVAL);
	assert_string_equal(t->operator_id, "");
	assert_int_equal(till_sign_in(t, "0042"), SSA_ERR_OK);
	type_enter(t, "3*3560070894222");  /* 7.05, covered */
	type_enter(t, "3176582033303");    /* 5.90, alcohol */
	type_enter(t, "0,350*2345678");    /* 8.72, half covered: 4.36 */
	assert_int_equal(till_pay_start(t), SSA_ERR_OK);
	/* not paid yet: no record */
	assert_int_equal(till_sale_record(t, 1795000000000, &r), SSA_ERR_BASKET_UNPAID);
	journal_record_fini(&r);
	assert_int_equal(till_pay_card(t, &card), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(t, TENDER_CASH, 2000), SSA_ERR_OK);
	assert_int_equal(till_sale_record(t, 1795000000000, &r), SSA_ERR_OK);
	assert_int_equal(r.kind, JOURNAL_SALE);
	assert_string_equal(r.operator_id, "0042");
	assert_string_equal(r.card, "00000000000000aa");
	assert_int_equal(r.balance_before, 1000);
	assert_int_equal(r.balance_after, 0);
	assert_int_equal(r.total, 2167);
	assert_int_equal(r.ssa_covered, 1000);
	assert_int_equal(r.n_lines, 3);
	assert_int_equal(r.lines[0].paid_ssa, 705);
	assert_int_equal(r.lines[2].paid_ssa, 295);
	assert_int_equal(r.lines[1].reason, CONVENTION_EXCLUDED_CATEGORY);
	assert_string_equal(r.lines[0].list_caisse, "caisse-34");
	assert_int_equal(r.lines[0].list_version, 7);
	assert_int_equal(r.n_tenders, 2);
	assert_int_equal(r.tenders[1].kind, TENDER_CASH);
	assert_int_equal(r.tenders[1].amount, 1167);
	assert_int_equal(r.tenders[1].change, 833);
	assert_int_equal(r.vat.n, 1);
	assert_int_equal(r.vat.rates[0].gross, 2167);

	/* the record is what the journal accepts: it seals, encodes, decodes and verifies */
	assert_int_equal(journal_signer_new(key, &signer), SSA_ERR_OK);
	journal_signer_public(signer, pub, kid);
	assert_int_equal(journal_seal(&r, 0, NULL, signer, &enc, &len, NULL), SSA_ERR_OK);
	assert_int_equal(journal_record_decode(enc, len, &back, &why), SSA_ERR_OK);
	assert_int_equal(journal_record_verify(&back, pub), SSA_ERR_OK);
	assert_int_equal(back.total, 2167);
	journal_record_fini(&back);
	journal_record_fini(&r);
	journal_signer_free(signer);
	free(enc);
}

/* Items without a barcode: "/N" is the product on quick key N, with a quantity or a weight as
 * for codes; a free or impossible quick key is a message and changes nothing. */
static void
test_quick_keys(void **state)
{
	struct fixture *f = *state;
	struct till *t = &f->t;
	struct catalog_product pain = { .price = 390, .unit = CATALOG_PIECE, .vat_bp = 550,
					.quick_key = 3 };
	struct catalog_product poireaux = { .price = 350, .unit = CATALOG_KG, .vat_bp = 550,
					    .quick_key = 12 };
	static const char *const bad[] = { "/", "/0", "/100", "/1/", "/a", "//3", "3/", "2*/" };
	struct till_entry e;

	strcpy(pain.code, "9901");
	strcpy(pain.name, "Pain de campagne");
	strcpy(pain.category, "epicerie");
	strcpy(poireaux.code, "9902");
	strcpy(poireaux.name, "Poireaux");
	strcpy(poireaux.category, "fruits-legumes");
	assert_int_equal(catalog_mem_put(f->cat, &pain), SSA_ERR_OK);
	assert_int_equal(catalog_mem_put(f->cat, &poireaux), SSA_ERR_OK);

	assert_int_equal(till_parse_entry("/3", &e), SSA_ERR_OK);
	assert_int_equal(e.quick_key, 3);
	assert_int_equal(e.qty, 1);
	assert_int_equal(till_parse_entry("2*/99", &e), SSA_ERR_OK);
	assert_int_equal(e.quick_key, 99);
	assert_int_equal(e.qty, 2);
	assert_int_equal(till_parse_entry("0,250*/12", &e), SSA_ERR_OK);
	assert_int_equal(e.grams, 250);
	assert_int_equal(till_parse_entry("3560070894222", &e), SSA_ERR_OK);
	assert_int_equal(e.quick_key, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(till_parse_entry(bad[i], &e), SSA_ERR_OK);

	assert_true(till_entry_type(t, '/'));
	till_entry_clear(t);
	assert_int_equal(type_enter(t, "2*/3"), SSA_ERR_OK);
	assert_int_equal(t->basket.n, 1);
	assert_string_equal(last(t)->product.name, "Pain de campagne");
	assert_int_equal(last(t)->qty, 2);
	assert_int_equal(last(t)->amount, 780);
	/* per kg without a weight: the prompt opens, as for a scanned code */
	assert_int_equal(type_enter(t, "/12"), SSA_ERR_OK);
	assert_true(t->weight_prompt);
	assert_int_equal(type_enter(t, "0,5"), SSA_ERR_OK);
	assert_int_equal(t->basket.n, 2);
	assert_int_equal(last(t)->grams, 500);
	assert_int_equal(last(t)->amount, 175);
	assert_int_equal(till_line_mark(last(t)), TILL_MARK_COVERED);
	/* a quick key with no product, a bad one: messages, nothing added */
	assert_int_equal(type_enter(t, "/7"), SSA_ERR_NOT_FOUND);
	assert_string_equal(t->msg, "No product on quick key 7.");
	assert_int_not_equal(type_enter(t, "/0"), SSA_ERR_OK);
	assert_int_equal(t->basket.n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_marks_and_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weight_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quick_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_variable_measure_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_void_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_catalog_or_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pay_split_and_tenders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pay_card_of_another_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sale_record, setup, teardown),
	};
	return cmocka_run_group_tests_name("till_sale", tests, NULL, NULL);
}
