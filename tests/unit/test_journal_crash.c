/* test_journal_crash.c — crash safety of the SQLite journal, isync's way.
 *
 * A workload that a till would run (recover pending card debits, record sales — the card ones
 * through a pending intent and an emulated card debit —, void one, close the day, acknowledge)
 * runs in a forked child with SSA_CRASH_AFTER=N, for N = 1, 2, ... until a child completes
 * without crashing.  After every crash the workload runs again to completion (the restart);
 * then nothing is lost, nothing is doubled, no intent is left, the chain verifies, and one more
 * run changes nothing (same last sequence number and hash).  And before that restart: every
 * record the crashed child saw appended (its seq written to a side file and fsynced right after
 * journal_store_append returned) is in the journal, so a record lost by the crash cannot be
 * hidden by the restart recording it again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal_fixture.h"
#include "ssa/closing.h"
#include "ssa/crash.h"
#include "ssa/journal_store.h"

#define NSALES 6
#define MAX_N 400 /* bound of the loop; the workload has far fewer steps */

/* What the journal holds, by sale number (time_ms / 1000). */
struct seen {
	unsigned sales[NSALES + 1];
	uint64_t sale_seq[NSALES + 1];
	unsigned voids, closings, other;
	uint64_t n;
};

static enum ssa_err
seen_cb(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct seen *s = ctx;
	struct journal_record r;
	enum ssa_err e = journal_record_decode(buf, len, &r, NULL);

	if (e != SSA_ERR_OK)
		return e;
	s->n++;
	if (r.kind == JOURNAL_SALE && r.time_ms % 1000 == 0 && r.time_ms / 1000 >= 1 &&
	    r.time_ms / 1000 <= NSALES) {
		s->sales[r.time_ms / 1000]++;
		s->sale_seq[r.time_ms / 1000] = seq;
	} else if (r.kind == JOURNAL_VOID) {
		s->voids++;
	} else if (r.kind == JOURNAL_CLOSING_Z) {
		s->closings++;
	} else {
		s->other++;
	}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

/* The emulated card: a debit for sale @p n is a file written durably. */
static void
card_path(const char *dir, int n, char *buf, size_t size)
{
	snprintf(buf, size, "%s/card-debit-%d", dir, n);
}

static int
card_debited(const char *dir, int n)
{
	char p[600];

	card_path(dir, n, p, sizeof(p));
	return access(p, F_OK) == 0;
}

static int
card_debit(const char *dir, int n)
{
	char p[600];
	int fd, dfd;

	card_path(dir, n, p, sizeof(p));
	crash_step("card: before debit");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "debited\n", 8) != 8 || fsync(fd) != 0)
		return -1;
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		return -1;
	close(dfd);
	crash_step("card: after debit");
	return 0;
}

/* The side file: "seq time_ms" of every record the workload saw appended. */
static void
noted_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/appended", dir);
}

/* Note record @p seq (time @p time_ms) durably, before anything else happens. */
static int
note(const char *dir, uint64_t seq, int64_t time_ms)
{
	char p[600], line[64];
	int fd, len, ok;

	noted_path(dir, p, sizeof(p));
	len = snprintf(line, sizeof(line), "%llu %lld\n", (unsigned long long)seq,
		       (long long)time_ms);
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, line, (size_t)len) == len && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

/* Append @p r as the workload does, and note it. */
static enum ssa_err
append(const char *dir, struct ssa_journal_store *s, struct journal_record *r,
       const struct journal_signer *signer, uint64_t pending_id, uint64_t *seq_out)
{
	uint64_t seq = 0;
	enum ssa_err e = journal_store_append(s, r, signer, pending_id, &seq, NULL);

	if (e != SSA_ERR_OK)
		return e;
	if (note(dir, seq, r->time_ms) != 0)
		return SSA_ERR_INVAL;
	if (seq_out)
		*seq_out = seq;
	return SSA_ERR_OK;
}

