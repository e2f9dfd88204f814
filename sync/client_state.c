/* client_state.c — what ssa-syncd keeps besides the journal: the caisse's rejections and a few
 * numbers (table meta: last success, acknowledged seq, versions), in an SQLite file of its own
 * (WAL, synchronous=FULL), for the till's status.  (Databases of the first protocol also hold
 * a table hotlist, no longer used: the hot list is the signed file of the spool.) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "ssa/crash.h"
#include "ssa/log.h"
#include "client.h"

struct syncd_state {
	sqlite3 *db;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;\n"
	"CREATE TABLE IF NOT EXISTS rejection (\n"
	"  seq INTEGER NOT NULL, error TEXT NOT NULL, message TEXT NOT NULL,\n"
	"  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, count INTEGER NOT NULL,\n"
	"  PRIMARY KEY (seq, error));\n"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n";

void
syncd_state_close(struct syncd_state *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

enum ssa_err
syncd_state_open(const char *path, struct syncd_state **out)
{
	struct syncd_state *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return SSA_ERR_NOMEM;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("state database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "no memory");
		syncd_state_close(s);
		return SSA_ERR_DB;
	}
	*out = s;
	return SSA_ERR_OK;
}

enum ssa_err
syncd_state_reject(struct syncd_state *s, uint64_t seq, const char *error, const char *message,
		   int64_t time_ms)
{
	static const char sql[] =
		"INSERT INTO rejection (seq, error, message, first_ms, last_ms, count) "
		"VALUES (?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT (seq, error) DO UPDATE SET "
		"message = excluded.message, last_ms = excluded.last_ms, count = count + 1";
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;

	crash_step("sync: before storing a rejection");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, time_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	err = SSA_ERR_OK;
	crash_step("sync: after storing a rejection");
out:
	if (err)
		log_err("state database: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

enum ssa_err
syncd_state_rejections(struct syncd_state *s, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;

	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM rejection", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(st, 0);
		err = SSA_ERR_OK;
	}
	sqlite3_finalize(st);
	return err;
}

enum ssa_err
syncd_state_meta_get(struct syncd_state *s, const char *key, int64_t *value)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;
	int rc;

	*value = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*value = sqlite3_column_int64(st, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			err = SSA_ERR_OK;
	}
	if (err)
		log_err("state database: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

enum ssa_err
syncd_state_meta_set(struct syncd_state *s, const char *key, int64_t value)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;

	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, value);
		if (sqlite3_step(st) == SQLITE_DONE)
			err = SSA_ERR_OK;
	}
	if (err)
		log_err("state database: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

enum ssa_err
syncd_state_recent(struct syncd_state *s, struct syncd_status *out)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err;
	int rc;

	out->n = 0;
	if ((err = syncd_state_rejections(s, &out->rejections)))
		return err;
	err = SSA_ERR_DB;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT seq, error, message, last_ms FROM rejection "
			       "ORDER BY last_ms DESC, seq DESC, error LIMIT ?1",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int(st, 1, SYNCD_STATUS_REJECTIONS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < SYNCD_STATUS_REJECTIONS_MAX) {
		struct syncd_rejection *r = &out->rej[out->n++];
		const char *e = (const char *)sqlite3_column_text(st, 1);
		const char *m = (const char *)sqlite3_column_text(st, 2);

		r->seq = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(r->error, sizeof(r->error), "%s", e ? e : "");
		snprintf(r->message, sizeof(r->message), "%s", m ? m : "");
		r->last_ms = sqlite3_column_int64(st, 3);
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		err = SSA_ERR_OK;
out:
	if (err)
		log_err("state database: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}
