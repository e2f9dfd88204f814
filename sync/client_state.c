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
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS anomaly (\n"
	"  card TEXT NOT NULL, terminal TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,\n"
	"  ledger_balance INTEGER NOT NULL, record_balance INTEGER NOT NULL,\n"
	"  time_ms INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,\n"
	"  live INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (card, terminal, seq, kind));\n";

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

/* count(*) of @p table into @p *n. */
static enum ssa_err
count_rows(struct syncd_state *s, const char *sql, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	enum ssa_err err = SSA_ERR_DB;

	*n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(st, 0);
		err = SSA_ERR_OK;
	}
	sqlite3_finalize(st);
	return err;
}

enum ssa_err
syncd_state_rejections(struct syncd_state *s, uint64_t *n)
{
	return count_rows(s, "SELECT count(*) FROM rejection", n);
}

enum ssa_err
syncd_state_anomalies(struct syncd_state *s, uint64_t *n)
{
	return count_rows(s, "SELECT count(*) FROM anomaly", n);
}

/* Run @p sql (no parameters). */
static enum ssa_err
exec(struct syncd_state *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? SSA_ERR_OK : SSA_ERR_DB;
}

enum ssa_err
syncd_state_card_checks(struct syncd_state *s, const struct protocol_push_reply *r,
			int64_t now_ms)
{
	static const char mark[] = "UPDATE anomaly SET live = 0 WHERE card = ?1";
	static const char put[] =
		"INSERT INTO anomaly (card, terminal, seq, kind, ledger_balance, record_balance, "
		"time_ms, first_ms, last_ms, live) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1) "
		"ON CONFLICT (card, terminal, seq, kind) DO UPDATE SET "
		"ledger_balance = excluded.ledger_balance, record_balance = excluded.record_balance, "
		"time_ms = excluded.time_ms, last_ms = excluded.last_ms, live = 1";
	sqlite3_stmt *m = NULL, *p = NULL;
	enum ssa_err err = SSA_ERR_DB;

	if (!r->checked || (r->n_cards == 0 && r->n_anomalies == 0))
		return SSA_ERR_OK;
	/* One transaction: a card's anomalies are replaced whole, the caisse's view of it now (a
	 * card checked without anomalies: the caisse cleared what it had). */
	if (exec(s, "BEGIN IMMEDIATE"))
		goto out;
	if (sqlite3_prepare_v2(s->db, mark, -1, &m, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, put, -1, &p, NULL) != SQLITE_OK)
		goto rollback;
	for (size_t i = 0; i < r->n_cards; i++) {
		sqlite3_bind_text(m, 1, r->cards[i], -1, SQLITE_STATIC);
		if (sqlite3_step(m) != SQLITE_DONE)
			goto rollback;
		sqlite3_reset(m);
	}
	for (size_t i = 0; i < r->n_anomalies; i++) {
		const struct protocol_anomaly *a = &r->anomalies[i];

		sqlite3_bind_text(p, 1, a->card, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, a->terminal, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 3, (int64_t)a->seq);
		sqlite3_bind_text(p, 4, a->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 5, a->ledger_balance);
		sqlite3_bind_int64(p, 6, a->record_balance);
		sqlite3_bind_int64(p, 7, a->time_ms);
		sqlite3_bind_int64(p, 8, now_ms);
		if (sqlite3_step(p) != SQLITE_DONE)
			goto rollback;
		sqlite3_reset(p);
	}
	if (exec(s, "DELETE FROM anomaly WHERE live = 0") || exec(s, "COMMIT"))
		goto rollback;
	err = SSA_ERR_OK;
	goto out;
rollback:
	log_err("state database: %s", sqlite3_errmsg(s->db));
	exec(s, "ROLLBACK");
out:
	sqlite3_finalize(m);
	sqlite3_finalize(p);
	return err;
}

enum ssa_err
syncd_state_expire(struct syncd_state *s, int64_t started_ms, int complete, uint64_t acked,
		   int64_t now_ms)
{
	static const char keep[] =
		"DELETE FROM rejection WHERE rowid NOT IN (SELECT rowid FROM rejection "
		"ORDER BY last_ms DESC, seq DESC, error LIMIT " SYNCD_STATE_KEEP_TEXT ");"
		"DELETE FROM anomaly WHERE rowid NOT IN (SELECT rowid FROM anomaly "
		"ORDER BY last_ms DESC, time_ms DESC, card LIMIT " SYNCD_STATE_KEEP_TEXT ");";
	sqlite3_stmt *st = NULL;
	int64_t old = now_ms - (int64_t)SYNCD_STATE_KEEP_DAYS * 86400000;
	enum ssa_err err = SSA_ERR_DB;

	if (exec(s, "BEGIN IMMEDIATE"))
		goto out;
	/* a record the caisse now holds is no longer refused */
	if (sqlite3_prepare_v2(s->db,
			       "DELETE FROM rejection WHERE seq > 0 AND seq <= ?1 OR last_ms < ?2 OR "
			       "(?3 AND last_ms < ?4)",
			       -1, &st, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, (int64_t)(acked > INT64_MAX ? INT64_MAX : acked));
	sqlite3_bind_int64(st, 2, old);
	sqlite3_bind_int(st, 3, complete != 0);
	sqlite3_bind_int64(st, 4, started_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto rollback;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM anomaly WHERE last_ms < ?1", -1, &st, NULL) !=
		    SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(st, 1, old);
	if (sqlite3_step(st) != SQLITE_DONE || exec(s, keep) || exec(s, "COMMIT"))
		goto rollback;
	err = SSA_ERR_OK;
	goto out;
rollback:
	log_err("state database: %s", sqlite3_errmsg(s->db));
	exec(s, "ROLLBACK");
out:
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
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	out->n_anomalies = 0;
	if ((err = syncd_state_anomalies(s, &out->anomalies)))
		return err;
	err = SSA_ERR_DB;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT card, terminal, seq, kind, ledger_balance, record_balance, "
			       "time_ms FROM anomaly ORDER BY time_ms DESC, card, terminal, seq, kind "
			       "LIMIT ?1",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int(st, 1, SYNCD_STATUS_ANOMALIES_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       out->n_anomalies < SYNCD_STATUS_ANOMALIES_MAX) {
		struct protocol_anomaly *a = &out->anom[out->n_anomalies++];
		const char *c = (const char *)sqlite3_column_text(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		const char *k = (const char *)sqlite3_column_text(st, 3);

		snprintf(a->card, sizeof(a->card), "%s", c ? c : "");
		snprintf(a->terminal, sizeof(a->terminal), "%s", t ? t : "");
		a->seq = (uint64_t)sqlite3_column_int64(st, 2);
		snprintf(a->kind, sizeof(a->kind), "%s", k ? k : "");
		a->ledger_balance = sqlite3_column_int64(st, 4);
		a->record_balance = sqlite3_column_int64(st, 5);
		a->time_ms = sqlite3_column_int64(st, 6);
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		err = SSA_ERR_OK;
out:
	if (err)
		log_err("state database: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}
