/* test_card_nfc.c — the card reader adapter (io/nfc_desfire.c) through libnfc's real pn532_uart
 * driver and libfreefare 0.4.0 against ssa-cardsim: issuance, a sale and its APDU count, a tear
 * at every APDU of a sale (both sides of each APDU) settled at the next tap, the same sale
 * tapped twice, insufficient balance, refund by limited credit, a reload applied exactly once
 * (also torn at every APDU), an expired and a hot-listed card, a cloned UID, a wrong key, a
 * card without the SSA application, key file permissions, and the card's own access rights: each
 * role's key refused by the card for what another role does (libfreefare directly).
 *
 * The test starts $SSA_BUILD/ssa-cardsim on a pty.  libfreefare waits with no timeout, so an
 * alarm() watchdog bounds the whole test and every helper process runs under timeout(1).
 * The tests run in order and share the simulator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <freefare.h>
#include <nfc/nfc.h>

#include "ssa/card.h"
#include "ssa/card_reader.h"
#include "ssa/log.h"

#define WATCHDOG_SECONDS 280
#define WAIT_MS 3000
#define TODAY 20261123
#define TERMINAL 7

static const char UID_A[] = "04A1B2C3D4E5F6";
static const uint8_t UID_A_BYTES[7] = { 0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6 };
static const char UID_B[] = "04B0B0B0B0B0B0";

static struct {
	char dir[64];
	char sim[512];
	char ctl[256];
	char connstring[1024];
	pid_t pid;
	struct card_keys keys;     /* the caisse: every role and the sign key */
	struct card_keys attacker; /* other master keys (a clone's own) */
	struct ssa_card_reader reader;
	uint32_t seq;
	size_t sale_apdus;
} g;

