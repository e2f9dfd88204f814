/* test_money.c — checked arithmetic, the half-up rounding rule, formatting, parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/money.h"

static void
test_add_sub_overflow(void **state)
{
	int64_t r = 7;
	(void)state;
	assert_int_equal(money_add(1250, 75, &r), SSA_ERR_OK);
	assert_int_equal(r, 1325);
	assert_int_equal(money_sub(100, 250, &r), SSA_ERR_OK);
	assert_int_equal(r, -150);
	assert_int_equal(money_add(MONEY_MAX, 0, &r), SSA_ERR_OK);
	r = 7;
	assert_int_equal(money_add(MONEY_MAX, 1, &r), SSA_ERR_OVERFLOW);
	assert_int_equal(r, 7); /* untouched on error */
	assert_int_equal(money_sub(-MONEY_MAX, 1, &r), SSA_ERR_OVERFLOW);
	assert_int_equal(money_add(INT64_MAX, INT64_MIN, &r), SSA_ERR_OVERFLOW);
	assert_int_equal(r, 7);
}

static void
test_mul_qty(void **state)
{
	int64_t r = 0;
	(void)state;
	assert_int_equal(money_mul_qty(199, 3, &r), SSA_ERR_OK);
	assert_int_equal(r, 597);
	assert_int_equal(money_mul_qty(199, -2, &r), SSA_ERR_OK);
	assert_int_equal(r, -398);
	assert_int_equal(money_mul_qty(MONEY_MAX, 2, &r), SSA_ERR_OVERFLOW);
	assert_int_equal(money_mul_qty(INT64_MAX, INT64_MAX, &r), SSA_ERR_OVERFLOW);
}

static void
test_weight_rounding_half_up(void **state)
{
	int64_t r = 0;
	(void)state;
	/* 3,49 €/kg x 1,234 kg = 4,30666 -> 4,31 */
	assert_int_equal(money_mul_weight(349, 1234, &r), SSA_ERR_OK);
	assert_int_equal(r, 431);
	/* 1,00 €/kg x 5 g = 0,5 cent exactly -> half up -> 1 cent */
	assert_int_equal(money_mul_weight(100, 5, &r), SSA_ERR_OK);
	assert_int_equal(r, 1);
	/* 4 g -> 0,4 cent -> 0 */
	assert_int_equal(money_mul_weight(100, 4, &r), SSA_ERR_OK);
	assert_int_equal(r, 0);
	/* negative (a return) rounds away from zero symmetrically */
	assert_int_equal(money_mul_weight(100, -5, &r), SSA_ERR_OK);
	assert_int_equal(r, -1);
	assert_int_equal(money_mul_weight(MONEY_MAX, 2000, &r), SSA_ERR_OVERFLOW);
}

static void
test_rate(void **state)
{
	int64_t r = 0;
	(void)state;
	/* 50 % of 3,33 € = 1,665 -> 1,67 */
	assert_int_equal(money_apply_rate(333, 5000, &r), SSA_ERR_OK);
	assert_int_equal(r, 167);
	/* 33,33 % of 1,00 € = 33,33 cents -> 33 */
	assert_int_equal(money_apply_rate(100, 3333, &r), SSA_ERR_OK);
	assert_int_equal(r, 33);
	assert_int_equal(money_apply_rate(100, 10000, &r), SSA_ERR_OK);
	assert_int_equal(r, 100);
	assert_int_equal(money_apply_rate(100, -1, &r), SSA_ERR_NEGATIVE);
}

static void
test_vat_of_gross(void **state)
{
	int64_t vat = 0, net = 0;
	(void)state;
	/* 10,55 € at 5,5 %: 1055 x 550 / 10550 = 55,0 -> 55; net 1000 */
	assert_int_equal(money_vat_of_gross(1055, 550, &vat, &net), SSA_ERR_OK);
	assert_int_equal(vat, 55);
	assert_int_equal(net, 1000);
	/* 1,00 € at 20 %: 100 x 2000 / 12000 = 16,67 -> 17; net 83 */
	assert_int_equal(money_vat_of_gross(100, 2000, &vat, &net), SSA_ERR_OK);
	assert_int_equal(vat, 17);
	assert_int_equal(net, 83);
	/* Belgium 6 % on 2,12 €: 212 x 600 / 10600 = 12,0 */
	assert_int_equal(money_vat_of_gross(212, 600, &vat, &net), SSA_ERR_OK);
	assert_int_equal(vat, 12);
	assert_int_equal(net, 200);
	assert_int_equal(money_vat_of_gross(0, 2000, &vat, &net), SSA_ERR_OK);
	assert_int_equal(vat, 0);
}

