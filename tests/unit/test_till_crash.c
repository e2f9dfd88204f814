/* test_till_crash.c — crash safety of the till's own checkout, isync's way.
 *
 * The till's logic (pos/till.c: till_add_entry through till_enter, till_pay_start,
 * till_poll_card -> till_pay_card, till_pay_tender, till_pay_commit) runs against the real
 * SQLite journal (io/journal_sqlite.c) and a fake card reader whose card lives in a file written
 * durably (so it survives the crash like a real card).  The workload is three sales: card +
 * cash, cash only, card + cash.  It runs in a forked child with SSA_CRASH_AFTER=N for
 * N = 1, 2, ... until a child completes.  After every crash:
 *   - before any restart: every sequence number the child saw recorded (written to a side file
 *     and fsynced right after till_pay_commit returned) is in the journal, as that sale;
 *   - the restarted till (another child, no fault injection) runs till_recover, settles an
 *     interrupted card payment at the next tap (till_poll_card), then records what is missing;
 *   - nothing lost, nothing doubled, the card debited once per card sale (its records match the
 *     journal's), nothing pending, the chain verifies;
 *   - a rerun changes nothing (same last sequence number and hash, same card).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "ssa/card.h"
#include "ssa/card_reader.h"
#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/crash.h"
#include "ssa/journal_store.h"

#include "../../pos/receipt.h"
#include "../../pos/till.h"

#define NSALES 3
#define MAX_N 400 /* bound of the loop; the workload has far fewer steps */
#define T0 1795000000000LL /* sale n is recorded at T0 + 1000 n (UTC ms) */
#define BALANCE0 5000

static const uint8_t list_key[32] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
				      3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
static const uint8_t caisse_key[32] = { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
					4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 };
static const uint8_t uid[7] = { 0x04, 1, 2, 3, 4, 5, 6 };

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n" \
	"category,legumineuses,100,,,,\nexclude,alcool,,,,,\n"

/* The sales: what is scanned, whether the card is tapped, what the card pays. */
static const struct sale {
	const char *scans[2];
	bool card;
	int64_t ssa;   /* the card's part */
	int64_t total; /* the whole sale */
} sales[NSALES + 1] = {
	[1] = { { "3*3560070894222", "3176582033303" }, true, 705, 1295 },
	[2] = { { "3560070894222", "3176582033303" }, false, 0, 825 },
	[3] = { { "2*3560070894222", "3176582033303" }, true, 470, 1060 },
};

/* --- the card: a file, written durably (temp, fsync, rename, fsync dir) -------------------- */

struct card_file {
	int64_t balance;
	uint64_t n;
	struct card_debit_record recs[CARD_DEBIT_RECORDS]; /* oldest first */
};

struct card {
	const char *dir;
	struct card_identity id;
	struct card_file f;
	bool lifted; /* off the reader for the next look only */
};

static void
card_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/card", dir);
}

static int
card_load(const char *dir, struct card_file *f)
{
	char p[600];
	int fd, ok;

	card_path(dir, p, sizeof(p));
	memset(f, 0, sizeof(*f));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = read(fd, f, sizeof(*f)) == (ssize_t)sizeof(*f);
	close(fd);
	return ok ? 0 : -1;
}

static int
card_store(const char *dir, const struct card_file *f)
{
	char p[600], tmp[620];
	int fd, dfd, ok;

	card_path(dir, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, f, sizeof(*f)) == (ssize_t)sizeof(*f) && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, p) != 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	ok = fsync(dfd) == 0;
	close(dfd);
	return ok ? 0 : -1;
}

static enum ssa_err
f_wait(void *cls, int timeout_ms, uint8_t u[CARD_UID_MAX], size_t *len)
{
	struct card *c = cls;

	(void)timeout_ms;
	if (c->lifted) {
		c->lifted = false;
		return SSA_ERR_CARD_ABSENT;
	}
	if (card_load(c->dir, &c->f) != 0)
		return SSA_ERR_CARD_FORMAT;
	memcpy(u, uid, sizeof(uid));
	*len = sizeof(uid);
	return SSA_ERR_OK;
}

