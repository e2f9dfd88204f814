/* caisse_sqlite.c — the caisse's storage in one SQLite file (ssa/caisse_store.h), shared by
 * ssa-caissed and ssa-admin.
 *
 * WAL and synchronous=FULL: a 2xx reply is sent only after the records are durable.  Journal
 * rows are append-only: triggers refuse UPDATE and DELETE.  Statements are prepared once.
 * Schema 1 had the journals, ledgers and the unsigned hot list; schema 2 adds what ssa-admin
 * manages and the signed documents the server hands out (the migration only adds tables).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/caisse_store.h"
#include "ssa/card.h"
#include "ssa/log.h"

#define STORE_SCHEMA_VERSION 2

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS terminal_key (\n"
	"  terminal TEXT NOT NULL, key_id BLOB NOT NULL, pub BLOB NOT NULL,\n"
	"  first_seen INTEGER NOT NULL, PRIMARY KEY (terminal, key_id));\n"
	"CREATE TABLE IF NOT EXISTS journal (\n"
	"  terminal TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, hash BLOB NOT NULL,\n"
	"  kind TEXT NOT NULL, time_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,\n"
	"  PRIMARY KEY (terminal, seq)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS card_ledger (\n"
	"  card TEXT PRIMARY KEY, balance INTEGER NOT NULL, terminal TEXT NOT NULL,\n"
	"  seq INTEGER NOT NULL, time_ms INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS card_anomaly (\n"
	"  id INTEGER PRIMARY KEY, card TEXT NOT NULL, terminal TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	"  expected INTEGER NOT NULL, found INTEGER NOT NULL, time_ms INTEGER NOT NULL);\n"
	/* the outlet a terminal was attached to when it pushed its records from first_seq on */
	"CREATE TABLE IF NOT EXISTS pushed_outlet (\n"
	"  terminal TEXT NOT NULL, first_seq INTEGER NOT NULL, outlet TEXT NOT NULL,\n"
	"  PRIMARY KEY (terminal, first_seq)) WITHOUT ROWID;\n"
	/* a card's records for its ledger, without a column the append-only rows never had */
	"CREATE INDEX IF NOT EXISTS journal_card ON journal (json_extract(data, '$.card'));\n"
	"CREATE TABLE IF NOT EXISTS hotlist (\n"
	"  version INTEGER PRIMARY KEY AUTOINCREMENT, card TEXT NOT NULL UNIQUE,\n"
	"  reason TEXT NOT NULL, time_ms INTEGER NOT NULL);\n"
	/* schema 2 */
	"CREATE TABLE IF NOT EXISTS household (\n"
	"  id TEXT PRIMARY KEY, holder TEXT, created_ms INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS member (\n"
	"  id TEXT PRIMARY KEY, household TEXT NOT NULL REFERENCES household (id),\n"
	"  birth INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE INDEX IF NOT EXISTS member_household ON member (household, birth, id);\n"
	"CREATE TABLE IF NOT EXISTS issued_card (\n"
	"  serial TEXT PRIMARY KEY, member TEXT NOT NULL REFERENCES member (id),\n"
	"  caisse TEXT NOT NULL, state TEXT NOT NULL, issued_ms INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS outlet (id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS terminal_outlet (\n"
	"  terminal TEXT PRIMARY KEY, outlet TEXT NOT NULL REFERENCES outlet (id)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS grant_batch (\n"
	"  period INTEGER NOT NULL, outlet TEXT NOT NULL, text TEXT NOT NULL,\n"
	"  grants INTEGER NOT NULL, total INTEGER NOT NULL, made_ms INTEGER NOT NULL,\n"
	"  PRIMARY KEY (period, outlet)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS grant_line (\n"
	"  id INTEGER PRIMARY KEY, period INTEGER NOT NULL, outlet TEXT NOT NULL,\n"
	"  target TEXT NOT NULL, holder TEXT NOT NULL, amount INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS conv_list (\n"
	"  caisse TEXT NOT NULL, version INTEGER NOT NULL, base INTEGER NOT NULL,\n"
	"  text TEXT NOT NULL, published_ms INTEGER NOT NULL,\n"
	"  PRIMARY KEY (caisse, version, base)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS hot_card (\n"
	"  serial TEXT PRIMARY KEY, since INTEGER NOT NULL, reason TEXT NOT NULL,\n"
	"  version INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS hotlist_doc (\n"
	"  version INTEGER PRIMARY KEY, text TEXT NOT NULL, made_ms INTEGER NOT NULL);\n"
	"CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal\n"
	"  BEGIN SELECT RAISE(ABORT, 'journal rows are append-only'); END;\n"
	"CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal\n"
	"  BEGIN SELECT RAISE(ABORT, 'journal rows are append-only'); END;\n";

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_KEY_PUT,
	ST_KEY_GET,
	ST_LAST,
	ST_COUNT,
	ST_GET,
	ST_PUT,
	ST_SCAN_TIME,
	ST_MARK_LAST,
	ST_MARK_PUT,
	ST_CARD_GET,
	ST_CARD_PUT,
	ST_ANOMALY_PUT,
	ST_ANOMALY_SCAN,
	ST_ANOMALY_CLEAR,
	ST_CARD_RECORDS,
	ST_HOT_ADD,
	ST_HOT_GET,
	ST_HOT_SINCE,
	ST_SCAN_CLOSINGS,
	ST_SCAN_CLOSINGS_ALL,
	ST_HH_PUT,
	ST_HH_HOLDER,
	ST_HH_HOLDER_FIRST,
	ST_HH_SCAN,
	ST_MEMBER_PUT,
	ST_MEMBER_SCAN,
	ST_MEMBER_SCAN_ALL,
	ST_ICARD_PUT,
	ST_ICARD_STATE,
	ST_ICARD_SCAN,
	ST_ICARD_SCAN_ALL,
	ST_OUTLET_PUT,
	ST_OUTLET_SCAN,
	ST_TERM_ATTACH,
	ST_TERM_OUTLET,
	ST_TERM_SCAN,
	ST_GRANT_NEXT,
	ST_BATCH_PUT,
	ST_GRANT_LINE_PUT,
	ST_BATCH_GET,
	ST_BATCH_SCAN,
	ST_LIST_PUT,
	ST_LIST_LATEST,
	ST_LIST_GET,
	ST_LIST_SCAN,
	ST_HOTC_PUT,
	ST_HOTC_DEL,
	ST_HOTC_SCAN,
	ST_HOTDOC_PUT,
	ST_HOTDOC_LATEST,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_KEY_PUT] = "INSERT INTO terminal_key (terminal, key_id, pub, first_seen) "
		       "VALUES (:terminal, :key_id, :pub, :now) ON CONFLICT DO NOTHING",
	[ST_KEY_GET] = "SELECT pub FROM terminal_key WHERE terminal = :terminal AND key_id = :key_id",
	[ST_LAST] = "SELECT seq, hash FROM journal WHERE terminal = :terminal "
		    "ORDER BY seq DESC LIMIT 1",
	[ST_COUNT] = "SELECT count(*) FROM journal WHERE terminal = :terminal",
	[ST_GET] = "SELECT data FROM journal WHERE terminal = :terminal AND seq = :seq",
	[ST_PUT] = "INSERT INTO journal (terminal, seq, data, hash, kind, time_ms, received_ms) "
		   "VALUES (:terminal, :seq, :data, :hash, :kind, :time_ms, :received_ms)",
	[ST_SCAN_TIME] = "SELECT j.terminal, j.data, (SELECT g.outlet FROM pushed_outlet g "
			 "WHERE g.terminal = j.terminal AND g.first_seq <= j.seq ORDER BY "
			 "g.first_seq DESC LIMIT 1) FROM journal j WHERE j.time_ms >= :from AND "
			 "j.time_ms < :to ORDER BY j.terminal, j.seq",
	[ST_MARK_LAST] = "SELECT outlet FROM pushed_outlet WHERE terminal = :terminal "
			 "ORDER BY first_seq DESC LIMIT 1",
	[ST_MARK_PUT] = "INSERT OR REPLACE INTO pushed_outlet (terminal, first_seq, outlet) "
			"VALUES (:terminal, :first_seq, :outlet)",
	[ST_CARD_GET] = "SELECT balance FROM card_ledger WHERE card = :card",
	[ST_CARD_PUT] = "INSERT INTO card_ledger (card, balance, terminal, seq, time_ms) "
			"VALUES (:card, :balance, :terminal, :seq, :time_ms) ON CONFLICT (card) DO "
			"UPDATE SET balance = excluded.balance, terminal = excluded.terminal, "
			"seq = excluded.seq, time_ms = excluded.time_ms",
	[ST_ANOMALY_PUT] = "INSERT INTO card_anomaly (card, terminal, seq, expected, found, time_ms) "
			   "VALUES (:card, :terminal, :seq, :expected, :found, :time_ms)",
	[ST_ANOMALY_SCAN] = "SELECT card, terminal, seq, expected, found, time_ms FROM card_anomaly "
			    "ORDER BY id",
	[ST_ANOMALY_CLEAR] = "DELETE FROM card_anomaly WHERE card = :card",
	/* the same expression as index journal_card, so that the index is used */
	[ST_CARD_RECORDS] = "SELECT terminal, data FROM journal WHERE json_extract(data, '$.card') "
			    "= :card AND kind IN ('SALE', 'VOID', 'REFUND', 'RELOAD') "
			    "ORDER BY terminal, seq",
	[ST_HOT_ADD] = "INSERT INTO hotlist (card, reason, time_ms) VALUES (:card, :reason, :time_ms) "
		       "ON CONFLICT (card) DO NOTHING",
	[ST_HOT_GET] = "SELECT version FROM hotlist WHERE card = :card",
	[ST_HOT_SINCE] = "SELECT card, version, reason FROM hotlist WHERE version > :since "
			 "ORDER BY version",
	[ST_SCAN_CLOSINGS] = "SELECT terminal, data FROM journal WHERE terminal = :terminal AND kind "
			     "IN ('CLOSING_Z', 'CLOSING_MONTH', 'CLOSING_YEAR') ORDER BY seq",
	[ST_SCAN_CLOSINGS_ALL] = "SELECT terminal, data FROM journal WHERE kind IN ('CLOSING_Z', "
				 "'CLOSING_MONTH', 'CLOSING_YEAR') ORDER BY terminal, seq",
	[ST_HH_PUT] = "INSERT INTO household (id, holder, created_ms) VALUES (:id, NULL, :now)",
	[ST_HH_HOLDER] = "UPDATE household SET holder = :member WHERE id = :id AND EXISTS "
			 "(SELECT 1 FROM member WHERE id = :member AND household = :id)",
	[ST_HH_HOLDER_FIRST] = "UPDATE household SET holder = :member WHERE id = :id AND "
			       "holder IS NULL",
	[ST_HH_SCAN] = "SELECT h.id, coalesce(h.holder, ''), (SELECT count(*) FROM member m "
		       "WHERE m.household = h.id) FROM household h ORDER BY h.id",
	[ST_MEMBER_PUT] = "INSERT INTO member (id, household, birth) VALUES (:id, :household, "
			  ":birth)",
	[ST_MEMBER_SCAN] = "SELECT id, household, birth FROM member WHERE household = :household "
			   "ORDER BY household, birth, id",
	[ST_MEMBER_SCAN_ALL] = "SELECT id, household, birth FROM member ORDER BY household, birth, id",
	[ST_ICARD_PUT] = "INSERT INTO issued_card (serial, member, caisse, state, issued_ms) "
			 "VALUES (:serial, :member, :caisse, :state, :now)",
	[ST_ICARD_STATE] = "UPDATE issued_card SET state = :state WHERE serial = :serial",
	[ST_ICARD_SCAN] = "SELECT serial, member, caisse, state FROM issued_card WHERE member = "
			  ":member ORDER BY serial",
	[ST_ICARD_SCAN_ALL] = "SELECT serial, member, caisse, state FROM issued_card ORDER BY serial",
	[ST_OUTLET_PUT] = "INSERT INTO outlet (id, name) VALUES (:id, :name)",
	[ST_OUTLET_SCAN] = "SELECT id, name FROM outlet ORDER BY id",
	[ST_TERM_ATTACH] = "INSERT INTO terminal_outlet (terminal, outlet) VALUES (:terminal, "
			   ":outlet) ON CONFLICT (terminal) DO UPDATE SET outlet = excluded.outlet",
	[ST_TERM_OUTLET] = "SELECT outlet FROM terminal_outlet WHERE terminal = :terminal",
	[ST_TERM_SCAN] = "SELECT terminal, outlet FROM terminal_outlet ORDER BY outlet, terminal",
	[ST_GRANT_NEXT] = "SELECT coalesce(max(id), 0) + 1 FROM grant_line",
	[ST_BATCH_PUT] = "INSERT INTO grant_batch (period, outlet, text, grants, total, made_ms) "
			 "VALUES (:period, :outlet, :text, :grants, :total, :made_ms)",
	[ST_GRANT_LINE_PUT] = "INSERT INTO grant_line (id, period, outlet, target, holder, amount) "
			      "VALUES (:id, :period, :outlet, :target, :holder, :amount)",
	[ST_BATCH_GET] = "SELECT text FROM grant_batch WHERE period = :period AND outlet = :outlet",
	[ST_BATCH_SCAN] = "SELECT period, outlet, grants, total, made_ms FROM grant_batch "
			  "ORDER BY period, outlet",
	[ST_LIST_PUT] = "INSERT INTO conv_list (caisse, version, base, text, published_ms) "
			"VALUES (:caisse, :version, :base, :text, :now)",
	[ST_LIST_LATEST] = "SELECT max(version) FROM conv_list WHERE caisse = :caisse AND base = 0",
	[ST_LIST_GET] = "SELECT text FROM conv_list WHERE caisse = :caisse AND version = :version "
			"AND base = :base",
	[ST_LIST_SCAN] = "SELECT caisse, version, base, length(text), published_ms FROM conv_list "
			 "ORDER BY caisse, version, base",
	[ST_HOTC_PUT] = "INSERT INTO hot_card (serial, since, reason, version) VALUES (:serial, "
			":since, :reason, :version)",
	[ST_HOTC_DEL] = "DELETE FROM hot_card WHERE serial = :serial",
	[ST_HOTC_SCAN] = "SELECT serial, since, reason, version FROM hot_card ORDER BY serial",
	[ST_HOTDOC_PUT] = "INSERT INTO hotlist_doc (version, text, made_ms) VALUES (:version, :text, "
			  ":made_ms)",
	[ST_HOTDOC_LATEST] = "SELECT version, text FROM hotlist_doc ORDER BY version DESC LIMIT 1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
};

