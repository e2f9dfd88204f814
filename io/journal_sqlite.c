/* journal_sqlite.c — the journal in its own SQLite file (the port of ssa/journal_store.h).
 *
 * WAL, synchronous=FULL: a COMMIT that returned is on disk.  One SQL transaction per record.
 * Journal rows are immutable (triggers refuse UPDATE and DELETE, and an INSERT that is not the
 * next sequence number); sync acknowledgements and pending card debits live in their own tables.
 * Statements are prepared once at open and reused, parameters bound by name.
 * Every durability-relevant point calls crash_step() (ssa/crash.h) for the crash tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ssa/crash.h"
#include "ssa/journal_store.h"
#include "ssa/log.h"

#define SCHEMA_VERSION 2
#define BUSY_WAIT_TRIES 5000 /* of 1 ms: see busy_wait() */

/* Migrations, applied in order; migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE journal ("
	"  seq INTEGER PRIMARY KEY," /* the rowid: records are read in this order */
	"  kind TEXT NOT NULL,"
	"  time_ms INTEGER NOT NULL,"
	"  hash BLOB NOT NULL," /* SHA-256 of record, for the sync daemon's batches */
	"  record BLOB NOT NULL" /* the canonical encoding, exactly as signed */
	");"
	"CREATE INDEX journal_kind ON journal(kind, seq);"
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'journal records are immutable'); END;"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'journal records are immutable'); END;"
	"CREATE TRIGGER journal_next_seq BEFORE INSERT ON journal"
	"  WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM journal)"
	"  BEGIN SELECT RAISE(ABORT, 'journal sequence must grow by one'); END;"
	"CREATE TABLE sync_ack (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);"
	"CREATE TABLE pending (id INTEGER PRIMARY KEY AUTOINCREMENT, intent BLOB NOT NULL);",
	/* 1 -> 2: sales (nearly every record) leave the kind index, so that appending one writes
	 * no index page; last_of_kind finds the last sale by reading the journal backwards from
	 * its end, where it is. */
	"DROP INDEX journal_kind;"
	"CREATE INDEX journal_rare_kind ON journal(kind, seq) WHERE kind <> 'SALE';",
};

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_LAST,
	ST_LAST_SEQ,
	ST_INSERT,
	ST_PENDING_FIND,
	ST_PENDING_DEL,
	ST_PENDING_PUT,
	ST_PENDING_FIRST,
	ST_GET,
	ST_SCAN,
	ST_LAST_KIND,
	ST_LAST_SALE,
	ST_ACK,
	ST_ACKED,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_LAST] = "SELECT seq, record FROM journal ORDER BY seq DESC LIMIT 1",
	[ST_LAST_SEQ] = "SELECT seq FROM journal ORDER BY seq DESC LIMIT 1",
	[ST_INSERT] = "INSERT INTO journal (seq, kind, time_ms, hash, record)"
		      " VALUES (:seq, :kind, :time_ms, :hash, :record)",
	[ST_PENDING_FIND] = "SELECT 1 FROM pending WHERE id = :id",
	[ST_PENDING_DEL] = "DELETE FROM pending WHERE id = :id",
	[ST_PENDING_PUT] = "INSERT INTO pending (intent) VALUES (:intent)",
	[ST_PENDING_FIRST] = "SELECT id, intent FROM pending ORDER BY id LIMIT 1",
	[ST_GET] = "SELECT record FROM journal WHERE seq = :seq",
	[ST_SCAN] = "SELECT seq, record FROM journal WHERE seq >= :from ORDER BY seq",
	/* the term kind <> 'SALE' lets SQLite use the partial index journal_rare_kind */
	[ST_LAST_KIND] = "SELECT MAX(seq) FROM journal WHERE kind = :kind AND kind <> 'SALE'",
	[ST_LAST_SALE] = "SELECT seq FROM journal WHERE kind = 'SALE' ORDER BY seq DESC LIMIT 1",
	[ST_ACK] = "INSERT INTO sync_ack (id, seq) VALUES (1, :seq)"
		   " ON CONFLICT (id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
	[ST_ACKED] = "SELECT seq FROM sync_ack WHERE id = 1",
};

