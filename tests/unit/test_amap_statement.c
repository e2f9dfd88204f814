/* test_amap_statement.c — the members' monthly statement of AMAP pickups: gathering a month's
 * rows from several distributions' statement files, sorting, totals, formats, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/amap_statement.h"

/* Two distributions of November (and one pickup of October, not counted), as F12 writes them. */
static const char dist1[] =
    "member;household;date;contract;product;quantity;amount;paid\n"
    "00000000000000b2;MARTIN Paul;2026-11-05;Légumes;Panier M;1,000;9,00;card\n"
    "00000000000000a1;DUPONT Hélène;2026-11-05;Légumes;Panier G;1,000;12,00;card\n"
    "00000000000000a1;DUPONT Hélène;2026-11-05;Oeufs;Oeufs x6;1,000;3,00;reimburse\n"
    "00000000000000a1;DUPONT Hélène;2026-10-29;Oeufs;Oeufs x6;1,000;3,00;reimburse\n";
static const char dist2[] =
    "member;household;date;contract;product;quantity;amount;paid\n"
    "00000000000000a1;DUPONT Hélène;2026-11-12;Légumes;Panier G;1,000;12,00;reimburse\n"
    "00000000000000a1;DUPONT Hélène;2026-11-12;\"Fromage; chèvre\";Crottin;0,500;4,50;reimburse\n"
    "00000000000000c3;BERNARD Sami;2026-11-12;Oeufs;Oeufs x6;2,000;6,00;reimburse\n";