static enum ssa_err
db_err(struct store *s, const char *what)
{
	log_err("database: %s: %s", what, sqlite3_errmsg(s->db));
	return SSA_ERR_DB;
}

/* Reset @p st and bind nothing yet; the caller binds by name. */
static sqlite3_stmt *
stmt(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static int
bind_text(sqlite3_stmt *st, const char *name, const char *v, int len)
{
	return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), v, len,
				 SQLITE_TRANSIENT);
}

static int
bind_blob(sqlite3_stmt *st, const char *name, const void *v, int len)
{
	return sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, name), v, len,
				 SQLITE_TRANSIENT);
}

static int
bind_i64(sqlite3_stmt *st, const char *name, int64_t v)
{
	return sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a statement that returns no rows. */
static enum ssa_err
exec_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(s, what);
	return SSA_ERR_OK;
}

static enum ssa_err
s_begin(void *cls)
{
	struct store *s = cls;

	return exec_done(s, stmt(s, ST_BEGIN), "begin");
}

static enum ssa_err
s_commit(void *cls)
{
	struct store *s = cls;

	return exec_done(s, stmt(s, ST_COMMIT), "commit");
}

static void
s_rollback(void *cls)
{
	struct store *s = cls;

	if (!sqlite3_get_autocommit(s->db))
		(void)exec_done(s, stmt(s, ST_ROLLBACK), "rollback");
}

