/* test_amap.c — AMAP distribution import (CAMAP export and sign-in sheet), search, check-in,
 * totals, exports; and the CSV reader underneath. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/amap.h"
#include "ssa/csv.h"

static const char camap[] =
	"userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;fees;total;paid\r\n"
	"12;\"DUPONT Hélène\";\"Panier légumes moyen\";LEG-M;\"Légumes Ferme du Pré\";3;7;12,50;1;0;12,50;1\r\n"
	"12;\"DUPONT Hélène\";\"Oeufs x6\";OEU6;\"Oeufs\";4;8;2,40;2;0;4,80;1\r\n"
	"15;\"MARTIN Paul\";\"Panier légumes moyen\";LEG-M;\"Légumes Ferme du Pré\";3;7;12,50;1;0;12,50;0\r\n"
	"16;\"LEFÈVRE Zoé\";\"Comté\";COM;\"Fromages\";5;9;18,00;0,5;0;9,00;1\r\n"
	"17;\"BAD Row\";\"Panier\";X;\"Légumes Ferme du Pré\";3;7;12,50;deux;0;25,00;1\r\n"
	"18;\"NOSUM Anne\";\"Oeufs x6\";OEU6;\"Oeufs\";4;8;2,40;3;0;;1\r\n";

static void
test_camap_import(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	(void)state;

	assert_int_equal(amap_import(camap, sizeof(camap) - 1, &d, &rep), SSA_ERR_OK);
	assert_int_equal(d.layout, AMAP_LAYOUT_CAMAP);
	assert_int_equal(rep.rows_imported, 5);
	assert_int_equal(rep.rows_bad, 1);
	assert_int_equal(rep.bad[0].line, 6);
	assert_non_null(strstr(rep.bad[0].msg, "deux"));
	assert_int_equal(d.n_household, 4);
	assert_int_equal(d.n_item, 5);
	assert_string_equal(d.household[0].name, "DUPONT Hélène");
	assert_string_equal(d.item[1].product, "Oeufs x6");
	assert_int_equal(d.item[1].qty_milli, 2000);
	assert_int_equal(d.item[1].total, 480);
	assert_int_equal(d.item[3].qty_milli, 500); /* 0,5 kg of Comté */
	assert_int_equal(d.item[3].total, 900);
	assert_int_equal(d.item[4].total, 720); /* no total column value: price x qty */
	amap_fini(&d);
	amap_report_fini(&rep);
	assert_null(d.household);
}

/* Sign-in sheet, comma-separated, with a BOM, English headers, a quoted comma. */
static const char sheet[] =
	"\xef\xbb\xbf"
	"Name,First name,Vegetables,Eggs,Comment\n"
	"DUPONT,\"Hélène et Marc\",2 x G,1,\n"
	"MARTIN,Paul,1 x M + 1 x P,,\"allergic, no nuts\"\n"
	"\n"
	"GARCIA,Inès,3 z G,,\n"
	"LEFÈVRE,Zoé,G,2,\n";

static void
test_sheet_import(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	struct amap_total t[8];
	size_t n;
	(void)state;

	assert_int_equal(amap_import(sheet, sizeof(sheet) - 1, &d, &rep), SSA_ERR_OK);
	assert_int_equal(d.layout, AMAP_LAYOUT_SHEET);
	assert_int_equal(rep.rows_imported, 3);
	assert_int_equal(rep.rows_bad, 1);
	assert_int_equal(rep.bad[0].line, 5); /* the blank line still counts */
	assert_non_null(strstr(rep.bad[0].msg, "3 z G"));
	assert_int_equal(d.n_household, 3);
	assert_string_equal(d.household[1].comment, "allergic, no nuts");
	/* DUPONT: 2 x G vegetables + 1 egg share; MARTIN: M + P; LEFÈVRE: G + 2 eggs */
	assert_int_equal(d.n_item, 6);
	assert_string_equal(d.item[0].contract, "Vegetables");
	assert_string_equal(d.item[0].product, "G");
	assert_int_equal(d.item[0].qty_milli, 2000);
	assert_string_equal(d.item[1].product, "");
	n = amap_totals(&d, t, 8);
	assert_int_equal(n, 4);
	assert_string_equal(t[0].contract, "Eggs");
	assert_int_equal(t[0].expected_milli, 3000);
	assert_string_equal(t[1].product, "G");
	assert_int_equal(t[1].expected_milli, 3000);
	assert_int_equal(t[1].collected_milli, 0);
	amap_fini(&d);
	amap_report_fini(&rep);
}