/* Run a program with arguments up to NULL, output to @p out (NULL: discarded). */
static int
run(char *out, size_t out_size, const char *prog, ...)
{
	char *argv[16];
	int argc = 0, status, fds[2];
	va_list ap;
	pid_t pid;
	size_t len = 0;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		argv[argc++] = strdup(prog);
		va_start(ap, prog);
		for (const char *a; argc < 15 && (a = va_arg(ap, const char *));)
			argv[argc++] = strdup(a);
		va_end(ap);
		argv[argc] = NULL;
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char tmp[256];
		ssize_t r = read(fds[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && out != NULL && len + 1 < out_size; i++)
			out[len++] = tmp[i];
	}
	if (out != NULL)
		out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
ctl(const char *a, const char *b)
{
	return run(NULL, 0, "timeout", "10", g.sim, "ctl", g.ctl, a, b, (char *)NULL);
}

static char *
card_path(const char *name)
{
	static char path[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", g.dir, name);
	return path[i];
}

static void
new_card(const char *name, const char *uid)
{
	assert_int_equal(run(NULL, 0, g.sim, "new-card", card_path(name), "--uid", uid,
			     (char *)NULL),
			 0);
}

/* Put card @p name on the reader (taking off whatever is there). */
static void
insert(const char *name)
{
	ctl("remove", NULL);
	assert_int_equal(ctl("insert", card_path(name)), 0);
}

static bool
card_in_field(void)
{
	char out[512];
	assert_int_equal(run(out, sizeof(out), "timeout", "10", g.sim, "ctl", g.ctl, "status",
			     (char *)NULL),
			 0);
	return strncmp(out, "OK card", 7) == 0;
}

static long
sim_apdus(void)
{
	char out[512];
	const char *p;
	assert_int_equal(run(out, sizeof(out), "timeout", "10", g.sim, "ctl", g.ctl, "status",
			     (char *)NULL),
			 0);
	p = strstr(out, " apdus ");
	assert_non_null(p);
	return strtol(p + 7, NULL, 10);
}

static void
sim_start(void)
{
	int fds[2];
	char line[256];
	size_t len = 0;

	snprintf(g.ctl, sizeof(g.ctl), "%s/ctl", g.dir);
	assert_int_equal(pipe(fds), 0);
	g.pid = fork();
	assert_true(g.pid >= 0);
	if (g.pid == 0) {
		int fd = open(card_path("sim.err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fds[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(fds[0]);
		execlp("timeout", "timeout", "300", g.sim, "-v", "--control", g.ctl, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < sizeof(line)) {
		ssize_t r = read(fds[0], line + len, 1);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r == 1);
		if (line[len++] == '\n')
			break;
	}
	line[len - 1] = '\0';
	close(fds[0]);
	assert_memory_equal(line, "connstring ", 11);
	snprintf(g.connstring, sizeof(g.connstring), "%s", line + 11);
}

static void
fill_keys(struct card_keys *k, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->caisse, "caisse-34");
	for (int r = 0; r < CARD_KEY_COUNT; r++) {
		k->has[r] = true;
		for (int i = 0; i < 16; i++)
			k->master[r][i] = (uint8_t)(seed + 16 * r + i);
	}
	k->has_sign = true;
	for (int i = 0; i < 32; i++)
		k->sign[i] = (uint8_t)(0x40 + i);
	/* The verify key, through the parser. */
	char *text = NULL;
	assert_int_equal(card_keys_format(k, &text), SSA_ERR_OK);
	assert_int_equal(card_keys_parse(text, strlen(text), k, NULL), SSA_ERR_OK);
	free(text);
}

static int
group_setup(void **state)
{
	const char *build = getenv("SSA_BUILD");

	(void)state;
	alarm(WATCHDOG_SECONDS);
	log_init("test_card_nfc", LOG_F_STDERR, LOG_LEVEL_WARN);
	snprintf(g.dir, sizeof(g.dir), "/tmp/ssa-card-nfc-XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		return -1;
	snprintf(g.sim, sizeof(g.sim), "%s/ssa-cardsim", build ? build : "build");
	if (access(g.sim, X_OK) != 0) {
		fprintf(stderr, "no simulator at %s\n", g.sim);
		return -1;
	}
	setenv("LIBNFC_AUTO_SCAN", "false", 1);
	setenv("LIBNFC_INTRUSIVE_SCAN", "false", 1);
	sim_start();
	fill_keys(&g.keys, 0x10);
	fill_keys(&g.attacker, 0x90);
	if (nfc_desfire_open(g.connstring, &g.keys, &g.reader) != SSA_ERR_OK)
		return -1;
	g.seq = 100;
	return 0;
}

static int
group_teardown(void **state)
{
	int status;
	char cmd[128];

	(void)state;
	if (g.reader.close != NULL)
		g.reader.close(g.reader.cls);
	if (g.pid > 0) {
		ctl("quit", NULL);
		waitpid(g.pid, &status, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

/* Issue card @p name (UID @p uid) with @p keys, valid @p from..@p to, balance @p balance. */
static void
issue_with(const struct card_keys *keys, const char *name, const char *uid, uint64_t serial,
	   int32_t from, int32_t to, int64_t balance)
{
	struct ssa_card_reader rd;
	struct nfc_desfire_issue is;
	uint8_t u[CARD_UID_MAX];
	size_t ul = 0;

	new_card(name, uid);
	insert(name);
	memset(&is, 0, sizeof(is));
	is.identity.serial = serial;
	is.identity.member_id = 0xabcdef00 + serial;
	is.identity.household_id = 77;
	is.identity.valid_from = from;
	is.identity.valid_to = to;
	strcpy(is.identity.caisse, "caisse-34");
	is.balance = balance;
	g.reader.release(g.reader.cls);
	assert_int_equal(nfc_desfire_open(g.connstring, keys, &rd), SSA_ERR_OK);
	assert_int_equal(rd.wait_card(rd.cls, WAIT_MS, u, &ul), SSA_ERR_OK);
	assert_int_equal(nfc_desfire_issue(&rd, &is), SSA_ERR_OK);
	rd.close(rd.cls);
}

/* A till's tap: connect, identity checked offline, balance.  Returns the first error. */
static enum ssa_err
tap(struct ssa_card_reader *rd, struct card_identity *id, int64_t *balance,
    const uint64_t *hot, size_t n_hot)
{
	uint8_t u[CARD_UID_MAX];
	size_t ul = 0;
	enum ssa_err err;

	err = rd->wait_card(rd->cls, WAIT_MS, u, &ul);
	if (err == SSA_ERR_OK)
		err = rd->read_identity(rd->cls, id);
	if (err == SSA_ERR_OK)
		err = card_identity_check(id, u, ul, g.keys.verify, hot, n_hot, TODAY);
	if (err == SSA_ERR_OK)
		err = rd->read_balance(rd->cls, balance);
	return err;
}

/* Records of terminal TERMINAL with sequence @p seq on the card now connected. */
static int
count_records(uint32_t seq)
{
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	size_t n = 0;
	int c = 0;
	assert_int_equal(g.reader.read_debits(g.reader.cls, recs, CARD_DEBIT_RECORDS, &n),
			 SSA_ERR_OK);
	for (size_t i = 0; i < n; i++)
		if (recs[i].terminal_id == TERMINAL && recs[i].seq == seq)
			c++;
	return c;
}

static void
test_issue_and_sale(void **state)
{
	struct card_identity id;
	struct ssa_card_stats s0, s1;
	struct card_debit_record rec = { TERMINAL, 0, 2550, 0, 1795000000u };
	int64_t balance = -1;
	long sim0;
	char line[160];

	(void)state;
	issue_with(&g.keys, "a", UID_A, 0x1001, 20260101, 20271231, 15000);
	insert("a"); /* the simulator's counters start at 0 */
	sim0 = sim_apdus();
	g.reader.stats(g.reader.cls, &s0);
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_true(id.serial == 0x1001);
	assert_string_equal(id.caisse, "caisse-34");
	assert_int_equal(balance, 15000);
	rec.seq = ++g.seq;
	assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_OK);
	assert_int_equal(rec.balance_after, 12450);
	g.reader.stats(g.reader.cls, &s1);
	g.sale_apdus = (size_t)(s1.apdus - s0.apdus);
	/* The adapter's count is the card's. */
	assert_int_equal((long)g.sale_apdus, sim_apdus() - sim0);
	assert_true(g.sale_apdus <= 10);
	snprintf(line, sizeof(line), "sale (tap + debit): %zu APDUs, %llu bytes out, %llu in\n",
		 g.sale_apdus, (unsigned long long)(s1.bytes_out - s0.bytes_out),
		 (unsigned long long)(s1.bytes_in - s0.bytes_in));
	fputs(line, stderr);
	assert_int_equal(count_records(rec.seq), 1);
	/* Read back from a fresh session. */
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_int_equal(balance, 12450);
}

/* One sale torn at the @p n th APDU (@p before: before the card processes it), then the next
 * tap settles the pending intent.  The debit ends up on the card exactly once.  Returns how the
 * intent was settled. */
static enum card_settle_outcome
torn_sale(int n, bool before)
{
	struct card_identity id;
	struct card_intent intent;
	struct card_debit_record rec = { TERMINAL, 0, 100, 0, 1795000000u }, recs[CARD_DEBIT_RECORDS];
	enum card_settle_outcome o;
	int64_t start = -1, balance = -1;
	size_t nrec = 0;
	enum ssa_err err;
	char num[12];

	insert("a");
	assert_int_equal(tap(&g.reader, &id, &start, NULL, 0), SSA_ERR_OK);
	g.reader.release(g.reader.cls);
	insert("a");
	rec.seq = ++g.seq;
	/* The journal's pending intent, stored before the card is touched. */
	intent = (struct card_intent){ id.serial, TERMINAL, rec.seq, rec.amount };
	snprintf(num, sizeof(num), "%d", n);
	assert_int_equal(run(NULL, 0, "timeout", "10", g.sim, "ctl", g.ctl, "tear", num,
			     before ? "before" : NULL, (char *)NULL),
			 0);
	err = tap(&g.reader, &id, &balance, NULL, 0);
	if (err == SSA_ERR_OK)
		err = g.reader.debit(g.reader.cls, &rec);
	if (err != SSA_ERR_OK)
		assert_int_equal(err, SSA_ERR_CARD_TORN);
	assert_false(card_in_field());

	/* Next tap: the till sees its pending intent for this card and settles it. */
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_int_equal(g.reader.read_debits(g.reader.cls, recs, CARD_DEBIT_RECORDS, &nrec),
			 SSA_ERR_OK);
	assert_int_equal(card_settle(&intent, id.serial, recs, nrec, &o, NULL), SSA_ERR_OK);
	if (o == CARD_SETTLE_NOT_DEBITED) {
		assert_int_equal(balance, start);
		/* The sale is retried afresh (same intent). */
		assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_OK);
	} else {
		assert_int_equal(o, CARD_SETTLE_DEBITED);
		assert_int_equal(balance, start - 100);
	}
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_int_equal(balance, start - 100);
	assert_int_equal(count_records(rec.seq), 1);
	return o;
}

static void
test_tear_at_every_apdu(void **state)
{
	int debited = 0, not_debited = 0;

	(void)state;
	assert_true(g.sale_apdus > 0);
	for (int n = 1; n <= (int)g.sale_apdus; n++) {
		for (int before = 0; before <= 1; before++) {
			if (torn_sale(n, before) == CARD_SETTLE_DEBITED)
				debited++;
			else
				not_debited++;
		}
	}
	/* Only the commit torn after the card processed it leaves the debit done. */
	assert_int_equal(debited, 1);
	assert_int_equal(not_debited, 2 * (int)g.sale_apdus - 1);
}

static void
test_same_sale_tapped_twice(void **state)
{
	struct card_identity id;
	struct card_debit_record rec = { TERMINAL, 0, 300, 0, 1795000000u }, recs[CARD_DEBIT_RECORDS];
	struct card_intent intent;
	enum card_settle_outcome o;
	int64_t start = -1, balance = -1;
	size_t n = 0;

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &start, NULL, 0), SSA_ERR_OK);
	rec.seq = ++g.seq;
	intent = (struct card_intent){ id.serial, TERMINAL, rec.seq, rec.amount };
	assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_OK);
	/* The till died before marking the sale final; the same sale is tapped again. */
	g.reader.release(g.reader.cls);
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_int_equal(g.reader.read_debits(g.reader.cls, recs, CARD_DEBIT_RECORDS, &n),
			 SSA_ERR_OK);
	assert_int_equal(card_settle(&intent, id.serial, recs, n, &o, NULL), SSA_ERR_OK);
	assert_int_equal(o, CARD_SETTLE_DEBITED);
	assert_int_equal(balance, start - 300);
	assert_int_equal(count_records(rec.seq), 1);
	/* The newest record comes first. */
	assert_int_equal(recs[0].seq, rec.seq);
}

static void
test_insufficient_balance(void **state)
{
	struct card_identity id;
	struct card_debit_record rec = { TERMINAL, 0, 0, 0, 1795000000u };
	int64_t balance = -1, after = -1;

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	rec.seq = ++g.seq;
	rec.amount = balance + 1;
	assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_CARD_BALANCE);
	assert_int_equal(g.reader.read_balance(g.reader.cls, &after), SSA_ERR_OK);
	assert_int_equal(after, balance);
	assert_int_equal(count_records(rec.seq), 0);
	/* Partial payment: the card pays what it holds, the rest goes to another tender. */
	rec.amount = balance;
	assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_OK);
	assert_int_equal(rec.balance_after, 0);
	assert_int_equal(tap(&g.reader, &id, &after, NULL, 0), SSA_ERR_OK);
	assert_int_equal(after, 0);
}

