/* test_catalog_store.c — the SQLite catalog on a real file: schema creation and version check,
 * CSV import (all or nothing, line numbers), the port's lookups, lists put, refused (bad
 * signature, older, other caisse, wrong base) with the previous list staying in force, deltas,
 * a second connection seeing a new list, lookups through the product cache (more products than it
 * holds), a version 1 database migrated to the current version,
 * and the VAT rates the products carry (the till's start-up check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "ssa/catalog_store.h"

static const uint8_t priv34[32] = { 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
				    34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34 };
static const uint8_t priv30[32] = { 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
				    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 };

struct fx {
	char dir[64];
	char db[128];
	char csv[128];
	uint8_t pub34[32], pub30[32];
	struct vat_rates fr;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/ssa-catstore-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/catalog.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/products.csv", f->dir);
	assert_int_equal(convention_public_key(priv34, f->pub34), SSA_ERR_OK);
	assert_int_equal(convention_public_key(priv30, f->pub30), SSA_ERR_OK);
	assert_int_equal(vat_rates_parse("2.1,5.5,10,20", &f->fr), SSA_ERR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

#define CSV_HEAD "code,name,price,unit,vat,category,quick_key\n"
#define CSV_GOOD \
	CSV_HEAD "3560070123452,Lentilles vertes 500 g,2.35,piece,5.5,epicerie,1\n" \
		 "2123450,\"Tomates, grappe\",5.90,kg,5.5,fruits-legumes,2\n" \
		 "3760000000017,Vin rouge,8.99,piece,20,alcool,\n" \
		 "PLU4011,Bananes,2.49,kg,5.5,fruits-legumes,"

static void
test_import_and_lookup(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	struct catalog_import_result res;
	struct ssa_catalog *cat;
	struct catalog_product p;
	size_t n = 0;
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	write_file(f->csv, CSV_GOOD);
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	assert_int_equal(res.rows, 4);
	assert_int_equal(catalog_store_count(s, &n), SSA_ERR_OK);
	assert_int_equal(n, 4);
	cat = catalog_store_port(s);
	assert_int_equal(cat->find(cat->cls, "2123450", &p), SSA_ERR_OK);
	assert_string_equal(p.name, "Tomates, grappe");
	assert_int_equal(p.price, 590);
	assert_int_equal(p.unit, CATALOG_KG);
	assert_int_equal(p.vat_bp, 550);
	assert_int_equal(p.quick_key, 2);
	assert_int_equal(cat->find(cat->cls, "PLU4011", &p), SSA_ERR_OK);
	assert_int_equal(p.quick_key, 0);
	assert_int_equal(cat->find(cat->cls, "0000", &p), SSA_ERR_NOT_FOUND);
	assert_int_equal(cat->find(cat->cls, "bad code", &p), SSA_ERR_NOT_FOUND);
	assert_int_equal(cat->find_quick_key(cat->cls, 1, &p), SSA_ERR_OK);
	assert_string_equal(p.code, "3560070123452");
	assert_int_equal(cat->find_quick_key(cat->cls, 3, &p), SSA_ERR_NOT_FOUND);

	/* a bad line refuses the whole file and keeps the catalog as it was */
	write_file(f->csv, CSV_HEAD "1,a,1.00,piece,5.5,epicerie,\n2,b,1.00,piece,7,epicerie,\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_VAT);
	assert_int_equal(res.line, 3);
	assert_int_equal(res.rows, 0);
	write_file(f->csv, CSV_HEAD "1,a,1.00,piece,5.5,epicerie,\n1,b,1.00,piece,5.5,epicerie,\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(res.line, 3);
	assert_non_null(strstr(res.why, "duplicate"));
	write_file(f->csv, "code;name\n1,a,1.00,piece,5.5,epicerie,\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(res.line, 1);
	write_file(f->csv, CSV_HEAD "1,a,1.00,piece,5.5,epicerie\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_FORMAT);
	assert_int_equal(res.line, 2);
	write_file(f->csv, "");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_FORMAT);
	/* a spreadsheet's byte order mark and CRLF line ends are fine */
	write_file(f->csv, "\xef\xbb\xbf" "code,name,price,unit,vat,category,quick_key\r\n"
			   "3560070123452,Lentilles,2.35,piece,5.5,epicerie,\r\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	assert_int_equal(res.rows, 1);
	write_file(f->csv, CSV_GOOD);
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	assert_int_equal(catalog_store_import_csv(s, "/nonexistent/x.csv", &f->fr, &res),
			 SSA_ERR_IO);
	assert_int_equal(catalog_store_count(s, &n), SSA_ERR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(cat->find(cat->cls, "2123450", &p), SSA_ERR_OK);
	/* one product added by hand; a VAT rate outside the configured set is refused */
	strcpy(p.code, "999");
	assert_int_equal(catalog_store_put_product(s, &p, &f->fr), SSA_ERR_OK);
	p.vat_bp = 600;
	assert_int_equal(catalog_store_put_product(s, &p, &f->fr), SSA_ERR_CATALOG_VAT);
	catalog_close(cat);
}

static void
test_schema_version(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	sqlite3 *db;
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	catalog_store_close(s);
	/* reopening is idempotent */
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	catalog_store_close(s);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	s = NULL;
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_CATALOG_SCHEMA);
	assert_null(s);
}

static char *
sign(const char *body, const uint8_t *priv, size_t *len)
{
	char *signed_text = NULL;
	enum ssa_err e = convention_sign(body, strlen(body), priv, &signed_text, len);
	assert_int_equal(e, SSA_ERR_OK);
	return signed_text;
}

#define V7 \
	"ssa-list,1\ncaisse,caisse-34\nversion,7\nvalid,2026-01-01,\n" \
	"code,3560070123452,100,,,,\ncategory,fruits-legumes,100,4.00,,,\n" \
	"category,epicerie,50,,30.00,,\nexclude,alcool,,,,,\n"

static enum ssa_err
put(struct catalog_store *s, const char *caisse, const uint8_t *pub, const char *body,
    const uint8_t *priv, uint32_t *v)
{
	size_t len;
	char *t = sign(body, priv, &len);
	struct convention_error err;
	enum ssa_err e = catalog_store_put_list(s, caisse, pub, t, len, &err, v);
	free(t);
	return e;
}

static uint32_t
in_force(struct catalog_store *s, const char *caisse)
{
	struct ssa_catalog *cat = catalog_store_port(s);
	const struct convention_list *l = NULL;
	if (cat->list_in_force(cat->cls, caisse, &l) != SSA_ERR_OK)
		return 0;
	return l->version;
}

static void
test_lists_refused_keep_previous(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	uint32_t v = 0;
	size_t len;
	char *t = NULL;
	struct convention_error err;
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	assert_int_equal(in_force(s, "caisse-34"), 0);
	assert_int_equal(put(s, "caisse-34", f->pub34, V7, priv34, &v), SSA_ERR_OK);
	assert_int_equal(v, 7);
	assert_int_equal(in_force(s, "caisse-34"), 7);
	/* the same bytes again: a no-op */
	assert_int_equal(put(s, "caisse-34", f->pub34, V7, priv34, &v), SSA_ERR_OK);
	/* same version, other content */
	assert_int_equal(put(s, "caisse-34", f->pub34, V7 "code,1,100,,,,\n", priv34, &v),
			 SSA_ERR_LIST_OLDER);
	/* an older version */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,6\nvalid,2026-01-01,\n",
			     priv34, &v),
			 SSA_ERR_LIST_OLDER);
	/* signed with another key */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nvalid,2026-01-01,\n",
			     priv30, &v),
			 SSA_ERR_LIST_SIGNATURE);
	/* an edited byte */
	{
		const char *b8 = "ssa-list,1\ncaisse,caisse-34\nversion,8\nvalid,2026-01-01,\n"
				 "category,epicerie,50,,,,\n";
		assert_int_equal(convention_sign(b8, strlen(b8), priv34, &t, &len), SSA_ERR_OK);
	}
	{
		char *at = strstr(t, "50,");
		assert_non_null(at);
		at[0] = '9';
	}
	assert_int_equal(catalog_store_put_list(s, "caisse-34", f->pub34, t, len, &err, &v),
			 SSA_ERR_LIST_SIGNATURE);
	/* truncated */
	assert_int_equal(catalog_store_put_list(s, "caisse-34", f->pub34, t, len - 40, &err, &v),
			 SSA_ERR_LIST_FORMAT);
	free(t);
	/* another caisse's list offered as caisse-34's (with caisse-34's key) */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-30\nversion,9\nvalid,2026-01-01,\n",
			     priv34, &v),
			 SSA_ERR_LIST_CAISSE);
	/* still version 7, with its entries */
	assert_int_equal(in_force(s, "caisse-34"), 7);
	{
		struct convention_list *l = NULL;
		assert_int_equal(catalog_store_get_list(s, "caisse-34", &l), SSA_ERR_OK);
		assert_int_equal(l->n, 4);
		assert_int_equal(convention_list_find(l, CONVENTION_CATEGORY, "epicerie")->cap,
				 3000);
		assert_int_equal(convention_list_find(l, CONVENTION_CATEGORY, "fruits-legumes")
					 ->ceiling,
				 400);
		convention_list_free(l);
	}
	/* a second caisse alongside */
	assert_int_equal(put(s, "caisse-30", f->pub30,
			     "ssa-list,1\ncaisse,caisse-30\nversion,2\nvalid,2026-01-01,\n"
			     "category,epicerie,100,,,,\n",
			     priv30, &v),
			 SSA_ERR_OK);
	assert_int_equal(in_force(s, "caisse-30"), 2);
	assert_int_equal(in_force(s, "caisse-34"), 7);
	catalog_store_close(s);
}

