/* test_catalog.c — product CSV lines, product checks, the in-memory catalog behind the port,
 * configured VAT rates and totals per rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/vat.h"

static enum ssa_err
parse(const char *line, const struct vat_rates *rates, struct catalog_product *p)
{
	const char *why = NULL;
	enum ssa_err e = catalog_csv_parse_line(line, strlen(line), rates, p, &why);
	if (e != SSA_ERR_OK)
		assert_non_null(why);
	return e;
}

static void
test_csv_line(void **state)
{
	struct vat_rates fr;
	struct catalog_product p;
	(void)state;
	assert_int_equal(vat_rates_parse("2.1, 5.5, 10, 20", &fr), SSA_ERR_OK);
	assert_int_equal(parse("3560070123452,Lentilles vertes 500 g,2.35,piece,5.5,epicerie,",
			       &fr, &p),
			 SSA_ERR_OK);
	assert_string_equal(p.code, "3560070123452");
	assert_string_equal(p.name, "Lentilles vertes 500 g");
	assert_int_equal(p.price, 235);
	assert_int_equal(p.unit, CATALOG_PIECE);
	assert_int_equal(p.vat_bp, 550);
	assert_string_equal(p.category, "epicerie");
	assert_int_equal(p.quick_key, 0);
	assert_int_equal(parse("PLU4011,\"Bananes, bio \"\"Max\"\"\",2.99,kg,5.5,fruits-legumes,12\r",
			       &fr, &p),
			 SSA_ERR_OK);
	assert_string_equal(p.name, "Bananes, bio \"Max\"");
	assert_int_equal(p.unit, CATALOG_KG);
	assert_int_equal(p.quick_key, 12);
	/* refusals */
	assert_int_equal(parse("1,a,2.35,piece,5.5,epicerie", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2.35,piece,5.5,epicerie,,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2.355,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,-2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2,litre,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2,piece,6,epicerie,", &fr, &p), SSA_ERR_CATALOG_VAT);
	assert_int_equal(parse("1,a,2,piece,5.5,Epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2,piece,5.5,epicerie,100", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,a,2,piece,5.5,epicerie,0", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse(",a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1,\"a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(parse("1 2,a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_CATALOG_FORMAT);
	/* codes are stored as the till looks them up: a UPC-A as its GTIN-13; a wrong check
	 * digit is refused, never corrected; a long outlet-local code is kept as it is */
	assert_int_equal(parse("036000291452,a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_OK);
	assert_string_equal(p.code, "0036000291452");
	assert_int_equal(parse("00036000291452,a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_OK);
	assert_string_equal(p.code, "0036000291452");
	assert_int_equal(parse("3560070123456,a,2,piece,5.5,epicerie,", &fr, &p),
			 SSA_ERR_BARCODE_CHECK);
	assert_int_equal(parse("1234567890,a,2,piece,5.5,epicerie,", &fr, &p), SSA_ERR_OK);
	assert_string_equal(p.code, "1234567890");
	/* Belgian rates: 6 % is fine there, 5,5 % is not */
	{
		struct vat_rates be;
		assert_int_equal(vat_rates_parse("6,12,21", &be), SSA_ERR_OK);
		assert_int_equal(parse("1,a,2,piece,6,epicerie,", &be, &p), SSA_ERR_OK);
		assert_int_equal(parse("1,a,2,piece,5.5,epicerie,", &be, &p),
				 SSA_ERR_CATALOG_VAT);
	}
}

static void
test_vat_rates(void **state)
{
	struct vat_rates r;
	(void)state;
	assert_int_equal(vat_rates_parse("20,5.5,2.1,10", &r), SSA_ERR_OK);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.bp[0], 210);
	assert_int_equal(r.bp[3], 2000);
	assert_true(vat_rates_contains(&r, 1000));
	assert_false(vat_rates_contains(&r, 600));
	assert_int_equal(vat_rates_parse("20,20", &r), SSA_ERR_INVAL);
	assert_int_equal(vat_rates_parse("", &r), SSA_ERR_INVAL);
	assert_int_equal(vat_rates_parse("5,,6", &r), SSA_ERR_INVAL);
	assert_int_equal(vat_rates_parse("101", &r), SSA_ERR_INVAL);
	assert_int_equal(vat_rates_parse("1,2,3,4,5,6,7,8,9", &r), SSA_ERR_INVAL);
}

static void
test_vat_summary(void **state)
{
	struct vat_summary s, z;
	(void)state;
	vat_summary_init(&s);
	/* 3 lines at 5.5 %: 2,35 + 1,10 + 0,99 = 4,44; VAT = 4,44 x 5.5 / 105.5 = 0,2315 -> 0,23 */
	assert_int_equal(vat_summary_add(&s, 550, 235), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&s, 2000, 1200), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&s, 550, 110), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&s, 550, 99), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&s), SSA_ERR_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rates[0].rate_bp, 550);
	assert_int_equal(s.rates[0].gross, 444);
	assert_int_equal(s.rates[0].vat, 23);
	assert_int_equal(s.rates[0].net, 421);
	/* 12,00 at 20 %: VAT 2,00 */
	assert_int_equal(s.rates[1].vat, 200);
	assert_int_equal(s.rates[1].net, 1000);
	/* a closing adds printed figures */
	vat_summary_init(&z);
	assert_int_equal(vat_summary_merge(&z, &s), SSA_ERR_OK);
	assert_int_equal(vat_summary_merge(&z, &s), SSA_ERR_OK);
	assert_int_equal(z.rates[0].vat, 46);
	assert_int_equal(z.rates[0].gross, 888);
	/* overflow leaves the summary unchanged */
	assert_int_equal(vat_summary_add(&s, 550, INT64_MAX), SSA_ERR_OVERFLOW);
	assert_int_equal(s.rates[0].gross, 444);
	for (int i = 0; i < 6; i++)
		assert_int_equal(vat_summary_add(&s, 100 + i, 1), SSA_ERR_OK);
	assert_int_equal(s.n, 8);
	assert_int_equal(vat_summary_add(&s, 9999, 1), SSA_ERR_TOO_LONG);
}

static void
test_mem_catalog_port(void **state)
{
	struct ssa_catalog *cat = NULL;
	struct catalog_product p = { .code = "3560070123452", .name = "Lentilles",
				     .price = 235, .unit = CATALOG_PIECE, .vat_bp = 550,
				     .category = "epicerie", .quick_key = 3 };
	struct catalog_product got;
	const struct convention_list *in_force = NULL;
	struct convention_list *l;
	(void)state;
	assert_int_equal(catalog_mem_new(&cat), SSA_ERR_OK);
	assert_int_equal(catalog_mem_put(cat, &p), SSA_ERR_OK);
	strcpy(p.code, "1000");
	p.quick_key = 0;
	strcpy(p.name, "Pain");
	assert_int_equal(catalog_mem_put(cat, &p), SSA_ERR_OK);
	strcpy(p.code, "bad code");
	assert_int_equal(catalog_mem_put(cat, &p), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(cat->find(cat->cls, "3560070123452", &got), SSA_ERR_OK);
	assert_string_equal(got.name, "Lentilles");
	assert_int_equal(cat->find(cat->cls, "1000", &got), SSA_ERR_OK);
	assert_string_equal(got.name, "Pain");
	assert_int_equal(cat->find(cat->cls, "1001", &got), SSA_ERR_NOT_FOUND);
	assert_int_equal(cat->find_quick_key(cat->cls, 3, &got), SSA_ERR_OK);
	assert_string_equal(got.code, "3560070123452");
	assert_int_equal(cat->find_quick_key(cat->cls, 4, &got), SSA_ERR_NOT_FOUND);
	assert_int_equal(cat->list_in_force(cat->cls, "c1", &in_force), SSA_ERR_NOT_FOUND);
	l = calloc(1, sizeof(*l));
	strcpy(l->caisse, "c1");
	l->version = 4;
	assert_int_equal(catalog_mem_set_list(cat, l), SSA_ERR_OK);
	l = calloc(1, sizeof(*l));
	strcpy(l->caisse, "c1");
	l->version = 5;
	assert_int_equal(catalog_mem_set_list(cat, l), SSA_ERR_OK);
	assert_int_equal(cat->list_in_force(cat->cls, "c1", &in_force), SSA_ERR_OK);
	assert_int_equal(in_force->version, 5);
	/* only a newer list replaces it: the same caisse and version is the same list */
	l = calloc(1, sizeof(*l));
	strcpy(l->caisse, "c1");
	l->version = 5;
	assert_int_equal(catalog_mem_set_list(cat, l), SSA_ERR_INVAL);
	l->version = 3;
	assert_int_equal(catalog_mem_set_list(cat, l), SSA_ERR_INVAL);
	convention_list_free(l);
	assert_int_equal(cat->list_in_force(cat->cls, "c1", &in_force), SSA_ERR_OK);
	assert_int_equal(in_force->version, 5);
	catalog_close(cat);
	catalog_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_line),
		cmocka_unit_test(test_vat_rates),
		cmocka_unit_test(test_vat_summary),
		cmocka_unit_test(test_mem_catalog_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