struct jsql {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST__COUNT];
	/* The last record this connection committed: its seq and the hash of its bytes, so that
	 * the next append need not read it back and hash it again (see last_locked). */
	uint64_t mine_seq; /* 0: none */
	uint8_t mine_hash[JOURNAL_HASH_LEN];
};

/* Log SQLite's own message with the operation; the caller returns SSA_ERR_DB. */
static enum ssa_err
db_fail(struct jsql *j, const char *what)
{
	log_err("journal %s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
	return SSA_ERR_DB;
}

static sqlite3_stmt *
stmt(struct jsql *j, enum stmt s)
{
	sqlite3_reset(j->st[s]);
	sqlite3_clear_bindings(j->st[s]);
	return j->st[s];
}

static int
bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	return sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), v);
}

static int
bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n)
{
	return sqlite3_bind_blob64(st, sqlite3_bind_parameter_index(st, name), p, n,
				   SQLITE_STATIC);
}

static int
bind_text(sqlite3_stmt *st, const char *name, const char *s)
{
	return sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), s, -1, SQLITE_STATIC);
}

/* Run a statement without rows to completion. */
static enum ssa_err
run(struct jsql *j, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(j, what);
	return SSA_ERR_OK;
}

static void
rollback(struct jsql *j)
{
	if (!sqlite3_get_autocommit(j->db)) {
		int rc = sqlite3_step(stmt(j, ST_ROLLBACK));
		sqlite3_reset(j->st[ST_ROLLBACK]);
		if (rc != SQLITE_DONE)
			log_err("journal %s: rollback: %s", j->path, sqlite3_errmsg(j->db));
	}
}

/* The last record inside the current transaction: seq and the hash of its stored bytes.
 * The hash is recomputed from the record rather than read from the hash column.  When the last
 * record is still the one this connection committed last (records are never changed: the
 * triggers refuse it), the hash computed then is reused and the record is not read again;
 * when another writer (ssa-admin's closings) appended since, the last seq differs and the
 * record is read and hashed. */
static enum ssa_err
last_locked(struct jsql *j, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	sqlite3_stmt *st;
	enum ssa_err e = SSA_ERR_OK;
	int rc;

	*seq = 0;
	memset(hash, 0, JOURNAL_HASH_LEN);
	if (j->mine_seq != 0) {
		st = stmt(j, ST_LAST_SEQ);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 0) == j->mine_seq) {
			*seq = j->mine_seq;
			memcpy(hash, j->mine_hash, JOURNAL_HASH_LEN);
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			e = db_fail(j, "read the last record");
		}
		sqlite3_reset(st);
		if (e != SSA_ERR_OK || *seq != 0)
			return e;
	}
	st = stmt(j, ST_LAST);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		e = journal_hash(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
				 hash);
	} else if (rc != SQLITE_DONE) {
		e = db_fail(j, "read the last record");
	}
	sqlite3_reset(st);
	return e;
}

/* Any last record will do (j_append); j_append_after passes the one it expects. */
#define ANY_LAST UINT64_MAX