static enum ssa_err
f_identity(void *cls, struct card_identity *out)
{
	*out = ((struct card *)cls)->id;
	return SSA_ERR_OK;
}

static enum ssa_err
f_balance(void *cls, int64_t *balance)
{
	*balance = ((struct card *)cls)->f.balance;
	return SSA_ERR_OK;
}

static enum ssa_err
f_debits(void *cls, struct card_debit_record *recs, size_t max, size_t *n)
{
	struct card *c = cls;

	*n = 0;
	for (size_t i = (size_t)c->f.n; i-- > 0 && *n < max;)
		recs[(*n)++] = c->f.recs[i];
	return SSA_ERR_OK;
}

/* The debit is one atomic, durable change of the card file, with a crash point either side. */
static enum ssa_err
f_debit(void *cls, struct card_debit_record *rec)
{
	struct card *c = cls;
	struct card_file f = c->f;

	if (rec->amount > f.balance)
		return SSA_ERR_CARD_BALANCE;
	if (f.n >= CARD_DEBIT_RECORDS)
		return SSA_ERR_CARD_FORMAT; /* never in this test: 3 sales */
	f.balance -= rec->amount;
	rec->balance_after = f.balance;
	f.recs[f.n++] = *rec;
	crash_step("card: before debit");
	if (card_store(c->dir, &f) != 0)
		return SSA_ERR_CARD_TORN;
	crash_step("card: after debit");
	c->f = f;
	return SSA_ERR_OK;
}

static void
f_release(void *cls)
{
	(void)cls;
}

/* --- the side file: seqs the child saw recorded ---------------------------------------------- */

static void
side_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/recorded", dir);
}

/* Append "seq sale" and fsync, before anything else happens. */
static int
side_note(const char *dir, uint64_t seq, int n)
{
	char p[600], line[64];
	int fd, len, ok;

	side_path(dir, p, sizeof(p));
	len = snprintf(line, sizeof(line), "%llu %d\n", (unsigned long long)seq, n);
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, line, (size_t)len) == len && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

/* --- what the journal holds ------------------------------------------------------------------ */

struct seen {
	unsigned sales[NSALES + 1];
	uint64_t seq[NSALES + 1];
	int64_t ssa[NSALES + 1];
	int64_t total[NSALES + 1];
	unsigned other;
	uint64_t n;
};

