/* test_spool.c — the status file ssa-syncd leaves for the till (pos/spool.c): parsing (order,
 * unknown keys, every kind of malformed file), re-reading on change, and the status line's
 * figures from the spool, the journal and the catalog. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/catalog_store.h"
#include "ssa/convention.h"
#include "ssa/journal_store.h"

#include "../../pos/spool.h"
#include "../../pos/ui.h"

#define GOOD \
	"last_attempt=1700000100\nlast_success=1700000000\nonline=1\nacked=41\n" \
	"list_version=7\nhotlist_version=3\nrejections=2\n" \
	"rejection=40 SIGNATURE the record's signature does not verify\n" \
	"rejection=12 DUPLICATE\n"

static enum ssa_err
parse(const char *text, struct spool_status *st)
{
	return spool_status_parse(text, strlen(text), st);
}

static void
test_parse_good(void **state)
{
	struct spool_status st;

	(void)state;
	assert_int_equal(parse(GOOD, &st), SSA_ERR_OK);
	assert_int_equal(st.last_attempt, 1700000100);
	assert_int_equal(st.last_success, 1700000000);
	assert_true(st.online);
	assert_int_equal(st.acked, 41);
	assert_int_equal(st.list_version, 7);
	assert_int_equal(st.hotlist_version, 3);
	assert_int_equal(st.rejections, 2);
	assert_int_equal(st.n_rejection, 2);
	assert_int_equal(st.rejection[0].seq, 40);
	assert_string_equal(st.rejection[0].error, "SIGNATURE");
	assert_string_equal(st.rejection[0].msg, "the record's signature does not verify");
	assert_int_equal(st.rejection[1].seq, 12);
	assert_string_equal(st.rejection[1].error, "DUPLICATE");
	assert_string_equal(st.rejection[1].msg, "");

	/* unknown keys anywhere, CRLF, blank lines, no final newline, never synced, no rejection */
	assert_int_equal(parse("future=x y\r\nlast_attempt=5\r\nlast_success=0\r\nonline=0\r\n"
			       "peers=3\nacked=0\nlist_version=0\n\nhotlist_version=0\n"
			       "rejections=0",
			       &st),
			 SSA_ERR_OK);
	assert_false(st.online);
	assert_int_equal(st.last_success, 0);
	assert_int_equal(st.n_rejection, 0);
	/* more rejections than listed: the count says how many in all */
	assert_int_equal(parse("last_attempt=1\nlast_success=1\nonline=1\nacked=1\n"
			       "list_version=1\nhotlist_version=1\nrejections=300\n"
			       "rejection=9 LIST_OLDER x\n",
			       &st),
			 SSA_ERR_OK);
	assert_int_equal(st.rejections, 300);
	assert_int_equal(st.n_rejection, 1);
	/* a refused document (seq 0), an error word of a newer ssa-syncd, as ssa-syncd writes an
	 * empty message */
	assert_int_equal(parse("last_attempt=1\nlast_success=1\nonline=1\nacked=1\n"
			       "list_version=1\nhotlist_version=1\nrejections=2\n"
			       "rejection=0 LIST_SIGNATURE the list's signature does not verify\n"
			       "rejection=7 A_VERY_LONG_ERROR_WORD_OF_A_NEWER_SSA_SYNCD_0123456789 \n",
			       &st),
			 SSA_ERR_OK);
	assert_int_equal(st.rejection[0].seq, 0);
	assert_string_equal(st.rejection[0].error, "LIST_SIGNATURE");
	assert_int_equal(strlen(st.rejection[1].error), SPOOL_ERROR_MAX);
	assert_string_equal(st.rejection[1].msg, "");
}