static enum ssa_err
append_tx(struct jsql *j, uint64_t expect_last, struct journal_record *r,
	  const struct journal_signer *signer, uint64_t pending_id, uint64_t *seq_out,
	  uint8_t hash_out[JOURNAL_HASH_LEN])
{
	uint64_t last;
	uint8_t prev[JOURNAL_HASH_LEN], hash[JOURNAL_HASH_LEN];
	char *enc = NULL;
	size_t len = 0;
	sqlite3_stmt *st;
	enum ssa_err e;
	int rc;

	crash_step("journal: before BEGIN");
	if ((e = run(j, stmt(j, ST_BEGIN), "begin")) != SSA_ERR_OK)
		return e;
	if (pending_id != 0) {
		st = stmt(j, ST_PENDING_FIND);
		bind_int(st, ":id", (int64_t)pending_id);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW) {
			e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_fail(j, "find pending");
			goto out;
		}
	}
	/* Order matters: seq and prev come from the last row read inside this IMMEDIATE
	 * transaction, so no other writer can slip a record in between. */
	if ((e = last_locked(j, &last, prev)) != SSA_ERR_OK)
		goto out;
	if (expect_last != ANY_LAST && last != expect_last) {
		e = SSA_ERR_JOURNAL_MOVED;
		goto out;
	}
	if ((e = journal_seal(r, last, prev, signer, &enc, &len, hash)) != SSA_ERR_OK)
		goto out;
	st = stmt(j, ST_INSERT);
	bind_int(st, ":seq", (int64_t)r->seq);
	bind_text(st, ":kind", journal_kind_name(r->kind));
	bind_int(st, ":time_ms", r->time_ms);
	bind_blob(st, ":hash", hash, sizeof(hash));
	bind_blob(st, ":record", enc, len);
	if ((e = run(j, st, "insert a record")) != SSA_ERR_OK)
		goto out;
	crash_step("journal: after INSERT");
	if (pending_id != 0) {
		st = stmt(j, ST_PENDING_DEL);
		bind_int(st, ":id", (int64_t)pending_id);
		if ((e = run(j, st, "clear pending")) != SSA_ERR_OK)
			goto out;
		crash_step("journal: after pending cleared");
	}
	crash_step("journal: before COMMIT");
	if ((e = run(j, stmt(j, ST_COMMIT), "commit")) != SSA_ERR_OK)
		goto out;
	crash_step("journal: after COMMIT");
	j->mine_seq = r->seq;
	memcpy(j->mine_hash, hash, JOURNAL_HASH_LEN);
	if (seq_out != NULL)
		*seq_out = r->seq;
	if (hash_out != NULL)
		memcpy(hash_out, hash, JOURNAL_HASH_LEN);
out:
	if (e != SSA_ERR_OK)
		rollback(j);
	free(enc);
	return e;
}

static enum ssa_err
j_append(void *cls, struct journal_record *r, const struct journal_signer *signer,
	 uint64_t pending_id, uint64_t *seq_out, uint8_t hash_out[JOURNAL_HASH_LEN])
{
	return append_tx(cls, ANY_LAST, r, signer, pending_id, seq_out, hash_out);
}

static enum ssa_err
j_append_after(void *cls, uint64_t last_seq, struct journal_record *r,
	       const struct journal_signer *signer, uint64_t *seq_out,
	       uint8_t hash_out[JOURNAL_HASH_LEN])
{
	if (last_seq == ANY_LAST)
		return SSA_ERR_INVAL;
	return append_tx(cls, last_seq, r, signer, 0, seq_out, hash_out);
}

static enum ssa_err
j_last(void *cls, uint64_t *seq, uint8_t hash[JOURNAL_HASH_LEN])
{
	uint8_t h[JOURNAL_HASH_LEN];

	return last_locked(cls, seq, hash != NULL ? hash : h);
}

static enum ssa_err
j_get(void *cls, uint64_t seq, char **buf, size_t *len)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, ST_GET);
	enum ssa_err e = SSA_ERR_OK;
	int rc;

	bind_int(st, ":seq", (int64_t)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *p = malloc(n + 1);
		if (p == NULL) {
			e = SSA_ERR_NOMEM;
		} else {
			if (n > 0)
				memcpy(p, sqlite3_column_blob(st, 0), n);
			p[n] = '\0';
			*buf = p;
			*len = n;
		}
	} else {
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_fail(j, "read a record");
	}
	sqlite3_reset(st);
	return e;
}

static enum ssa_err
j_scan(void *cls, uint64_t from_seq, journal_scan_fn *fn, void *ctx)
{
	struct jsql *j = cls;
	sqlite3_stmt *st;
	enum ssa_err e = SSA_ERR_OK;
	int rc;

	/* A statement of its own: fn may call back into the store (get, last_of_kind). */
	if (sqlite3_prepare_v2(j->db, stmt_sql[ST_SCAN], -1, &st, NULL) != SQLITE_OK)
		return db_fail(j, "prepare scan");
	bind_int(st, ":from", (int64_t)from_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		       (size_t)sqlite3_column_bytes(st, 1));
		if (e != SSA_ERR_OK)
			break;
	}
	if (e == SSA_ERR_OK && rc != SQLITE_DONE)
		e = db_fail(j, "scan");
	sqlite3_finalize(st);
	return e;
}

