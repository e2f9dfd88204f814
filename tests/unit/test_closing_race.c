/* test_closing_race.c — a closing computed while another process appends sales: every sale must
 * fall into exactly one Z (closing_append, journal_store_append_after).  The racing writer is a
 * real second process with its own SQLite connection to the same journal file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal_fixture.h"
#include "ssa/closing.h"
#include "ssa/journal_store.h"

#define SALES 400     /* appended by the child */
#define CLOSES_MAX 2000 /* the parent's bound on Zs while the child runs */

/* append_after refuses when the journal moved, and stores nothing. */
static void
test_append_after(void **state)
{
	struct ssa_journal_store *s = NULL;
	struct journal_signer *sg = jf_signer(jf_priv_a);
	struct journal_record r;
	uint64_t seq = 0, last = 0;
	uint8_t hash[JOURNAL_HASH_LEN];

	(void)state;
	assert_int_equal(journal_mem_new(&s), SSA_ERR_OK);
	jf_sale(&r, 1000, 100);
	assert_int_equal(journal_store_append(s, &r, sg, 0, &seq, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	jf_sale(&r, 2000, 100);
	assert_int_equal(journal_store_append_after(s, 0, &r, sg, &seq, NULL),
			 SSA_ERR_JOURNAL_MOVED);
	assert_int_equal(journal_store_last(s, &last, hash), SSA_ERR_OK);
	assert_int_equal(last, 1);
	assert_int_equal(journal_store_append_after(s, 1, &r, sg, &seq, NULL), SSA_ERR_OK);
	assert_int_equal(seq, 2);
	journal_record_fini(&r);
	journal_store_free(s);
	journal_signer_free(sg);
}

struct check {
	uint64_t sales_since_z; /* sales after the last Z seen */
	uint64_t sales, zs;
	int64_t total_since_z, sales_total, z_total;
	uint64_t bad_seq;       /* first Z whose count is not the sales before it */
};

static enum ssa_err
check_one(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct check *c = ctx;
	struct journal_record r;

	assert_int_equal(journal_record_decode(buf, len, &r, NULL), SSA_ERR_OK);
	if (r.kind == JOURNAL_SALE) {
		c->sales++;
		c->sales_since_z++;
		c->sales_total += r.total;
		c->total_since_z += r.total;
	} else if (r.kind == JOURNAL_CLOSING_Z) {
		c->zs++;
		c->z_total += r.closing.total;
		if ((r.closing.sales != c->sales_since_z || r.closing.total != c->total_since_z) &&
		    c->bad_seq == 0)
			c->bad_seq = seq;
		c->sales_since_z = 0;
		c->total_since_z = 0;
	}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

/* The child: SALES sales, each its own transaction, through its own connection. */
static void
child_sales(const char *path)
{
	struct ssa_journal_store *s = NULL;
	struct journal_signer *sg = jf_signer(jf_priv_a);
	char why[256];

	if (journal_sqlite_open(path, &s, why, sizeof(why)) != SSA_ERR_OK)
		_exit(2);
	for (int i = 0; i < SALES; i++) {
		struct journal_record r;
		enum ssa_err e;

		jf_sale(&r, 1000 + i, (i % 3) * 100);
		/* SQLite's busy timeout covers the closer's transactions */
		e = journal_store_append(s, &r, sg, 0, NULL, NULL);
		journal_record_fini(&r);
		if (e != SSA_ERR_OK)
			_exit(3);
	}
	journal_store_free(s);
	journal_signer_free(sg);
	_exit(0);
}

static void
test_two_processes(void **state)
{
	char *dir = jf_tmpdir(), path[512], why[256];
	struct ssa_journal_store *s = NULL;
	struct journal_signer *sg = jf_signer(jf_priv_a);
	struct journal_chain chain;
	struct check c = {0};
	uint8_t pub[32];
	int status = 0, closes = 0;
	pid_t pid;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(journal_sqlite_open(path, &s, why, sizeof(why)), SSA_ERR_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_sales(path);
	/* Close Zs as fast as possible while the child sells (bounded), then once more. */
	while (closes < CLOSES_MAX && waitpid(pid, &status, WNOHANG) == 0) {
		struct journal_record r;
		enum ssa_err e;

		journal_record_init(&r, JOURNAL_CLOSING_Z);
		jf_header(&r, 5000 + closes);
		e = closing_append(s, JOURNAL_CLOSING_Z, 20261123, &r, sg, NULL, NULL);
		journal_record_fini(&r);
		assert_true(e == SSA_ERR_OK || e == SSA_ERR_JOURNAL_MOVED);
		closes++;
	}
	if (closes == CLOSES_MAX)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		struct journal_record r;

		journal_record_init(&r, JOURNAL_CLOSING_Z);
		jf_header(&r, 9000);
		assert_int_equal(closing_append(s, JOURNAL_CLOSING_Z, 20261123, &r, sg, NULL, NULL),
				 SSA_ERR_OK);
		journal_record_fini(&r);
	}
	assert_int_equal(journal_store_scan(s, 1, check_one, &c), SSA_ERR_OK);
	if (c.bad_seq != 0)
		fail_msg("the Z at seq %llu does not cover exactly the sales before it",
			 (unsigned long long)c.bad_seq);
	assert_int_equal(c.sales, SALES);
	assert_int_equal(c.sales_since_z, 0); /* the last record is a Z */
	assert_int_equal(c.z_total, c.sales_total);
	assert_true(c.zs >= 1);
	jf_public(jf_priv_a, pub);
	assert_int_equal(journal_store_verify(s, pub, &chain), SSA_ERR_OK);
	assert_int_equal(chain.count, c.sales + c.zs);
	print_message("%d closings tried, %llu Zs among %d sales\n", closes,
		      (unsigned long long)c.zs, SALES);
	journal_store_free(s);
	journal_signer_free(sg);
	jf_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_after),
		cmocka_unit_test(test_two_processes),
	};
	return cmocka_run_group_tests_name("closing_race", tests, NULL, NULL);
}