static enum ssa_err
s_key_put(void *cls, const char *terminal, const uint8_t key_id[CAISSE_KEY_ID_LEN],
	  const uint8_t pub[CAISSE_PUB_LEN])
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_KEY_PUT);

	if (bind_text(st, ":terminal", terminal, -1) || bind_blob(st, ":key_id", key_id,
								   CAISSE_KEY_ID_LEN) ||
	    bind_blob(st, ":pub", pub, CAISSE_PUB_LEN) || bind_i64(st, ":now", now_ms()))
		return db_err(s, "bind key");
	return exec_done(s, st, "register key");
}

static enum ssa_err
s_key_get(void *cls, const char *terminal, const uint8_t key_id[CAISSE_KEY_ID_LEN],
	  uint8_t pub[CAISSE_PUB_LEN])
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_KEY_GET);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc;

	if (bind_text(st, ":terminal", terminal, -1) ||
	    bind_blob(st, ":key_id", key_id, CAISSE_KEY_ID_LEN))
		return db_err(s, "bind key");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CAISSE_PUB_LEN) {
		memcpy(pub, sqlite3_column_blob(st, 0), CAISSE_PUB_LEN);
		err = SSA_ERR_OK;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_err(s, "get key");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_journal_last(void *cls, const char *terminal, uint64_t *seq, uint8_t hash[CAISSE_HASH_LEN],
	       uint64_t *count)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_LAST);
	int rc;

	*seq = 0;
	*count = 0;
	memset(hash, 0, CAISSE_HASH_LEN);
	if (bind_text(st, ":terminal", terminal, -1))
		return db_err(s, "bind last");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == CAISSE_HASH_LEN)
			memcpy(hash, sqlite3_column_blob(st, 1), CAISSE_HASH_LEN);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return db_err(s, "last record");
	}
	sqlite3_reset(st);
	st = stmt(s, ST_COUNT);
	if (bind_text(st, ":terminal", terminal, -1))
		return db_err(s, "bind count");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(s, "count");
	}
	*count = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return SSA_ERR_OK;
}