static void
test_deltas_and_second_connection(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL, *till = NULL;
	struct ssa_catalog *cat;
	const struct convention_list *l = NULL;
	uint32_t v = 0;
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	assert_int_equal(catalog_store_open(f->db, &till), SSA_ERR_OK);
	cat = catalog_store_port(till);
	/* a delta without a list in force */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\n",
			     priv34, &v),
			 SSA_ERR_LIST_BASE);
	assert_int_equal(put(s, "caisse-34", f->pub34, V7, priv34, &v), SSA_ERR_OK);
	assert_int_equal(cat->list_in_force(cat->cls, "caisse-34", &l), SSA_ERR_OK);
	assert_int_equal(l->version, 7);
	assert_non_null(convention_list_find(l, CONVENTION_EXCLUDE, "alcool"));
	/* a delta on the wrong base */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,9\nbase,8\nvalid,2026-01-01,\n",
			     priv34, &v),
			 SSA_ERR_LIST_BASE);
	/* a delta removing what is not there */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\n"
			     "-code,42,,,,,\n",
			     priv34, &v),
			 SSA_ERR_LIST_FORMAT);
	/* a good delta */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,"
			     "2026-12-31\n-exclude,alcool,,,,,\ncode,3560070123452,80,,,,\n"
			     "code,4000000000006,100,,,,\n",
			     priv34, &v),
			 SSA_ERR_OK);
	assert_int_equal(v, 8);
	/* the till's connection sees it on its next look */
	assert_int_equal(cat->list_in_force(cat->cls, "caisse-34", &l), SSA_ERR_OK);
	assert_int_equal(l->version, 8);
	assert_int_equal(l->valid_to, 20261231);
	assert_int_equal(l->n, 4);
	assert_null(convention_list_find(l, CONVENTION_EXCLUDE, "alcool"));
	assert_int_equal(convention_list_find(l, CONVENTION_CODE, "3560070123452")->rate_bp, 8000);
	assert_non_null(convention_list_find(l, CONVENTION_CODE, "4000000000006"));
	/* the same delta again is older now */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\n",
			     priv34, &v),
			 SSA_ERR_LIST_OLDER);
	/* a full list replaces everything */
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,10\nvalid,2026-01-01,\n"
			     "category,epicerie,100,,,,\n",
			     priv34, &v),
			 SSA_ERR_OK);
	assert_int_equal(cat->list_in_force(cat->cls, "caisse-34", &l), SSA_ERR_OK);
	assert_int_equal(l->version, 10);
	assert_int_equal(l->n, 1);
	catalog_store_close(s);
	catalog_close(cat);
}