static void
test_reload_once(void **state)
{
	struct card_identity id;
	struct card_grant grant = { 0x501, 202612, 15000, CARD_RELOAD_ROLLOVER, 5000, 0x1000007 };
	struct card_period_state st;
	int64_t balance = -1;

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	assert_int_equal(balance, 0);
	/* Torn at every APDU of the reload: retried, it is on the card exactly once. */
	int torn = 0, whole = 0;
	for (int n = 1; n <= 8; n++) {
		char num[12];
		int64_t b = -1;
		enum ssa_err err;
		struct card_grant gn = grant;

		gn.grant_id = grant.grant_id + (uint64_t)n;
		gn.period = 202500 + (uint32_t)n;
		/* Odd n: the old balance expires; even n: it rolls over up to 50.00.  The
		 * balance changes every time (a credit or a debit APDU). */
		gn.policy = n % 2 ? CARD_RELOAD_EXPIRE : CARD_RELOAD_ROLLOVER;
		gn.amount = 10000 + n;
		insert("a");
		assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
		snprintf(num, sizeof(num), "%d", n);
		assert_int_equal(run(NULL, 0, "timeout", "10", g.sim, "ctl", g.ctl, "tear", num,
				     (char *)NULL),
				 0);
		err = g.reader.apply_grant(g.reader.cls, &gn, &b);
		if (card_in_field()) {
			/* Fewer APDUs than n: applied in full; disarm the tear. */
			assert_int_equal(err, SSA_ERR_OK);
			insert("a");
			whole++;
		} else {
			assert_int_equal(err, SSA_ERR_CARD_TORN);
			insert("a");
			torn++;
		}
		assert_int_equal(tap(&g.reader, &id, &b, NULL, 0), SSA_ERR_OK);
		err = g.reader.apply_grant(g.reader.cls, &gn, &b);
		assert_true(err == SSA_ERR_OK || err == SSA_ERR_CARD_ALREADY_APPLIED);
		assert_int_equal(g.reader.apply_grant(g.reader.cls, &gn, &b),
				 SSA_ERR_CARD_ALREADY_APPLIED);
		assert_int_equal(b, gn.amount + (n % 2 ? 0 : (balance < 5000 ? balance : 5000)));
		assert_int_equal(g.reader.read_period(g.reader.cls, &st), SSA_ERR_OK);
		assert_int_equal(st.period, gn.period);
		assert_true(st.grant_id == gn.grant_id);
		assert_int_equal(st.terminal, 7); /* the applying terminal's low 24 bits */
		balance = b;
	}
	/* The reload after a tap is 7 APDUs (auth 2, read period, get value, credit or debit,
	 * write period, commit): tears 1..7 hit it, 8 does not. */
	assert_int_equal(torn, 7);
	assert_int_equal(whole, 1);
	/* An older period is refused. */
	assert_int_equal(g.reader.apply_grant(g.reader.cls, &grant, &balance), SSA_ERR_OK);
	grant.grant_id = 0x999;
	grant.period = 202501;
	assert_int_equal(g.reader.apply_grant(g.reader.cls, &grant, &balance),
			 SSA_ERR_CARD_ALREADY_APPLIED);
}