static enum ssa_err
j_last_of_kind(void *cls, enum journal_kind kind, uint64_t *seq)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, kind == JOURNAL_SALE ? ST_LAST_SALE : ST_LAST_KIND);
	enum ssa_err e = SSA_ERR_OK;
	int rc;

	if (kind != JOURNAL_SALE)
		bind_text(st, ":kind", journal_kind_name(kind));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0); /* NULL reads as 0 */
	else if (rc == SQLITE_DONE)
		*seq = 0; /* no sale yet */
	else
		e = db_fail(j, "find the last record of a kind");
	sqlite3_reset(st);
	return e;
}

static enum ssa_err
j_put_pending(void *cls, const void *buf, size_t len, uint64_t *id)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, ST_PENDING_PUT);
	enum ssa_err e;

	crash_step("pending: before put");
	bind_blob(st, ":intent", buf, len);
	if ((e = run(j, st, "put pending")) != SSA_ERR_OK)
		return e;
	crash_step("pending: after put");
	if (id != NULL)
		*id = (uint64_t)sqlite3_last_insert_rowid(j->db);
	return SSA_ERR_OK;
}

static enum ssa_err
j_get_pending(void *cls, uint64_t *id, void **buf, size_t *len)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, ST_PENDING_FIRST);
	enum ssa_err e = SSA_ERR_OK;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		char *p = malloc(n + 1);
		if (p == NULL) {
			e = SSA_ERR_NOMEM;
		} else {
			if (n > 0)
				memcpy(p, sqlite3_column_blob(st, 1), n);
			p[n] = '\0';
			*id = (uint64_t)sqlite3_column_int64(st, 0);
			*buf = p;
			*len = n;
		}
	} else {
		e = rc == SQLITE_DONE ? SSA_ERR_NOT_FOUND : db_fail(j, "read pending");
	}
	sqlite3_reset(st);
	return e;
}

static enum ssa_err
j_drop_pending(void *cls, uint64_t id)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, ST_PENDING_DEL);
	enum ssa_err e;

	crash_step("pending: before drop");
	bind_int(st, ":id", (int64_t)id);
	if ((e = run(j, st, "drop pending")) != SSA_ERR_OK)
		return e;
	if (sqlite3_changes(j->db) == 0)
		return SSA_ERR_NOT_FOUND;
	crash_step("pending: after drop");
	return SSA_ERR_OK;
}

static enum ssa_err
j_ack(void *cls, uint64_t seq)
{
	struct jsql *j = cls;
	uint64_t last;
	uint8_t h[JOURNAL_HASH_LEN];
	sqlite3_stmt *st;
	enum ssa_err e;

	if ((e = last_locked(j, &last, h)) != SSA_ERR_OK)
		return e;
	if (seq > last)
		return SSA_ERR_INVAL;
	crash_step("ack: before");
	st = stmt(j, ST_ACK);
	bind_int(st, ":seq", (int64_t)seq);
	if ((e = run(j, st, "acknowledge")) != SSA_ERR_OK)
		return e;
	crash_step("ack: after");
	return SSA_ERR_OK;
}

static enum ssa_err
j_acked(void *cls, uint64_t *seq)
{
	struct jsql *j = cls;
	sqlite3_stmt *st = stmt(j, ST_ACKED);
	enum ssa_err e = SSA_ERR_OK;
	int rc = sqlite3_step(st);

	*seq = 0;
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		e = db_fail(j, "read acknowledgements");
	sqlite3_reset(st);
	return e;
}

static void
j_close(void *cls)
{
	struct jsql *j = cls;

	if (j == NULL)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(j->st[i]);
	if (j->db != NULL && sqlite3_close(j->db) != SQLITE_OK)
		log_err("journal %s: close: %s", j->path, sqlite3_errmsg(j->db));
	free(j->path);
	free(j);
}

static enum ssa_err
fail(char *why, size_t size, enum ssa_err e, const char *path, const char *what,
     const char *detail)
{
	if (why != NULL && size > 0)
		snprintf(why, size, "journal %s: %s%s%s", path, what, detail ? ": " : "",
			 detail ? detail : "");
	return e;
}