/* The card anomalies after the rejections; a till before them skipped those keys. */
static void
test_parse_anomalies(void **state)
{
	struct spool_status st;
	static const char *const bad[] = {
		GOOD "anomaly=c T-01 1 EXCESS 1 2 3\n",		    /* before its count */
		GOOD "anomalies=1\nanomalies=1\n",		    /* twice */
		GOOD "anomalies=0\nanomaly=c T-01 1 EXCESS 1 2 3\n", /* more than the count */
		GOOD "anomalies=1\nanomaly=c T-01 1 EXCESS 1 2\n",   /* a word missing */
		GOOD "anomalies=1\nanomaly=c T-01 x EXCESS 1 2 3\n", /* not a number */
		GOOD "anomalies=1\nanomaly=c T-01 1 EXCESS 1 --2 3\n",
		GOOD "anomalies=1\nanomaly=c  T-01 1 EXCESS 1 2 3\n", /* an empty word */
		GOOD "anomalies=1\nrejection=1 X y\n",	/* a rejection after them */
		"last_attempt=1\nanomalies=1\nlast_success=1\nonline=1\nacked=1\n"
		"list_version=1\nhotlist_version=1\nrejections=0\n",
	};

	(void)state;
	assert_int_equal(parse(GOOD, &st), SSA_ERR_OK);
	assert_int_equal(st.anomalies, 0);
	assert_int_equal(st.n_anomaly, 0);
	assert_int_equal(parse(GOOD "anomalies=7\n"
				    "anomaly=demo-card-0 T-02 1 DOUBLE_SPEND 99700 100000 1795500000\n"
				    "anomaly=c T-01 9 EXCESS -150 0 0 a word of a newer ssa-syncd\n",
			       &st),
			 SSA_ERR_OK);
	assert_int_equal(st.n_rejection, 2);
	assert_int_equal(st.anomalies, 7);
	assert_int_equal(st.n_anomaly, 2);
	assert_string_equal(st.anomaly[0].card, "demo-card-0");
	assert_string_equal(st.anomaly[0].terminal, "T-02");
	assert_int_equal(st.anomaly[0].seq, 1);
	assert_string_equal(st.anomaly[0].kind, "DOUBLE_SPEND");
	assert_int_equal(st.anomaly[0].ledger_balance, 99700);
	assert_int_equal(st.anomaly[0].record_balance, 100000);
	assert_int_equal(st.anomaly[0].time, 1795500000);
	assert_int_equal(st.anomaly[1].ledger_balance, -150);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &st), SSA_ERR_INVAL);
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		/* a key missing */
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\nrejections=0\n",
		/* out of order */
		"last_success=1\nlast_attempt=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		/* repeated */
		"last_attempt=1\nlast_attempt=1\nlast_success=1\nonline=1\nacked=1\n"
		"list_version=1\nhotlist_version=1\nrejections=0\n",
		/* values */
		"last_attempt=-1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		"last_attempt=1\nlast_success=1\nonline=2\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=4294967296\n"
		"hotlist_version=1\nrejections=0\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=99999999999999999999\n"
		"list_version=1\nhotlist_version=1\nrejections=0\n",
		"last_attempt=1 \nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		"last_attempt=\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		/* a line without '=' */
		"last_attempt=1\nlast_success=1\nonline\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\n",
		/* rejections: before the keys, more lines than the count, bad seq or word */
		"rejection=1 X y\nlast_attempt=1\nlast_success=1\nonline=1\nacked=1\n"
		"list_version=1\nhotlist_version=1\nrejections=1\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=0\nrejection=1 X y\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=1\nrejection=x X y\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=1\nrejection=5\n",
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=1\nrejection=5  y\n",
		/* a word longer than shown made only of continuation bytes: nothing is left of it
		 * once cut at a character boundary (found by fuzz_spool_status) */
		"last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		"hotlist_version=1\nrejections=1\nrejection=5 "
		"\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f"
		"\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f\x9f"
		"\x9f\x9f y\n",
	};
	struct spool_status st = { .acked = 77 };
	char big[SPOOL_STATUS_MAX + 2], *many;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &st) != SSA_ERR_INVAL)
			fail_msg("bad[%zu] accepted", i);
		assert_int_equal(st.acked, 77); /* untouched */
	}
	/* a NUL byte */
	assert_int_equal(spool_status_parse(GOOD, sizeof(GOOD), &st), SSA_ERR_INVAL);
	memset(big, '#', sizeof(big));
	assert_int_equal(spool_status_parse(big, sizeof(big), &st), SSA_ERR_TOO_LONG);
	/* more rejection lines than ssa-syncd writes */
	many = malloc(4096);
	assert_non_null(many);
	n = (size_t)snprintf(many, 4096, "last_attempt=1\nlast_success=1\nonline=1\nacked=1\n"
					 "list_version=1\nhotlist_version=1\nrejections=99\n");
	for (int i = 0; i <= SPOOL_REJECTIONS_MAX; i++)
		n += (size_t)snprintf(many + n, 4096 - n, "rejection=%d X m\n", i + 1);
	assert_int_equal(spool_status_parse(many, n, &st), SSA_ERR_INVAL);
	free(many);
	assert_int_equal(st.acked, 77);
}