static void
test_refund(void **state)
{
	struct card_identity id;
	struct card_debit_record rec = { TERMINAL, 0, 1000, 0, 1795000000u };
	int64_t balance = -1, after = -1;

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	rec.seq = ++g.seq;
	assert_int_equal(g.reader.debit(g.reader.cls, &rec), SSA_ERR_OK);
	/* Refund of some lines of that sale. */
	assert_int_equal(g.reader.refund(g.reader.cls, 400, &after), SSA_ERR_OK);
	assert_int_equal(after, balance - 600);
	/* Limited credit cannot give back more than the last debit took, nor twice. */
	assert_int_equal(g.reader.refund(g.reader.cls, 1, &after), SSA_ERR_CARD_REFUSED);
	assert_int_equal(tap(&g.reader, &id, &after, NULL, 0), SSA_ERR_OK);
	assert_int_equal(after, balance - 600);
}

static void
test_expired_and_hotlisted(void **state)
{
	struct card_identity id;
	int64_t balance = -1;
	uint64_t hot[2] = { 0x5, 0x1001 };

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, hot, 1), SSA_ERR_OK);
	assert_int_equal(tap(&g.reader, &id, &balance, hot, 2), SSA_ERR_CARD_HOTLISTED);
	issue_with(&g.keys, "old", "04010203040506", 0x2002, 20240101, 20251231, 5000);
	insert("old");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_CARD_EXPIRED);
	issue_with(&g.keys, "early", "04010203040507", 0x2003, 20270101, 20271231, 5000);
	insert("early");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_CARD_NOT_YET_VALID);
}