static enum ssa_err
s_journal_get(void *cls, const char *terminal, uint64_t seq, char **data, size_t *len)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_GET);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc;

	*data = NULL;
	*len = 0;
	if (bind_text(st, ":terminal", terminal, -1) || bind_i64(st, ":seq", (int64_t)seq))
		return db_err(s, "bind get");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const unsigned char *t = sqlite3_column_text(st, 0);

		*data = malloc(n + 1);
		if (!*data || !t) {
			free(*data);
			*data = NULL;
			err = SSA_ERR_NOMEM;
		} else {
			memcpy(*data, t, n + 1);
			*len = n;
			err = SSA_ERR_OK;
		}
	} else if (rc != SQLITE_DONE)
		err = db_err(s, "get record");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_journal_put(void *cls, const char *terminal, uint64_t seq, const char *data, size_t len,
	      const uint8_t hash[CAISSE_HASH_LEN], const char *kind, int64_t time_ms,
	      int64_t received_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_PUT);

	if (bind_text(st, ":terminal", terminal, -1) || bind_i64(st, ":seq", (int64_t)seq) ||
	    bind_text(st, ":data", data, (int)len) || bind_blob(st, ":hash", hash, CAISSE_HASH_LEN) ||
	    bind_text(st, ":kind", kind, -1) || bind_i64(st, ":time_ms", time_ms) ||
	    bind_i64(st, ":received_ms", received_ms))
		return db_err(s, "bind put");
	return exec_done(s, st, "store record");
}

static enum ssa_err
s_card_get(void *cls, const char *card, int64_t *balance)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_CARD_GET);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc;

	if (bind_text(st, ":card", card, -1))
		return db_err(s, "bind card");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*balance = sqlite3_column_int64(st, 0);
		err = SSA_ERR_OK;
	} else if (rc != SQLITE_DONE)
		err = db_err(s, "card ledger");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_card_put(void *cls, const char *card, int64_t balance, const char *terminal, uint64_t seq,
	   int64_t time_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_CARD_PUT);

	if (bind_text(st, ":card", card, -1) || bind_i64(st, ":balance", balance) ||
	    bind_text(st, ":terminal", terminal, -1) || bind_i64(st, ":seq", (int64_t)seq) ||
	    bind_i64(st, ":time_ms", time_ms))
		return db_err(s, "bind card");
	return exec_done(s, st, "card ledger");
}

static enum ssa_err
s_anomaly_put(void *cls, const char *card, const char *terminal, uint64_t seq, int64_t expected,
	      int64_t found, int64_t time_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_ANOMALY_PUT);

	if (bind_text(st, ":card", card, -1) || bind_text(st, ":terminal", terminal, -1) ||
	    bind_i64(st, ":seq", (int64_t)seq) || bind_i64(st, ":expected", expected) ||
	    bind_i64(st, ":found", found) || bind_i64(st, ":time_ms", time_ms))
		return db_err(s, "bind anomaly");
	return exec_done(s, st, "card anomaly");
}

static enum ssa_err
s_anomaly_scan(void *cls,
	       enum ssa_err (*fn)(void *ctx, const char *card, const char *terminal, uint64_t seq,
				  int64_t expected, int64_t found, int64_t time_ms),
	       void *ctx)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_ANOMALY_SCAN);
	enum ssa_err err = SSA_ERR_OK;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = fn(ctx, (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1),
			 (uint64_t)sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
			 sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, "anomalies");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_anomaly_clear(void *cls, const char *card)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_ANOMALY_CLEAR);

	if (bind_text(st, ":card", card, -1))
		return db_err(s, "bind anomaly");
	return exec_done(s, st, "clear card anomalies");
}

static enum ssa_err
s_card_records(void *cls, const char *card,
	       enum ssa_err (*fn)(void *ctx, const char *terminal, const char *data, size_t len),
	       void *ctx)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_CARD_RECORDS);
	enum ssa_err err = SSA_ERR_OK;
	int rc;

	if (bind_text(st, ":card", card, -1))
		return db_err(s, "bind card");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);

		if (!t || !d) {
			err = SSA_ERR_NOMEM;
			break;
		}
		err = fn(ctx, t, d, (size_t)sqlite3_column_bytes(st, 1));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, "card records");
	sqlite3_reset(st);
	return err;
}

/* The version of hot-listed @p card: SSA_ERR_OK, SSA_ERR_NOT_FOUND or SSA_ERR_DB. */
static enum ssa_err
hot_get(struct store *s, const char *card, uint64_t *version)
{
	sqlite3_stmt *st = stmt(s, ST_HOT_GET);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc;

	if (bind_text(st, ":card", card, -1))
		return db_err(s, "bind hot list");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		err = SSA_ERR_OK;
	} else if (rc != SQLITE_DONE)
		err = db_err(s, "hot list");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_hotlist_add(void *cls, const char *card, const char *reason, int64_t time_ms, uint64_t *version)
{
	struct store *s = cls;
	sqlite3_stmt *st;
	enum ssa_err err;

	/* look first: a refused INSERT would still use up a version number */
	err = hot_get(s, card, version);
	if (err != SSA_ERR_NOT_FOUND)
		return err ? err : SSA_ERR_EXISTS;
	st = stmt(s, ST_HOT_ADD);
	if (bind_text(st, ":card", card, -1) || bind_text(st, ":reason", reason, -1) ||
	    bind_i64(st, ":time_ms", time_ms))
		return db_err(s, "bind hot list");
	if ((err = exec_done(s, st, "hot list")))
		return err;
	return hot_get(s, card, version);
}

static enum ssa_err
s_hotlist_since(void *cls, uint64_t since, struct protocol_hotlist *out)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HOT_SINCE);
	enum ssa_err err = SSA_ERR_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (bind_i64(st, ":since", (int64_t)since))
		return db_err(s, "bind hot list");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = protocol_hotlist_add(out, (const char *)sqlite3_column_text(st, 0),
					   (uint64_t)sqlite3_column_int64(st, 1),
					   (const char *)sqlite3_column_text(st, 2));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, "hot list");
	sqlite3_reset(st);
	if (err)
		protocol_hotlist_fini(out);
	else if (out->version < since)
		out->version = since;
	return err;
}

