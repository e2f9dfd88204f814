/* test_journal_store.c — the journal store port: the SQLite adapter on real files and the
 * in-memory fake keep the same rules; triggers, schema, pending intents, acknowledgements;
 * tampering with the SQLite file as an attacker would is found by verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "journal_fixture.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"

struct fx {
	int sqlite;
	char *dir;
	char path[512];
	struct ssa_journal_store *s;
	struct journal_signer *signer;
	uint8_t pub[32];
};

static void
fx_open(struct fx *f)
{
	char why[512] = "";

	if (f->sqlite)
		assert_int_equal(journal_sqlite_open(f->path, &f->s, why, sizeof(why)), SSA_ERR_OK);
	else
		assert_int_equal(journal_mem_new(&f->s), SSA_ERR_OK);
}

static int
setup(void **state, int sqlite)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->sqlite = sqlite;
	f->dir = jf_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/journal.db", f->dir);
	fx_open(f);
	f->signer = jf_signer(jf_priv_a);
	jf_public(jf_priv_a, f->pub);
	*state = f;
	return 0;
}

static int
setup_mem(void **state)
{
	return setup(state, 0);
}

static int
setup_sqlite(void **state)
{
	return setup(state, 1);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	journal_store_free(f->s);
	journal_signer_free(f->signer);
	jf_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Append @p n sales (the odd ones paid by card). */
static void
append_sales(struct fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		struct journal_record r;
		uint64_t seq = 0, last = 0;
		jf_sale(&r, 1000 * (i + 1), i % 2 ? 200 : 0);
		assert_int_equal(journal_store_last(f->s, &last, NULL), SSA_ERR_OK);
		assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, &seq, NULL),
				 SSA_ERR_OK);
		assert_int_equal(seq, last + 1);
		journal_record_fini(&r);
	}
}

static enum ssa_err
count_cb(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	uint64_t *n = ctx;

	(void)buf;
	(void)len;
	assert_int_equal(seq, *n + 1);
	(*n)++;
	return SSA_ERR_OK;
}

static void
test_append_scan_verify(void **state)
{
	struct fx *f = *state;
	struct journal_record r;
	struct journal_chain c;
	uint64_t seq, n = 0;
	uint8_t hash[32], last_hash[32], h[32], other[32];
	char *buf = NULL;
	size_t len;

	assert_int_equal(journal_store_last(f->s, &seq, hash), SSA_ERR_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 0);
	append_sales(f, 2);
	jf_cancel(&r, JOURNAL_VOID, 2, 5000, 200);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, &seq, hash), SSA_ERR_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(r.seq, 3);
	journal_record_fini(&r);
	jf_reload(&r, 6000, 14800, 15000);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, &seq, hash), SSA_ERR_OK);
	journal_record_fini(&r);
	assert_int_equal(journal_store_last(f->s, &seq, last_hash), SSA_ERR_OK);
	assert_int_equal(seq, 4);
	assert_memory_equal(hash, last_hash, 32);
	assert_int_equal(journal_store_get(f->s, 4, &buf, &len), SSA_ERR_OK);
	assert_int_equal(journal_hash(buf, len, h), SSA_ERR_OK);
	assert_memory_equal(h, hash, 32);
	assert_int_equal(strlen(buf), len);
	free(buf);
	assert_int_equal(journal_store_get(f->s, 5, &buf, &len), SSA_ERR_NOT_FOUND);
	assert_int_equal(journal_store_scan(f->s, 1, count_cb, &n), SSA_ERR_OK);
	assert_int_equal(n, 4);
	n = 2;
	assert_int_equal(journal_store_scan(f->s, 3, count_cb, &n), SSA_ERR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_VOID, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_CLOSING_Z, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_SALE, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_RELOAD, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 4);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 4);
	assert_memory_equal(c.last_hash, hash, 32);
	jf_public(jf_priv_b, other);
	assert_int_equal(journal_store_verify(f->s, other, &c), SSA_ERR_JOURNAL_KEY);
	assert_int_equal(c.bad_seq, 1);
	/* A record that does not check is refused and nothing is stored. */
	jf_sale(&r, 7000, 0);
	r.total = 1;
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, &seq, NULL),
			 SSA_ERR_JOURNAL_FORMAT);
	journal_record_fini(&r);
	assert_int_equal(journal_store_last(f->s, &seq, NULL), SSA_ERR_OK);
	assert_int_equal(seq, 4);
}