/* Create or migrate the schema in one transaction. */
static enum ssa_err
migrate(struct jsql *j, char *why, size_t size)
{
	sqlite3_stmt *st = NULL;
	int version = 0, rc;
	enum ssa_err e = SSA_ERR_OK;
	char sql[64];

	if (sqlite3_exec(j->db,
			 "BEGIN IMMEDIATE;"
			 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail(why, size, SSA_ERR_DB, j->path, "cannot create the schema",
			    sqlite3_errmsg(j->db));
	if (sqlite3_prepare_v2(j->db, "SELECT MAX(version) FROM schema_version", -1, &st, NULL) !=
		    SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		e = fail(why, size, SSA_ERR_DB, j->path, "cannot read the schema version",
			 sqlite3_errmsg(j->db));
		goto out;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version > SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "version %d, this program knows up to %d", version,
			 SCHEMA_VERSION);
		e = fail(why, size, SSA_ERR_JOURNAL_SCHEMA, j->path,
			 "written by a newer program", sql);
		goto out;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (sqlite3_exec(j->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			e = fail(why, size, SSA_ERR_DB, j->path, "migration failed",
				 sqlite3_errmsg(j->db));
			goto out;
		}
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d)", v + 1);
		if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			e = fail(why, size, SSA_ERR_DB, j->path, "migration failed",
				 sqlite3_errmsg(j->db));
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	if (sqlite3_exec(j->db, e == SSA_ERR_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) !=
		    SQLITE_OK &&
	    e == SSA_ERR_OK)
		e = fail(why, size, SSA_ERR_DB, j->path, "cannot commit the schema",
			 sqlite3_errmsg(j->db));
	return e;
}

/* Waiting for the write lock held by another appender (ssa-admin journal close while the till
 * sells).  SQLite's own busy handler sleeps longer and longer, up to 100 ms a try, and a process
 * appending one record after another can then take the lock again before each try: the waiter
 * starved past 5 s under load.  A try every millisecond finds the gap between two of its
 * transactions; the wait is still bounded (about 5 s). */
static int
busy_wait(void *arg, int tries)
{
	const struct timespec ms = {0, 1000000};

	(void)arg;
	if (tries >= BUSY_WAIT_TRIES)
		return 0;
	nanosleep(&ms, NULL);
	return 1;
}

enum ssa_err
journal_sqlite_open(const char *path, struct ssa_journal_store **out, char *why,
		    size_t why_size)
{
	struct ssa_journal_store *s = NULL;
	struct jsql *j = NULL;
	sqlite3_stmt *st = NULL;
	enum ssa_err e = SSA_ERR_OK;

	if (path == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		e = fail(why, why_size, SSA_ERR_DB, path, "cannot open",
			 j->db ? sqlite3_errmsg(j->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_handler(j->db, busy_wait, NULL);
	sqlite3_extended_result_codes(j->db, 1);
	/* WAL: readers (the sync daemon, verify) never block the till; synchronous=FULL: the
	 * WAL is fsynced at every COMMIT, so a committed sale survives a power cut. */
	if (sqlite3_prepare_v2(j->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		e = fail(why, why_size, SSA_ERR_DB, path, "cannot switch to WAL",
			 sqlite3_errmsg(j->db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(j->db, "PRAGMA synchronous=FULL; PRAGMA trusted_schema=OFF;", NULL, NULL,
			 NULL) != SQLITE_OK) {
		e = fail(why, why_size, SSA_ERR_DB, path, "cannot set synchronous=FULL",
			 sqlite3_errmsg(j->db));
		goto out;
	}
	if ((e = migrate(j, why, why_size)) != SSA_ERR_OK)
		goto out;
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(j->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i],
				       NULL) != SQLITE_OK) {
			e = fail(why, why_size, SSA_ERR_DB, path, "cannot prepare a statement",
				 sqlite3_errmsg(j->db));
			goto out;
		}
	s->cls = j;
	s->append = j_append;
	s->append_after = j_append_after;
	s->last = j_last;
	s->get = j_get;
	s->scan = j_scan;
	s->last_of_kind = j_last_of_kind;
	s->put_pending = j_put_pending;
	s->get_pending = j_get_pending;
	s->drop_pending = j_drop_pending;
	s->ack = j_ack;
	s->acked = j_acked;
	s->close = j_close;
	*out = s;
	s = NULL;
	j = NULL;
out:
	sqlite3_finalize(st);
	j_close(j);
	free(s);
	return e;
}