static void
test_cloned_uid(void **state)
{
	struct card_identity id;
	int64_t balance = -1;
	uint8_t u[CARD_UID_MAX];
	size_t ul = 0;

	(void)state;
	/* Same UID as card a, the same identity bytes (readable by anyone), its own keys. */
	issue_with(&g.attacker, "clone", UID_A, 0x1001, 20260101, 20271231, 15000);
	insert("clone");
	assert_int_equal(g.reader.wait_card(g.reader.cls, WAIT_MS, u, &ul), SSA_ERR_OK);
	assert_memory_equal(u, UID_A_BYTES, 7);
	assert_int_equal(g.reader.read_identity(g.reader.cls, &id), SSA_ERR_OK);
	/* The signature verifies (UID and bytes are the original's) ... */
	assert_int_equal(card_identity_check(&id, u, ul, g.keys.verify, NULL, 0, TODAY),
			 SSA_ERR_OK);
	/* ... but the card cannot authenticate with the caisse's diversified key. */
	assert_int_equal(g.reader.read_balance(g.reader.cls, &balance), SSA_ERR_CARD_AUTH);
	/* The identity of another card, signed for another UID, fails offline. */
	new_card("b", UID_B);
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	u[6] ^= 0x01;
	assert_int_equal(card_identity_check(&id, u, ul, g.keys.verify, NULL, 0, TODAY),
			 SSA_ERR_CARD_SIGNATURE);
}