static void
test_format(void **state)
{
	char buf[64];
	(void)state;
	money_format(1250, MONEY_FR, buf, sizeof(buf));
	assert_string_equal(buf, "12,50\u00a0€");
	money_format(-5, MONEY_FR, buf, sizeof(buf));
	assert_string_equal(buf, "-0,05\u00a0€");
	money_format(123450, MONEY_FR, buf, sizeof(buf));
	assert_string_equal(buf, "1\u202f234,50\u00a0€");
	money_format(1250, MONEY_EN, buf, sizeof(buf));
	assert_string_equal(buf, "€12.50");
	money_format(-123456789, MONEY_EN, buf, sizeof(buf));
	assert_string_equal(buf, "-€1,234,567.89");
	money_format(INT64_MIN, MONEY_EN, buf, sizeof(buf)); /* must not crash */
	assert_true(strlen(buf) > 5);
	money_format_plain(-305, buf, sizeof(buf));
	assert_string_equal(buf, "-3.05");
	/* truncation: snprintf semantics */
	assert_int_equal(money_format(1250, MONEY_EN, buf, 4), strlen("€12.50"));
	assert_int_equal(strlen(buf), 3);
}

static void
test_parse(void **state)
{
	int64_t c = 0;
	(void)state;
	assert_int_equal(money_parse("12", &c), SSA_ERR_OK);
	assert_int_equal(c, 1200);
	assert_int_equal(money_parse("12.5", &c), SSA_ERR_OK);
	assert_int_equal(c, 1250);
	assert_int_equal(money_parse("12,50", &c), SSA_ERR_OK);
	assert_int_equal(c, 1250);
	assert_int_equal(money_parse("-3.05", &c), SSA_ERR_OK);
	assert_int_equal(c, -305);
	assert_int_equal(money_parse("1 234,50 €", &c), SSA_ERR_OK);
	assert_int_equal(c, 123450);
	assert_int_equal(money_parse("€12.50", &c), SSA_ERR_OK);
	assert_int_equal(c, 1250);
	assert_int_equal(money_parse("12,50\u00a0€", &c), SSA_ERR_OK);
	assert_int_equal(c, 1250);
	c = 99;
	assert_int_equal(money_parse("12.505", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("12.", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse(".5", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("1e3", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("12,50,1", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("abc", &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse(NULL, &c), SSA_ERR_INVAL);
	assert_int_equal(money_parse("100000000000.01", &c), SSA_ERR_OVERFLOW);
	assert_int_equal(money_parse("99999999999999999999999999999999999", &c), SSA_ERR_OVERFLOW);
	assert_int_equal(c, 99);
}

static void
test_parse_rate(void **state)
{
	int64_t bp = 0;
	(void)state;
	assert_int_equal(money_parse_rate("5.5", &bp), SSA_ERR_OK);
	assert_int_equal(bp, 550);
	assert_int_equal(money_parse_rate("2,1 %", &bp), SSA_ERR_OK);
	assert_int_equal(bp, 210);
	assert_int_equal(money_parse_rate("20", &bp), SSA_ERR_OK);
	assert_int_equal(bp, 2000);
	assert_int_equal(money_parse_rate("-5", &bp), SSA_ERR_INVAL);
	assert_int_equal(money_parse_rate("5.555", &bp), SSA_ERR_INVAL);
	assert_int_equal(money_parse_rate("10001", &bp), SSA_ERR_OVERFLOW);
}

static void
test_decimal(void **state)
{
	int64_t v = 0;
	(void)state;
	assert_int_equal(decimal_parse("1,5", 3, 1000000, &v), SSA_ERR_OK);
	assert_int_equal(v, 1500);
	assert_int_equal(decimal_parse(" 2 ", 3, 1000000, &v), SSA_ERR_OK);
	assert_int_equal(v, 2000);
	assert_int_equal(decimal_parse("0.250", 3, 1000000, &v), SSA_ERR_OK);
	assert_int_equal(v, 250);
	assert_int_equal(decimal_parse("0.2505", 3, 1000000, &v), SSA_ERR_INVAL);
	assert_int_equal(decimal_parse("-1", 3, 1000000, &v), SSA_ERR_INVAL);
	assert_int_equal(decimal_parse("1001", 3, 1000000, &v), SSA_ERR_OVERFLOW);
	assert_int_equal(decimal_parse("7", 0, 10, &v), SSA_ERR_OK);
	assert_int_equal(v, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sub_overflow), cmocka_unit_test(test_mul_qty),
		cmocka_unit_test(test_weight_rounding_half_up), cmocka_unit_test(test_rate),
		cmocka_unit_test(test_vat_of_gross), cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_decimal),
	};
	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
