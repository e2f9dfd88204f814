/* test_gtin.c — check digits, every length, GS1 variable-measure codes, PLU, local codes, rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/gtin.h"

static void
must_add(struct gtin_nomenclature *nom, const char *rule)
{
	char msg[160] = "";
	enum ssa_err err = gtin_nomenclature_add_rule(nom, rule, msg, sizeof(msg));
	if (err != SSA_ERR_OK)
		fail_msg("rule '%s': %s", rule, msg);
}

/* The French distributors' kind of nomenclature used by most tests. */
static void
french_nomenclature(struct gtin_nomenclature *nom)
{
	memset(nom, 0, sizeof(*nom));
	must_add(nom, "21xxxxxNNDDDc weight");
	must_add(nom, "23xxxxxNNNDDc price");
	must_add(nom, "27xxxxxvNNDDc price");
	must_add(nom, "28xxxxvNNNDDc price");
	must_add(nom, "25xxxxxxxxxxc local");
	must_add(nom, "022xxxxNNDDDc weight");
	must_add(nom, "02xxxxxNNNNNc price");
}

static void
test_check_digit(void **state)
{
	(void)state;
	/* Real packaging: Nutella 400 g, Cristaline 1,5 l, Coca-Cola 33 cl, a UPC-A, an EAN-8. */
	assert_int_equal(gtin_check_digit("301762042200", 12), 3);
	assert_int_equal(gtin_check_digit("327408000500", 12), 3);
	assert_int_equal(gtin_check_digit("544900000099", 12), 6);
	assert_int_equal(gtin_check_digit("03600029145", 11), 2);
	assert_int_equal(gtin_check_digit("9638507", 7), 4);
	/* Leading zeros do not change it (weights counted from the right). */
	assert_int_equal(gtin_check_digit("0000009638507", 13), 4);
	assert_int_equal(gtin_check_digit("", 0), 0);
	assert_int_equal(gtin_check_digit("30176a042200", 12), -1);
}

static void
test_price_check_digit(void **state)
{
	(void)state;
	/* The examples of GS1 General Specifications §7.9.3. */
	assert_int_equal(gtin_price_check_digit("2875", 4), 9);
	assert_int_equal(gtin_price_check_digit("14685", 5), 6);
	assert_int_equal(gtin_price_check_digit("0000", 4), 0);
	assert_int_equal(gtin_price_check_digit("00000", 5), 0);
	assert_int_equal(gtin_price_check_digit("123", 3), -1);
	assert_int_equal(gtin_price_check_digit("123456", 6), -1);
	assert_int_equal(gtin_price_check_digit("12a4", 4), -1);
	/* Every 4- and 5-digit value has exactly one verifier, and changing any one digit of the
	 * value changes it (the point of the weights). */
	for (int v = 0; v < 10000; v += 7) {
		char s[16];
		snprintf(s, sizeof(s), "%04d", v);
		int c = gtin_price_check_digit(s, 4);
		assert_in_range(c, 0, 9);
		for (int pos = 0; pos < 4; pos++) {
			char t[16];
			memcpy(t, s, sizeof(t));
			t[pos] = (char)('0' + (t[pos] - '0' + 1) % 10);
			assert_int_not_equal(gtin_price_check_digit(t, 4), c);
		}
	}
	for (int v = 0; v < 100000; v += 97) {
		char s[16];
		snprintf(s, sizeof(s), "%05d", v);
		int c = gtin_price_check_digit(s, 5);
		assert_in_range(c, 0, 9);
		for (int pos = 0; pos < 5; pos++) {
			char t[16];
			memcpy(t, s, sizeof(t));
			t[pos] = (char)('0' + (t[pos] - '0' + 3) % 10);
			assert_int_not_equal(gtin_price_check_digit(t, 5), c);
		}
	}
}