static void
test_product_changes_seen(void **state)
{
	struct fx *f = *state;
	struct catalog_store *till = NULL, *admin = NULL;
	struct ssa_catalog *cat;
	struct catalog_product p;
	struct catalog_import_result res;
	assert_int_equal(catalog_store_open(f->db, &till), SSA_ERR_OK);
	assert_int_equal(catalog_store_open(f->db, &admin), SSA_ERR_OK);
	write_file(f->csv, CSV_GOOD);
	assert_int_equal(catalog_store_import_csv(admin, f->csv, &f->fr, &res), SSA_ERR_OK);
	cat = catalog_store_port(till);
	assert_int_equal(cat->find(cat->cls, "PLU4011", &p), SSA_ERR_OK);
	assert_int_equal(p.price, 249);
	/* another program changes the price: the till sees it once its snapshot (at most 1 s
	 * old by the documented rule) is renewed; the wait is that bound, not a timing assert */
	p.price = 199;
	assert_int_equal(catalog_store_put_product(admin, &p, &f->fr), SSA_ERR_OK);
	usleep(1100 * 1000);
	assert_int_equal(cat->find(cat->cls, "PLU4011", &p), SSA_ERR_OK);
	assert_int_equal(p.price, 199);
	/* the till's own write is seen at once */
	p.price = 149;
	assert_int_equal(catalog_store_put_product(till, &p, &f->fr), SSA_ERR_OK);
	assert_int_equal(cat->find(cat->cls, "PLU4011", &p), SSA_ERR_OK);
	assert_int_equal(p.price, 149);
	/* a new import by another program removes it */
	write_file(f->csv, CSV_HEAD "1,a,1.00,piece,5.5,epicerie,\n");
	assert_int_equal(catalog_store_import_csv(admin, f->csv, &f->fr, &res), SSA_ERR_OK);
	usleep(1100 * 1000);
	assert_int_equal(cat->find(cat->cls, "PLU4011", &p), SSA_ERR_NOT_FOUND);
	assert_int_equal(cat->find(cat->cls, "1", &p), SSA_ERR_OK);
	catalog_store_close(admin);
	catalog_close(cat);
}

