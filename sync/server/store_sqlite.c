/* store_sqlite.c — the caisse's storage in one SQLite file (struct caisse_store).
 *
 * WAL and synchronous=FULL: a 2xx reply is sent only after the records are durable.  Journal
 * rows are append-only: triggers refuse UPDATE and DELETE.  Statements are prepared once.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/log.h"
#include "server.h"

#define STORE_SCHEMA_VERSION 1

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
	"CREATE TABLE IF NOT EXISTS hotlist (\n"
	"  version INTEGER PRIMARY KEY AUTOINCREMENT, card TEXT NOT NULL UNIQUE,\n"
	"  reason TEXT NOT NULL, time_ms INTEGER NOT NULL);\n"
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
	ST_CARD_GET,
	ST_CARD_PUT,
	ST_ANOMALY_PUT,
	ST_ANOMALY_SCAN,
	ST_HOT_ADD,
	ST_HOT_GET,
	ST_HOT_SINCE,
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
	[ST_SCAN_TIME] = "SELECT terminal, data FROM journal WHERE time_ms >= :from AND "
			 "time_ms < :to ORDER BY terminal, seq",
	[ST_CARD_GET] = "SELECT balance FROM card_ledger WHERE card = :card",
	[ST_CARD_PUT] = "INSERT INTO card_ledger (card, balance, terminal, seq, time_ms) "
			"VALUES (:card, :balance, :terminal, :seq, :time_ms) ON CONFLICT (card) DO "
			"UPDATE SET balance = excluded.balance, terminal = excluded.terminal, "
			"seq = excluded.seq, time_ms = excluded.time_ms",
	[ST_ANOMALY_PUT] = "INSERT INTO card_anomaly (card, terminal, seq, expected, found, time_ms) "
			   "VALUES (:card, :terminal, :seq, :expected, :found, :time_ms)",
	[ST_ANOMALY_SCAN] = "SELECT card, terminal, seq, expected, found, time_ms FROM card_anomaly "
			    "ORDER BY id",
	[ST_HOT_ADD] = "INSERT INTO hotlist (card, reason, time_ms) VALUES (:card, :reason, :time_ms) "
		       "ON CONFLICT (card) DO NOTHING",
	[ST_HOT_GET] = "SELECT version FROM hotlist WHERE card = :card",
	[ST_HOT_SINCE] = "SELECT card, version, reason FROM hotlist WHERE version > :since "
			 "ORDER BY version",
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
	    bind_blob(st, ":pub", pub, CAISSE_PUB_LEN) || bind_i64(st, ":now", caisse_now_ms()))
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
s_journal_scan_time(void *cls, int64_t from_ms, int64_t to_ms,
		    enum ssa_err (*fn)(void *ctx, const char *terminal, const char *data,
				       size_t len),
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
		err = fn(ctx, t, d, (size_t)sqlite3_column_bytes(st, 1));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_err(s, "scan by time");
	sqlite3_reset(st);
	return err;
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
	if (version == -1) {
		if (sqlite3_exec(s->db, "INSERT INTO schema_version VALUES (1)", NULL, NULL, NULL) !=
		    SQLITE_OK) {
			db_err(s, "schema version");
			goto out;
		}
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
				      .anomaly_put = s_anomaly_put,
				      .anomaly_scan = s_anomaly_scan,
				      .hotlist_add = s_hotlist_add,
				      .hotlist_since = s_hotlist_since,
				      .close = s_close };
	return SSA_ERR_OK;
out:
	s_close(s);
	return err;
}