static void
test_parse_message(void **state)
{
	struct spool_status st;
	char text[1024];
	int n;

	(void)state;
	/* control bytes become spaces; a long message is cut on a character boundary */
	n = snprintf(text, sizeof(text),
		     "last_attempt=1\nlast_success=1\nonline=1\nacked=1\nlist_version=1\n"
		     "hotlist_version=1\nrejections=1\nrejection=3 BAD a\tb\x01");
	for (int i = 0; i < 100; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "é");
	text[n++] = '\n';
	assert_int_equal(spool_status_parse(text, (size_t)n, &st), SSA_ERR_OK);
	assert_memory_equal(st.rejection[0].msg, "a b é", 6);
	assert_true(strlen(st.rejection[0].msg) <= SPOOL_MESSAGE_MAX);
	assert_int_equal(strlen(st.rejection[0].msg) % 2, 0); /* "a b " then whole "é"s */
}

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_spool.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
put_file(const char *dir, const char *name, const char *text, time_t mtime)
{
	char path[256], tmp[256];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static void
test_refresh(void **state)
{
	struct fixture *f = *state;
	struct spool sp;
	struct till_status ts = { .list_version = 9, .max_age = 1 };

	assert_int_equal(spool_init(&sp, f->dir), SSA_ERR_OK);
	sp.max_age_default = 5;
	spool_refresh(&sp);
	assert_false(sp.have_status);
	assert_int_equal(sp.hotlist_mtime, 0);
	spool_till_status(&sp, NULL, NULL, NULL, &ts);
	assert_false(ts.online);
	assert_int_equal(ts.last_sync, 0);
	assert_int_equal(ts.list_version, 9); /* no catalog: left as it was */
	assert_int_equal(ts.max_age, 5);      /* and no list to say: the till's own limit */

	put_file(f->dir, "status", GOOD, 1700000200);
	put_file(f->dir, "hotlist.txt", "ssa-hotlist,1\n", 1690000000);
	spool_refresh(&sp);
	assert_true(sp.have_status);
	assert_int_equal(sp.st.rejections, 2);
	assert_int_equal(sp.hotlist_mtime, 1690000000);
	spool_till_status(&sp, NULL, NULL, NULL, &ts);
	assert_true(ts.online);
	assert_int_equal(ts.last_sync, 1700000000);
	assert_int_equal(ts.rejections, 2);
	/* the sync that saw hot list version 3 is later than the file */
	assert_int_equal(ts.hotlist_time, 1700000000);

	/* a malformed file is no status */
	put_file(f->dir, "status", "online=1\n", 1700000300);
	spool_refresh(&sp);
	assert_false(sp.have_status);
	spool_till_status(&sp, NULL, NULL, NULL, &ts);
	assert_false(ts.online);
	assert_int_equal(ts.rejections, 0);
	assert_int_equal(ts.hotlist_time, 1690000000);

	/* a new file with the same size but another mtime is read again */
	put_file(f->dir, "status", GOOD, 1700000200);
	spool_refresh(&sp);
	assert_true(sp.have_status);
	put_file(f->dir, "status", GOOD, 1700000400);
	{
		char path[256];
		FILE *fp;

		/* same size, different content, different mtime */
		snprintf(path, sizeof(path), "%s/status", f->dir);
		fp = fopen(path, "r+");
		assert_non_null(fp);
		assert_int_equal(fseek(fp, (long)strlen("last_attempt=1700000100\nlast_success=1700000000\nonline="), SEEK_SET), 0);
		fputc('0', fp);
		assert_int_equal(fclose(fp), 0);
	}
	spool_refresh(&sp);
	assert_true(sp.have_status);
	assert_false(sp.st.online);

	/* gone */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/status", f->dir);
		assert_int_equal(unlink(path), 0);
		snprintf(path, sizeof(path), "%s/hotlist.txt", f->dir);
		assert_int_equal(unlink(path), 0);
	}
	spool_refresh(&sp);
	assert_false(sp.have_status);
	assert_int_equal(sp.hotlist_mtime, 0);
	spool_fini(&sp);
}

static const uint8_t priv34[32] = { 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
				    34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34, 34 };
static const uint8_t terminal_key[32] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
					  6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };

/* Records waiting from the journal (and the status file's acked), the list's time from the
 * catalog. */