/* More products than the product cache holds (2 x 16,384), looked up in a scrambled order
 * twice, with unknown codes between: every answer is the product of that code (cache hits,
 * misses, evictions from both ways of a set). */
static void
test_many_lookups(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	struct ssa_catalog *cat;
	struct catalog_product p;
	struct catalog_import_result res;
	enum { N = 40000 };
	unsigned x = 12345;
	char code[16], name[32];
	FILE *fp = fopen(f->csv, "w");

	assert_non_null(fp);
	fputs(CSV_HEAD, fp);
	for (unsigned i = 0; i < N; i++)
		fprintf(fp, "C%u,Produit %u,%u.%02u,piece,5.5,epicerie,\n", i, i, i / 100, i % 100);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	cat = catalog_store_port(s);
	for (unsigned k = 0; k < 3 * N; k++) {
		unsigned i;

		x = x * 1103515245u + 12345u;
		i = (x >> 8) % (N + N / 10); /* about one code in eleven is unknown */
		snprintf(code, sizeof(code), "C%u", i);
		if (i >= N) {
			assert_int_equal(cat->find(cat->cls, code, &p), SSA_ERR_NOT_FOUND);
			continue;
		}
		assert_int_equal(cat->find(cat->cls, code, &p), SSA_ERR_OK);
		snprintf(name, sizeof(name), "Produit %u", i);
		assert_string_equal(p.code, code);
		assert_string_equal(p.name, name);
		assert_int_equal(p.price, (int64_t)i);
		assert_string_equal(p.category, "epicerie");
	}
	catalog_close(cat);
}

/* The schema as version 1 shipped it (io/catalog_sqlite.c, migration 0 -> 1), kept here on
 * purpose: a database made by that ssa-pos must open with this one. */
#define SCHEMA_V1 \
	"CREATE TABLE product (" \
	" code TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, price INTEGER NOT NULL," \
	" unit INTEGER NOT NULL, vat_bp INTEGER NOT NULL, category TEXT NOT NULL," \
	" quick_key INTEGER) WITHOUT ROWID;" \
	"CREATE INDEX product_quick_key ON product(quick_key) WHERE quick_key IS NOT NULL;" \
	"CREATE TABLE list (" \
	" caisse TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL," \
	" valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE TABLE list_entry (" \
	" caisse TEXT NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL," \
	" rate_bp INTEGER NOT NULL, ceiling INTEGER NOT NULL, cap INTEGER NOT NULL," \
	" date_from INTEGER NOT NULL, date_to INTEGER NOT NULL," \
	" PRIMARY KEY (caisse, kind, key)) WITHOUT ROWID;" \
	"CREATE TABLE list_text (" \
	" caisse TEXT NOT NULL, version INTEGER NOT NULL, base INTEGER NOT NULL," \
	" text BLOB NOT NULL, PRIMARY KEY (caisse, version)) WITHOUT ROWID;" \
	"CREATE TABLE schema_version (version INTEGER NOT NULL);" \
	"INSERT INTO schema_version VALUES (1);"

