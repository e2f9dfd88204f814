/* bench_card.c — card round trips of the till: APDUs and bytes per sale, per monthly reload, per
 * balance inquiry and per refund (goal: <= 10 APDUs for a sale), counted by the reader's stats()
 * (every APDU libfreefare sends through libnfc's real pn532_uart driver) against ssa-cardsim.
 *
 * The till's own card paths run (pos/till.c, pos/till_card.c, pos/till_refund.c) with the real
 * adapter (io/nfc_desfire.c), an in-memory journal and catalog, and a spool holding this
 * month's signed grant batch.  Each figure is the mean over CARDS fresh cards.  Counts, not
 * timings: nothing here depends on the machine's speed.
 *
 * Usage: bench_card [CARDS]   (make bench sets SSA_BUILD and SSA_BENCH_DIR) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssa/card.h"
#include "ssa/card_reader.h"
#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/grant.h"
#include "ssa/journal_store.h"
#include "ssa/log.h"

#include "../pos/receipt.h"
#include "../pos/till.h"
#include "../pos/till_card.h"

#define TODAY 20261123
#define PERIOD 202611
#define NOW 1795000000000
#define MAX_CARDS 20

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n" \
	"category,legumineuses,100,,,,\n"

static const uint8_t list_key[32] = { 1 };
static const uint8_t doc_key[32] = { 5 };
static const uint8_t terminal_key[32] = { 3 };

static struct {
	const char *dir;
	char sim[512], ctl[600], connstring[1024];
	pid_t pid;
} g;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_card: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (g.pid > 0)
		kill(g.pid, SIGTERM);
	exit(1);
}

/* Run the simulator's control command (bounded by timeout(1)); its exit status. */
static int
ctl(const char *a, const char *b)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execlp("timeout", "timeout", "10", g.sim, "ctl", g.ctl, a, b, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
sim_start(void)
{
	int fds[2];
	char line[1000];
	size_t len = 0;

	snprintf(g.ctl, sizeof(g.ctl), "%s/ctl", g.dir);
	if (pipe(fds) != 0 || (g.pid = fork()) < 0)
		die("fork");
	if (g.pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fds[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(fds[0]);
		execlp("timeout", "timeout", "300", g.sim, "--control", g.ctl, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < sizeof(line)) {
		ssize_t r = read(fds[0], line + len, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1)
			die("ssa-cardsim did not start");
		if (line[len++] == '\n')
			break;
	}
	line[len - 1] = '\0';
	close(fds[0]);
	if (strncmp(line, "connstring ", 11) != 0)
		die("ssa-cardsim said: %s", line);
	snprintf(g.connstring, sizeof(g.connstring), "%s", line + 11);
}

static void
insert(int i)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/card%d", g.dir, i);
	ctl("remove", NULL);
	if (ctl("insert", path) != 0)
		die("insert %s", path);
}

/* Issue card @p i (serial 0x6000 + i, 50,00 EUR) on the simulator. */
static void
issue(struct ssa_card_reader *rd, int i)
{
	char path[600], uid[32];
	uint8_t u[CARD_UID_MAX];
	size_t ul;
	struct nfc_desfire_issue is = { .balance = 5000 };
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/card%d", g.dir, i);
	snprintf(uid, sizeof(uid), "04BE0C00%06X", i);
	if ((pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execl(g.sim, g.sim, "new-card", path, "--uid", uid, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("new-card %s", path);
	insert(i);
	is.identity = (struct card_identity){ .serial = 0x6000u + (uint64_t)i,
					      .member_id = 0x6000u + (uint64_t)i,
					      .household_id = 1, .valid_from = 20200101,
					      .valid_to = 20991231 };
	strcpy(is.identity.caisse, "caisse-34");
	if (rd->wait_card(rd->cls, 3000, u, &ul) != SSA_ERR_OK ||
	    nfc_desfire_issue(rd, &is) != SSA_ERR_OK)
		die("issue card %d", i);
	rd->release(rd->cls);
}

static void
fill_keys(struct card_keys *k)
{
	char *text = NULL;

	memset(k, 0, sizeof(*k));
	strcpy(k->caisse, "caisse-34");
	for (int r = 0; r < CARD_KEY_COUNT; r++) {
		k->has[r] = true;
		for (int i = 0; i < 16; i++)
			k->master[r][i] = (uint8_t)(0x20 + 16 * r + i);
	}
	k->has_sign = true;
	for (int i = 0; i < 32; i++)
		k->sign[i] = (uint8_t)(0x40 + i);
	if (card_keys_format(k, &text) != SSA_ERR_OK ||
	    card_keys_parse(text, strlen(text), k, NULL) != SSA_ERR_OK)
		die("keys");
	free(text);
}

/* This month's grants for every card, signed, in the spool. */
static void
put_grants(int cards)
{
	struct grant_batch *b;
	char path[600], *text;
	size_t len;
	FILE *f;

	if (grant_batch_new("caisse-34", PERIOD, "*", &b) != SSA_ERR_OK ||
	    grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, 2000) != SSA_ERR_OK)
		die("batch");
	for (int i = 0; i < cards; i++) {
		struct grant g1 = { .id = (uint64_t)i + 1, .target = GRANT_CARD,
				    .holder = 0x6000u + (uint64_t)i, .amount = 15000 };
		if (grant_batch_add(b, &g1) != SSA_ERR_OK)
			die("grant");
	}
	if (grant_batch_sign(b, doc_key, &text, &len) != SSA_ERR_OK)
		die("sign");
	snprintf(path, sizeof(path), "%s/grants-%06d.txt", g.dir, PERIOD);
	if ((f = fopen(path, "wb")) == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		die("%s", path);
	free(text);
	grant_batch_free(b);
}

struct tally {
	const char *what;
	uint64_t n, apdus, out, in;
};

static void
count(struct tally *t, const struct ssa_card_stats *a, const struct ssa_card_stats *b)
{
	t->n++;
	t->apdus += b->apdus - a->apdus;
	t->out += b->bytes_out - a->bytes_out;
	t->in += b->bytes_in - a->bytes_in;
}

static void
scan(struct till *t, const char *code)
{
	strcpy(t->entry, code);
	if (till_enter(t) != SSA_ERR_OK)
		die("scan %s: %s", code, t->msg);
}

/* A sale of two lentils paid by the card on the reader: the tap, then the debit. */
static void
sale(struct till *t, struct ssa_card_reader *rd, struct tally *tl)
{
	struct receipt rc = { .time_text = "now", .loc = MONEY_EN, .width = 40 };
	struct ssa_card_stats a, b;

	till_new_sale(t);
	scan(t, "2*3560070894222");
	if (till_pay_start(t) != SSA_ERR_OK)
		die("pay start");
	rd->stats(rd->cls, &a);
	if (till_poll_card(t, 3000, NOW, &rc) != SSA_ERR_OK || !t->has_card ||
	    till_pay_commit(t, NOW, &rc) != SSA_ERR_OK)
		die("sale: %s", t->msg);
	rd->stats(rd->cls, &b);
	count(tl, &a, &b);
}

int
main(int argc, char **argv)
{
	int cards = argc > 1 ? atoi(argv[1]) : 5;
	const char *build = getenv("SSA_BUILD");
	struct ssa_catalog *cat = NULL;
	struct ssa_journal_store *journal = NULL;
	struct journal_signer *signer = NULL;
	struct convention_list *l = NULL;
	struct catalog_product p = { .price = 235, .unit = CATALOG_PIECE, .vat_bp = 550 };
	struct till_card_files *files = NULL;
	struct convention_error cerr;
	struct card_keys keys;
	struct ssa_card_reader rd;
	struct till t;
	char *text = NULL;
	size_t len;
	struct tally tl[] = {
		{ .what = "sale (tap + debit)" },
		{ .what = "first sale of the month (tap + reload + debit)" },
		{ .what = "sale after a restart (period cache in data_dir)" },
		{ .what = "balance inquiry" },
		{ .what = "balance inquiry with the month's reload" },
		{ .what = "refund of a sale's SSA part (tap + limited credit)" },
		{ .what = "sale after a restart without the period cache" },
	};
	char data[1024];

	g.dir = getenv("SSA_BENCH_DIR");
	if (!g.dir || !build)
		die("run me through make bench (SSA_BENCH_DIR, SSA_BUILD)");
	if (cards < 1 || cards > MAX_CARDS)
		cards = 5;
	alarm(280);
	log_init("bench_card", LOG_F_STDERR, LOG_LEVEL_ERR);
	setenv("LIBNFC_AUTO_SCAN", "false", 1);
	setenv("LIBNFC_INTRUSIVE_SCAN", "false", 1);
	snprintf(g.sim, sizeof(g.sim), "%s/ssa-cardsim", build);
	sim_start();
	fill_keys(&keys);
	if (nfc_desfire_open(g.connstring, &keys, &rd) != SSA_ERR_OK)
		die("open the reader on %s", g.connstring);
	for (int i = 0; i < 2 * cards; i++)
		issue(&rd, i);
	put_grants(2 * cards);

	strcpy(p.code, "3560070894222");
	strcpy(p.name, "Lentilles");
	strcpy(p.category, "legumineuses");
	if (catalog_mem_new(&cat) != SSA_ERR_OK || catalog_mem_put(cat, &p) != SSA_ERR_OK ||
	    convention_sign(LIST, strlen(LIST), list_key, &text, &len) != SSA_ERR_OK ||
	    convention_list_parse(text, len, &l, &cerr) != SSA_ERR_OK ||
	    catalog_mem_set_list(cat, l) != SSA_ERR_OK || journal_mem_new(&journal) != SSA_ERR_OK ||
	    journal_signer_new(terminal_key, &signer) != SSA_ERR_OK ||
	    till_card_files_open(g.dir, NULL, &files, NULL, 0) != SSA_ERR_OK ||
	    convention_public_key(doc_key, files->pub) != SSA_ERR_OK)
		die("setup");
	free(text);
	files->has_key = true;
	/* the till's data directory: the cards seen current this month are kept there */
	snprintf(data, sizeof(data), "%s/data", g.dir);
	if (mkdir(data, 0700) != 0 || till_card_files_keep(files, data) != SSA_ERR_OK)
		die("data dir");
	till_init(&t, TODAY);
	till_set_catalog(&t, cat, "caisse-34");
	strcpy(t.establishment, "bench");
	strcpy(t.terminal, "T01");
	strcpy(t.operator_id, "1");
	t.journal = journal;
	t.signer = signer;
	t.reader = &rd;
	t.caisse_verify_key = keys.verify;
	t.card_terminal = 9;
	t.files = files;

	for (int i = 0; i < cards; i++) {
		struct ssa_card_stats a, b;
		struct card_identity id;
		struct till_refund rf;
		int64_t bal;
		uint64_t seq;

		/* card i: its first sale of the month reloads it, the second is a plain sale */
		insert(i);
		sale(&t, &rd, &tl[1]);
		sale(&t, &rd, &tl[0]);
		/* its refund: the SSA part of the last sale back to it */
		seq = t.last_sale_seq;
		if (till_refund_open(&t, seq, &rf) != SSA_ERR_OK ||
		    till_refund_set_qty(&t, &rf, 0, 2) != SSA_ERR_OK)
			die("refund open: %s", t.msg);
		rd.stats(rd.cls, &a);
		if (till_refund_commit(&t, &rf, 3000, NOW) != SSA_ERR_OK)
			die("refund: %s", t.msg);
		rd.stats(rd.cls, &b);
		count(&tl[5], &a, &b);
		till_refund_fini(&rf);
		/* an inquiry with card i (done for the month) */
		rd.stats(rd.cls, &a);
		if (till_inquiry(&t, 3000, NOW, &id, &bal) != SSA_ERR_OK)
			die("inquiry: %s", t.msg);
		rd.stats(rd.cls, &b);
		count(&tl[3], &a, &b);
		/* card cards + i: its first tap of the month is an inquiry */
		insert(cards + i);
		rd.stats(rd.cls, &a);
		if (till_inquiry(&t, 3000, NOW, &id, &bal) != SSA_ERR_OK || !t.card_note[0])
			die("inquiry with reload: %s", t.msg);
		rd.stats(rd.cls, &b);
		count(&tl[4], &a, &b);
	}
	/* a restarted till: the cards seen current are in its data directory (restart 1), or
	 * it has none and reads their period state once (restart 2) */
	for (int r = 1; r <= 2; r++) {
		till_fini(&t);
		till_card_files_free(files);
		if (till_card_files_open(g.dir, NULL, &files, NULL, 0) != SSA_ERR_OK ||
		    convention_public_key(doc_key, files->pub) != SSA_ERR_OK ||
		    (r == 1 && till_card_files_keep(files, data) != SSA_ERR_OK))
			die("files");
		files->has_key = true;
		till_init(&t, TODAY);
		till_set_catalog(&t, cat, "caisse-34");
		strcpy(t.establishment, "bench");
		strcpy(t.terminal, "T01");
		strcpy(t.operator_id, "1");
		t.journal = journal;
		t.signer = signer;
		t.reader = &rd;
		t.caisse_verify_key = keys.verify;
		t.card_terminal = 9;
		t.files = files;
		for (int i = 0; i < cards; i++) {
			insert(i);
			sale(&t, &rd, &tl[r == 1 ? 2 : 6]);
		}
	}

	printf("card round trips through libnfc's pn532_uart driver to ssa-cardsim, mean of %d "
	       "cards (goal: a sale <= 10 APDUs)\n",
	       cards);
	printf("  %-52s %6s %10s %9s\n", "operation", "APDUs", "bytes out", "bytes in");
	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++)
		if (tl[i].n)
			printf("  %-52s %6.1f %10.1f %9.1f\n", tl[i].what,
			       (double)tl[i].apdus / (double)tl[i].n,
			       (double)tl[i].out / (double)tl[i].n, (double)tl[i].in / (double)tl[i].n);
	printf("  %-52s %6.1f %10.1f %9.1f\n", "reload alone (first sale - sale)",
	       (double)(tl[1].apdus - tl[0].apdus) / (double)cards,
	       (double)(tl[1].out - tl[0].out) / (double)cards,
	       (double)(tl[1].in - tl[0].in) / (double)cards);

	till_fini(&t);
	till_card_files_free(files);
	rd.close(rd.cls);
	card_keys_wipe(&keys);
	journal_signer_free(signer);
	journal_store_free(journal);
	catalog_close(cat);
	ctl("quit", NULL);
	waitpid(g.pid, NULL, 0);
	return 0;
}