static void
test_status_sources(void **state)
{
	struct fixture *f = *state;
	const char *body = "ssa-list,1\ncaisse,caisse-34\nversion,7\nvalid,2026-01-01,\n"
			   "category,epicerie,50,,,,\n";
	struct ssa_journal_store *j = NULL;
	struct journal_signer *signer = NULL;
	struct catalog_store *cat = NULL;
	struct convention_error cerr;
	struct till_status ts = { 0 };
	struct spool sp;
	uint8_t pub[32];
	char path[256], *text = NULL;
	size_t len = 0;
	uint32_t v = 0;
	int64_t received = -1;
	time_t before = time(NULL);

	assert_int_equal(journal_mem_new(&j), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(terminal_key, &signer), SSA_ERR_OK);
	for (int i = 0; i < 5; i++) {
		struct journal_record r;

		journal_record_init(&r, JOURNAL_CLOSING_Z);
		snprintf(r.establishment, sizeof(r.establishment), "e");
		snprintf(r.terminal, sizeof(r.terminal), "t");
		snprintf(r.software, sizeof(r.software), "test");
		r.time_ms = 1700000000000 + i;
		r.closing.period = 20261123;
		r.closing.number = (uint64_t)i + 1;
		assert_int_equal(journal_store_append(j, &r, signer, 0, NULL, NULL), SSA_ERR_OK);
		journal_record_fini(&r);
	}
	assert_int_equal(journal_store_ack(j, 2), SSA_ERR_OK);
	snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
	assert_int_equal(catalog_store_open(path, &cat), SSA_ERR_OK);
	assert_int_equal(catalog_store_list_received(cat, "caisse-34", &v, &received),
			 SSA_ERR_NOT_FOUND);
	assert_int_equal(convention_public_key(priv34, pub), SSA_ERR_OK);
	assert_int_equal(convention_sign(body, strlen(body), priv34, &text, &len), SSA_ERR_OK);
	assert_int_equal(catalog_store_put_list(cat, "caisse-34", pub, text, len, &cerr, &v),
			 SSA_ERR_OK);
	free(text);
	assert_int_equal(catalog_store_list_received(cat, "caisse-34", &v, &received), SSA_ERR_OK);
	assert_int_equal(v, 7);
	assert_true(received >= before && received <= time(NULL) + 1);

	assert_int_equal(spool_init(&sp, f->dir), SSA_ERR_OK);
	spool_refresh(&sp);
	spool_till_status(&sp, j, cat, "caisse-34", &ts);
	assert_int_equal(ts.records_waiting, 3);
	assert_int_equal(ts.list_version, 7);
	assert_int_equal(ts.list_time, received);
	/* the status file saw version 7 later, and acknowledged more */
	put_file(f->dir, "status",
		 "last_attempt=4000000000\nlast_success=4000000000\nonline=1\nacked=4\n"
		 "list_version=7\nhotlist_version=0\nrejections=0\n",
		 1700000000);
	spool_refresh(&sp);
	spool_till_status(&sp, j, cat, "caisse-34", &ts);
	assert_int_equal(ts.records_waiting, 1);
	assert_int_equal(ts.list_time, 4000000000);
	assert_int_equal(ts.hotlist_time, 0);
	/* another version: the catalog's time stands */
	put_file(f->dir, "status",
		 "last_attempt=4000000000\nlast_success=4000000000\nonline=1\nacked=4\n"
		 "list_version=8\nhotlist_version=0\nrejections=0\n",
		 1700000001);
	spool_refresh(&sp);
	spool_till_status(&sp, j, cat, "caisse-34", &ts);
	assert_int_equal(ts.list_time, received);
	/* no list for that caisse */
	spool_till_status(&sp, j, cat, "caisse-99", &ts);
	assert_int_equal(ts.list_version, 0);
	assert_int_equal(ts.list_time, 0);
	spool_fini(&sp);
	catalog_store_close(cat);
	journal_signer_free(signer);
	journal_store_free(j);
}

/* Put @p body signed by caisse-34 into @p cat; returns what the store says. */
static enum ssa_err
put34(struct catalog_store *cat, const char *body)
{
	struct convention_error cerr;
	uint8_t pub[32];
	char *text = NULL;
	size_t len = 0;
	uint32_t v = 0;
	enum ssa_err e;

	assert_int_equal(convention_public_key(priv34, pub), SSA_ERR_OK);
	assert_int_equal(convention_sign(body, strlen(body), priv34, &text, &len), SSA_ERR_OK);
	e = catalog_store_put_list(cat, "caisse-34", pub, text, len, &cerr, &v);
	free(text);
	return e;
}

/* The age limit on the status line is the caisse's: the max_age of the list in force of the
 * main caisse (through deltas, and a new version that drops it), else the till's own. */