static void
test_verify_links(void **state)
{
	struct fx *f = *state;
	struct journal_record r;
	struct journal_chain c;

	append_sales(f, 1);
	jf_reload(&r, 2000, 0, 15000);
	append_sales(f, 0);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, NULL, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	jf_cancel(&r, JOURNAL_REFUND, 1, 3000, 0);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, NULL, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	/* A well-signed void of the reload: the chain is intact, the link is not. */
	jf_cancel(&r, JOURNAL_VOID, 2, 4000, 0);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, 0, NULL, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_JOURNAL_FORMAT);
	assert_int_equal(c.bad_seq, 4);
	assert_non_null(strstr(c.why, "not a sale"));
}

static void
test_pending(void **state)
{
	struct fx *f = *state;
	struct journal_record r;
	uint64_t id = 0, id2 = 0, got = 0, seq = 0;
	void *buf = NULL;
	size_t len = 0;

	assert_int_equal(journal_store_get_pending(f->s, &got, &buf, &len), SSA_ERR_NOT_FOUND);
	assert_int_equal(journal_store_put_pending(f->s, "sale 1 for c-4f2a9b", 19, &id),
			 SSA_ERR_OK);
	assert_true(id > 0);
	assert_int_equal(journal_store_get_pending(f->s, &got, &buf, &len), SSA_ERR_OK);
	assert_int_equal(got, id);
	assert_int_equal(len, 19);
	assert_memory_equal(buf, "sale 1 for c-4f2a9b", 19);
	free(buf);
	/* An unknown pending id: nothing stored, the intent stays. */
	jf_sale(&r, 1000, 300);
	assert_int_equal(journal_store_append(f->s, &r, f->signer, id + 100, &seq, NULL),
			 SSA_ERR_NOT_FOUND);
	assert_int_equal(journal_store_last(f->s, &seq, NULL), SSA_ERR_OK);
	assert_int_equal(seq, 0);
	/* The final record clears its intent in the same transaction. */
	assert_int_equal(journal_store_append(f->s, &r, f->signer, id, &seq, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	assert_int_equal(seq, 1);
	assert_int_equal(journal_store_get_pending(f->s, &got, &buf, &len), SSA_ERR_NOT_FOUND);
	/* An intent dropped: the card was not debited. */
	assert_int_equal(journal_store_put_pending(f->s, "sale 2", 6, &id2), SSA_ERR_OK);
	assert_true(id2 > id);
	assert_int_equal(journal_store_drop_pending(f->s, id2), SSA_ERR_OK);
	assert_int_equal(journal_store_drop_pending(f->s, id2), SSA_ERR_NOT_FOUND);
	assert_int_equal(journal_store_get_pending(f->s, &got, &buf, &len), SSA_ERR_NOT_FOUND);
	assert_int_equal(journal_store_put_pending(f->s, "", 0, &id2), SSA_ERR_INVAL);
}

static void
test_ack(void **state)
{
	struct fx *f = *state;
	uint64_t acked = 99;
	struct journal_chain c;

	assert_int_equal(journal_store_acked(f->s, &acked), SSA_ERR_OK);
	assert_int_equal(acked, 0);
	append_sales(f, 3);
	assert_int_equal(journal_store_ack(f->s, 2), SSA_ERR_OK);
	assert_int_equal(journal_store_ack(f->s, 1), SSA_ERR_OK);
	assert_int_equal(journal_store_acked(f->s, &acked), SSA_ERR_OK);
	assert_int_equal(acked, 2);
	assert_int_equal(journal_store_ack(f->s, 4), SSA_ERR_INVAL);
	assert_int_equal(journal_store_ack(f->s, 3), SSA_ERR_OK);
	assert_int_equal(journal_store_acked(f->s, &acked), SSA_ERR_OK);
	assert_int_equal(acked, 3);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
}

/* --- SQLite only ------------------------------------------------------------------------ */

static void
sql(const char *path, const char *stmt, int want)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, stmt, NULL, NULL, &err);
	if (rc != want)
		print_error("%s: %s\n", stmt, err ? err : "(no error)");
	sqlite3_free(err);
	sqlite3_close(db);
	assert_int_equal(rc, want);
}