static void
test_find_and_check_in(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	struct amap_total t[8];
	size_t hits[4];
	(void)state;

	assert_int_equal(amap_import(sheet, sizeof(sheet) - 1, &d, &rep), SSA_ERR_OK);
	/* accents and case ignored; a co-member's first name finds the household */
	assert_int_equal(amap_find(&d, "marc", hits, 4), 1);
	assert_string_equal(d.household[hits[0]].name, "DUPONT Hélène et Marc");
	assert_int_equal(amap_find(&d, "HELENE dup", hits, 4), 1);
	assert_int_equal(amap_find(&d, "lefevre", hits, 4), 1);
	assert_int_equal(amap_find(&d, "zz", hits, 4), 0);
	assert_int_equal(amap_find(&d, "", hits, 4), 3);
	assert_string_equal(d.household[hits[0]].name, "DUPONT Hélène et Marc"); /* name order */
	assert_string_equal(d.household[hits[1]].name, "LEFÈVRE Zoé");

	assert_int_equal(amap_set_status(&d, 0, AMAP_COLLECTED, 1700000000, "Voisine Julie"),
	                 SSA_ERR_OK);
	assert_int_equal(amap_set_status(&d, 1, AMAP_MOVED, 1700000060, NULL), SSA_ERR_OK);
	assert_int_equal(amap_set_status(&d, 1, AMAP_ABSENT, 1, "x"), SSA_ERR_INVAL);
	assert_int_equal(amap_set_status(&d, 9, AMAP_ABSENT, 1, NULL), SSA_ERR_INVAL);
	assert_int_equal(amap_totals(&d, t, 8), 2); /* MARTIN's M and P moved away */
	assert_string_equal(t[1].product, "G");
	assert_int_equal(t[1].expected_milli, 3000);
	assert_int_equal(t[1].collected_milli, 2000);
	/* undo */
	assert_int_equal(amap_set_status(&d, 0, AMAP_EXPECTED, 1700000100, NULL), SSA_ERR_OK);
	assert_null(d.household[0].collected_by);
	assert_int_equal(d.household[0].changed_at, 0);
	amap_fini(&d);
	amap_report_fini(&rep);
}

static void
test_exports(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	char *out;
	size_t len;
	(void)state;

	assert_int_equal(amap_import(camap, sizeof(camap) - 1, &d, &rep), SSA_ERR_OK);
	assert_int_equal(amap_set_status(&d, 0, AMAP_COLLECTED, 1700000000, NULL), SSA_ERR_OK);
	assert_int_equal(amap_export_csv(&d, &out, &len), SSA_ERR_OK);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, "12;DUPONT Hélène;Oeufs;Oeufs x6;2;4,80;collected;"
	                            "2023-11-14T22:13:20Z;;\r\n"));
	assert_non_null(strstr(out, "16;LEFÈVRE Zoé;Fromages;Comté;0,5;9,00;expected;;;\r\n"));
	/* the export reads back as CSV with the same number of rows */
	{
		struct csv_reader r;
		int rows = 0;
		csv_init(&r, out, len);
		while (csv_next(&r) == SSA_ERR_OK) {
			assert_int_equal(r.nfields, 10);
			rows++;
		}
		csv_fini(&r);
		assert_int_equal(rows, 6);
	}
	free(out);
	assert_int_equal(amap_format_sheet(&d, &out, &len), SSA_ERR_OK);
	assert_non_null(strstr(out, "[ ] DUPONT Hélène"));
	assert_non_null(strstr(out, "Fromages: 0,5 x Comté"));
	free(out);
	/* at the end: Dupont collected, Martin absent, Lefèvre never came, Nosum moved */
	assert_int_equal(amap_set_status(&d, 1, AMAP_ABSENT, 1700000100, NULL), SSA_ERR_OK);
	assert_int_equal(amap_set_status(&d, 3, AMAP_MOVED, 1700000200, NULL), SSA_ERR_OK);
	assert_int_equal(amap_format_uncollected(&d, &out, &len), SSA_ERR_OK);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, "Paniers non récupérés — 3 foyers sur 4\n"));
	assert_null(strstr(out, "DUPONT"));
	assert_non_null(strstr(out, "MARTIN Paul"));
	assert_non_null(strstr(out, "absent"));
	assert_non_null(strstr(out, "LEFÈVRE Zoé"));
	assert_non_null(strstr(out, "attendu"));
	assert_non_null(strstr(out, "reporté Oeufs: 3 x Oeufs x6"));
	assert_non_null(strstr(out, "Reste :\n  Légumes Ferme du Pré: 1 x Panier légumes moyen\n"
				    "  Oeufs: 3 x Oeufs x6\n  Fromages: 0,5 x Comté\n"));
	free(out);
	amap_fini(&d);
	amap_report_fini(&rep);
}

