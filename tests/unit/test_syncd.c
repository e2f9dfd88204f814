/* test_syncd.c — ssa-syncd's backoff (doubling up to the ceiling, jitter within ±25 %, the
 * random source injected), the spool's status text and atomic files, the state database's
 * meta values and latest rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../sync/client.h"

static uint32_t
fixed(void *cls)
{
	return *(uint32_t *)cls;
}

static void
test_backoff(void **state)
{
	uint32_t r = 0;
	struct syncd_rng lo = { fixed, &r };

	(void)state;
	/* r = 0: the low end, 0.75 x */
	assert_int_equal(syncd_backoff(10, 3600, 1, &lo), 8);   /* 10 - 2 (integer quarter) */
	assert_int_equal(syncd_backoff(10, 3600, 2, &lo), 15);  /* 20 - 5 */
	assert_int_equal(syncd_backoff(10, 3600, 3, &lo), 30);  /* 40 - 10 */
	assert_int_equal(syncd_backoff(10, 100, 10, &lo), 75);  /* capped at 100 */
	assert_int_equal(syncd_backoff(10, 100, 4000000000u, &lo), 75);
	assert_int_equal(syncd_backoff(1, 1, 1, &lo), 1);       /* never 0 */
	assert_int_equal(syncd_backoff(0, 0, 1, NULL), 1);
	/* every random value stays within [0.75 d, 1.25 d] */
	for (uint32_t v = 0; v < 2000; v += 7) {
		uint64_t d;

		r = v * 2654435761u;
		d = syncd_backoff(40, 3600, 1, &lo);
		assert_in_range(d, 30, 50);
		d = syncd_backoff(40, 3600, 20, &lo);
		assert_in_range(d, 2700, 4500);
	}
	/* the jitter does use the random source */
	r = 0;
	{
		uint64_t a = syncd_backoff(40, 3600, 1, &lo);

		r = 20;
		assert_int_not_equal(a, syncd_backoff(40, 3600, 1, &lo));
	}
}