static enum ssa_err
s_outlet_mark(void *cls, const char *terminal, uint64_t first_seq, const char *outlet)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_MARK_LAST);
	int rc, same = 0;

	if (bind_text(st, ":terminal", terminal, -1))
		return db_err(s, "bind mark");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);
		same = o && strcmp(o, outlet) == 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(s, "last outlet mark");
	if (same)
		return SSA_ERR_OK;
	st = stmt(s, ST_MARK_PUT);
	if (bind_text(st, ":terminal", terminal, -1) ||
	    bind_i64(st, ":first_seq", (int64_t)first_seq) || bind_text(st, ":outlet", outlet, -1))
		return db_err(s, "bind mark");
	return exec_done(s, st, "outlet mark");
}

static enum ssa_err
s_journal_scan_time(void *cls, int64_t from_ms, int64_t to_ms,
		    enum ssa_err (*fn)(void *ctx, const char *terminal, const char *outlet,
				       const char *data, size_t len),
		    void *ctx)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_SCAN_TIME);
	enum ssa_err err = SSA_ERR_OK;
	int rc;

	if (bind_i64(st, ":from", from_ms) || bind_i64(st, ":to", to_ms))
		return db_err(s, "bind scan");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);

		if (!t || !d) {
			err = SSA_ERR_NOMEM;
			break;
		}
		err = fn(ctx, t, (const char *)sqlite3_column_text(st, 2), d,
			 (size_t)sqlite3_column_bytes(st, 1));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, "scan by time");
	sqlite3_reset(st);
	return err;
}

/* --- what ssa-admin manages ------------------------------------------------------------------ */

/* An INSERT: SSA_ERR_EXISTS for a key taken, SSA_ERR_NOT_FOUND for a reference to nothing
 * (foreign key), no log for either: the caller says it in the words of its command. */
static enum ssa_err
exec_insert(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), x = sqlite3_extended_errcode(s->db);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SSA_ERR_OK;
	if (x == SQLITE_CONSTRAINT_PRIMARYKEY || x == SQLITE_CONSTRAINT_UNIQUE)
		return SSA_ERR_EXISTS;
	if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
		return SSA_ERR_NOT_FOUND;
	return db_err(s, what);
}

/* An UPDATE or DELETE that must touch a row: SSA_ERR_NOT_FOUND when it touched none. */
static enum ssa_err
exec_change(struct store *s, sqlite3_stmt *st, const char *what)
{
	enum ssa_err err = exec_done(s, st, what);

	if (err == SSA_ERR_OK && sqlite3_changes(s->db) == 0)
		return SSA_ERR_NOT_FOUND;
	return err;
}

/* Column @p col as text, copied into @p buf (size @p size, truncated). */
static void
col_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

/* Column @p col into a malloc'd NUL-terminated @p *text. */
static enum ssa_err
col_dup(sqlite3_stmt *st, int col, char **text, size_t *len)
{
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	const unsigned char *t = sqlite3_column_text(st, col);

	if (!t || !(*text = malloc(n + 1)))
		return SSA_ERR_NOMEM;
	memcpy(*text, t, n + 1);
	if (len)
		*len = n;
	return SSA_ERR_OK;
}

/* Step @p st to its end, calling @p row for each row; a non-OK return stops. */
static enum ssa_err
scan_rows(struct store *s, sqlite3_stmt *st, enum ssa_err (*row)(sqlite3_stmt *st, void *a),
	  void *a, const char *what)
{
	enum ssa_err err = SSA_ERR_OK;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = row(st, a)))
			break;
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, what);
	sqlite3_reset(st);
	return err;
}

/* One text column of at most one row into @p *text; SSA_ERR_NOT_FOUND when no row. */
static enum ssa_err
get_text(struct store *s, sqlite3_stmt *st, int col, char **text, size_t *len, const char *what)
{
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc = sqlite3_step(st);

	*text = NULL;
	if (rc == SQLITE_ROW)
		err = col_dup(st, col, text, len);
	else if (rc != SQLITE_DONE)
		err = db_err(s, what);
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_household_put(void *cls, const char *id)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HH_PUT);

	if (bind_text(st, ":id", id, -1) || bind_i64(st, ":now", now_ms()))
		return db_err(s, "bind household");
	return exec_insert(s, st, "household");
}

static enum ssa_err
s_household_set_holder(void *cls, const char *id, const char *member)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HH_HOLDER);

	if (bind_text(st, ":id", id, -1) || bind_text(st, ":member", member, -1))
		return db_err(s, "bind household");
	return exec_change(s, st, "household holder");
}

struct scan_fn {
	void *fn;
	void *ctx;
};

static enum ssa_err
household_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	struct caisse_household h = { 0 };
	enum ssa_err (*fn)(void *, const struct caisse_household *) = f->fn;

	col_copy(st, 0, h.id, sizeof(h.id));
	col_copy(st, 1, h.holder, sizeof(h.holder));
	h.members = (unsigned)sqlite3_column_int64(st, 2);
	return fn(f->ctx, &h);
}

static enum ssa_err
s_household_scan(void *cls, enum ssa_err (*fn)(void *ctx, const struct caisse_household *h),
		 void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };

	return scan_rows(s, stmt(s, ST_HH_SCAN), household_row, &f, "households");
}

static enum ssa_err
s_member_put(void *cls, const struct caisse_member *m)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_MEMBER_PUT);
	enum ssa_err err;

	if (bind_text(st, ":id", m->id, -1) || bind_text(st, ":household", m->household, -1) ||
	    bind_i64(st, ":birth", m->birth))
		return db_err(s, "bind member");
	if ((err = exec_insert(s, st, "member")))
		return err;
	st = stmt(s, ST_HH_HOLDER_FIRST);
	if (bind_text(st, ":id", m->household, -1) || bind_text(st, ":member", m->id, -1))
		return db_err(s, "bind household");
	return exec_done(s, st, "household holder");
}

