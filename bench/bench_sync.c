/* bench_sync.c — 100,000 journal records pushed to the caisse and verified there, over loopback
 * mutual TLS, against a raw upload of the same bytes to the same server.
 *
 * Ours: `ssa-syncd --once` (batches of 1,000: read from the SQLite journal, encode, POST over
 * libcurl with the terminal's certificate, acknowledge each batch durably).
 * Baseline: the `curl` command uploading the same request bodies, one connection, same
 * certificates, to a fresh ssa-caissed.  In both runs the server decodes every record, verifies
 * its signature and its chain and commits each batch (WAL, synchronous=FULL), so the ratio is
 * what the client adds to a raw upload.  Goal (issue 4): ours <= 3 x baseline.
 * The sales are a normal day's: 1,000 cards, each spending from the balance its previous sale
 * left (balance_after of one = balance_before of the next), so that the caisse's card ledgers,
 * rebuilt for every card of every batch, find no anomaly and log nothing — the bench checks it.
 * SSA_BENCH_RECORDS (a multiple of 1,000, at most 100,000) runs fewer records, for a check.
 * This prints; it never fails on a timing. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ssa/journal.h"
#include "ssa/journal_store.h"
#include "ssa/keyfile.h"
#include "ssa/protocol.h"

#define RECORDS_MAX 100000
#define BATCH 1000
#define CARDS 1000
#define START_BALANCE 100000 /* cents: 100 sales of 1.50 leave 850.00 */
#define PRICE 150

static const char *dir, *build;
static int records = RECORDS_MAX;