/* Right after a crash, before any restart: every record noted is in the journal. */
static unsigned
check_noted(const char *dir, const char *path)
{
	struct ssa_journal_store *s = NULL;
	struct journal_record r;
	unsigned long long seq;
	long long time_ms;
	unsigned count = 0;
	char p[600], why[512], *buf = NULL;
	size_t len;
	FILE *f;

	noted_path(dir, p, sizeof(p));
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	assert_int_equal(journal_sqlite_open(path, &s, why, sizeof(why)), SSA_ERR_OK);
	while (fscanf(f, "%llu %lld", &seq, &time_ms) == 2) {
		assert_int_equal(journal_store_get(s, seq, &buf, &len), SSA_ERR_OK);
		assert_int_equal(journal_record_decode(buf, len, &r, NULL), SSA_ERR_OK);
		assert_int_equal(r.seq, seq);
		assert_int_equal(r.time_ms, time_ms);
		journal_record_fini(&r);
		free(buf);
		buf = NULL;
		count++;
	}
	fclose(f);
	journal_store_free(s);
	return count;
}

/* Card sales are the odd ones. */
static int64_t
ssa_of(int n)
{
	return n % 2 ? 100 * n : 0;
}

/* The till's workload; 0 when it completed.  Idempotent: what is in the journal is not redone. */
static int
workload(const char *dir, const char *path)
{
	struct ssa_journal_store *s = NULL;
	struct journal_signer *signer = jf_signer(jf_priv_a);
	struct journal_record r;
	struct seen seen;
	uint64_t id, last = 0;
	void *intent;
	size_t len;
	char why[512];
	int rc = 1;

	journal_record_init(&r, JOURNAL_SALE);
	if (journal_sqlite_open(path, &s, why, sizeof(why)) != SSA_ERR_OK) {
		fprintf(stderr, "%s\n", why);
		goto out;
	}
	/* Start-up recovery: a sale cut short between its intent and its record.  The card
	 * decides (here its debit file; on a real card its record file). */
	while (journal_store_get_pending(s, &id, &intent, &len) == SSA_ERR_OK) {
		int n = atoi((const char *)intent + 5); /* "sale N" */
		free(intent);
		if (card_debited(dir, n)) {
			jf_sale(&r, 1000 * n, ssa_of(n));
			if (append(dir, s, &r, signer, id, NULL) != SSA_ERR_OK)
				goto out;
			journal_record_fini(&r);
		} else if (journal_store_drop_pending(s, id) != SSA_ERR_OK) {
			goto out;
		}
	}
	memset(&seen, 0, sizeof(seen));
	if (journal_store_scan(s, 1, seen_cb, &seen) != SSA_ERR_OK)
		goto out;
	for (int n = 1; n <= NSALES; n++) {
		uint64_t pid = 0, seq = 0;
		if (seen.sales[n] != 0)
			continue;
		if (ssa_of(n) > 0) {
			char buf[32];
			snprintf(buf, sizeof(buf), "sale %d", n);
			if (journal_store_put_pending(s, buf, strlen(buf), &pid) != SSA_ERR_OK ||
			    card_debit(dir, n) != 0)
				goto out;
		}
		jf_sale(&r, 1000 * n, ssa_of(n));
		if (append(dir, s, &r, signer, pid, &seq) != SSA_ERR_OK)
			goto out;
		journal_record_fini(&r);
		seen.sale_seq[n] = seq;
	}
	if (seen.voids == 0) {
		jf_cancel(&r, JOURNAL_VOID, seen.sale_seq[2], 20000, 0);
		if (append(dir, s, &r, signer, 0, NULL) != SSA_ERR_OK)
			goto out;
		journal_record_fini(&r);
	}
	if (seen.closings == 0) {
		journal_record_init(&r, JOURNAL_CLOSING_Z);
		jf_header(&r, 30000);
		if (closing_compute(s, JOURNAL_CLOSING_Z, 20261123, &r) != SSA_ERR_OK ||
		    append(dir, s, &r, signer, 0, NULL) != SSA_ERR_OK)
			goto out;
		journal_record_fini(&r);
	}
	if (journal_store_last(s, &last, NULL) != SSA_ERR_OK ||
	    journal_store_ack(s, last) != SSA_ERR_OK)
		goto out;
	rc = 0;
out:
	journal_record_fini(&r);
	journal_store_free(s);
	journal_signer_free(signer);
	return rc;
}

/* The state after a completed run: every sale once, every card sale debited once, one void,
 * one Z whose totals are the sales' minus the void, nothing pending, chain verifies. */