static enum ssa_err
member_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	struct caisse_member m = { 0 };
	enum ssa_err (*fn)(void *, const struct caisse_member *) = f->fn;

	col_copy(st, 0, m.id, sizeof(m.id));
	col_copy(st, 1, m.household, sizeof(m.household));
	m.birth = (int32_t)sqlite3_column_int64(st, 2);
	return fn(f->ctx, &m);
}

static enum ssa_err
s_member_scan(void *cls, const char *household,
	      enum ssa_err (*fn)(void *ctx, const struct caisse_member *m), void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };
	sqlite3_stmt *st = stmt(s, household ? ST_MEMBER_SCAN : ST_MEMBER_SCAN_ALL);

	if (household && bind_text(st, ":household", household, -1))
		return db_err(s, "bind members");
	return scan_rows(s, st, member_row, &f, "members");
}

static enum ssa_err
s_issued_card_put(void *cls, const struct caisse_card *c)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_ICARD_PUT);

	if (bind_text(st, ":serial", c->serial, -1) || bind_text(st, ":member", c->member, -1) ||
	    bind_text(st, ":caisse", c->caisse, -1) || bind_text(st, ":state", c->state, -1) ||
	    bind_i64(st, ":now", now_ms()))
		return db_err(s, "bind card");
	return exec_insert(s, st, "card");
}

static enum ssa_err
s_issued_card_state(void *cls, const char *serial, const char *state)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_ICARD_STATE);

	if (bind_text(st, ":serial", serial, -1) || bind_text(st, ":state", state, -1))
		return db_err(s, "bind card");
	return exec_change(s, st, "card state");
}

static enum ssa_err
icard_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	struct caisse_card c = { 0 };
	enum ssa_err (*fn)(void *, const struct caisse_card *) = f->fn;

	col_copy(st, 0, c.serial, sizeof(c.serial));
	col_copy(st, 1, c.member, sizeof(c.member));
	col_copy(st, 2, c.caisse, sizeof(c.caisse));
	col_copy(st, 3, c.state, sizeof(c.state));
	return fn(f->ctx, &c);
}

static enum ssa_err
s_issued_card_scan(void *cls, const char *member,
		   enum ssa_err (*fn)(void *ctx, const struct caisse_card *c), void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };
	sqlite3_stmt *st = stmt(s, member ? ST_ICARD_SCAN : ST_ICARD_SCAN_ALL);

	if (member && bind_text(st, ":member", member, -1))
		return db_err(s, "bind cards");
	return scan_rows(s, st, icard_row, &f, "cards");
}

static enum ssa_err
s_outlet_put(void *cls, const char *id, const char *name)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_OUTLET_PUT);

	if (bind_text(st, ":id", id, -1) || bind_text(st, ":name", name, -1))
		return db_err(s, "bind outlet");
	return exec_insert(s, st, "outlet");
}

static enum ssa_err
two_text_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	enum ssa_err (*fn)(void *, const char *, const char *) = f->fn;
	const char *x = (const char *)sqlite3_column_text(st, 0);
	const char *y = (const char *)sqlite3_column_text(st, 1);

	if (!x || !y)
		return SSA_ERR_NOMEM;
	return fn(f->ctx, x, y);
}

static enum ssa_err
s_outlet_scan(void *cls, enum ssa_err (*fn)(void *ctx, const char *id, const char *name),
	      void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };

	return scan_rows(s, stmt(s, ST_OUTLET_SCAN), two_text_row, &f, "outlets");
}

static enum ssa_err
s_terminal_attach(void *cls, const char *terminal, const char *outlet)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_TERM_ATTACH);

	if (bind_text(st, ":terminal", terminal, -1) || bind_text(st, ":outlet", outlet, -1))
		return db_err(s, "bind terminal");
	return exec_insert(s, st, "terminal's outlet");
}

static enum ssa_err
s_terminal_outlet(void *cls, const char *terminal, char outlet[PROTOCOL_ID_MAX + 1])
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_TERM_OUTLET);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc;

	if (bind_text(st, ":terminal", terminal, -1))
		return db_err(s, "bind terminal");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, outlet, PROTOCOL_ID_MAX + 1);
		err = SSA_ERR_OK;
	} else if (rc != SQLITE_DONE) {
		err = db_err(s, "terminal's outlet");
	}
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_terminal_scan(void *cls, enum ssa_err (*fn)(void *ctx, const char *terminal, const char *outlet),
		void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };

	return scan_rows(s, stmt(s, ST_TERM_SCAN), two_text_row, &f, "terminals");
}

/* (terminal, data) rows to a journal_scan_time-like callback. */
static enum ssa_err
record_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	enum ssa_err (*fn)(void *, const char *, const char *, size_t) = f->fn;
	const char *t = (const char *)sqlite3_column_text(st, 0);
	const char *d = (const char *)sqlite3_column_text(st, 1);

	if (!t || !d)
		return SSA_ERR_NOMEM;
	return fn(f->ctx, t, d, (size_t)sqlite3_column_bytes(st, 1));
}

/* --- signed documents ------------------------------------------------------------------------ */

static enum ssa_err
s_grant_next_id(void *cls, uint64_t *id)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_GRANT_NEXT);
	enum ssa_err err = SSA_ERR_OK;

	if (sqlite3_step(st) == SQLITE_ROW)
		*id = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = db_err(s, "next grant id");
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_grant_batch_put(void *cls, const struct grant_batch *b, const char *text, size_t len,
		  int64_t made_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_BATCH_PUT);
	int64_t total = 0;
	enum ssa_err err;

	for (size_t i = 0; i < b->n; i++)
		total += b->grants[i].amount; /* each <= CARD_BALANCE_MAX, n <= GRANT_MAX_GRANTS */
	if (bind_i64(st, ":period", b->period) || bind_text(st, ":outlet", b->outlet, -1) ||
	    bind_text(st, ":text", text, (int)len) || bind_i64(st, ":grants", (int64_t)b->n) ||
	    bind_i64(st, ":total", total) || bind_i64(st, ":made_ms", made_ms))
		return db_err(s, "bind batch");
	if ((err = exec_insert(s, st, "grant batch")))
		return err;
	for (size_t i = 0; i < b->n; i++) {
		const struct grant *g = &b->grants[i];
		char holder[CAISSE_HEX_ID_LEN + 1];

		card_id_format(g->holder, holder, sizeof(holder));
		st = stmt(s, ST_GRANT_LINE_PUT);
		if (bind_i64(st, ":id", (int64_t)g->id) || bind_i64(st, ":period", b->period) ||
		    bind_text(st, ":outlet", b->outlet, -1) ||
		    bind_text(st, ":target", g->target == GRANT_CARD ? "card" : "member", -1) ||
		    bind_text(st, ":holder", holder, -1) || bind_i64(st, ":amount", g->amount))
			return db_err(s, "bind grant");
		if ((err = exec_insert(s, st, "grant")))
			return err;
	}
	return SSA_ERR_OK;
}