static void
test_sqlite_reopen_triggers(void **state)
{
	struct fx *f = *state;
	struct journal_chain c;
	uint64_t seq, id = 0, got = 0;
	uint8_t h1[32], h2[32];
	void *buf = NULL;
	size_t len;

	append_sales(f, 3);
	assert_int_equal(journal_store_put_pending(f->s, "x", 1, &id), SSA_ERR_OK);
	assert_int_equal(journal_store_ack(f->s, 1), SSA_ERR_OK);
	assert_int_equal(journal_store_last(f->s, &seq, h1), SSA_ERR_OK);
	journal_store_free(f->s);
	/* Rows are immutable, even to another program with the file. */
	sql(f->path, "UPDATE journal SET time_ms = 0 WHERE seq = 2", SQLITE_CONSTRAINT);
	sql(f->path, "DELETE FROM journal WHERE seq = 3", SQLITE_CONSTRAINT);
	sql(f->path, "INSERT INTO journal VALUES (9, 'SALE', 0, x'00', x'00')", SQLITE_CONSTRAINT);
	sql(f->path, "UPDATE sync_ack SET seq = 2", SQLITE_OK);
	fx_open(f);
	assert_int_equal(journal_store_last(f->s, &seq, h2), SSA_ERR_OK);
	assert_int_equal(seq, 3);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(journal_store_acked(f->s, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(journal_store_get_pending(f->s, &got, &buf, &len), SSA_ERR_OK);
	assert_int_equal(got, id);
	free(buf);
	append_sales(f, 1);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 4);
	journal_store_free(f->s);
	f->s = NULL;
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	/* A journal written by a newer program is refused, not guessed at. */
	sql(f->path, "INSERT INTO schema_version VALUES (99)", SQLITE_OK);
	{
		char why[512] = "";
		assert_int_equal(journal_sqlite_open(f->path, &f->s, why, sizeof(why)),
				 SSA_ERR_JOURNAL_SCHEMA);
		assert_non_null(strstr(why, "newer"));
		f->s = NULL;
	}
	sql(f->path, "DELETE FROM schema_version WHERE version = 99", SQLITE_OK);
	fx_open(f);
}

static int
one_int(const char *path, const char *query)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Two connections append in turn (the till and ssa-admin's closings): each chains on the
 * other's records although it keeps the hash of its own last record; last_of_kind finds sales
 * and closings; a version 1 journal (kind index over every record) is migrated to the partial
 * index, rows kept. */
static void
test_sqlite_two_writers(void **state)
{
	struct fx *f = *state;
	struct ssa_journal_store *g = NULL;
	struct journal_chain c;
	struct journal_record r;
	uint64_t seq = 0;
	uint8_t h[32], h2[32];
	char why[512] = "";

	assert_int_equal(journal_sqlite_open(f->path, &g, why, sizeof(why)), SSA_ERR_OK);
	append_sales(f, 2);
	jf_sale(&r, 3000, 0);
	assert_int_equal(journal_store_append(g, &r, f->signer, 0, &seq, h), SSA_ERR_OK);
	assert_int_equal(seq, 3);
	journal_record_fini(&r);
	assert_int_equal(journal_store_last(f->s, &seq, h2), SSA_ERR_OK);
	assert_int_equal(seq, 3);
	assert_memory_equal(h, h2, 32);
	append_sales(f, 1);
	jf_sale(&r, 5000, 0);
	assert_int_equal(journal_store_append(g, &r, f->signer, 0, &seq, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	append_sales(f, 1);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 6);
	assert_int_equal(journal_store_verify(g, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 6);
	assert_int_equal(journal_store_last_of_kind(g, JOURNAL_SALE, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 6);
	journal_store_free(g);
	journal_store_free(f->s);
	f->s = NULL;
	assert_int_equal(one_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = "
					  "'journal_rare_kind'"),
			 1);

	/* back to version 1, as a till of the previous version left it */
	sql(f->path,
	    "DROP INDEX journal_rare_kind; CREATE INDEX journal_kind ON journal(kind, seq);"
	    "DELETE FROM schema_version WHERE version > 1",
	    SQLITE_OK);
	fx_open(f);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_SALE, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 6);
	assert_int_equal(journal_store_last_of_kind(f->s, JOURNAL_CLOSING_Z, &seq), SSA_ERR_OK);
	assert_int_equal(seq, 0);
	append_sales(f, 1);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 7);
	assert_int_equal(one_int(f->path, "SELECT max(version) FROM schema_version"), 2);
	assert_int_equal(one_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
					  "('journal_rare_kind', 'journal_kind')"),
			 1);
	assert_int_equal(one_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name = "
					  "'journal_rare_kind'"),
			 1);
}

#define DROP_TRIGGERS \
	"DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; " \
	"DROP TRIGGER journal_next_seq; "

/* Five sales, the attack @p attack_sql on the file, then verify: @p want at @p bad. */
static void
tamper(struct fx *f, const char *attack_sql, enum ssa_err want, uint64_t bad)
{
	struct journal_chain c;
	char *full;
	size_t n = strlen(DROP_TRIGGERS) + strlen(attack_sql) + 1;

	append_sales(f, 5);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), SSA_ERR_OK);
	journal_store_free(f->s);
	full = malloc(n);
	assert_non_null(full);
	snprintf(full, n, "%s%s", DROP_TRIGGERS, attack_sql);
	sql(f->path, full, SQLITE_OK);
	free(full);
	fx_open(f);
	assert_int_equal(journal_store_verify(f->s, f->pub, &c), want);
	assert_int_equal(c.bad_seq, bad);
	print_message("  %s at %llu: %s\n", ssa_errname(want), (unsigned long long)bad, c.why);
}