static enum ssa_err
seen_cb(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct seen *s = ctx;
	struct journal_record r;
	enum ssa_err e = journal_record_decode(buf, len, &r, NULL);
	int64_t n;

	if (e != SSA_ERR_OK)
		return e;
	s->n++;
	n = (r.time_ms - T0) / 1000;
	if (r.kind == JOURNAL_SALE && r.time_ms == T0 + 1000 * n && n >= 1 && n <= NSALES) {
		s->sales[n]++;
		s->seq[n] = seq;
		s->ssa[n] = r.ssa_covered;
		s->total[n] = r.total;
	} else {
		s->other++;
	}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

/* --- the till's workload ---------------------------------------------------------------------- */

struct rig {
	struct ssa_catalog *cat;
	struct ssa_journal_store *journal;
	struct journal_signer *signer;
	struct card card;
	struct ssa_card_reader reader;
	uint8_t verify[32];
};

static int
rig_open(struct rig *g, const char *dir, const char *path)
{
	struct convention_list *l = NULL;
	struct convention_error cerr;
	struct catalog_product p = { .price = 235, .unit = CATALOG_PIECE, .vat_bp = 550 };
	struct catalog_product v = { .price = 590, .unit = CATALOG_PIECE, .vat_bp = 2000 };
	char *text = NULL, why[512];
	size_t len;

	memset(g, 0, sizeof(*g));
	strcpy(p.code, "3560070894222");
	strcpy(p.name, "Lentilles");
	strcpy(p.category, "legumineuses");
	strcpy(v.code, "3176582033303");
	strcpy(v.name, "Vin");
	strcpy(v.category, "alcool");
	if (catalog_mem_new(&g->cat) != SSA_ERR_OK || catalog_mem_put(g->cat, &p) != SSA_ERR_OK ||
	    catalog_mem_put(g->cat, &v) != SSA_ERR_OK ||
	    convention_sign(LIST, strlen(LIST), list_key, &text, &len) != SSA_ERR_OK ||
	    convention_list_parse(text, len, &l, &cerr) != SSA_ERR_OK ||
	    catalog_mem_set_list(g->cat, l) != SSA_ERR_OK) {
		free(text);
		return -1;
	}
	free(text);
	if (journal_sqlite_open(path, &g->journal, why, sizeof(why)) != SSA_ERR_OK) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	g->signer = jf_signer(jf_priv_a);
	g->card.dir = dir;
	g->card.id = (struct card_identity){ .serial = 0x5a01, .member_id = 0xabc,
					     .household_id = 1, .valid_from = 20260101,
					     .valid_to = 20271231 };
	strcpy(g->card.id.caisse, "caisse-34");
	if (card_identity_sign(&g->card.id, uid, sizeof(uid), caisse_key) != SSA_ERR_OK ||
	    convention_public_key(caisse_key, g->verify) != SSA_ERR_OK)
		return -1;
	g->reader = (struct ssa_card_reader){ .cls = &g->card, .wait_card = f_wait,
					      .read_identity = f_identity,
					      .read_balance = f_balance, .read_debits = f_debits,
					      .debit = f_debit, .release = f_release };
	return 0;
}

static void
rig_close(struct rig *g)
{
	journal_signer_free(g->signer);
	journal_store_free(g->journal);
	catalog_close(g->cat);
}

static void
till_setup(struct rig *g, struct till *t)
{
	till_init(t, 20261123);
	till_set_catalog(t, g->cat, "caisse-34");
	strcpy(t->establishment, "epicerie-test");
	strcpy(t->terminal, "T01");
	strcpy(t->operator_id, "9");
	t->journal = g->journal;
	t->signer = g->signer;
	t->reader = &g->reader;
	t->caisse_verify_key = g->verify;
	t->card_terminal = 3;
}

/* One sale through the till, as the cashier does it.  0 when recorded. */
static int
sell(struct till *t, const char *dir, int n)
{
	const struct sale *s = &sales[n];
	struct receipt rc = { .time_text = "now", .loc = MONEY_EN, .width = 40 };
	int64_t now_ms = T0 + 1000 * n;

	for (size_t i = 0; i < 2; i++) {
		snprintf(t->entry, sizeof(t->entry), "%s", s->scans[i]);
		if (till_enter(t) != SSA_ERR_OK)
			return -1;
	}
	if (till_pay_start(t) != SSA_ERR_OK)
		return -1;
	/* A card that settled an interrupted payment is lifted before a card pays. */
	if (s->card && t->tap == TILL_TAP_MUST_LEAVE) {
		((struct card *)t->reader->cls)->lifted = true;
		if (till_poll_card(t, 0, now_ms, &rc) != SSA_ERR_CARD_ABSENT ||
		    t->tap == TILL_TAP_MUST_LEAVE)
			return -1;
	}
	if (s->card && (till_poll_card(t, 0, now_ms, &rc) != SSA_ERR_OK || !t->has_card ||
			t->alloc.ssa_debit != s->ssa))
		return -1;
	/* The rest in cash, with 10 euros given: change. */
	if (till_pay_tender(t, TENDER_CASH, 1000) != SSA_ERR_OK ||
	    till_pay_commit(t, now_ms, &rc) != SSA_ERR_OK || t->state != TILL_PAID)
		return -1;
	/* The sale is recorded: note its seq durably before anything else can happen. */
	if (side_note(dir, t->last_sale_seq, n) != 0)
		return -1;
	till_new_sale(t);
	return 0;
}

/* How the start-up went: exit statuses of the restarted child. */
enum { START_CLEAN = 0, START_FAILED = 1, START_SETTLED_RECORDED = 2, START_SETTLED_DROPPED = 3 };

/* The till from start-up: recover, settle an interrupted card payment at the card's tap, then
 * record the sales the journal does not hold.  START_FAILED, or how the start-up went. */
static int
workload(const char *dir, const char *path)
{
	struct rig g;
	struct till t;
	struct seen seen;
	uint64_t before = 0, after = 0;
	uint8_t h[JOURNAL_HASH_LEN];
	int rc = START_FAILED, start = START_CLEAN;

	if (rig_open(&g, dir, path) != 0)
		goto out_rig;
	till_setup(&g, &t);
	till_recover(&t);
	if (t.pending_id) {
		/* The member taps the card: the interrupted payment is recorded once or dropped. */
		if (journal_store_last(g.journal, &before, h) != SSA_ERR_OK ||
		    till_poll_card(&t, 0, T0 + 100000, NULL) != SSA_ERR_OK || t.pending_id ||
		    journal_store_last(g.journal, &after, h) != SSA_ERR_OK) {
			fprintf(stderr, "settle: %s\n", t.msg);
			goto out;
		}
		start = after == before + 1 ? START_SETTLED_RECORDED : START_SETTLED_DROPPED;
	}
	memset(&seen, 0, sizeof(seen));
	if (journal_store_scan(g.journal, 1, seen_cb, &seen) != SSA_ERR_OK)
		goto out;
	for (int n = 1; n <= NSALES; n++) {
		if (seen.sales[n] != 0)
			continue;
		if (sell(&t, dir, n) != 0) {
			fprintf(stderr, "sale %d: %s\n", n, t.msg);
			goto out;
		}
	}
	rc = start;
out:
	till_fini(&t);
out_rig:
	rig_close(&g);
	return rc;
}

/* Run the workload in a child (a process of its own, like the till), crashing after @p crash
 * steps (0: never).  Its exit status. */
static int
run_child(const char *dir, const char *path, int crash)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char v[16];
		if (crash > 0) {
			snprintf(v, sizeof(v), "%d", crash);
			setenv("SSA_CRASH_AFTER", v, 1);
		} else {
			unsetenv("SSA_CRASH_AFTER");
		}
		crash_reset();
		_exit(workload(dir, path));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Right after a crash, before any restart: every seq the child noted is in the journal, as the
 * sale it noted.  The number of seqs noted. */
static unsigned
check_noted(const char *dir, const char *path)
{
	struct ssa_journal_store *s = NULL;
	struct seen seen;
	char p[600], why[512];
	unsigned long long seq;
	unsigned count = 0;
	int n;
	FILE *f;

	side_path(dir, p, sizeof(p));
	f = fopen(p, "r");
	if (!f)
		return 0;
	assert_int_equal(journal_sqlite_open(path, &s, why, sizeof(why)), SSA_ERR_OK);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(journal_store_scan(s, 1, seen_cb, &seen), SSA_ERR_OK);
	while (fscanf(f, "%llu %d", &seq, &n) == 2) {
		assert_true(n >= 1 && n <= NSALES);
		assert_int_equal(seen.sales[n], 1);
		assert_int_equal(seen.seq[n], seq);
		count++;
	}
	fclose(f);
	journal_store_free(s);
	return count;
}

/* The state after a completed run. */
static void
check_state(const char *dir, const char *path, uint64_t *last, uint8_t hash[32],
	    struct card_file *card)
{
	struct ssa_journal_store *s = NULL;
	struct journal_chain c;
	struct seen seen;
	uint8_t pub[32];
	uint64_t id;
	void *intent;
	size_t len;
	char why[512];
	int64_t debited = 0;
	unsigned card_sales = 0;

	assert_int_equal(journal_sqlite_open(path, &s, why, sizeof(why)), SSA_ERR_OK);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(journal_store_scan(s, 1, seen_cb, &seen), SSA_ERR_OK);
	/* Nothing lost, nothing doubled, every sale as it was paid. */
	for (int n = 1; n <= NSALES; n++) {
		assert_int_equal(seen.sales[n], 1);
		assert_int_equal(seen.ssa[n], sales[n].ssa);
		assert_int_equal(seen.total[n], sales[n].total);
		debited += sales[n].ssa;
		card_sales += sales[n].card;
	}
	assert_int_equal(seen.other, 0);
	assert_int_equal(seen.n, NSALES);
	/* The card was debited once per card sale, each debit naming the sale's seq. */
	assert_int_equal(card_load(dir, card), 0);
	assert_int_equal(card->balance, BALANCE0 - debited);
	assert_int_equal(card->n, card_sales);
	for (uint64_t i = 0; i < card->n; i++) {
		int found = 0;
		for (int n = 1; n <= NSALES; n++)
			if (sales[n].card && seen.seq[n] == card->recs[i].seq) {
				assert_int_equal(card->recs[i].amount, sales[n].ssa);
				assert_int_equal(card->recs[i].terminal_id, 3);
				found++;
			}
		assert_int_equal(found, 1);
	}
	assert_int_equal(journal_store_get_pending(s, &id, &intent, &len), SSA_ERR_NOT_FOUND);
	jf_public(jf_priv_a, pub);
	assert_int_equal(journal_store_verify(s, pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, NSALES);
	*last = c.last_seq;
	memcpy(hash, c.last_hash, 32);
	journal_store_free(s);
}

static void
fresh(const char *dir)
{
	struct card_file f = { .balance = BALANCE0 };
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -f '%s'/journal.db* '%s'/card* '%s'/recorded", dir, dir,
		 dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(card_store(dir, &f), 0);
}

static void
test_crash_every_step(void **state)
{
	char *dir = jf_tmpdir();
	char path[600];
	int n, crashes = 0, recorded = 0, dropped = 0;
	unsigned noted = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	fresh(dir);
	for (n = 1; n <= MAX_N; n++) {
		uint64_t last1, last2;
		uint8_t h1[32], h2[32];
		struct card_file c1, c2;
		int st = run_child(dir, path, n);

		if (st == START_CLEAN)
			break; /* N is past the last step: the run completed */
		assert_int_equal(st, CRASH_EXIT_STATUS);
		crashes++;
		/* Nothing the till reported as recorded is lost, checked before any restart. */
		noted += check_noted(dir, path);
		/* Restart without fault injection, then check; running again changes nothing. */
		st = run_child(dir, path, 0);
		assert_true(st == START_CLEAN || st == START_SETTLED_RECORDED ||
			    st == START_SETTLED_DROPPED);
		recorded += st == START_SETTLED_RECORDED;
		dropped += st == START_SETTLED_DROPPED;
		check_state(dir, path, &last1, h1, &c1);
		assert_int_equal(run_child(dir, path, 0), 0);
		check_state(dir, path, &last2, h2, &c2);
		assert_int_equal(last1, last2);
		assert_memory_equal(h1, h2, 32);
		assert_memory_equal(&c1, &c2, sizeof(c1));
		fresh(dir);
	}
	print_message("  %d crash points replayed, %u recorded sales checked right after a crash, "
		      "%d interrupted card payments recorded and %d dropped at the next tap\n",
		      crashes, noted, recorded, dropped);
	assert_true(n <= MAX_N);
	assert_true(crashes > 15);
	assert_true(noted > 10);
	/* Both ways of settling were crossed: a debit that happened, one that did not. */
	assert_true(recorded >= 2);
	assert_true(dropped >= 2);
	{
		uint64_t last;
		uint8_t h[32];
		struct card_file c;
		check_state(dir, path, &last, h, &c);
	}
	jf_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_every_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