static int
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A version 1 database (products, a list in force, its signed text) migrated to version 2 by
 * catalog_store_open: rows kept, the new column list.received defaulted to 0 ("not recorded"),
 * and the migrated store works (a newer list is put and gets its time). */
static void
test_migrate_v1(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	struct ssa_catalog *cat;
	struct catalog_product p;
	struct convention_list *l = NULL;
	const struct convention_entry *en;
	sqlite3 *db;
	sqlite3_stmt *st;
	uint32_t version = 0;
	int64_t received = -1;
	size_t n = 0, len;
	char *text = sign(V7, priv34, &len);

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, SCHEMA_V1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "INSERT INTO product VALUES ('3560070123452','Lentilles vertes 500 g',235,"
			 "0,550,'epicerie',1);"
			 "INSERT INTO product VALUES ('2123450','Tomates, grappe',590,1,550,"
			 "'fruits-legumes',NULL);"
			 "INSERT INTO list VALUES ('caisse-34',7,20260101,0);"
			 "INSERT INTO list_entry VALUES ('caisse-34',0,'3560070123452',10000,-1,-1,"
			 "0,0);"
			 "INSERT INTO list_entry VALUES ('caisse-34',1,'fruits-legumes',10000,400,"
			 "-1,0,0);"
			 "INSERT INTO list_entry VALUES ('caisse-34',2,'alcool',0,-1,-1,0,0);",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO list_text VALUES ('caisse-34',7,0,?1)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, text, (int)len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	/* rows kept */
	assert_int_equal(catalog_store_count(s, &n), SSA_ERR_OK);
	assert_int_equal(n, 2);
	cat = catalog_store_port(s);
	assert_int_equal(cat->find(cat->cls, "2123450", &p), SSA_ERR_OK);
	assert_string_equal(p.name, "Tomates, grappe");
	assert_int_equal(p.price, 590);
	assert_int_equal(p.unit, CATALOG_KG);
	assert_int_equal(p.quick_key, 0);
	assert_int_equal(cat->find_quick_key(cat->cls, 1, &p), SSA_ERR_OK);
	assert_string_equal(p.code, "3560070123452");
	assert_int_equal(catalog_store_get_list(s, "caisse-34", &l), SSA_ERR_OK);
	assert_int_equal(l->version, 7);
	assert_int_equal(l->valid_from, 20260101);
	assert_int_equal(l->n, 3);
	en = convention_list_find(l, CONVENTION_CATEGORY, "fruits-legumes");
	assert_non_null(en);
	assert_int_equal(en->ceiling, 400);
	assert_non_null(convention_list_find(l, CONVENTION_EXCLUDE, "alcool"));
	convention_list_free(l);
	/* the new column, defaulted: a list put by a version 1 till has no recorded time */
	assert_int_equal(catalog_store_list_received(s, "caisse-34", &version, &received),
			 SSA_ERR_OK);
	assert_int_equal(version, 7);
	assert_int_equal(received, 0);
	/* the same text again is a no-op: the stored text of version 1 is found */
	assert_int_equal(put(s, "caisse-34", f->pub34, V7, priv34, &version), SSA_ERR_OK);
	assert_int_equal(version, 7);
	catalog_store_close(s);

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(one_int(db, "SELECT max(version) FROM schema_version"),
			 CATALOG_STORE_SCHEMA);
	assert_int_equal(one_int(db, "SELECT products FROM product_vat WHERE vat_bp = 550"), 2);
	assert_int_equal(one_int(db, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(one_int(db, "SELECT count(*) FROM list WHERE received = 0"), 1);
	assert_int_equal(one_int(db, "SELECT count(*) FROM list_text"), 1);
	sqlite3_close(db);
	free(text);

	/* opening again changes nothing; a newer list is put on the migrated schema */
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	assert_int_equal(put(s, "caisse-34", f->pub34,
			     "ssa-list,1\ncaisse,caisse-34\nversion,8\nvalid,2026-01-01,\n"
			     "code,3560070123452,100,,,,\n",
			     priv34, &version),
			 SSA_ERR_OK);
	assert_int_equal(version, 8);
	assert_int_equal(catalog_store_list_received(s, "caisse-34", &version, &received),
			 SSA_ERR_OK);
	assert_true(received > 0);
	catalog_store_close(s);
}

struct rates_seen {
	size_t n;
	int64_t bp[8];
	size_t products[8];
	char code[8][CATALOG_CODE_MAX + 1];
};

static void
rate_seen(void *arg, int64_t vat_bp, size_t products, const char *example_code)
{
	struct rates_seen *r = arg;

	assert_true(r->n < 8);
	r->bp[r->n] = vat_bp;
	r->products[r->n] = products;
	snprintf(r->code[r->n], sizeof(r->code[0]), "%s", example_code);
	r->n++;
}

/* The rates carried, ascending, with their counts and smallest code, kept by the import and by
 * put_product (a product moving to another rate, the example of a rate leaving it, a rate left
 * without products); the configured ones skipped; the summary computed by the migration from a
 * version 2 database, a rate of another type (edited by hand) reported. */
static void
test_vat_rates(void **state)
{
	struct fx *f = *state;
	struct catalog_store *s = NULL;
	struct catalog_import_result res;
	struct ssa_catalog *cat;
	struct catalog_product p;
	struct rates_seen r = { 0 };
	sqlite3 *db;

	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 0);
	write_file(f->csv, CSV_GOOD);
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	cat = catalog_store_port(s);
	assert_int_equal(cat->find(cat->cls, "2123450", &p), SSA_ERR_OK);
	strcpy(p.code, "999");
	p.vat_bp = 600; /* Belgium's 6 %, not in the French set */
	assert_int_equal(catalog_store_put_product(s, &p, NULL), SSA_ERR_OK);
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.bp[0], 550);
	assert_int_equal(r.products[0], 3);
	assert_string_equal(r.code[0], "2123450");
	assert_int_equal(r.bp[1], 600);
	assert_int_equal(r.products[1], 1);
	assert_string_equal(r.code[1], "999");
	assert_int_equal(r.bp[2], 2000);
	assert_int_equal(r.products[2], 1);
	assert_string_equal(r.code[2], "3760000000017");
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, &f->fr, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.bp[0], 600);
	assert_int_equal(r.products[0], 1);
	assert_string_equal(r.code[0], "999");

	/* 999 back to 5.5 %: no product left at 6 %; the example of 5.5 % goes to 20 % */
	p.vat_bp = 550;
	assert_int_equal(catalog_store_put_product(s, &p, NULL), SSA_ERR_OK);
	assert_int_equal(cat->find(cat->cls, "2123450", &p), SSA_ERR_OK);
	p.vat_bp = 2000;
	assert_int_equal(catalog_store_put_product(s, &p, NULL), SSA_ERR_OK);
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.bp[0], 550);
	assert_int_equal(r.products[0], 3);
	assert_string_equal(r.code[0], "3560070123452");
	assert_int_equal(r.bp[1], 2000);
	assert_int_equal(r.products[1], 2);
	assert_string_equal(r.code[1], "2123450");
	/* a refused import changes nothing, a good one replaces the summary */
	write_file(f->csv, CSV_HEAD "1,a,1.00,piece,5.5,epicerie,\n2,b,1.00,piece,7,epicerie,\n");
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_CATALOG_VAT);
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.products[1], 2);
	write_file(f->csv, CSV_GOOD);
	assert_int_equal(catalog_store_import_csv(s, f->csv, &f->fr, &res), SSA_ERR_OK);
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.products[0], 3);
	assert_string_equal(r.code[0], "2123450");
	assert_int_equal(r.products[1], 1);
	catalog_store_close(s);

	/* back to version 2 (without what 3 -> 4 added), a rate edited by hand: the migration
	 * computes the summary again */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE list DROP COLUMN max_age;"
				      "DROP TABLE product_vat; UPDATE schema_version SET version = 2;"
				      "UPDATE product SET vat_bp = 'x' WHERE code = 'PLU4011'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(catalog_store_open(f->db, &s), SSA_ERR_OK);
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, &f->fr, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.bp[0], 0); /* 'x' read as an integer */
	assert_int_equal(r.products[0], 1);
	assert_string_equal(r.code[0], "PLU4011");
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_store_each_vat_rate(s, NULL, rate_seen, &r), SSA_ERR_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.products[0], 2);
	catalog_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_and_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_refused_keep_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deltas_and_second_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_product_changes_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vat_rates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