static void
test_tamper_edited(void **state)
{
	tamper(*state,
	       "UPDATE journal SET record = CAST(replace(CAST(record AS TEXT), '\"op\":\"op7\"', "
	       "'\"op\":\"op9\"') AS BLOB) WHERE seq = 3",
	       SSA_ERR_JOURNAL_SIGNATURE, 3);
}

static void
test_tamper_deleted(void **state)
{
	tamper(*state, "DELETE FROM journal WHERE seq = 3", SSA_ERR_JOURNAL_SEQ, 4);
}

static void
test_tamper_reordered(void **state)
{
	tamper(*state,
	       "UPDATE journal SET seq = 100 WHERE seq = 2; "
	       "UPDATE journal SET seq = 2 WHERE seq = 3; "
	       "UPDATE journal SET seq = 3 WHERE seq = 100;",
	       SSA_ERR_JOURNAL_ORDER, 2);
}

static void
test_tamper_truncated(void **state)
{
	struct fx *f = *state;

	/* The caisse acknowledged all five; the last one is deleted afterwards. */
	append_sales(f, 0);
	tamper(f, "INSERT INTO sync_ack VALUES (1, 5); DELETE FROM journal WHERE seq = 5",
	       SSA_ERR_JOURNAL_SEQ, 5);
}

static void
test_tamper_resigned(void **state)
{
	struct fx *f = *state;
	struct journal_signer *good = f->signer;
	char other[600], attack[1400];

	/* The attacker's journal: the same sales signed with another key. */
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	{
		struct fx g = *f;
		char why[256];
		assert_int_equal(journal_sqlite_open(other, &g.s, why, sizeof(why)), SSA_ERR_OK);
		g.signer = jf_signer(jf_priv_b);
		append_sales(&g, 5);
		journal_signer_free(g.signer);
		journal_store_free(g.s);
	}
	f->signer = good;
	snprintf(attack, sizeof(attack),
		 "ATTACH '%s' AS o; UPDATE journal SET record = "
		 "(SELECT record FROM o.journal WHERE seq = 3) WHERE seq = 3;",
		 other);
	tamper(f, attack, SSA_ERR_JOURNAL_KEY, 3);
}

/* --- key files -------------------------------------------------------------------------- */

static void
test_keyfile(void **state)
{
	struct fx *f = *state;
	char priv[600], pub[600], why[512];
	uint8_t k[32], p[32], p2[32];
	struct journal_signer *s;
	struct stat st;

	snprintf(priv, sizeof(priv), "%s/terminal.key", f->dir);
	snprintf(pub, sizeof(pub), "%s/terminal.pub", f->dir);
	assert_int_equal(keyfile_generate(priv, pub, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(stat(priv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_generate(priv, NULL, why, sizeof(why)), SSA_ERR_EXISTS);
	assert_int_equal(keyfile_load_private(priv, k, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_public(pub, p, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_public(priv, p2, why, sizeof(why)), SSA_ERR_OK);
	assert_memory_equal(p, p2, 32);
	s = jf_signer(k);
	journal_signer_public(s, p2, NULL);
	journal_signer_free(s);
	assert_memory_equal(p, p2, 32);
	assert_int_equal(chmod(priv, 0640), 0);
	assert_int_equal(keyfile_load_private(priv, k, why, sizeof(why)), SSA_ERR_KEY);
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(keyfile_load_private(pub, k, why, sizeof(why)), SSA_ERR_KEY);
	assert_int_equal(keyfile_load_public(f->path, p, why, sizeof(why)), SSA_ERR_KEY);
	snprintf(priv, sizeof(priv), "%s/missing.key", f->dir);
	assert_int_equal(keyfile_load_private(priv, k, why, sizeof(why)), SSA_ERR_IO);
	snprintf(pub, sizeof(pub), "%s/copy.pub", f->dir);
	assert_int_equal(keyfile_write_public(pub, p2, why, sizeof(why)), SSA_ERR_OK);
	assert_int_equal(keyfile_load_public(pub, p, why, sizeof(why)), SSA_ERR_OK);
	assert_memory_equal(p, p2, 32);
}

#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, setup_mem, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown)
#define SQL(t) cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_append_scan_verify),
		BOTH(test_verify_links),
		BOTH(test_pending),
		BOTH(test_ack),
		SQL(test_sqlite_reopen_triggers),
		SQL(test_sqlite_two_writers),
		SQL(test_tamper_edited),
		SQL(test_tamper_deleted),
		SQL(test_tamper_reordered),
		SQL(test_tamper_truncated),
		SQL(test_tamper_resigned),
		SQL(test_keyfile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