static void
test_card_column(void **state)
{
	static const char sheet_cards[] = "Nom;Prénom;Carte SSA;Légumes\n"
					  "DUPONT;Marie;00000000000000A1;2 x G\n"
					  "MARTIN;Paul;;1 x M\n"
					  "DURAND;Léa;xyz;1 x P\n"
					  "BERNARD;Sami;0;1 x G\n";
	static const char camap_cards[] =
		"userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;"
		"fees;total;paid;SSA card\n"
		"12;DUPONT Marie;Panier G;;Légumes;1;1;12,00;1;0;12,00;1;a1\n"
		"12;DUPONT Marie;Oeufs;;Oeufs;2;1;0,50;6;0;3,00;1;a1\n"
		"13;MARTIN Paul;Panier M;;Légumes;1;1;9,00;1;0;9,00;1;b2\n"
		"13;MARTIN Paul;Oeufs;;Oeufs;2;1;0,50;6;0;3,00;1;b3\n";
	struct amap_distribution d;
	struct amap_report rep;

	(void)state;
	assert_int_equal(amap_import(sheet_cards, sizeof(sheet_cards) - 1, &d, &rep), SSA_ERR_OK);
	assert_int_equal(d.layout, AMAP_LAYOUT_SHEET);
	assert_int_equal(rep.rows_imported, 2);
	assert_int_equal(rep.rows_bad, 2);
	assert_int_equal(rep.bad[0].line, 4);
	assert_non_null(strstr(rep.bad[0].msg, "xyz"));
	assert_int_equal(rep.bad[1].line, 5);
	/* the card column is no contract */
	for (size_t i = 0; i < d.n_item; i++)
		assert_string_equal(d.item[i].contract, "Légumes");
	assert_int_equal(d.household[0].member_id, 0xa1);
	assert_int_equal(d.household[1].member_id, 0);
	assert_int_equal(amap_find_member(&d, 0xa1), 0);
	assert_int_equal(amap_find_member(&d, 0xa2), (size_t)-1);
	assert_int_equal(amap_find_member(&d, 0), (size_t)-1);
	amap_fini(&d);
	amap_report_fini(&rep);

	assert_int_equal(amap_import(camap_cards, sizeof(camap_cards) - 1, &d, &rep), SSA_ERR_OK);
	assert_int_equal(d.layout, AMAP_LAYOUT_CAMAP);
	assert_int_equal(rep.rows_imported, 3);
	assert_int_equal(rep.rows_bad, 1); /* MARTIN with two different cards */
	assert_int_equal(rep.bad[0].line, 5);
	assert_int_equal(d.n_household, 2);
	assert_int_equal(amap_find_member(&d, 0xa1), 0);
	assert_int_equal(amap_find_member(&d, 0xb2), 1);
	assert_int_equal(d.household[0].member_id, 0xa1);
	amap_fini(&d);
	amap_report_fini(&rep);
}

/* Every bad row is reported with its line and reason, in file order, and the good rows between
 * them still import: several kinds of faults, then 40 more bad rows (past any small array). */
static void
test_every_bad_row(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	char *csv = NULL, *p;
	size_t size = 16384, n;
	(void)state;

	csv = malloc(size);
	assert_non_null(csv);
	p = csv;
	p += sprintf(p, "userId;userName;productName;catalogName;price;quantity;total\n"
	                "1;DUPONT Hélène;Panier G;Légumes;12,00;1;12,00\n" /* 2: good */
	                "2;MARTIN Paul;Panier M;Légumes;9,00;deux;18,00\n" /* 3: quantity */
	                "3;BERNARD Sami;;Légumes;9,00;1;9,00\n"            /* 4: no product */
	                "4;DURAND Léa;Oeufs;Oeufs;0,50;6;3,00\n"           /* 5: good */
	                "5;GARCIA Inès;Oeufs;Oeufs;1.2.3;6;\n"             /* 6: price */
	                "6;PETIT Jean;Oeufs;Oeufs;0,50;6;trois\n"          /* 7: total */
	                ";;Oeufs;Oeufs;0,50;1;0,50\n"                      /* 8: no name */
	                "7;\"LEROY \"Ana;Oeufs;Oeufs;0,50;1;0,50\n");      /* 9: quoting */
	for (int i = 0; i < 40; i++)                                       /* 10..49 */
		p += sprintf(p, "%d;ROW %d;Oeufs;Oeufs;0,50;x%d;\n", 100 + i, i, i);
	p += sprintf(p, "8;FAURE Luc;Panier G;Légumes;12,00;1;12,00\n"); /* 50: good */
	n = (size_t)(p - csv);
	assert_true(n < size);

	assert_int_equal(amap_import(csv, n, &d, &rep), SSA_ERR_OK);
	assert_int_equal(rep.rows_imported, 3);
	assert_int_equal(rep.rows_bad, 46);
	assert_int_equal(rep.n_bad, 46);
	assert_int_equal(rep.bad[0].line, 3);
	assert_non_null(strstr(rep.bad[0].msg, "bad quantity 'deux'"));
	assert_int_equal(rep.bad[1].line, 4);
	assert_string_equal(rep.bad[1].msg, "no product name");
	assert_int_equal(rep.bad[2].line, 6);
	assert_non_null(strstr(rep.bad[2].msg, "bad price '1.2.3'"));
	assert_int_equal(rep.bad[3].line, 7);
	assert_non_null(strstr(rep.bad[3].msg, "bad total 'trois'"));
	assert_int_equal(rep.bad[4].line, 8);
	assert_string_equal(rep.bad[4].msg, "no member name or id");
	assert_int_equal(rep.bad[5].line, 9);
	for (unsigned i = 0; i < 40; i++) {
		char want[32];

		assert_int_equal(rep.bad[6 + i].line, 10 + i);
		snprintf(want, sizeof(want), "bad quantity 'x%u'", i);
		assert_non_null(strstr(rep.bad[6 + i].msg, want));
	}
	/* the good rows around them: DUPONT, DURAND, FAURE */
	assert_int_equal(d.n_household, 3);
	assert_string_equal(d.household[0].name, "DUPONT Hélène");
	assert_string_equal(d.household[1].name, "DURAND Léa");
	assert_string_equal(d.household[2].name, "FAURE Luc");
	assert_int_equal(d.n_item, 3);
	amap_fini(&d);
	amap_report_fini(&rep);
	assert_null(rep.bad);
	assert_int_equal(rep.rows_bad, 0);
	free(csv);
}