static void
test_month(void **state)
{
	struct amap_stmt s;
	struct amap_stmt_member *m = NULL;
	size_t n = 0, da = 0, db = 0, len = 0;
	unsigned line = 99;
	char why[200], *out = NULL;
	(void)state;

	assert_int_equal(amap_stmt_init(&s, "2026-11"), SSA_ERR_OK);
	/* the later distribution first: the rows are sorted by member then date all the same */
	assert_int_equal(amap_stmt_add(&s, dist2, sizeof(dist2) - 1, 2, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(line, 0);
	assert_int_equal(amap_stmt_add(&s, dist1, sizeof(dist1) - 1, 1, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(s.n_row, 6); /* October's pickup left out */
	assert_int_equal(amap_stmt_members(&s, &m, &n, &da, &db), SSA_ERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].member, 0xa1);
	assert_int_equal(m[0].count, 4);
	assert_int_equal(m[0].pickups, 2);
	assert_int_equal(m[0].total, 3150);
	assert_int_equal(m[0].by_card, 1200);
	assert_int_equal(m[0].reimburse, 1950);
	assert_int_equal(m[1].member, 0xb2);
	assert_int_equal(m[1].by_card, 900);
	assert_int_equal(m[1].reimburse, 0);
	assert_int_equal(m[2].member, 0xc3);
	assert_int_equal(m[2].total, 600);

	assert_int_equal(amap_stmt_format_csv(&s, m, n, &out, &len), SSA_ERR_OK);
	assert_string_equal(
	    out,
	    "member;household;date;contract;product;quantity;amount;paid_by_card;to_reimburse\n"
	    "00000000000000a1;DUPONT Hélène;2026-11-05;Légumes;Panier G;1,000;12,00;12,00;0,00\n"
	    "00000000000000a1;DUPONT Hélène;2026-11-05;Oeufs;Oeufs x6;1,000;3,00;0,00;3,00\n"
	    "00000000000000a1;DUPONT Hélène;2026-11-12;\"Fromage; "
	    "chèvre\";Crottin;0,500;4,50;0,00;4,50\n"
	    "00000000000000a1;DUPONT Hélène;2026-11-12;Légumes;Panier G;1,000;12,00;0,00;12,00\n"
	    "00000000000000a1;DUPONT Hélène;total;;;;31,50;12,00;19,50\n"
	    "00000000000000b2;MARTIN Paul;2026-11-05;Légumes;Panier M;1,000;9,00;9,00;0,00\n"
	    "00000000000000b2;MARTIN Paul;total;;;;9,00;9,00;0,00\n"
	    "00000000000000c3;BERNARD Sami;2026-11-12;Oeufs;Oeufs x6;2,000;6,00;0,00;6,00\n"
	    "00000000000000c3;BERNARD Sami;total;;;;6,00;0,00;6,00\n"
	    "total;;;;;;46,50;21,00;25,50\n");
	assert_int_equal(len, strlen(out));
	free(out);

	assert_int_equal(amap_stmt_format_member(&s, &m[0], &out, &len), SSA_ERR_OK);
	assert_non_null(strstr(out, "Relevé AMAP — novembre 2026\n"));
	assert_non_null(strstr(out, "Membre SSA : 00000000000000a1\nFoyer : DUPONT Hélène\n"));
	assert_non_null(strstr(out, "2026-11-05 Légumes            Panier G               1"));
	assert_non_null(strstr(out, "2026-11-12 Fromage; chèvre    Crottin              0,5"));
	assert_non_null(strstr(out, "  carte\n"));
	assert_non_null(strstr(out, "  à rembourser\n"));
	assert_non_null(strstr(out, "2 distribution(s), 4 panier(s)"));
	assert_non_null(strstr(out, "Total des paniers :             31,50\u00a0€\n"));
	assert_non_null(strstr(out, "Déjà payé par la carte :        12,00\u00a0€\n"));
	assert_non_null(strstr(out, "À rembourser :                  19,50\u00a0€\n"));
	free(out);
	free(m);
	amap_stmt_fini(&s);
	assert_null(s.row);
}

/* A bad row anywhere (even of another month) refuses the whole file with its line; what other
 * files added stays. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *why;
	} bad[] = {
	    {"", 1, "empty file"},
	    {"member,household,date\n", 1, "not a statement file"},
	    {"household;results\n", 1, "not a statement file"},
	    {AMAP_STMT_HEADER "\n00000000000000a1;X;2026-11-05;L;G;1,000;1,00;card\n"
	                      "zz;X;2026-11-05;L;G;1,000;1,00;card\n",
	     3, "bad SSA member id 'zz'"},
	    {AMAP_STMT_HEADER "\na1;;2026-11-05;L;G;1,000;1,00;card\n", 2, "no household name"},
	    {AMAP_STMT_HEADER "\na1;X;2026-13-05;L;G;1,000;1,00;card\n", 2,
	     "bad date '2026-13-05'"},
	    {AMAP_STMT_HEADER "\na1;X;5/11/2026;L;G;1,000;1,00;card\n", 2, "bad date"},
	    {AMAP_STMT_HEADER "\na1;X;2026-10-05;L;G;un;1,00;card\n", 2, "bad quantity 'un'"},
	    {AMAP_STMT_HEADER "\na1;X;2026-11-05;L;G;1,000;-1,00;card\n", 2, "bad amount '-1,00'"},
	    {AMAP_STMT_HEADER "\na1;X;2026-11-05;L;G;1,000;1,00;cash\n", 2, "bad paid 'cash'"},
	    {AMAP_STMT_HEADER "\na1;X;2026-11-05;L;G;1,000;1,00\n", 2, "7 fields, expected 8"},
	    {AMAP_STMT_HEADER "\n\na1;X;2026-11-05;L;\"G;1,000;1,00;card\n", 3, ""},
	};
	struct amap_stmt s;
	unsigned line;
	char why[200];
	(void)state;

	assert_int_equal(amap_stmt_init(&s, "2026-11"), SSA_ERR_OK);
	assert_int_equal(amap_stmt_add(&s, dist1, sizeof(dist1) - 1, 1, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    amap_stmt_add(&s, bad[i].text, strlen(bad[i].text), 2, &line, why, sizeof(why)),
		    SSA_ERR_LIST_FORMAT);
		assert_int_equal(line, bad[i].line);
		assert_non_null(strstr(why, bad[i].why));
		assert_true(why[0] != '\0');
		assert_int_equal(s.n_row, 3); /* dist1's November rows, nothing of the bad file */
	}
	/* an amount too large for cents */
	{
		static const char big[] =
		    AMAP_STMT_HEADER "\na1;X;2026-11-05;L;G;1,000;999999999999999,00;card\n";

		assert_int_equal(
		    amap_stmt_add(&s, big, sizeof(big) - 1, 2, &line, why, sizeof(why)),
		    SSA_ERR_OVERFLOW);
		assert_int_equal(line, 2);
	}
	amap_stmt_fini(&s);
	assert_int_equal(amap_stmt_init(&s, "2026-13"), SSA_ERR_INVAL);
	assert_int_equal(amap_stmt_init(&s, "2026-1"), SSA_ERR_INVAL);
	assert_int_equal(amap_stmt_init(&s, "november"), SSA_ERR_INVAL);
	assert_int_equal(amap_stmt_init(&s, NULL), SSA_ERR_INVAL);
}

/* The same pickup in two files (a statement copied under another name) would be paid twice:
 * refused, naming both rows.  Sums that overflow are refused, never wrapped. */
static void
test_duplicate_and_overflow(void **state)
{
	static const char huge[] =
	    AMAP_STMT_HEADER "\na1;X;2026-11-05;L;G;1,000;60000000000,00;card\n"
	                     "a1;X;2026-11-06;L;G;1,000;60000000000,00;card\n";
	struct amap_stmt s;
	struct amap_stmt_member *m = NULL;
	size_t n, da = 0, db = 0;
	unsigned line;
	char why[200];
	(void)state;

	assert_int_equal(amap_stmt_init(&s, "2026-11"), SSA_ERR_OK);
	assert_int_equal(amap_stmt_add(&s, dist1, sizeof(dist1) - 1, 1, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(amap_stmt_add(&s, dist1, sizeof(dist1) - 1, 7, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(amap_stmt_members(&s, &m, &n, &da, &db), SSA_ERR_CONFLICT);
	assert_null(m);
	assert_int_equal(s.row[da].source, 1);
	assert_int_equal(s.row[db].source, 7);
	assert_int_equal(s.row[da].line, s.row[db].line);
	amap_stmt_fini(&s);

	assert_int_equal(amap_stmt_init(&s, "2026-11"), SSA_ERR_OK);
	assert_int_equal(amap_stmt_add(&s, huge, sizeof(huge) - 1, 1, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(amap_stmt_members(&s, &m, &n, &da, &db), SSA_ERR_OVERFLOW);
	assert_null(m);
	amap_stmt_fini(&s);

	/* no pickup this month: no member, an empty statement with its total row */
	assert_int_equal(amap_stmt_init(&s, "2026-12"), SSA_ERR_OK);
	assert_int_equal(amap_stmt_add(&s, dist1, sizeof(dist1) - 1, 1, &line, why, sizeof(why)),
	                 SSA_ERR_OK);
	assert_int_equal(amap_stmt_members(&s, &m, &n, &da, &db), SSA_ERR_OK);
	assert_int_equal(n, 0);
	amap_stmt_fini(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_month),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_duplicate_and_overflow),
	};
	return cmocka_run_group_tests_name("amap_statement", tests, NULL, NULL);
}