static void
test_status_format(void **state)
{
	struct syncd_status st = { .last_attempt = 1795000000, .last_success = 1794999000,
				   .online = 1, .acked = 42, .list_version = 7,
				   .hotlist_version = 3, .rejections = 5, .n = 2 };
	char *text = NULL;
	size_t len;

	(void)state;
	st.rej[0] = (struct syncd_rejection){ 17, "JOURNAL_SIGNATURE", "record 17: bad\nsig\tnature",
					      5 };
	st.rej[1] = (struct syncd_rejection){ 0, "", "list refused", 4 };
	assert_int_equal(syncd_status_format(&st, &text, &len), SSA_ERR_OK);
	assert_string_equal(text, "last_attempt=1795000000\n"
				  "last_success=1794999000\n"
				  "online=1\n"
				  "acked=42\n"
				  "list_version=7\n"
				  "hotlist_version=3\n"
				  "rejections=5\n"
				  "rejection=17 JOURNAL_SIGNATURE record 17: bad sig nature\n"
				  "rejection=0 UNKNOWN list refused\n"
				  "anomalies=0\n");
	assert_int_equal(len, strlen(text));
	free(text);
	/* never more than SYNCD_STATUS_REJECTIONS_MAX lines, whatever n says */
	st.n = SYNCD_STATUS_REJECTIONS_MAX + 5;
	for (size_t i = 0; i < SYNCD_STATUS_REJECTIONS_MAX; i++)
		st.rej[i] = (struct syncd_rejection){ i + 1, "JOURNAL_SEQ", "gap", 1 };
	st.online = 0;
	assert_int_equal(syncd_status_format(&st, &text, &len), SSA_ERR_OK);
	{
		size_t lines = 0;

		for (const char *p = text; (p = strstr(p, "rejection=")); p++)
			lines++;
		assert_int_equal(lines, SYNCD_STATUS_REJECTIONS_MAX);
	}
	assert_non_null(strstr(text, "\nonline=0\n"));
	free(text);
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
test_spool_write(void **state)
{
	char dir[] = "/tmp/ssa-test-spool-XXXXXX", path[256], buf[64] = "";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(syncd_spool_prepare(dir), SSA_ERR_OK); /* exists already: fine */
	assert_int_equal(syncd_spool_write(dir, "status", "one\n", 4), SSA_ERR_OK);
	assert_int_equal(syncd_spool_write(dir, "status", "two\n", 4), SSA_ERR_OK);
	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 4);
	fclose(f);
	assert_string_equal(buf, "two\n");
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */
	/* names that are not plain spool names change nothing */
	assert_int_equal(syncd_spool_write(dir, "", "x", 1), SSA_ERR_INVAL);
	assert_int_equal(syncd_spool_write(dir, ".status", "x", 1), SSA_ERR_INVAL);
	assert_int_equal(syncd_spool_write(dir, "../status", "x", 1), SSA_ERR_INVAL);
	assert_int_equal(syncd_spool_write(dir, "a b", "x", 1), SSA_ERR_INVAL);
	assert_int_equal(count_entries(dir), 1);
	/* a directory that does not exist: an error, nothing written */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(syncd_spool_write(path, "status", "x", 1), SSA_ERR_IO);
	/* a spool under a missing parent cannot be made; under dir it can */
	snprintf(path, sizeof(path), "%s/none/deeper", dir);
	assert_int_equal(syncd_spool_prepare(path), SSA_ERR_IO);
	snprintf(path, sizeof(path), "%s/spool", dir);
	assert_int_equal(syncd_spool_prepare(path), SSA_ERR_OK);
	assert_int_equal(syncd_spool_write(path, "hotlist.txt", "x", 1), SSA_ERR_OK);
	snprintf(buf, sizeof(buf), "%s/spool/hotlist.txt", dir);
	assert_int_equal(unlink(buf), 0);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/status", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_state_recent(void **state)
{
	char dir[] = "/tmp/ssa-test-state-XXXXXX", path[256];
	struct syncd_state *s = NULL;
	struct syncd_status st = { 0 };
	int64_t v = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(syncd_state_open(path, &s), SSA_ERR_OK);
	assert_int_equal(syncd_state_meta_get(s, "last_success", &v), SSA_ERR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(syncd_state_meta_set(s, "last_success", 1795000000), SSA_ERR_OK);
	assert_int_equal(syncd_state_meta_set(s, "last_success", 1795000001), SSA_ERR_OK);
	assert_int_equal(syncd_state_meta_get(s, "last_success", &v), SSA_ERR_OK);
	assert_int_equal(v, 1795000001);
	assert_int_equal(syncd_state_recent(s, &st), SSA_ERR_OK);
	assert_int_equal(st.rejections, 0);
	assert_int_equal(st.n, 0);
	for (int i = 1; i <= 25; i++)
		assert_int_equal(syncd_state_reject(s, (uint64_t)i, "JOURNAL_CHAIN", "chain", 1000 + i),
				 SSA_ERR_OK);
	/* the same seq and error again: counted, not a new rejection, and now the newest */
	assert_int_equal(syncd_state_reject(s, 3, "JOURNAL_CHAIN", "chain again", 5000), SSA_ERR_OK);
	assert_int_equal(syncd_state_reject(s, 0, "LIST_SIGNATURE", "list refused", 4000),
			 SSA_ERR_OK);
	assert_int_equal(syncd_state_recent(s, &st), SSA_ERR_OK);
	assert_int_equal(st.rejections, 26);
	assert_int_equal(st.n, SYNCD_STATUS_REJECTIONS_MAX);
	assert_int_equal(st.rej[0].seq, 3);
	assert_string_equal(st.rej[0].message, "chain again");
	assert_int_equal(st.rej[1].seq, 0);
	assert_string_equal(st.rej[1].error, "LIST_SIGNATURE");
	assert_int_equal(st.rej[2].seq, 25);
	assert_int_equal(st.rej[19].seq, 8); /* 25..8: 18 more */
	syncd_state_close(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* What the state database forgets (syncd_state_expire) and the card checks it keeps. */
static void
test_state_expire(void **state)
{
	char dir[] = "/tmp/ssa-test-state-XXXXXX", path[256];
	const int64_t day = 86400000, now = 1795000000000;
	struct syncd_state *s = NULL;
	struct syncd_status st = { 0 };
	struct protocol_push_reply r = { 0 };
	struct protocol_anomaly a = { .seq = 1, .ledger_balance = 1, .record_balance = 2 };
	uint64_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(syncd_state_open(path, &s), SSA_ERR_OK);
	/* 150 refusals over the last 150 minutes, record 40 refused now, record 7 and a list a
	 * month ago */
	for (int i = 0; i < 150; i++)
		assert_int_equal(syncd_state_reject(s, 100 + (uint64_t)i, "JOURNAL_CHAIN", "x",
						    now - (150 - i) * 60000),
				 SSA_ERR_OK);
	assert_int_equal(syncd_state_reject(s, 40, "JOURNAL_CHAIN", "x", now), SSA_ERR_OK);
	assert_int_equal(syncd_state_reject(s, 7, "JOURNAL_SEQ", "x", now - 31 * day), SSA_ERR_OK);
	assert_int_equal(syncd_state_reject(s, 0, "LIST_OLDER", "x", now - 31 * day), SSA_ERR_OK);
	/* not complete, nothing acknowledged: only the age and the count */
	assert_int_equal(syncd_state_expire(s, now, 0, 0, now), SSA_ERR_OK);
	assert_int_equal(syncd_state_rejections(s, &n), SSA_ERR_OK);
	assert_int_equal(n, SYNCD_STATE_KEEP);
	assert_int_equal(syncd_state_recent(s, &st), SSA_ERR_OK);
	assert_int_equal(st.rej[0].seq, 40);
	/* record 40 acknowledged: the caisse holds it */
	assert_int_equal(syncd_state_expire(s, now, 0, 40, now), SSA_ERR_OK);
	assert_int_equal(syncd_state_rejections(s, &n), SSA_ERR_OK);
	assert_int_equal(n, SYNCD_STATE_KEEP - 1);
	/* a complete run that renewed one refusal: the others are over */
	assert_int_equal(syncd_state_reject(s, 0, "LIST_SIGNATURE", "x", now + 1000), SSA_ERR_OK);
	assert_int_equal(syncd_state_expire(s, now + 1000, 1, 40, now + 2000), SSA_ERR_OK);
	assert_int_equal(syncd_state_recent(s, &st), SSA_ERR_OK);
	assert_int_equal(st.rejections, 1);
	assert_string_equal(st.rej[0].error, "LIST_SIGNATURE");

	/* card checks: a card's anomalies replaced whole; an unchecked card's kept */
	strcpy(a.terminal, "T-01");
	strcpy(a.kind, "EXCESS");
	assert_int_equal(protocol_push_reply_add_card(&r, "c1"), SSA_ERR_OK);
	assert_int_equal(protocol_push_reply_add_card(&r, "c2"), SSA_ERR_OK);
	strcpy(a.card, "c1");
	assert_int_equal(protocol_push_reply_add_anomaly(&r, &a), SSA_ERR_OK);
	strcpy(a.card, "c2");
	a.time_ms = 5000;
	assert_int_equal(protocol_push_reply_add_anomaly(&r, &a), SSA_ERR_OK);
	assert_int_equal(syncd_state_card_checks(s, &r, now - 31 * day), SSA_ERR_OK);
	protocol_push_reply_fini(&r);
	assert_int_equal(protocol_push_reply_add_card(&r, "c1"), SSA_ERR_OK);
	assert_int_equal(syncd_state_card_checks(s, &r, now), SSA_ERR_OK); /* c1 cleared */
	protocol_push_reply_fini(&r);
	assert_int_equal(syncd_state_recent(s, &st), SSA_ERR_OK);
	assert_int_equal(st.anomalies, 1);
	assert_int_equal(st.n_anomalies, 1);
	assert_string_equal(st.anom[0].card, "c2");
	assert_int_equal(st.anom[0].time_ms, 5000);
	/* not confirmed for 30 days: dropped */
	assert_int_equal(syncd_state_expire(s, now, 0, 0, now), SSA_ERR_OK);
	assert_int_equal(syncd_state_anomalies(s, &n), SSA_ERR_OK);
	assert_int_equal(n, 0);
	syncd_state_close(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_period_of(void **state)
{
	(void)state;
	/* 2026-11-23 15:00 UTC */
	assert_int_equal(syncd_period_of(1795446000000, 0), 202611);
	assert_int_equal(syncd_period_of(1795446000000, 1), 202612);
	/* 2026-12-31 23:59:59 UTC: the next period is in the next year */
	assert_int_equal(syncd_period_of(1798761599000, 0), 202612);
	assert_int_equal(syncd_period_of(1798761599000, 1), 202701);
	/* 2027-01-01 00:00:00 UTC */
	assert_int_equal(syncd_period_of(1798761600000, 0), 202701);
	assert_int_equal(syncd_period_of(1798761600000, 13), 202802);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_backoff),
					    cmocka_unit_test(test_status_format),
					    cmocka_unit_test(test_spool_write),
					    cmocka_unit_test(test_state_recent),
					    cmocka_unit_test(test_state_expire),
					    cmocka_unit_test(test_period_of) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