static void
die(const char *what)
{
	fprintf(stderr, "bench_sync: %s\n", what);
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
run(const char *cmd)
{
	int st = system(cmd);

	if (st != 0) {
		fprintf(stderr, "bench_sync: failed (%d): %s\n", st, cmd);
		exit(1);
	}
}

/* A small sale, as `ssa-admin terminal demo-sales` makes: sale @p i is card i % CARDS's
 * (i / CARDS)-th, from the balance its previous sale left. */
static void
sale(struct journal_record *r, uint64_t i)
{
	struct journal_line l = { .code = "3560070123456", .name = "Lentilles vertes 500 g",
				  .category = "epicerie", .qty = 1, .unit_price = 150, .amount = 150,
				  .vat_bp = 550, .covered = 150, .paid_ssa = 150,
				  .reason = CONVENTION_COVERED, .list_caisse = "bench", .list_version = 1 };
	struct journal_tender t = { TENDER_SSA, PRICE, PRICE, 0 };
	int64_t before = START_BALANCE - (int64_t)(i / CARDS) * PRICE;

	journal_record_init(r, JOURNAL_SALE);
	strcpy(r->establishment, "bench");
	strcpy(r->terminal, "T-01");
	strcpy(r->software, "bench");
	strcpy(r->operator_id, "op");
	snprintf(r->card, sizeof(r->card), "card-%" PRIu64, i % CARDS);
	r->time_ms = INT64_C(1795000000000) + (int64_t)i * 1000;
	r->balance_before = before;
	r->balance_after = before - PRICE;
	vat_summary_init(&r->vat);
	if (journal_record_add_line(r, &l) || journal_record_add_tender(r, &t) ||
	    vat_summary_add(&r->vat, 550, 150) || vat_summary_finish(&r->vat))
		die("record");
	r->total = 150;
	r->ssa_covered = 150;
}

/* The journal: schema by the journal store itself, rows inserted in one transaction (a fixture:
 * 100,000 durable commits would take minutes); the request bodies for the baseline. */
static void
make_journal(const char *jpath, const char *keypath)
{
	struct ssa_journal_store *js = NULL;
	struct journal_signer *signer;
	struct protocol_push push;
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t priv[32], hash[32];
	char why[256], path[4096];

	if (keyfile_load_private(keypath, priv, why, sizeof(why)) ||
	    journal_signer_new(priv, &signer))
		die("journal key");
	if (journal_sqlite_open(jpath, &js, why, sizeof(why)))
		die(why);
	journal_store_free(js);
	if (sqlite3_open(jpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO journal (seq, kind, time_ms, hash, record) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	protocol_push_init(&push);
	for (uint64_t i = 0; i < (uint64_t)records; i++) {
		struct journal_record r;
		char *enc;
		size_t len;

		sale(&r, i);
		if (journal_seal(&r, i, i ? hash : NULL, signer, &enc, &len, hash))
			die("seal");
		sqlite3_bind_int64(st, 1, (int64_t)r.seq);
		sqlite3_bind_text(st, 2, journal_kind_name(r.kind), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r.time_ms);
		sqlite3_bind_blob(st, 4, hash, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 5, enc, (int)len, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(sqlite3_errmsg(db));
		sqlite3_reset(st);
		if (protocol_push_add(&push, r.seq, enc, len))
			die("push");
		if (push.n == BATCH) {
			char *body;
			size_t blen;
			FILE *f;

			snprintf(path, sizeof(path), "%s/body-%03" PRIu64 ".json", dir, i / BATCH);
			if (protocol_push_encode(&push, &body, &blen) || !(f = fopen(path, "w")) ||
			    fwrite(body, 1, blen, f) != blen || fclose(f) != 0)
				die("body file");
			free(body);
			protocol_push_fini(&push);
			protocol_push_init(&push);
		}
		free(enc);
		journal_record_fini(&r);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	journal_signer_free(signer);
}

/* Start ssa-caissed on a fresh database @p name; returns its pid and sets @p port. */
static pid_t
start_server(const char *name, unsigned *port)
{
	char ini[4096], pf[4096], cmd[4096];
	FILE *f;
	pid_t pid;

	snprintf(ini, sizeof(ini), "%s/%s.ini", dir, name);
	snprintf(pf, sizeof(pf), "%s/%s.port", dir, name);
	f = fopen(ini, "w");
	if (!f)
		die("server ini");
	fprintf(f,
		"[caisse]\nid = bench\n[http]\nlisten = 127.0.0.1\nport = 0\nport_file = %s\n"
		"cert = %s/ca/server.crt\nkey = %s/ca/server.key\nca = %s/ca/ca.crt\n"
		/* warning: a normal sync logs none (an anomaly would, and be counted after) */
		"[store]\ndatabase = %s/%s.db\n[log]\nlevel = warning\n",
		pf, dir, dir, dir, dir, name);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/%s.log", dir, name);
	f = fopen(cmd, "w");
	if (!f)
		die("server log");
	pid = fork();
	if (pid == 0) {
		if (dup2(fileno(f), 1) < 0 || dup2(fileno(f), 2) < 0)
			_exit(127);
		snprintf(cmd, sizeof(cmd), "%s/ssa-caissed", build);
		execl(cmd, "ssa-caissed", "-f", "-c", ini, (char *)NULL);
		_exit(127);
	}
	fclose(f);
	if (pid < 0)
		die("fork");
	for (int i = 0; i < 200; i++) {
		f = fopen(pf, "r");
		if (f) {
			int ok = fscanf(f, "%u", port) == 1;

			fclose(f);
			if (ok)
				return pid;
		}
		usleep(50000);
	}
	die("ssa-caissed did not start");
	return -1;
}

/* The number of lines of server @p name's log (warnings and errors only). */
static unsigned
log_lines(const char *name)
{
	char path[4096];
	FILE *f;
	int c;
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	f = fopen(path, "r");
	if (!f)
		die("server log");
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void
stop_server(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* The first column of @p sql's first row in server @p name's database (0 if none). */
static uint64_t
count_rows(const char *name, const char *sql)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t n = 0;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

int
main(void)
{
	char cmd[8192], jpath[4096], keypath[4096], why[256];
	char *curl_cmd;
	size_t n = 0, cap = 64 * 1024;
	int64_t t0, t_curl, t_sync;
	unsigned port;
	pid_t pid;
	struct stat sb;
	FILE *f;

	dir = getenv("SSA_BENCH_DIR");
	build = getenv("SSA_BUILD");
	if (!dir || !build)
		die("run me through make bench (SSA_BENCH_DIR, SSA_BUILD)");
	if (getenv("SSA_BENCH_RECORDS")) {
		char *end;
		long v = strtol(getenv("SSA_BENCH_RECORDS"), &end, 10);

		if (*end || v < BATCH || v > RECORDS_MAX || v % BATCH)
			die("SSA_BENCH_RECORDS: a multiple of 1000, 1000 to 100000");
		records = (int)v;
	}
	/* the PKI, by ssa-admin */
	snprintf(keypath, sizeof(keypath), "%s/journal.key", dir);
	if (keyfile_generate(keypath, NULL, why, sizeof(why)))
		die(why);
	snprintf(cmd, sizeof(cmd),
		 "A=%s/ssa-admin; D=%s; $A ca init $D/ca >/dev/null && "
		 "$A ca server $D/ca localhost $D/ca/server.key $D/ca/server.crt && "
		 "$A terminal enroll T-01 $D/journal.key $D/ca/t.key $D/t.csr >/dev/null && "
		 "$A terminal sign $D/ca $D/t.csr $D/ca/t.crt >/dev/null",
		 build, dir);
	run(cmd);
	snprintf(jpath, sizeof(jpath), "%s/journal.db", dir);
	make_journal(jpath, keypath);
	stat(jpath, &sb);

	/* baseline: curl, same bodies, one connection */
	pid = start_server("base", &port);
	curl_cmd = malloc(cap);
	if (!curl_cmd)
		die("memory");
	n += (size_t)snprintf(curl_cmd + n, cap - n, "curl -sS -o /dev/null -w '%%{http_code}\\n'");
	for (int b = 0; b < records / BATCH; b++)
		n += (size_t)snprintf(curl_cmd + n, cap - n,
				      "%s --cacert %s/ca/ca.crt --cert %s/ca/t.crt --key %s/ca/t.key "
				      "-H 'Content-Type: application/json' -H 'Expect:' "
				      "--data-binary @%s/body-%03d.json https://localhost:%u/v1/journal",
				      b ? " --next -o /dev/null -w '%{http_code}\\n'" : "", dir, dir,
				      dir, dir, b, port);
	n += (size_t)snprintf(curl_cmd + n, cap - n, " > %s/curl.codes", dir);
	if (n >= cap)
		die("command too long");
	t0 = now_ns();
	run(curl_cmd);
	t_curl = now_ns() - t0;
	stop_server(pid);
	snprintf(cmd, sizeof(cmd), "test \"$(grep -c '^200$' %s/curl.codes)\" = %d", dir,
		 records / BATCH);
	run(cmd);
	if (count_rows("base", "SELECT count(DISTINCT seq) FROM journal") != (uint64_t)records)
		die("baseline: the caisse does not hold every record");

	/* ours */
	pid = start_server("ours", &port);
	snprintf(cmd, sizeof(cmd), "%s/syncd.ini", dir);
	f = fopen(cmd, "w");
	if (!f)
		die("syncd ini");
	fprintf(f,
		"[caisse]\nurl = https://localhost:%u\nca = %s/ca/ca.crt\ncert = %s/ca/t.crt\n"
		"key = %s/ca/t.key\nbatch = %d\n[journal]\ndatabase = %s\n[state]\n"
		"database = %s/syncd.db\n[till]\nspool = %s/spool\n[log]\nlevel = warning\n",
		port, dir, dir, dir, BATCH, jpath, dir, dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/ssa-syncd -f --once -c %s/syncd.ini", build, dir);
	t0 = now_ns();
	run(cmd);
	t_sync = now_ns() - t0;
	stop_server(pid);
	if (count_rows("ours", "SELECT count(DISTINCT seq) FROM journal") != (uint64_t)records)
		die("ours: the caisse does not hold every record");
	/* a normal sync: every card's story is whole, the caisse flagged and logged nothing */
	if (count_rows("base", "SELECT count(*) FROM card_anomaly") ||
	    count_rows("ours", "SELECT count(*) FROM card_anomaly"))
		die("the caisse flagged card anomalies: the bench's sales do not chain");
	if (count_rows("ours", "SELECT count(*) FROM card_ledger") != CARDS)
		die("ours: not one ledger per card");
	if (log_lines("base") || log_lines("ours"))
		die("the caisse logged warnings (base.log, ours.log in the bench directory)");

	printf("%d records (%d batches of %d, %d cards with chained balances, no anomaly), "
	       "journal %.1f MB, loopback mutual TLS, one run each:\n",
	       records, records / BATCH, BATCH, CARDS, (double)sb.st_size / 1e6);
	printf("  %-52s %8.2f s  %8.0f records/s\n", "ours: ssa-syncd --once (read, push, ack)",
	       (double)t_sync / 1e9, records / ((double)t_sync / 1e9));
	printf("  %-52s %8.2f s  %8.0f records/s\n", "baseline: curl, same bodies, same server",
	       (double)t_curl / 1e9, records / ((double)t_curl / 1e9));
	printf("  ratio ours/baseline: %.2fx (goal <= 3x)\n", (double)t_sync / (double)t_curl);
	free(curl_cmd);
	return 0;
}