static enum ssa_err
s_grant_batch_get(void *cls, int32_t period, const char *outlet, char **text, size_t *len)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_BATCH_GET);

	if (bind_i64(st, ":period", period) || bind_text(st, ":outlet", outlet, -1))
		return db_err(s, "bind batch");
	return get_text(s, st, 0, text, len, "grant batch");
}

static enum ssa_err
batch_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	enum ssa_err (*fn)(void *, int32_t, const char *, size_t, int64_t, int64_t) = f->fn;
	const char *outlet = (const char *)sqlite3_column_text(st, 1);

	if (!outlet)
		return SSA_ERR_NOMEM;
	return fn(f->ctx, (int32_t)sqlite3_column_int64(st, 0), outlet,
		  (size_t)sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		  sqlite3_column_int64(st, 4));
}

static enum ssa_err
s_grant_batch_scan(void *cls,
		   enum ssa_err (*fn)(void *ctx, int32_t period, const char *outlet, size_t grants,
				      int64_t total, int64_t made_ms),
		   void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };

	return scan_rows(s, stmt(s, ST_BATCH_SCAN), batch_row, &f, "grant batches");
}

static enum ssa_err
s_list_put(void *cls, const char *caisse, uint32_t version, uint32_t base, const char *text,
	   size_t len, int64_t published_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_LIST_PUT);

	if (bind_text(st, ":caisse", caisse, -1) || bind_i64(st, ":version", version) ||
	    bind_i64(st, ":base", base) || bind_text(st, ":text", text, (int)len) ||
	    bind_i64(st, ":now", published_ms))
		return db_err(s, "bind list");
	return exec_insert(s, st, "list");
}

static enum ssa_err
s_list_latest(void *cls, const char *caisse, uint32_t *version)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_LIST_LATEST);
	enum ssa_err err = SSA_ERR_NOT_FOUND;

	if (bind_text(st, ":caisse", caisse, -1))
		return db_err(s, "bind list");
	if (sqlite3_step(st) != SQLITE_ROW)
		err = db_err(s, "latest list");
	else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*version = (uint32_t)sqlite3_column_int64(st, 0);
		err = SSA_ERR_OK;
	}
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_list_get(void *cls, const char *caisse, uint32_t version, uint32_t base, char **text,
	   size_t *len)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_LIST_GET);

	if (bind_text(st, ":caisse", caisse, -1) || bind_i64(st, ":version", version) ||
	    bind_i64(st, ":base", base))
		return db_err(s, "bind list");
	return get_text(s, st, 0, text, len, "list");
}

static enum ssa_err
list_row(sqlite3_stmt *st, void *a)
{
	struct scan_fn *f = a;
	enum ssa_err (*fn)(void *, const char *, uint32_t, uint32_t, size_t, int64_t) = f->fn;
	const char *caisse = (const char *)sqlite3_column_text(st, 0);

	if (!caisse)
		return SSA_ERR_NOMEM;
	return fn(f->ctx, caisse, (uint32_t)sqlite3_column_int64(st, 1),
		  (uint32_t)sqlite3_column_int64(st, 2), (size_t)sqlite3_column_int64(st, 3),
		  sqlite3_column_int64(st, 4));
}

static enum ssa_err
s_list_scan(void *cls,
	    enum ssa_err (*fn)(void *ctx, const char *caisse, uint32_t version, uint32_t base,
			       size_t len, int64_t published_ms),
	    void *ctx)
{
	struct store *s = cls;
	struct scan_fn f = { (void *)fn, ctx };

	return scan_rows(s, stmt(s, ST_LIST_SCAN), list_row, &f, "lists");
}

static enum ssa_err
s_hot_card_put(void *cls, const struct hotlist_entry *e)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HOTC_PUT);
	char serial[CAISSE_HEX_ID_LEN + 1];

	card_id_format(e->serial, serial, sizeof(serial));
	if (bind_text(st, ":serial", serial, -1) || bind_i64(st, ":since", e->since) ||
	    bind_text(st, ":reason", hotlist_reason_word(e->reason), -1) ||
	    bind_i64(st, ":version", e->version))
		return db_err(s, "bind hot card");
	return exec_insert(s, st, "hot card");
}

static enum ssa_err
s_hot_card_del(void *cls, uint64_t serial)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HOTC_DEL);
	char text[CAISSE_HEX_ID_LEN + 1];

	card_id_format(serial, text, sizeof(text));
	if (bind_text(st, ":serial", text, -1))
		return db_err(s, "bind hot card");
	return exec_change(s, st, "hot card");
}

static enum ssa_err
hot_row(sqlite3_stmt *st, void *a)
{
	struct hotlist *l = a;
	struct hotlist_entry e = { 0 };
	const char *serial = (const char *)sqlite3_column_text(st, 0);
	const char *reason = (const char *)sqlite3_column_text(st, 2);
	int r;

	if (!serial || !reason || card_id_parse(serial, &e.serial) != SSA_ERR_OK)
		return SSA_ERR_DB;
	for (r = 0; r < HOTLIST__REASON_COUNT; r++)
		if (strcmp(reason, hotlist_reason_word((enum hotlist_reason)r)) == 0)
			break;
	if (r == HOTLIST__REASON_COUNT)
		return SSA_ERR_DB;
	e.reason = (enum hotlist_reason)r;
	e.since = (int32_t)sqlite3_column_int64(st, 1);
	e.version = (uint32_t)sqlite3_column_int64(st, 3);
	return hotlist_add(l, &e);
}