static void
test_real_gtins(void **state)
{
	struct gtin_code c;
	char buf[40];
	(void)state;

	assert_int_equal(gtin_scan(NULL, "3017620422003", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_true(c.key == UINT64_C(3017620422003));
	assert_string_equal(c.text, "03017620422003");
	assert_int_equal(c.value, 0);
	assert_int_equal(c.rule, -1);
	assert_int_equal(gtin_format(c.key, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "3017620422003");

	assert_int_equal(gtin_scan(NULL, "3274080005003", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(3274080005003));
	assert_int_equal(gtin_scan(NULL, "5449000000996", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(5449000000996));

	/* UPC-A is the GTIN-13 with a leading 0: the same key either way it is read. */
	assert_int_equal(gtin_scan(NULL, "036000291452", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_true(c.key == UINT64_C(36000291452));
	assert_string_equal(c.text, "00036000291452");
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "0036000291452");
	assert_int_equal(gtin_scan(NULL, "0036000291452", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(36000291452));
	assert_int_equal(gtin_scan(NULL, "00036000291452", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(36000291452));

	/* EAN-8 */
	assert_int_equal(gtin_scan(NULL, "96385074", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_true(c.key == UINT64_C(96385074));
	assert_string_equal(c.text, "00000096385074");
	assert_int_equal(gtin_format(c.key, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "96385074");

	/* GTIN-14 of a case of 12 Nutella (indicator 1) keeps its own key */
	assert_int_equal(gtin_scan(NULL, "13017620422000", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_true(c.key == UINT64_C(13017620422000));
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "13017620422000");
	/* a GTIN-14 with a leading 0 is the GTIN-13 inside */
	assert_int_equal(gtin_scan(NULL, "03017620422003", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(3017620422003));
}

static void
test_wedge_whitespace(void **state)
{
	struct gtin_code c;
	(void)state;
	assert_int_equal(gtin_scan(NULL, "3017620422003\r\n", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(3017620422003));
	assert_int_equal(gtin_scan(NULL, "  3017620422003\n", &c), SSA_ERR_OK);
	assert_int_equal(gtin_scan(NULL, "\t96385074\r", &c), SSA_ERR_OK);
	assert_true(c.key == UINT64_C(96385074));
}

static void
test_refused(void **state)
{
	struct gtin_code c;
	(void)state;

	/* Wrong check digit: refused with a message, never corrected. */
	assert_int_equal(gtin_scan(NULL, "3017620422004", &c), SSA_ERR_BARCODE_CHECK);
	assert_int_equal(c.kind, GTIN_NONE);
	assert_true(c.key == 0);
	assert_non_null(strstr(c.msg, "3017620422004"));
	assert_non_null(strstr(c.msg, "expected 3"));
	/* Two digits swapped (the error mod 10 weights 1,3 catches) */
	assert_int_equal(gtin_scan(NULL, "3017602422003", &c), SSA_ERR_BARCODE_CHECK);
	assert_int_equal(gtin_scan(NULL, "96385075", &c), SSA_ERR_BARCODE_CHECK);
	assert_int_equal(gtin_scan(NULL, "036000291453", &c), SSA_ERR_BARCODE_CHECK);
	assert_int_equal(gtin_scan(NULL, "13017620422001", &c), SSA_ERR_BARCODE_CHECK);
	assert_int_equal(gtin_scan(NULL, "03017620422004", &c), SSA_ERR_BARCODE_CHECK);

	assert_int_equal(gtin_scan(NULL, "", &c), SSA_ERR_BARCODE_EMPTY);
	assert_int_equal(gtin_scan(NULL, " \r\n", &c), SSA_ERR_BARCODE_EMPTY);
	assert_int_equal(gtin_scan(NULL, NULL, &c), SSA_ERR_BARCODE_EMPTY);
	assert_string_equal(c.msg, "empty code");

	assert_int_equal(gtin_scan(NULL, "30176204 22003", &c), SSA_ERR_BARCODE_CHARS);
	assert_non_null(strstr(c.msg, "position 9"));
	assert_int_equal(gtin_scan(NULL, "301762042200X", &c), SSA_ERR_BARCODE_CHARS);
	assert_non_null(strstr(c.msg, "'X'"));
	assert_int_equal(gtin_scan(NULL, "-4011", &c), SSA_ERR_BARCODE_CHARS);
	assert_int_equal(gtin_scan(NULL, "]E03017620422003", &c), SSA_ERR_BARCODE_CHARS);
	assert_int_equal(gtin_scan(NULL, "3017\xc3\xa9", &c), SSA_ERR_BARCODE_CHARS);
	assert_non_null(strstr(c.msg, "0xc3"));

	/* Every length that is no code */
	const char *bad_len[] = {"123456789", "1234567890", "12345678901", "123456789012345",
	                         "1234567890123456", "12345678901234567890123456789012",
	                         "123456789012345678901234567890123"};
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		assert_int_equal(gtin_scan(NULL, bad_len[i], &c), SSA_ERR_BARCODE_LENGTH);
		assert_true(c.msg[0] != '\0');
	}
}

static void
test_every_length_valid(void **state)
{
	struct gtin_code c;
	char buf[40];
	(void)state;
	/* 1..7 digits: PLU or local; 8, 12, 13, 14: GTIN with the right check digit. */
	assert_int_equal(gtin_scan(NULL, "7", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "12", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "123", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "1234", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "12345", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "123456", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "1234567", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "1234567");
	assert_int_equal(gtin_scan(NULL, "3000000000007", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
}

static void
test_plu(void **state)
{
	struct gtin_code c, d;
	char buf[16];
	(void)state;
	assert_int_equal(gtin_scan(NULL, "4011", &c), SSA_ERR_OK); /* bananas */
	assert_int_equal(c.kind, GTIN_PLU);
	assert_false(c.organic);
	assert_true(c.key == (GTIN_KEY_PLU | 4011));
	assert_string_equal(c.text, "4011");
	assert_int_equal(gtin_format(c.key, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "4011");
	assert_int_equal(gtin_scan(NULL, "94011", &c), SSA_ERR_OK); /* organic bananas */
	assert_int_equal(c.kind, GTIN_PLU);
	assert_true(c.organic);
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "94011");
	assert_int_equal(gtin_scan(NULL, "3000", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_PLU);
	assert_int_equal(gtin_scan(NULL, "4999", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_PLU);
	/* Outside the IFPS ranges: a local code, to be found in the catalog or not at all */
	assert_int_equal(gtin_scan(NULL, "2999", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "5000", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(gtin_scan(NULL, "95000", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	/* Keys of local codes keep leading zeros apart, and stay out of the GTIN space */
	assert_int_equal(gtin_scan(NULL, "0012", &c), SSA_ERR_OK);
	assert_int_equal(gtin_scan(NULL, "12", &d), SSA_ERR_OK);
	assert_true(c.key != d.key);
	assert_true(c.key >= UINT64_C(100000000000000));
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "0012");
	assert_int_equal(gtin_scan(NULL, "4011", &d), SSA_ERR_OK);
	assert_int_equal(gtin_scan(NULL, "04011", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_true(c.key != d.key);
}

static void
test_variable_weight(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	char buf[40];
	(void)state;
	french_nomenclature(&nom);

	/* 21 12345 01234 6: item 12345, 1,234 kg */
	assert_int_equal(gtin_scan(&nom, "2112345012346", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_WEIGHT);
	assert_int_equal(c.value, 1234);
	assert_true(c.item_ref == 12345);
	assert_int_equal(c.rule, 0);
	/* key: value zeroed, check digit recomputed */
	assert_true(c.key == UINT64_C(2112345000008));
	assert_string_equal(c.text, "02112345000008");
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "2112345000008");
	/* The catalog's own entry for the item scans to the same key, weight 0 */
	assert_int_equal(gtin_scan(&nom, "2112345000008", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_WEIGHT);
	assert_int_equal(c.value, 0);
	assert_true(c.key == UINT64_C(2112345000008));
	/* wrong EAN check digit */
	assert_int_equal(gtin_scan(&nom, "2112345012347", &c), SSA_ERR_BARCODE_CHECK);

	/* 022 with a longer prefix wins over 02: 022 1234 00150 9: 0,150 kg */
	assert_int_equal(gtin_scan(&nom, "0221234001509", &c), SSA_ERR_BARCODE_CHECK);
	{
		/* compute a right one: prefix 022, item 1234, 00150 */
		char code[14] = "022123400150";
		code[12] = (char)('0' + gtin_check_digit(code, 12));
		code[13] = '\0';
		assert_int_equal(gtin_scan(&nom, code, &c), SSA_ERR_OK);
		assert_int_equal(c.kind, GTIN_VARIABLE_WEIGHT);
		assert_int_equal(c.value, 150);
		assert_true(c.item_ref == 1234);
		assert_int_equal(c.rule, 5);
		/* and as UPC-A (a US scanner drops the leading 0) */
		assert_int_equal(gtin_scan(&nom, code + 1, &c), SSA_ERR_OK);
		assert_int_equal(c.kind, GTIN_VARIABLE_WEIGHT);
		assert_int_equal(c.value, 150);
	}
}

static void
test_variable_price(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	(void)state;
	french_nomenclature(&nom);

	/* 23 00042 01299 2: 12,99 € */
	assert_int_equal(gtin_scan(&nom, "2300042012992", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_PRICE);
	assert_int_equal(c.value, 1299);
	assert_true(c.item_ref == 42);
	assert_true(c.key == UINT64_C(2300042000005));

	/* 27 12345 9 2875 5: 4-digit price 28,75 € with its verifier 9 (GS1 example) */
	assert_int_equal(gtin_scan(&nom, "2712345928755", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_PRICE);
	assert_int_equal(c.value, 2875);
	assert_true(c.key == UINT64_C(2712345000000));

	/* 28 1234 6 14685 8: 5-digit price 146,85 € with its verifier 6 (GS1 example) */
	assert_int_equal(gtin_scan(&nom, "2812346146858", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_PRICE);
	assert_int_equal(c.value, 14685);
	assert_true(c.item_ref == 1234);
	assert_true(c.key == UINT64_C(2812340000002));

	/* Same price with a wrong verifier (and a right EAN check digit): refused */
	{
		char code[14] = "281234714685";
		code[12] = (char)('0' + gtin_check_digit(code, 12));
		code[13] = '\0';
		assert_int_equal(gtin_scan(&nom, code, &c), SSA_ERR_BARCODE_CHECK);
		assert_non_null(strstr(c.msg, "price check digit"));
		assert_non_null(strstr(c.msg, "expected 6"));
		assert_int_equal(c.kind, GTIN_NONE);
		assert_int_equal(c.value, 0);
	}

	/* 02 rule: whole euros, 5 digits, no decimals: 02 12345 00150 -> 150,00 € */
	assert_int_equal(gtin_scan(&nom, "0212345001509", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_PRICE);
	assert_int_equal(c.value, 15000);
}

/* Codes as printed on real French scale labels, with the value documented next to them.
 *
 * 2611008003214: a "farce" (stuffing) weighed and labelled in a French food cooperative whose
 * scales print price-embedded codes (Odoo rule 26 + item + NNNDD price), price 3,21 EUR: the
 * code and its reading are discussed in https://github.com/dehy/foodcoop-mobile-app/issues/184
 * (December 2021; only the digits are taken from there).
 *
 * 2112345015002: the weight label Odoo's documentation prints for 1,5 kg of pasta weighed at a
 * point of sale with its default rule "21.....{NNDDD}" (item 12345, weight in kg with three
 * decimals), read back by Odoo as a 1,5 kg line (Odoo 15 documentation, Inventory > Barcode >
 * Barcode nomenclature).  Odoo's point of sale prints such labels in shops and food
 * cooperatives; these are the printed digits and their documented reading.
 * The other variable-measure codes of these tests are made up. */
static void
test_real_scale_labels(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	(void)state;
	memset(&nom, 0, sizeof(nom));
	must_add(&nom, "26xxxxxNNNDDc price");

	assert_int_equal(gtin_scan(&nom, "2611008003214", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_PRICE);
	assert_int_equal(c.value, 321);
	assert_true(c.item_ref == 11008);
	/* the key the catalog holds for the item: price zeroed, check digit recomputed */
	assert_true(c.key == UINT64_C(2611008000008));
	/* one digit misread by the scanner: refused, never guessed */
	assert_int_equal(gtin_scan(&nom, "2611008003224", &c), SSA_ERR_BARCODE_CHECK);

	must_add(&nom, "21xxxxxNNDDDc weight");
	assert_int_equal(gtin_scan(&nom, "2112345015002", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_VARIABLE_WEIGHT);
	assert_int_equal(c.value, 1500); /* grams: 1,500 kg */
	assert_true(c.item_ref == 12345);
	assert_true(c.key == UINT64_C(2112345000008));
	/* one digit of the weight misread (1,510 kg): the check digit catches it */
	assert_int_equal(gtin_scan(&nom, "2112345015102", &c), SSA_ERR_BARCODE_CHECK);
}

static void
test_restricted_without_rule(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	char buf[40];
	(void)state;
	french_nomenclature(&nom);
	/* 20 has no rule: an in-store code taken whole, not a product anyone invents */
	assert_int_equal(gtin_scan(&nom, "2000123456782", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_int_equal(c.value, 0);
	gtin_format(c.key, buf, sizeof(buf));
	assert_string_equal(buf, "2000123456782");
	assert_string_equal(c.text, "2000123456782");
	/* Without any nomenclature, a weight code is local too */
	assert_int_equal(gtin_scan(NULL, "2112345012346", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	/* A "local" rule gives the item reference */
	assert_int_equal(gtin_scan(&nom, "2500000004011", &c), SSA_ERR_BARCODE_CHECK);
	{
		char code[14] = "250000000401";
		code[12] = (char)('0' + gtin_check_digit(code, 12));
		code[13] = '\0';
		assert_int_equal(gtin_scan(&nom, code, &c), SSA_ERR_OK);
		assert_int_equal(c.kind, GTIN_LOCAL);
		assert_true(c.item_ref == 401);
		assert_int_equal(c.rule, 4);
	}
}

static void
test_hand_made_rule(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	(void)state;
	/* A nomenclature filled in by hand with an impossible rule: the rule is ignored, the code
	 * is read as an in-store code without one. */
	memset(&nom, 0, sizeof(nom));
	nom.n_rule = 1;
	memcpy(nom.rule[0].prefix, "21", 3);
	nom.rule[0].prefix_len = 2;
	nom.rule[0].kind = GTIN_VARIABLE_WEIGHT;
	nom.rule[0].item_pos = 2;
	nom.rule[0].item_len = 5;
	nom.rule[0].value_pos = 200;
	nom.rule[0].value_len = 50;
	nom.rule[0].verifier_pos = -1;
	assert_int_equal(gtin_scan(&nom, "2112345012346", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	nom.n_rule = 1000; /* beyond the array: bounded */
	assert_int_equal(gtin_scan(&nom, "2112345012346", &c), SSA_ERR_OK);
}

static void
test_local_prefix(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	char msg[160];
	(void)state;
	memset(&nom, 0, sizeof(nom));
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "999", msg, sizeof(msg)),
	                 SSA_ERR_OK);
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "999", msg, sizeof(msg)),
	                 SSA_ERR_INVAL);
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "9a", msg, sizeof(msg)),
	                 SSA_ERR_INVAL);
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "", msg, sizeof(msg)),
	                 SSA_ERR_INVAL);
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "12345678", msg, sizeof(msg)),
	                 SSA_ERR_INVAL);
	/* any length with the prefix, no check digit */
	assert_int_equal(gtin_scan(&nom, "99912345678", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	assert_string_equal(c.text, "99912345678");
	assert_int_equal(gtin_scan(&nom, "9991234567890123", &c), SSA_ERR_OK);
	assert_int_equal(gtin_scan(&nom, "99912345678901234", &c), SSA_ERR_BARCODE_LENGTH);
	assert_int_equal(gtin_scan(&nom, "9991", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_LOCAL);
	/* but never a GTIN's length: a GTIN is the same whichever way it is read */
	assert_int_equal(gtin_scan(&nom, "9991234567890", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_int_equal(gtin_scan(&nom, "09991234567890", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	assert_int_equal(gtin_scan(&nom, "99912345", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	/* other codes as usual */
	assert_int_equal(gtin_scan(&nom, "3017620422003", &c), SSA_ERR_OK);
	assert_int_equal(c.kind, GTIN_GTIN);
	for (int i = 0; i < GTIN_LOCAL_PREFIX_MAX - 1; i++) {
		char p[16];
		snprintf(p, sizeof(p), "8%d", i);
		assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, p, msg, sizeof(msg)),
		                 SSA_ERR_OK);
	}
	assert_int_equal(gtin_nomenclature_add_local_prefix(&nom, "77", msg, sizeof(msg)),
	                 SSA_ERR_TOO_LONG);
}

static void
test_rule_parse(void **state)
{
	struct gtin_rule r;
	struct gtin_nomenclature nom;
	char msg[160];
	(void)state;

	assert_int_equal(gtin_rule_parse("21xxxxxNNDDDc weight", &r, msg, sizeof(msg)),
	                 SSA_ERR_OK);
	assert_string_equal(r.prefix, "21");
	assert_int_equal(r.prefix_len, 2);
	assert_int_equal(r.kind, GTIN_VARIABLE_WEIGHT);
	assert_int_equal(r.item_pos, 2);
	assert_int_equal(r.item_len, 5);
	assert_int_equal(r.value_pos, 7);
	assert_int_equal(r.value_len, 5);
	assert_int_equal(r.decimals, 3);
	assert_int_equal(r.verifier_pos, -1);
	assert_int_equal(gtin_rule_parse("  2xxxxxxNNNDDc   price \r\n", &r, msg, sizeof(msg)),
	                 SSA_ERR_OK);
	assert_int_equal(r.prefix_len, 1);
	assert_int_equal(r.item_len, 6);
	assert_int_equal(gtin_rule_parse("26xxxxvNNNDDc price", &r, msg, sizeof(msg)),
	                 SSA_ERR_OK);
	assert_int_equal(r.verifier_pos, 6);
	assert_int_equal(r.decimals, 2);
	assert_int_equal(gtin_rule_parse("04xxxxxxxxxxc local", &r, msg, sizeof(msg)),
	                 SSA_ERR_OK);

	const char *bad[] = {
		"",
		"21xxxxxNNDDDc",                /* no kind */
		"21xxxxxNNDDDc weight extra",   /* trailing word */
		"21xxxxxNNDDc weight",          /* 12 characters */
		"21xxxxxNNDDDDc weight",        /* 14 */
		"21xxxxxNNDDDc volume",         /* unknown kind */
		"31xxxxxNNDDDc weight",         /* not an in-store prefix */
		"0xxxxxxNNDDDc weight",         /* 0 alone */
		"01xxxxxNNDDDc weight",         /* 01 */
		"2123xxxNNDDDc weight",         /* 4-digit prefix */
		"xxxxxxxNNDDDc weight",         /* no prefix */
		"21xxxxxNNDDDx weight",         /* no final c */
		"21xxxxxNNDDD0 weight",         /* no final c */
		"21xxNxxxNDDDc weight",         /* value split */
		"21xxxNNxxDDDc weight",         /* value split by x */
		"21xxxxxDDNNNc price",          /* D before N */
		"21xxxxDDDDDDc weight",         /* 6 decimals */
		"23xxxxxNDDDDc price",          /* 4 decimals of euros */
		"21xxxxxNNDDDc local",          /* local with a value */
		"21NNNNNNNNNNc weight",         /* no item */
		"21xxxxxNNNNNc local",          /* local with a value */
		"21xxxvvNNNDDc price",          /* two verifiers */
		"21xxxvNNNNNNc price",          /* verifier with 6 digits */
		"21xxxxvxNNDDc price",          /* item split by v */
		"21xxxxxNN?DDc weight",         /* stray character */
		"21xxxxxNNDDDc c weight",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		if (gtin_rule_parse(bad[i], &r, msg, sizeof(msg)) != SSA_ERR_INVAL)
			fail_msg("rule '%s' accepted", bad[i]);
		assert_true(msg[0] != '\0');
	}
	assert_int_equal(gtin_rule_parse(NULL, &r, msg, sizeof(msg)), SSA_ERR_INVAL);

	memset(&nom, 0, sizeof(nom));
	must_add(&nom, "21xxxxxNNDDDc weight");
	assert_int_equal(gtin_nomenclature_add_rule(&nom, "21xxxxxNNNDDc price", msg, sizeof(msg)),
	                 SSA_ERR_INVAL);
	assert_non_null(strstr(msg, "prefix 21"));
	assert_int_equal(nom.n_rule, 1);
	/* up to GTIN_RULES_MAX */
	for (int i = 0; nom.n_rule < GTIN_RULES_MAX; i++) {
		char rule[40];
		snprintf(rule, sizeof(rule), "2%02dxxxxNNDDDc weight", i);
		must_add(&nom, rule);
	}
	assert_int_equal(gtin_nomenclature_add_rule(&nom, "299xxxxNNDDDc weight", msg, sizeof(msg)),
	                 SSA_ERR_TOO_LONG);
}

static void
test_format(void **state)
{
	char buf[8];
	(void)state;
	/* snprintf semantics: the length needed, truncated output */
	assert_int_equal(gtin_format(UINT64_C(3017620422003), buf, sizeof(buf)), 13);
	assert_string_equal(buf, "3017620");
	assert_int_equal(gtin_format(UINT64_C(3) << 60, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(gtin_format(GTIN_KEY_PLU | 123456, buf, sizeof(buf)), 0);
	/* zero-padded to the code's own width */
	{
		char wide[32];
		assert_int_equal(gtin_format(123, wide, sizeof(wide)), 8);
		assert_string_equal(wide, "00000123");
		assert_int_equal(gtin_format(UINT64_C(400638133393), wide, sizeof(wide)), 13);
		assert_string_equal(wide, "0400638133393");
		assert_int_equal(gtin_format(UINT64_C(10400638133390), wide, sizeof(wide)), 14);
		assert_string_equal(wide, "10400638133390");
		assert_int_equal(gtin_format(GTIN_KEY_PLU | 42, wide, sizeof(wide)), 4);
		assert_string_equal(wide, "0042");
		assert_int_equal(gtin_format(GTIN_KEY_PLU | 94011, wide, sizeof(wide)), 5);
		assert_string_equal(wide, "94011");
		assert_int_equal(gtin_format(123, wide, 1), 8);
		assert_string_equal(wide, "");
	}
	assert_string_equal(gtin_kind_name(GTIN_VARIABLE_WEIGHT), "variable weight");
	assert_string_equal(gtin_kind_name((enum gtin_kind)99), "none");
}

static void
test_canonical(void **state)
{
	struct gtin_nomenclature nom;
	struct gtin_code c;
	char buf[32], small[8], msg[160], key[32];
	const char *codes[] = {"3017620422003", "036000291452", "0036000291452", "00036000291452",
	                       "00000096385074", "96385074", "4011", "94011", "0012",
	                       "2112345000008", "2300042000005", "2000123456782", "13017620422000"};
	const char *want[] = {"3017620422003", "0036000291452", "0036000291452", "0036000291452",
	                      "96385074", "96385074", "4011", "94011", "0012",
	                      "2112345000008", "2300042000005", "2000123456782", "13017620422000"};
	(void)state;
	french_nomenclature(&nom);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(gtin_canonical(codes[i], buf, sizeof(buf), msg, sizeof(msg)),
		                 SSA_ERR_OK);
		assert_string_equal(buf, want[i]);
		/* what the till looks up for the product scanned with the outlet's nomenclature */
		assert_int_equal(gtin_scan(&nom, codes[i], &c), SSA_ERR_OK);
		gtin_format(c.key, key, sizeof(key));
		assert_string_equal(key, want[i]);
	}
	/* a weighed label looks up its item's canonical code */
	assert_int_equal(gtin_scan(&nom, "2112345012346", &c), SSA_ERR_OK);
	gtin_format(c.key, key, sizeof(key));
	assert_string_equal(key, "2112345000008");
	assert_int_equal(gtin_canonical("3017620422004", buf, sizeof(buf), msg, sizeof(msg)),
	                 SSA_ERR_BARCODE_CHECK);
	assert_non_null(strstr(msg, "expected 3"));
	assert_int_equal(gtin_canonical("abc", buf, sizeof(buf), NULL, 0), SSA_ERR_BARCODE_CHARS);
	assert_int_equal(gtin_canonical("3017620422003", small, sizeof(small), msg, sizeof(msg)),
	                 SSA_ERR_TOO_LONG);
	assert_string_equal(small, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_digit),
		cmocka_unit_test(test_price_check_digit),
		cmocka_unit_test(test_real_gtins),
		cmocka_unit_test(test_wedge_whitespace),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_every_length_valid),
		cmocka_unit_test(test_plu),
		cmocka_unit_test(test_variable_weight),
		cmocka_unit_test(test_variable_price),
		cmocka_unit_test(test_real_scale_labels),
		cmocka_unit_test(test_restricted_without_rule),
		cmocka_unit_test(test_hand_made_rule),
		cmocka_unit_test(test_local_prefix),
		cmocka_unit_test(test_rule_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