static void
check_state(const char *dir, const char *path, uint64_t *last, uint8_t hash[32])
{
	struct ssa_journal_store *s = NULL;
	struct journal_chain c;
	struct journal_record z;
	struct seen seen;
	uint8_t pub[32];
	uint64_t id, acked = 0, zseq = 0;
	void *intent;
	size_t len;
	char why[512], *buf = NULL;

	assert_int_equal(journal_sqlite_open(path, &s, why, sizeof(why)), SSA_ERR_OK);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(journal_store_scan(s, 1, seen_cb, &seen), SSA_ERR_OK);
	for (int n = 1; n <= NSALES; n++) {
		assert_int_equal(seen.sales[n], 1);
		assert_int_equal(card_debited(dir, n), ssa_of(n) > 0);
	}
	assert_int_equal(seen.voids, 1);
	assert_int_equal(seen.closings, 1);
	assert_int_equal(seen.other, 0);
	assert_int_equal(seen.n, NSALES + 2);
	assert_int_equal(journal_store_get_pending(s, &id, &intent, &len), SSA_ERR_NOT_FOUND);
	jf_public(jf_priv_a, pub);
	assert_int_equal(journal_store_verify(s, pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, NSALES + 2);
	assert_int_equal(journal_store_acked(s, &acked), SSA_ERR_OK);
	assert_int_equal(acked, c.last_seq);
	assert_int_equal(journal_store_last_of_kind(s, JOURNAL_CLOSING_Z, &zseq), SSA_ERR_OK);
	assert_int_equal(journal_store_get(s, zseq, &buf, &len), SSA_ERR_OK);
	assert_int_equal(journal_record_decode(buf, len, &z, NULL), SSA_ERR_OK);
	assert_int_equal(z.closing.sales, NSALES);
	assert_int_equal(z.closing.total, (NSALES - 1) * 1140);
	assert_int_equal(z.closing.ssa_total, 100 + 300 + 500);
	journal_record_fini(&z);
	free(buf);
	*last = c.last_seq;
	memcpy(hash, c.last_hash, 32);
	journal_store_free(s);
}

static void
test_crash_every_step(void **state)
{
	char *dir = jf_tmpdir();
	char path[600], cmd[700];
	int n, crashes = 0;
	unsigned noted = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	for (n = 1; n <= MAX_N; n++) {
		uint64_t last1, last2;
		uint8_t h1[32], h2[32];
		int status = 0;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char v[16];
			snprintf(v, sizeof(v), "%d", n);
			setenv("SSA_CRASH_AFTER", v, 1);
			crash_reset();
			_exit(workload(dir, path) == 0 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 0)
			break; /* N is past the last step: the run completed */
		assert_int_equal(WEXITSTATUS(status), CRASH_EXIT_STATUS);
		crashes++;
		/* What the child saw appended survived the crash: checked before the restart,
		 * which would record a lost sale again. */
		noted += check_noted(dir, path);
		/* Restart without fault injection, then check. */
		unsetenv("SSA_CRASH_AFTER");
		crash_reset();
		assert_int_equal(workload(dir, path), 0);
		check_state(dir, path, &last1, h1);
		/* Running again changes nothing. */
		assert_int_equal(workload(dir, path), 0);
		check_state(dir, path, &last2, h2);
		assert_int_equal(last1, last2);
		assert_memory_equal(h1, h2, 32);
		snprintf(cmd, sizeof(cmd), "rm -f '%s'/journal.db* '%s'/card-debit-* '%s'/appended", dir,
			 dir, dir);
		assert_int_equal(system(cmd), 0);
	}
	print_message("  %d crash points replayed, %u appended records checked right after a crash\n",
		      crashes, noted);
	assert_true(n <= MAX_N);
	assert_true(crashes > 20);
	assert_true(noted > 50);
	/* The completed run's state is right too. */
	{
		uint64_t last;
		uint8_t h[32];
		check_state(dir, path, &last, h);
	}
	jf_rmtree(dir);
	free(dir);
}

/* Steps are counted and SSA_CRASH_AFTER past the end changes nothing. */
static void
test_steps_counted(void **state)
{
	char *dir = jf_tmpdir();
	char path[600];
	uint64_t last;
	uint8_t h[32];

	(void)state;
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	unsetenv("SSA_CRASH_AFTER");
	crash_reset();
	assert_int_equal(crash_steps(), 0);
	assert_int_equal(workload(dir, path), 0);
	assert_true(crash_steps() > 30);
	check_state(dir, path, &last, h);
	jf_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps_counted),
		cmocka_unit_test(test_crash_every_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