static void
test_wrong_key_and_blank_card(void **state)
{
	struct ssa_card_reader rd;
	struct card_keys k = g.keys;
	struct card_identity id;
	int64_t balance = -1;
	uint8_t u[CARD_UID_MAX];
	size_t ul = 0;

	(void)state;
	k.master[CARD_KEY_DEBIT][0] ^= 0x01;
	k.has[CARD_KEY_MASTER] = false;
	k.has_sign = false;
	g.reader.release(g.reader.cls);
	insert("a");
	assert_int_equal(nfc_desfire_open(g.connstring, &k, &rd), SSA_ERR_OK);
	assert_int_equal(tap(&rd, &id, &balance, NULL, 0), SSA_ERR_CARD_AUTH);
	/* Issuance needs the master and sign keys. */
	struct nfc_desfire_issue is;
	memset(&is, 0, sizeof(is));
	assert_int_equal(nfc_desfire_issue(&rd, &is), SSA_ERR_KEY);
	rd.close(rd.cls);
	/* A DESFire card without the SSA application. */
	insert("b");
	assert_int_equal(g.reader.wait_card(g.reader.cls, WAIT_MS, u, &ul), SSA_ERR_OK);
	assert_int_equal(g.reader.read_identity(g.reader.cls, &id), SSA_ERR_CARD_FORMAT);
	/* No card at all. */
	ctl("remove", NULL);
	assert_int_equal(g.reader.wait_card(g.reader.cls, 200, u, &ul), SSA_ERR_CARD_ABSENT);
	assert_int_equal(g.reader.read_identity(g.reader.cls, &id), SSA_ERR_CARD_ABSENT);
}

/* libfreefare straight to the card (not the adapter): select the SSA application and
 * authenticate with the diversified key @p key_no.  -1 when either fails. */
static int
raw_auth(MifareTag tag, const uint8_t *uid, size_t uid_len, int key_no)
{
	MifareDESFireAID aid = mifare_desfire_aid_new(CARD_AID);
	MifareDESFireKey key;
	uint8_t k[CARD_KDF_KEY_LEN];
	int rc;

	assert_non_null(aid);
	rc = mifare_desfire_select_application(tag, aid);
	free(aid);
	if (rc < 0)
		return -1;
	assert_int_equal(card_kdf_derive(g.keys.master[key_no], uid, uid_len, CARD_AID,
					 (uint8_t)key_no, k),
			 SSA_ERR_OK);
	key = mifare_desfire_aes_key_new(k);
	assert_non_null(key);
	rc = mifare_desfire_authenticate_aes(tag, (uint8_t)key_no, key);
	mifare_desfire_key_free(key);
	return rc;
}

/* The card itself enforces the roles, whatever a terminal's software does: with the right
 * diversified key of one role, what only another role may do is refused by the card with
 * AUTHENTICATION_ERROR (0xae, "the current authentication does not allow the command", as a
 * DESFire EV1 answers; 0x9d is for a right set to never) and changes nothing.  The debit key cannot credit nor write the
 * period state; the read key cannot debit, give limited credit nor read the balance; the credit
 * key cannot write a debit record. */