static void
test_contract_category(void **state)
{
	char c[AMAP_CATEGORY_MAX + 1];

	(void)state;
	amap_contract_category("Légumes", c, sizeof(c));
	assert_string_equal(c, "amap-legumes");
	amap_contract_category("  Œufs & Pain bio (2026) ", c, sizeof(c));
	assert_string_equal(c, "amap-oeufs-pain-bio-2026");
	amap_contract_category("Fromages de chèvre et de brebis du Larzac", c, sizeof(c));
	assert_string_equal(c, "amap-fromages-de-chevre-et-de-br");
	assert_int_equal(strlen(c), AMAP_CATEGORY_MAX);
	amap_contract_category("", c, sizeof(c));
	assert_string_equal(c, "amap-");
}

static void
test_unknown_layout(void **state)
{
	struct amap_distribution d;
	struct amap_report rep;
	static const char junk[] = "foo;bar\n1;2\n";
	(void)state;

	assert_int_equal(amap_import(junk, sizeof(junk) - 1, &d, &rep), SSA_ERR_LIST_FORMAT);
	assert_int_equal(d.n_household, 0);
	amap_report_fini(&rep);
	assert_int_equal(amap_import("", 0, &d, &rep), SSA_ERR_LIST_FORMAT);
	amap_report_fini(&rep);
	amap_report_fini(NULL);
}

static void
test_csv_reader(void **state)
{
	struct csv_reader r;
	static const char text[] = "a;\"b \"\"q\"\"\";\"multi\nline\"\r\n;;\nx\"y;\"bad\"z;w\nlast";
	(void)state;

	csv_init(&r, text, sizeof(text) - 1);
	assert_int_equal(r.sep, ';');
	assert_int_equal(csv_next(&r), SSA_ERR_OK);
	assert_int_equal(r.nfields, 3);
	assert_string_equal(r.field[1], "b \"q\"");
	assert_string_equal(r.field[2], "multi\nline");
	assert_int_equal(csv_next(&r), SSA_ERR_OK);
	assert_int_equal(r.line, 3);
	assert_int_equal(r.nfields, 3);
	assert_string_equal(r.field[2], "");
	assert_int_equal(csv_next(&r), SSA_ERR_LIST_FORMAT); /* "bad"z */
	assert_int_equal(r.line, 4);
	assert_int_equal(csv_next(&r), SSA_ERR_OK);
	assert_int_equal(r.line, 5);
	assert_string_equal(r.field[0], "last");
	assert_int_equal(csv_next(&r), SSA_ERR_NOT_FOUND);
	csv_fini(&r);
	/* unterminated quote at the end */
	csv_init(&r, "\"open", 5);
	assert_int_equal(csv_next(&r), SSA_ERR_LIST_FORMAT);
	assert_int_equal(csv_next(&r), SSA_ERR_NOT_FOUND);
	csv_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_camap_import),      cmocka_unit_test(test_sheet_import),
	    cmocka_unit_test(test_find_and_check_in), cmocka_unit_test(test_exports),
	    cmocka_unit_test(test_unknown_layout),    cmocka_unit_test(test_csv_reader),
	    cmocka_unit_test(test_card_column),       cmocka_unit_test(test_contract_category),
	    cmocka_unit_test(test_every_bad_row),
	};
	return cmocka_run_group_tests_name("amap", tests, NULL, NULL);
}