static void
test_status_max_age(void **state)
{
	struct fixture *f = *state;
	struct catalog_store *cat = NULL;
	struct till_status ts = { 0 };
	struct spool sp;
	char path[256], buf[256];
	int64_t now = (int64_t)time(NULL);
	uint32_t days = 99;
	bool warn;

	snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
	assert_int_equal(catalog_store_open(path, &cat), SSA_ERR_OK);
	assert_int_equal(spool_init(&sp, f->dir), SSA_ERR_OK);
	sp.max_age_default = 7 * 86400; /* [till] list_max_age = 7 */
	assert_int_equal(catalog_store_list_max_age(cat, "caisse-34", &days), SSA_ERR_NOT_FOUND);
	/* no list yet: the till's limit */
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.max_age, 7 * 86400);
	/* a list of the old format: no limit of its own */
	assert_int_equal(put34(cat, "ssa-list,1\ncaisse,caisse-34\nversion,7\n"
				    "valid,2026-01-01,\ncategory,epicerie,50,,,,\n"),
			 SSA_ERR_OK);
	assert_int_equal(catalog_store_list_max_age(cat, "caisse-34", &days), SSA_ERR_OK);
	assert_int_equal(days, 0);
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.list_version, 7);
	assert_int_equal(ts.max_age, 7 * 86400);
	/* a delta says 2 days: in force as soon as the till looks */
	assert_int_equal(put34(cat, "ssa-list,2\ncaisse,caisse-34\nversion,8\nbase,7\n"
				    "max_age,2\nvalid,2026-01-01,\ncode,123,100,,,,\n"),
			 SSA_ERR_OK);
	assert_int_equal(catalog_store_list_max_age(cat, "caisse-34", &days), SSA_ERR_OK);
	assert_int_equal(days, 2);
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.list_version, 8);
	assert_int_equal(ts.max_age, 2 * 86400);
	/* the status line: a hot list 3 days old is under the till's 7 days, over the caisse's 2 */
	ts.list_time = now - 3600;
	ts.hotlist_time = now - 3 * 86400;
	ui_status_text(&ts, now, buf, sizeof(buf), &warn);
	assert_true(warn);
	assert_non_null(strstr(buf, "hot list: 3 d !"));
	assert_null(strstr(buf, "1 h !"));
	ts.hotlist_time = now - 86400;
	ui_status_text(&ts, now, buf, sizeof(buf), &warn);
	assert_false(warn);
	ts.list_time = now - 2 * 86400 - 60;
	ui_status_text(&ts, now, buf, sizeof(buf), &warn);
	assert_true(warn);
	assert_non_null(strstr(buf, "list: v8, 2 d !"));
	/* the list in force reopened: the limit is the store's, not only the delta's text */
	catalog_store_close(cat);
	assert_int_equal(catalog_store_open(path, &cat), SSA_ERR_OK);
	{
		struct convention_list *l = NULL;

		assert_int_equal(catalog_store_get_list(cat, "caisse-34", &l), SSA_ERR_OK);
		assert_int_equal(l->max_age, 2);
		assert_int_equal(l->n, 2);
		convention_list_free(l);
	}
	/* a longer limit than the till's own: 30 days, no warning at 8 days */
	assert_int_equal(put34(cat, "ssa-list,2\ncaisse,caisse-34\nversion,9\nmax_age,30\n"
				    "valid,2026-01-01,\ncode,123,100,,,,\n"),
			 SSA_ERR_OK);
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.max_age, 30 * 86400);
	ts.list_time = now - 8 * 86400;
	ts.hotlist_time = now - 8 * 86400;
	ui_status_text(&ts, now, buf, sizeof(buf), &warn);
	assert_false(warn);
	/* a refused list changes nothing: max_age 0 is out of range */
	assert_int_equal(put34(cat, "ssa-list,2\ncaisse,caisse-34\nversion,10\nmax_age,0\n"
				    "valid,2026-01-01,\n"),
			 SSA_ERR_LIST_FORMAT);
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.list_version, 9);
	assert_int_equal(ts.max_age, 30 * 86400);
	/* a delta without the line lifts the caisse's limit: the till's own again */
	assert_int_equal(put34(cat, "ssa-list,1\ncaisse,caisse-34\nversion,10\nbase,9\n"
				    "valid,2026-01-01,\n"),
			 SSA_ERR_OK);
	spool_till_status(&sp, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.list_version, 10);
	assert_int_equal(ts.max_age, 7 * 86400);
	/* another caisse's list does not set the main caisse's limit */
	spool_till_status(&sp, NULL, cat, "caisse-99", &ts);
	assert_int_equal(ts.list_version, 0);
	assert_int_equal(ts.max_age, 7 * 86400);
	/* no spool to hold the till's limit: left as it is */
	ts.max_age = 123;
	spool_till_status(NULL, NULL, cat, "caisse-34", &ts);
	assert_int_equal(ts.max_age, 123);
	spool_fini(&sp);
	catalog_store_close(cat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_anomalies),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_message),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_max_age, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