static void
test_wrong_role_keys(void **state)
{
	nfc_context *ctx = NULL;
	nfc_device *dev;
	MifareTag *tags, tag = NULL;
	uint8_t uid[7], rec[CARD_DEBIT_RECORD_LEN] = { 0 }, period[CARD_PERIOD_LEN] = { 0 };
	uint8_t buf[(CARD_DEBIT_RECORDS + 1) * CARD_DEBIT_RECORD_LEN];
	struct card_identity id;
	int32_t v = 0, v2 = 0;
	int64_t balance = -1, after = -1;
	char *hex;

	(void)state;
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &balance, NULL, 0), SSA_ERR_OK);
	g.reader.release(g.reader.cls);
	nfc_init(&ctx);
	assert_non_null(ctx);
	dev = nfc_open(ctx, g.connstring);
	assert_non_null(dev);
	assert_true(nfc_initiator_init(dev) >= 0);
	tags = freefare_get_tags(dev);
	assert_non_null(tags);
	for (size_t i = 0; tags[i] != NULL; i++)
		if (freefare_get_tag_type(tags[i]) == DESFIRE)
			tag = tags[i];
	assert_non_null(tag);
	hex = freefare_get_tag_uid(tag);
	assert_string_equal(hex, "04a1b2c3d4e5f6");
	free(hex);
	memcpy(uid, UID_A_BYTES, sizeof(uid));
	assert_int_equal(mifare_desfire_connect(tag), 0);

	/* the debit key: reads and debits, but no credit and no period state */
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_DEBIT), 0);
	assert_int_equal(mifare_desfire_get_value_ex(tag, CARD_FILE_BALANCE, &v, MDCM_MACED), 0);
	assert_int_equal(v, balance);
	assert_true(mifare_desfire_credit_ex(tag, CARD_FILE_BALANCE, 100, MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_DEBIT), 0);
	assert_true(mifare_desfire_write_data_ex(tag, CARD_FILE_PERIOD, 0, sizeof(period), period,
						 MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);

	/* the read key: the history, not the balance, and no debit nor limited credit */
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_READ), 0);
	assert_true(mifare_desfire_read_records_ex(tag, CARD_FILE_DEBITS, 0, 0, buf, MDCM_MACED) >
		    0);
	assert_true(mifare_desfire_debit_ex(tag, CARD_FILE_BALANCE, 100, MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_READ), 0);
	assert_true(mifare_desfire_limited_credit_ex(tag, CARD_FILE_BALANCE, 1, MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_READ), 0);
	assert_true(mifare_desfire_get_value_ex(tag, CARD_FILE_BALANCE, &v2, MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);

	/* the credit key: the balance, but no debit record */
	assert_int_equal(raw_auth(tag, uid, sizeof(uid), CARD_KEY_CREDIT), 0);
	assert_true(mifare_desfire_write_record_ex(tag, CARD_FILE_DEBITS, 0, sizeof(rec), rec,
						   MDCM_MACED) < 0);
	assert_int_equal(mifare_desfire_last_picc_error(tag), 0xae);

	mifare_desfire_abort_transaction(tag);
	mifare_desfire_disconnect(tag);
	freefare_free_tags(tags);
	nfc_close(dev);
	nfc_exit(ctx);

	/* nothing changed on the card */
	insert("a");
	assert_int_equal(tap(&g.reader, &id, &after, NULL, 0), SSA_ERR_OK);
	assert_int_equal(after, balance);
}

static void
test_key_file_permissions(void **state)
{
	struct card_keys k;
	char *text = NULL, *path = card_path("keys"), *link = card_path("keys.link");
	int fd;

	(void)state;
	assert_int_equal(card_keys_format(&g.keys, &text), SSA_ERR_OK);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(text);
	assert_int_equal(nfc_desfire_load_keys(path, &k), SSA_ERR_OK);
	assert_memory_equal(k.master, g.keys.master, sizeof(k.master));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(nfc_desfire_load_keys(path, &k), SSA_ERR_KEY);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(nfc_desfire_load_keys(path, &k), SSA_ERR_KEY);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(nfc_desfire_load_keys(path, &k), SSA_ERR_OK);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(nfc_desfire_load_keys(link, &k), SSA_ERR_KEY);
	assert_int_equal(nfc_desfire_load_keys(card_path("none"), &k), SSA_ERR_KEY);
	card_keys_wipe(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_and_sale),
		cmocka_unit_test(test_tear_at_every_apdu),
		cmocka_unit_test(test_same_sale_tapped_twice),
		cmocka_unit_test(test_insufficient_balance),
		cmocka_unit_test(test_reload_once),
		cmocka_unit_test(test_refund),
		cmocka_unit_test(test_expired_and_hotlisted),
		cmocka_unit_test(test_cloned_uid),
		cmocka_unit_test(test_wrong_key_and_blank_card),
		cmocka_unit_test(test_wrong_role_keys),
		cmocka_unit_test(test_key_file_permissions),
	};
	return cmocka_run_group_tests_name("card_nfc", tests, group_setup, group_teardown);
}