static enum ssa_err
s_hot_cards(void *cls, const char *caisse, uint32_t version, struct hotlist **out)
{
	struct store *s = cls;
	struct hotlist *l = NULL;
	enum ssa_err err;

	if ((err = hotlist_new(caisse, version, 0, &l)))
		return err;
	if ((err = scan_rows(s, stmt(s, ST_HOTC_SCAN), hot_row, l, "hot cards"))) {
		if (err != SSA_ERR_DB)
			log_err("database: hot card entry unusable (%s)", ssa_strerror(err));
		hotlist_free(l);
		return err;
	}
	*out = l;
	return SSA_ERR_OK;
}

static enum ssa_err
s_hotlist_doc_put(void *cls, uint32_t version, const char *text, size_t len, int64_t made_ms)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HOTDOC_PUT);

	if (bind_i64(st, ":version", version) || bind_text(st, ":text", text, (int)len) ||
	    bind_i64(st, ":made_ms", made_ms))
		return db_err(s, "bind hot list");
	return exec_insert(s, st, "hot list");
}

static enum ssa_err
s_hotlist_doc_latest(void *cls, uint32_t *version, char **text, size_t *len)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, ST_HOTDOC_LATEST);
	enum ssa_err err = SSA_ERR_NOT_FOUND;
	int rc = sqlite3_step(st);

	if (text)
		*text = NULL;
	if (rc == SQLITE_ROW) {
		*version = (uint32_t)sqlite3_column_int64(st, 0);
		err = text ? col_dup(st, 1, text, len) : SSA_ERR_OK;
	} else if (rc != SQLITE_DONE) {
		err = db_err(s, "hot list");
	}
	sqlite3_reset(st);
	return err;
}

static enum ssa_err
s_journal_scan_closings(void *cls, const char *terminal,
			enum ssa_err (*fn)(void *ctx, const char *terminal, const char *data,
					   size_t len),
			void *ctx)
{
	struct store *s = cls;
	sqlite3_stmt *st = stmt(s, terminal ? ST_SCAN_CLOSINGS : ST_SCAN_CLOSINGS_ALL);
	struct scan_fn f = { (void *)fn, ctx };

	if (terminal && bind_text(st, ":terminal", terminal, -1))
		return db_err(s, "bind closings");
	return scan_rows(s, st, record_row, &f, "closings");
}

static void
s_close(void *cls)
{
	struct store *s = cls;

	if (!s)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

/* Create the schema or check its version. */
static enum ssa_err
migrate(struct store *s)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;
	int version = -1;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, "begin migration");
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		db_err(s, "create schema");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_err(s, "schema version");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	/* The schema script above created what a version-1 database lacks: only the number is
	 * left to move. */
	if (version == -1 || version == 1) {
		if (sqlite3_exec(s->db,
				 version == -1 ? "INSERT INTO schema_version VALUES (2)"
					       : "UPDATE schema_version SET version = 2",
				 NULL, NULL, NULL) != SQLITE_OK) {
			db_err(s, "schema version");
			goto out;
		}
		if (version == 1)
			log_info("database migrated from schema version 1 to 2");
	} else if (version != STORE_SCHEMA_VERSION) {
		log_err("database has schema version %d, this program knows %d",
			   version, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_err(s, "commit migration");
		goto out;
	}
	return SSA_ERR_OK;
out:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

enum ssa_err
caisse_store_sqlite_open(const char *path, struct caisse_store *out)
{
	struct store *s = calloc(1, sizeof(*s));
	enum ssa_err err = SSA_ERR_DB;

	memset(out, 0, sizeof(*out));
	if (!s)
		return SSA_ERR_NOMEM;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		log_err("cannot open database %s: %s", path,
			   s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		db_err(s, "pragmas");
		goto out;
	}
	if ((err = migrate(s)))
		goto out;
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK) {
			err = db_err(s, stmt_sql[i]);
			goto out;
		}
	*out = (struct caisse_store){ .cls = s,
				      .begin = s_begin,
				      .commit = s_commit,
				      .rollback = s_rollback,
				      .key_put = s_key_put,
				      .key_get = s_key_get,
				      .journal_last = s_journal_last,
				      .journal_get = s_journal_get,
				      .journal_put = s_journal_put,
				      .journal_scan_time = s_journal_scan_time,
				      .card_get = s_card_get,
				      .card_put = s_card_put,
				      .outlet_mark = s_outlet_mark,
				      .anomaly_put = s_anomaly_put,
				      .anomaly_scan = s_anomaly_scan,
				      .anomaly_clear = s_anomaly_clear,
				      .card_records = s_card_records,
				      .hotlist_add = s_hotlist_add,
				      .hotlist_since = s_hotlist_since,
				      .journal_scan_closings = s_journal_scan_closings,
				      .household_put = s_household_put,
				      .household_set_holder = s_household_set_holder,
				      .household_scan = s_household_scan,
				      .member_put = s_member_put,
				      .member_scan = s_member_scan,
				      .issued_card_put = s_issued_card_put,
				      .issued_card_state = s_issued_card_state,
				      .issued_card_scan = s_issued_card_scan,
				      .outlet_put = s_outlet_put,
				      .outlet_scan = s_outlet_scan,
				      .terminal_attach = s_terminal_attach,
				      .terminal_outlet = s_terminal_outlet,
				      .terminal_scan = s_terminal_scan,
				      .grant_next_id = s_grant_next_id,
				      .grant_batch_put = s_grant_batch_put,
				      .grant_batch_get = s_grant_batch_get,
				      .grant_batch_scan = s_grant_batch_scan,
				      .list_put = s_list_put,
				      .list_latest = s_list_latest,
				      .list_get = s_list_get,
				      .list_scan = s_list_scan,
				      .hot_card_put = s_hot_card_put,
				      .hot_card_del = s_hot_card_del,
				      .hot_cards = s_hot_cards,
				      .hotlist_doc_put = s_hotlist_doc_put,
				      .hotlist_doc_latest = s_hotlist_doc_latest,
				      .close = s_close };
	return SSA_ERR_OK;
out:
	s_close(s);
	return err;
}
