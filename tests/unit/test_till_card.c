/* test_till_card.c — the till's card paths with fakes behind the ports (in-memory journal, a fake
 * DESFire reader with a period state, reloads and tears) and real signed files in a temporary
 * spool: the hot list refuses a blocked card with its reason, a bad hot list keeps the previous
 * one; the monthly grant is applied once at the first tap of the month, with the batch's policy,
 * and a reload torn before or after the card's commit, or a till stopped between the card and
 * the journal, is recorded exactly once at the next tap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/card.h"
#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/grant.h"
#include "ssa/hotlist.h"
#include "ssa/journal_store.h"
#include "ssa/ledger.h"

#include "../../pos/receipt.h"
#include "../../pos/till.h"
#include "till_fixture.h"
#include "../../pos/till_card.h"

static const uint8_t list_key[32] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
				      3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
static const uint8_t caisse_key[32] = { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
					4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 };
static const uint8_t doc_key[32] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
				     5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
static const uint8_t other_key[32] = { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
				       8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 };
static const uint8_t uid[7] = { 0x04, 1, 2, 3, 4, 5, 6 };
static const uint8_t terminal_key[32] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
					  6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n" \
	"category,legumineuses,100,,,,\nexclude,alcool,,,,,\n"

#define SERIAL 0x5a01ull
#define MEMBER 0xabcull
#define TODAY 20261123
#define NOW 1795000000000

/* A DESFire card as the till's port sees it, with its period state. */
struct fake_card {
	bool present;
	struct card_identity id;
	int64_t balance;
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	size_t n;
	struct card_period_state period;
	int tear_grant; /* next apply_grant: 1 torn before the commit, 2 torn after it */
	int tear_refund; /* next refund: the same */
	int64_t limited;  /* DESFire's limited credit left: the last debit, once */
	bool old_format;  /* the period state does not name the terminal (version 1) */
	unsigned debits, grants, period_reads;
};

static enum ssa_err
f_wait(void *cls, int timeout_ms, uint8_t u[CARD_UID_MAX], size_t *len)
{
	struct fake_card *c = cls;

	(void)timeout_ms;
	if (!c->present)
		return SSA_ERR_CARD_ABSENT;
	memcpy(u, uid, sizeof(uid));
	*len = sizeof(uid);
	return SSA_ERR_OK;
}

static enum ssa_err
f_identity(void *cls, struct card_identity *out)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	*out = c->id;
	return SSA_ERR_OK;
}

static enum ssa_err
f_balance(void *cls, int64_t *balance)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	*balance = c->balance;
	return SSA_ERR_OK;
}

static enum ssa_err
f_debits(void *cls, struct card_debit_record *recs, size_t max, size_t *n)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	*n = 0;
	for (size_t i = c->n; i-- > 0 && *n < max;)
		recs[(*n)++] = c->recs[i];
	return SSA_ERR_OK;
}

static enum ssa_err
f_debit(void *cls, struct card_debit_record *rec)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_ABSENT;
	if (rec->amount > c->balance)
		return SSA_ERR_CARD_BALANCE;
	c->balance -= rec->amount;
	rec->balance_after = c->balance;
	assert_true(c->n < CARD_DEBIT_RECORDS);
	c->recs[c->n++] = *rec;
	c->debits++;
	c->limited = rec->amount;
	return SSA_ERR_OK;
}

/* Limited credit: up to the last debit, once (DESFire's rule, as ssa-cardsim). */
static enum ssa_err
f_refund(void *cls, int64_t amount, int64_t *balance)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	if (amount > c->limited)
		return SSA_ERR_CARD_REFUSED;
	if (c->tear_refund == 1) {
		c->tear_refund = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
	c->balance += amount;
	c->limited = 0;
	if (c->tear_refund == 2) {
		c->tear_refund = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
	*balance = c->balance;
	return SSA_ERR_OK;
}

static enum ssa_err
f_read_period(void *cls, struct card_period_state *out)
{
	struct fake_card *c = cls;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	c->period_reads++;
	*out = c->period;
	return SSA_ERR_OK;
}

/* As io/nfc_desfire.c: refuse a grant held already or an older period; balance and period
 * state change together. */
static enum ssa_err
f_apply_grant(void *cls, const struct card_grant *g, int64_t *balance)
{
	struct fake_card *c = cls;
	int64_t now;
	enum ssa_err err;

	if (!c->present)
		return SSA_ERR_CARD_TORN;
	if (c->period.grant_id == g->grant_id || c->period.period >= g->period) {
		*balance = c->balance;
		return SSA_ERR_CARD_ALREADY_APPLIED;
	}
	if ((err = card_reload_balance(c->balance, g->amount, g->policy, g->cap, &now)) !=
	    SSA_ERR_OK)
		return err;
	if (c->tear_grant == 1) {
		c->tear_grant = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
	/* DESFire: a Debit sets the limited credit to what the transaction took; a Credit leaves
	 * it as it was. */
	if (now < c->balance)
		c->limited = c->balance - now;
	c->balance = now;
	c->period.period = g->period;
	c->period.grant_id = g->grant_id;
	c->period.terminal = c->old_format ? 0 : card_period_terminal(g->terminal);
	c->grants++;
	if (c->tear_grant == 2) {
		c->tear_grant = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
	*balance = now;
	return SSA_ERR_OK;
}

static void
f_release(void *cls)
{
	(void)cls;
}

struct fixture {
	struct ssa_catalog *cat;
	struct ssa_journal_store *journal;
	struct journal_signer *signer;
	struct fake_card card;
	struct ssa_card_reader reader;
	uint8_t verify[32];
	char dir[64];
	struct till_card_files *files;
	struct till t;
};

static void
till_setup(struct fixture *f, struct till *t)
{
	tf_till(t, TODAY, "9", f->journal, f->signer);
	till_set_catalog(t, f->cat, "caisse-34");
	t->reader = &f->reader;
	t->caisse_verify_key = f->verify;
	t->card_terminal = 3;
	t->files = f->files;
	t->money_locale = MONEY_EN;
}

/* A fresh till on the same journal, spool and card (a restart): nothing cached. */
static void
restart(struct fixture *f)
{
	till_fini(&f->t);
	till_card_files_free(f->files);
	assert_int_equal(till_card_files_open(f->dir, NULL, &f->files, NULL, 0), SSA_ERR_OK);
	f->files->has_key = true;
	assert_int_equal(convention_public_key(doc_key, f->files->pub), SSA_ERR_OK);
	till_setup(f, &f->t);
	till_recover(&f->t);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct convention_list *l = NULL;
	struct convention_error err;
	struct catalog_product p = { .price = 235, .unit = CATALOG_PIECE, .vat_bp = 550 };
	struct catalog_product v = { .price = 590, .unit = CATALOG_PIECE, .vat_bp = 2000 };
	char *text = NULL;
	size_t len;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ssa-till-card.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(catalog_mem_new(&f->cat), SSA_ERR_OK);
	strcpy(p.code, "3560070894222");
	strcpy(p.name, "Lentilles");
	strcpy(p.category, "legumineuses");
	assert_int_equal(catalog_mem_put(f->cat, &p), SSA_ERR_OK);
	strcpy(v.code, "3176582033303");
	strcpy(v.name, "Vin");
	strcpy(v.category, "alcool");
	assert_int_equal(catalog_mem_put(f->cat, &v), SSA_ERR_OK);
	assert_int_equal(convention_sign(LIST, strlen(LIST), list_key, &text, &len), SSA_ERR_OK);
	assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_OK);
	free(text);
	assert_int_equal(catalog_mem_set_list(f->cat, l), SSA_ERR_OK);
	assert_int_equal(journal_mem_new(&f->journal), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(terminal_key, &f->signer), SSA_ERR_OK);

	f->card.present = false;
	f->card.balance = 1000;
	f->card.id = (struct card_identity){ .serial = SERIAL, .member_id = MEMBER,
					     .household_id = 1, .valid_from = 20260101,
					     .valid_to = 20271231 };
	strcpy(f->card.id.caisse, "caisse-34");
	f->card.period = (struct card_period_state){ .period = 202610, .grant_id = 7 };
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	assert_int_equal(convention_public_key(caisse_key, f->verify), SSA_ERR_OK);
	f->reader = (struct ssa_card_reader){ .cls = &f->card, .wait_card = f_wait,
					      .read_identity = f_identity,
					      .read_balance = f_balance, .read_debits = f_debits,
					      .debit = f_debit, .read_period = f_read_period,
					      .apply_grant = f_apply_grant, .refund = f_refund,
					      .release = f_release };
	assert_int_equal(till_card_files_open(f->dir, NULL, &f->files, NULL, 0), SSA_ERR_OK);
	f->files->has_key = true;
	assert_int_equal(convention_public_key(doc_key, f->files->pub), SSA_ERR_OK);
	till_setup(f, &f->t);
	*state = f;
	return 0;
}

static void
rm(const struct fixture *f, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	unlink(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	till_fini(&f->t);
	till_card_files_free(f->files);
	rm(f, "hotlist.txt");
	rm(f, "hotlist.verified");
	rm(f, "grants-202611.txt");
	rm(f, "grants-202612.txt");
	rm(f, "period-cache-202611.txt");
	rm(f, "period-cache-202612.txt");
	rmdir(f->dir);
	journal_signer_free(f->signer);
	journal_store_free(f->journal);
	catalog_close(f->cat);
	free(f);
	return 0;
}

/* Write @p len bytes as spool file @p name, with a distinct mtime (the till re-reads a file
 * whose mtime or size changed). */
static void
put_file(const struct fixture *f, const char *name, const char *text, size_t len)
{
	static long tick;
	char path[128];
	FILE *fp;
	struct timespec ts[2];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	ts[0].tv_sec = ts[1].tv_sec = 1700000000 + ++tick;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
put_hotlist(const struct fixture *f, uint32_t version, uint64_t serial, enum hotlist_reason why,
	    const uint8_t *key)
{
	struct hotlist *l;
	struct hotlist_entry e = { .serial = serial, .since = 20261101, .reason = why };
	char *text;
	size_t len;

	assert_int_equal(hotlist_new("caisse-34", version, 0, &l), SSA_ERR_OK);
	if (serial)
		assert_int_equal(hotlist_add(l, &e), SSA_ERR_OK);
	assert_int_equal(hotlist_sign(l, key, &text, &len), SSA_ERR_OK);
	put_file(f, "hotlist.txt", text, len);
	free(text);
	hotlist_free(l);
}

static void
put_grants_of(const struct fixture *f, int32_t period, const char *caisse, uint64_t id,
	      int64_t amount, enum card_reload_policy policy, int64_t cap)
{
	struct grant_batch *b;
	struct grant g1 = { .id = id, .target = GRANT_MEMBER, .holder = MEMBER, .amount = amount };
	struct grant g2 = { .id = id + 1, .target = GRANT_CARD, .holder = 0x77, .amount = 100 };
	char *text;
	size_t len;

	char name[32];

	assert_int_equal(grant_batch_new(caisse, period, "*", &b), SSA_ERR_OK);
	assert_int_equal(grant_batch_set_policy(b, policy, cap), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &g1), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &g2), SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, doc_key, &text, &len), SSA_ERR_OK);
	snprintf(name, sizeof(name), "grants-%06d.txt", (int)period);
	put_file(f, name, text, len);
	free(text);
	grant_batch_free(b);
}

static void
put_grants(const struct fixture *f, const char *caisse, uint64_t id, int64_t amount,
	   enum card_reload_policy policy, int64_t cap)
{
	put_grants_of(f, 202611, caisse, id, amount, policy, cap);
}




/* How many RELOAD records the journal holds. */
static unsigned
reloads(struct fixture *f)
{
	unsigned n = 0;

	for (uint64_t s = 1; s <= tf_last_seq(f->journal); s++) {
		struct journal_record r;
		tf_record(f->journal, s, &r);
		n += r.kind == JOURNAL_RELOAD;
		journal_record_fini(&r);
	}
	return n;
}


/* Pay two lentils (4.70, covered) with the card on the reader. */
static enum ssa_err
pay(struct fixture *f)
{
	struct receipt rc = tf_receipt();
	enum ssa_err err;

	if (f->t.state == TILL_PAID)
		till_new_sale(&f->t);
	if (f->t.state == TILL_SELLING) {
		tf_scan(&f->t, "2*3560070894222");
		assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	}
	f->card.present = true;
	err = till_poll_card(&f->t, 10, NOW, &rc);
	if (err == SSA_ERR_OK && f->t.has_card && till_due(&f->t) == 0)
		err = till_pay_commit(&f->t, NOW, &rc);
	return err;
}

/* --- hot list ------------------------------------------------------------------------------- */

static void
test_hotlisted_card_refused(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct card_identity id;
	int64_t bal = -1;

	put_hotlist(f, 3, SERIAL, HOTLIST_STOLEN, doc_key);
	tf_scan(&f->t, "2*3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	assert_string_equal(f->t.msg, "Card refused: blocked, card reported stolen on 01/11/2026.");
	assert_false(f->t.has_card);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(f->card.balance, 1000);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_true(f->t.status.hotlist_time > 1700000000);
	/* the inquiry refuses it too */
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(bal, -1);
	assert_non_null(strstr(f->t.msg, "card reported stolen"));

	/* a tampered file (signed by another key) is refused, the list in force stays */
	put_hotlist(f, 4, 0, HOTLIST_LOST, other_key);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(f->files->hot->version, 3);
	/* a truncated file likewise, with a warning once */
	put_file(f, "hotlist.txt", "ssa-hotlist,1\ncaisse,caisse-34\n", 31);
	till_card_refresh_hotlist(&f->t);
	assert_int_equal(f->t.msg_level, TILL_MSG_WARN);
	assert_non_null(strstr(f->t.msg, "hotlist.txt refused (hot list is malformed"));
	assert_non_null(strstr(f->t.msg, "the previous one stays in force"));
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	/* an older version is not taken either */
	put_hotlist(f, 2, 0, HOTLIST_LOST, doc_key);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	/* a newer full list without the card (unblocked) is */
	put_hotlist(f, 5, 0x99, HOTLIST_LOST, doc_key);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_OK);
	assert_int_equal(f->files->hot->version, 5);
	assert_true(f->t.has_card);
	assert_int_equal(till_pay_commit(&f->t, NOW, &rc), SSA_ERR_OK);
	assert_int_equal(f->card.debits, 1);
}

/* The last good list survives a restart whose spool file is bad, or gone. */
static void
test_hotlist_kept_across_restart(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	put_hotlist(f, 3, SERIAL, HOTLIST_LOST, doc_key);
	till_card_refresh_hotlist(&f->t);
	assert_int_equal(f->files->hot->version, 3);
	/* the spool's file is replaced by a forged one, the till restarts */
	put_hotlist(f, 9, 0, HOTLIST_LOST, other_key);
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	/* gone altogether: still blocked after another restart */
	rm(f, "hotlist.txt");
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(f->card.debits, 0);
	/* a forged copy of the till's own is not taken either */
	rm(f, "hotlist.verified");
	put_hotlist(f, 12, 0x99, HOTLIST_LOST, other_key);
	{
		char a[128], b[128];
		snprintf(a, sizeof(a), "%s/hotlist.txt", f->dir);
		snprintf(b, sizeof(b), "%s/hotlist.verified", f->dir);
		assert_int_equal(rename(a, b), 0);
	}
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	till_card_refresh_hotlist(&f->t);
	assert_null(f->files->hot);
}

static void
test_no_key_no_hotlist(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	put_hotlist(f, 3, SERIAL, HOTLIST_LOST, doc_key);
	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->files->has_key = false;
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(f->card.grants, 0);
	assert_int_equal(f->card.period_reads, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	(void)rc;
}

/* --- monthly reload ------------------------------------------------------------------------- */

static void
check_reload(struct fixture *f, uint64_t seq, int64_t before, int64_t after, int64_t expired)
{
	struct journal_record r;

	tf_record(f->journal, seq, &r);
	assert_int_equal(r.kind, JOURNAL_RELOAD);
	assert_string_equal(r.card, "0000000000000abc");
	assert_string_equal(r.reload.grant_id, "0000000000000064");
	assert_int_equal(r.reload.period, 202611);
	assert_int_equal(r.reload.amount, 15000);
	assert_int_equal(r.reload.expired, expired);
	assert_int_equal(r.balance_before, before);
	assert_int_equal(r.balance_after, after);
	assert_string_equal(r.terminal, "T01");
	assert_string_equal(r.operator_id, "9");
	journal_record_fini(&r);
}

static void
test_reload_once(void **state)
{
	struct fixture *f = *state;
	struct journal_record r;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	assert_int_equal(pay(f), SSA_ERR_OK);
	/* the grant first (the old 10.00 expired), then the sale on the new balance */
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(f->card.period.period, 202611);
	assert_int_equal(f->card.period.grant_id, 100);
	assert_string_equal(f->t.card_note, "Allocation of November credited: €150.00.");
	assert_int_equal(tf_last_seq(f->journal), 2);
	check_reload(f, 1, 1000, 15000, 1000);
	tf_record(f->journal, 2, &r);
	assert_int_equal(r.kind, JOURNAL_SALE);
	assert_int_equal(r.balance_before, 15000);
	assert_int_equal(r.balance_after, 15000 - 470);
	journal_record_fini(&r);
	assert_int_equal(f->card.balance, 15000 - 470);
	assert_int_equal(f->t.status.records_waiting, 2);

	/* the next tap: nothing applied again, the period file not even read */
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(f->card.period_reads, 1);
	assert_int_equal(f->t.card_note[0], '\0');
	/* after a restart the card's period state says it is done */
	restart(f);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(f->card.period_reads, 2);
	assert_int_equal(reloads(f), 1);
	assert_int_equal(tf_last_seq(f->journal), 4);
	assert_int_equal(f->card.balance, 15000 - 3 * 470);
}

static void
test_reload_rollover_and_inquiry(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	int64_t bal = 0;

	/* rollover: 10.00 kept up to 5.00, 150.00 added */
	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_ROLLOVER, 500);
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 15500);
	assert_string_equal(f->t.card_note, "Allocation of November credited: €150.00.");
	assert_int_equal(tf_last_seq(f->journal), 1);
	check_reload(f, 1, 1000, 15500, 500);
	/* again: nothing more */
	f->t.card_note[0] = '\0';
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 15500);
	assert_int_equal(f->t.card_note[0], '\0');
	assert_int_equal(tf_last_seq(f->journal), 1);
}

static void
test_no_grant_for_card(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	int64_t bal = 0;

	f->card.present = true;
	/* no batch at all this month */
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->card.period_reads, 0);
	/* a batch of another caisse: not for this card */
	put_grants(f, "caisse-12", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 0);
	/* a batch signed by another key: refused with a warning, nothing applied */
	{
		struct grant_batch *b;
		struct grant g = { .id = 100, .target = GRANT_CARD, .holder = SERIAL, .amount = 9 };
		char *text;
		size_t len;
		assert_int_equal(grant_batch_new("caisse-34", 202611, "*", &b), SSA_ERR_OK);
		assert_int_equal(grant_batch_add(b, &g), SSA_ERR_OK);
		assert_int_equal(grant_batch_sign(b, other_key, &text, &len), SSA_ERR_OK);
		put_file(f, "grants-202611.txt", text, len);
		free(text);
		grant_batch_free(b);
	}
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_non_null(strstr(f->files->warned, "grant batch signature does not verify"));
	/* the card's period state is this month already (applied at another till) */
	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.period = (struct card_period_state){ .period = 202611, .grant_id = 100 };
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(bal, 1000);
}

/* Torn before the card's commit: the next tap finds the old period state, drops the intent and
 * applies the grant afresh: one RELOAD. */
static void
test_reload_torn_before_commit(void **state)
{
	struct fixture *f = *state;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.tear_grant = 1;
	assert_int_equal(pay(f), SSA_ERR_CARD_TORN);
	assert_non_null(strstr(f->t.msg, "Monthly reload interrupted"));
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	/* the sale cannot be dropped meanwhile */
	till_cancel_sale(&f->t);
	assert_int_equal(f->t.state, TILL_PAYING);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(reloads(f), 1);
	assert_int_equal(tf_last_seq(f->journal), 2);
	check_reload(f, 1, 1000, 15000, 1000);
	assert_int_equal(f->card.balance, 15000 - 470);
	assert_int_equal(f->t.pending_id, 0);
}

/* Torn after the card's commit (its answer lost): the next tap finds the grant in the period
 * state and records the RELOAD once, without applying again. */
static void
test_reload_torn_after_commit(void **state)
{
	struct fixture *f = *state;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.tear_grant = 2;
	assert_int_equal(pay(f), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(reloads(f), 1);
	check_reload(f, 1, 1000, 15000, 1000);
	assert_string_equal(f->t.card_note, "Allocation of November credited: €150.00.");
	assert_int_equal(f->card.balance, 15000 - 470);
}

/* The till stops between the card's commit and the journal (a crash): the restarted till says
 * a reload is pending and records it at the card's next tap, once; another card meanwhile is
 * not taken for it. */
static void
test_reload_crash_restart(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct journal_record other;
	struct card_identity id;
	int64_t bal = 0;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.tear_grant = 2;
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.grants, 1);
	restart(f);
	assert_true(f->t.pending_id > 0);
	assert_string_equal(f->t.msg, "A monthly reload was interrupted: tap that card to settle it.");
	assert_true(till_card_pending_is_sale(&f->t) == false);
	/* another card comes first: refused for now, nothing recorded */
	f->card.present = true;
	f->card.id.serial = 0x5a02;
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "not the card of the interrupted reload"));
	assert_int_equal(tf_last_seq(f->journal), 0);
	f->card.id.serial = SERIAL;
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	/* no payment starts before the card settles the reload */
	tf_scan(&f->t, "2*3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_INVAL);
	assert_non_null(strstr(f->t.msg, "tap that card first to settle it"));
	/* the card: recorded once; lifted, it pays */
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(reloads(f), 1);
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "lift it, then tap the card that pays"));
	f->card.present = false;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_ABSENT);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(reloads(f), 1);
	check_reload(f, 1, 1000, 15000, 1000);
	tf_record(f->journal, 2, &other);
	assert_int_equal(other.kind, JOURNAL_SALE);
	journal_record_fini(&other);
	restart(f);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(reloads(f), 1);
}

/* A second till (terminal 4) on the same spool and card, with its own journal. */
struct other_till {
	struct ssa_journal_store *journal;
	struct till_card_files *files;
	struct till t;
};

static void
other_open(struct fixture *f, struct other_till *o)
{
	assert_int_equal(journal_mem_new(&o->journal), SSA_ERR_OK);
	assert_int_equal(till_card_files_open(f->dir, NULL, &o->files, NULL, 0), SSA_ERR_OK);
	o->files->has_key = true;
	assert_int_equal(convention_public_key(doc_key, o->files->pub), SSA_ERR_OK);
	till_setup(f, &o->t);
	strcpy(o->t.terminal, "T02");
	o->t.card_terminal = 4;
	o->t.journal = o->journal;
	o->t.files = o->files;
}

static void
other_close(struct other_till *o)
{
	till_fini(&o->t);
	till_card_files_free(o->files);
	journal_store_free(o->journal);
}

/* The RELOAD records of journal @p j, decoded into @p out (at most 4); how many. */
static size_t
journal_reloads(struct ssa_journal_store *j, struct journal_record *out)
{
	uint64_t last = 0;
	uint8_t hash[JOURNAL_HASH_LEN];
	size_t n = 0;

	assert_int_equal(journal_store_last(j, &last, hash), SSA_ERR_OK);
	for (uint64_t s = 1; s <= last; s++) {
		char *buf = NULL;
		size_t len = 0;
		assert_int_equal(journal_store_get(j, s, &buf, &len), SSA_ERR_OK);
		assert_true(n < 4);
		assert_int_equal(journal_record_decode(buf, len, &out[n], NULL), SSA_ERR_OK);
		free(buf);
		if (out[n].kind == JOURNAL_RELOAD)
			n++;
		else
			journal_record_fini(&out[n]);
	}
	return n;
}

/* Till A's reload is torn (before or after the card's commit), the card goes to till B, then back
 * to A: the grant is on the card once and recorded once over both journals, at the till whose
 * transaction the card committed; the caisse's ledger of both journals counts it once. */
static void
check_two_tills(struct fixture *f, int tear, bool old_format, size_t want_a, size_t want_b)
{
	struct other_till b;
	struct card_identity id;
	struct journal_record ra[4], rb[4];
	const struct journal_record *all[8];
	struct ledger_params lp = { .opening = 1000, .policy = CARD_RELOAD_EXPIRE };
	struct ledger_report rep;
	size_t na, nb;
	int64_t bal = 0;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.old_format = old_format;
	other_open(f, &b);
	f->card.tear_grant = tear;
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_TORN);
	assert_true(f->t.pending_id > 0);
	/* at till B: applies the grant if the card did not take A's, records only its own */
	f->card.present = true;
	assert_int_equal(till_inquiry(&b.t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 15000);
	assert_int_equal(f->card.grants, 1);
	/* back at till A: its intent settled from the card */
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(bal, 15000);
	if (tear == 1 && !old_format)
		assert_string_equal(f->t.msg, "The interrupted reload did not reach the card: another "
					      "till applied the grant and recorded it.");
	na = journal_reloads(f->journal, ra);
	nb = journal_reloads(b.journal, rb);
	assert_int_equal(na, want_a);
	assert_int_equal(nb, want_b);
	/* again at both: nothing more */
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(till_inquiry(&b.t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(reloads(f), want_a);
	/* the caisse: one grant, the books at 150.00 */
	for (size_t i = 0; i < na; i++)
		all[i] = &ra[i];
	for (size_t i = 0; i < nb; i++)
		all[na + i] = &rb[i];
	assert_int_equal(ledger_check("0000000000000abc", all, na + nb, &lp, &rep), SSA_ERR_OK);
	assert_int_equal(rep.n_anomalies, 0);
	assert_int_equal(rep.balance, 15000);
	assert_int_equal(rep.n_steps, 1);
	ledger_report_fini(&rep);
	for (size_t i = 0; i < na; i++)
		journal_record_fini(&ra[i]);
	for (size_t i = 0; i < nb; i++)
		journal_record_fini(&rb[i]);
	other_close(&b);
}

static void
test_reload_two_tills_torn_before(void **state)
{
	/* B applied it: recorded at B only */
	check_two_tills(*state, 1, false, 0, 1);
}

static void
test_reload_two_tills_torn_after(void **state)
{
	/* A's commit reached the card: B sees the month done, A records it */
	check_two_tills(*state, 2, false, 1, 0);
}

static void
test_reload_two_tills_old_format(void **state)
{
	/* a period state that does not name the terminal: both tills record it, the ledger
	 * counts it once */
	check_two_tills(*state, 1, true, 1, 1);
}

/* A line of the period cache with its check (FNV-1a of @p head), as pos/till_card.c writes it. */
static void
cache_line(FILE *fp, const char *head)
{
	uint32_t h = 2166136261u;

	for (const char *p = head; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	fprintf(fp, "%s,%08x\n", head, (unsigned)h);
}

/* The cards seen current this month are kept in the data directory: a restarted till does not
 * read their period state again (a sale stays at 9 APDUs); a cache line that is torn, of another
 * month or does not check is ignored (the period state is read); a new month never takes the
 * last month's cache for its own (the grant is applied). */
static void
test_reload_cache_across_restart(void **state)
{
	struct fixture *f = *state;
	char path[128];
	FILE *fp;

	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(f->card.period_reads, 1);
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.period_reads, 1);
	/* a damaged cache: the card's line torn, another of a wrong check, another month's */
	snprintf(path, sizeof(path), "%s/period-cache-202611.txt", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	/* the card's serial of another caisse, a wrong check, another month, torn */
	cache_line(fp, "202611,0000000000005a01,caisse-12");
	fputs("202611,0000000000005a01,caisse-34,00000000\n", fp);
	cache_line(fp, "202610,0000000000005a01,caisse-34");
	fputs("202611,0000000000005a01,caisse-34,", fp);
	assert_int_equal(fclose(fp), 0);
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.period_reads, 2);
	assert_int_equal(f->card.grants, 1);
	/* the line written then (after the torn one) is good, and is the one the till writes */
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.period_reads, 2);
	{
		char text[512] = { 0 }, want[96];
		FILE *w = fmemopen(want, sizeof(want), "w");
		assert_non_null(w);
		cache_line(w, "202611,0000000000005a01,caisse-34");
		assert_int_equal(fclose(w), 0);
		fp = fopen(path, "r");
		assert_non_null(fp);
		assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
		fclose(fp);
		assert_non_null(strstr(text, want));
	}
	/* December: November's cache is not December's, the grant is applied (and the old file
	 * removed) */
	restart(f);
	assert_int_equal(till_card_files_keep(f->files, f->dir), SSA_ERR_OK);
	f->t.today = 20261205;
	put_grants_of(f, 202612, "caisse-34", 200, 15000, CARD_RELOAD_EXPIRE, 0);
	assert_int_equal(pay(f), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 2);
	assert_int_equal(f->card.period.period, 202612);
	assert_int_equal(reloads(f), 2);
	assert_int_equal(access(path, F_OK), -1);
}

/* The verified chain holds every record (the pending intents never reach it). */
static void
test_reload_chain_verifies(void **state)
{
	struct fixture *f = *state;
	struct journal_chain c;
	uint8_t pub[32], kid[JOURNAL_KEY_ID_LEN];

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.tear_grant = 2;
	assert_int_equal(pay(f), SSA_ERR_CARD_TORN);
	assert_int_equal(pay(f), SSA_ERR_OK);
	journal_signer_public(f->signer, pub, kid);
	assert_int_equal(journal_store_verify(f->journal, pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 2);
}

/* --- refunds ------------------------------------------------------------------------------ */

/* Sale 1: three lentils (7.05, the card) and a wine (5.90, cash: 10.00 given). */
static void
sale_mixed(struct fixture *f)
{
	struct receipt rc = tf_receipt();

	tf_scan(&f->t, "3*3560070894222");
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 1000), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, NOW, &rc), SSA_ERR_OK);
	till_new_sale(&f->t);
	f->card.present = false;
}

static void
test_refund_lines(void **state)
{
	struct fixture *f = *state;
	struct till_refund rf;
	struct journal_record r;
	struct journal_chain c;
	uint8_t pub[32], kid[JOURNAL_KEY_ID_LEN];
	char *text = NULL;

	sale_mixed(f);
	assert_int_equal(till_refund_open(&f->t, 7, &rf), SSA_ERR_NOT_FOUND);
	assert_string_equal(f->t.msg, "There is no sale number 7 in this till.");
	till_refund_fini(&rf);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(rf.n, 2);
	/* nothing chosen */
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_INVAL);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 4), SSA_ERR_INVAL);
	assert_string_equal(f->t.msg, "At most 3 of this line can be refunded.");
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 2), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 1, 1), SSA_ERR_OK);
	assert_int_equal(rf.total, 470 + 590);
	assert_int_equal(rf.ssa, 470);
	/* the card is not there yet: nothing happens */
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_ABSENT);
	assert_int_equal(tf_last_seq(f->journal), 1);
	f->card.present = true;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "Refund 2 of sale 1 recorded: €10.60.");
	assert_int_equal(f->card.balance, 1000 - 705 + 470);
	assert_int_equal(tf_last_seq(f->journal), 2);
	tf_record(f->journal, 2, &r);
	assert_int_equal(r.kind, JOURNAL_REFUND);
	assert_int_equal(r.link_seq, 1);
	assert_int_equal(r.total, 1060);
	assert_int_equal(r.ssa_covered, 470);
	assert_int_equal(r.n_lines, 2);
	assert_int_equal(r.lines[0].qty, 2);
	assert_int_equal(r.lines[0].paid_ssa, 470);
	assert_int_equal(r.n_tenders, 2);
	assert_int_equal(r.tenders[0].kind, TENDER_SSA);
	assert_int_equal(r.tenders[0].amount, 470);
	assert_int_equal(r.tenders[1].kind, TENDER_CASH);
	assert_int_equal(r.tenders[1].amount, 590);
	assert_int_equal(r.balance_before, 295);
	assert_int_equal(r.balance_after, 765);
	assert_string_equal(r.card, "0000000000000abc");
	journal_record_fini(&r);
	/* the receipt */
	assert_int_equal(till_refund_receipt(&f->t, &rf.done, "Shop", "now", 40, &text), SSA_ERR_OK);
	assert_non_null(strstr(text, "Refund 2 of sale 1"));
	assert_non_null(strstr(text, "2 x Lentilles"));
	assert_non_null(strstr(text, "TOTAL REFUNDED"));
	assert_non_null(strstr(text, "-€10.60"));
	free(text);
	till_refund_fini(&rf);

	/* again: the wine and two lentils are gone; the last lentil's SSA part cannot go back to
	 * the card a second time (DESFire's limited credit) */
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(rf.lines[0].refunded_qty, 2);
	assert_int_equal(rf.lines[1].refunded_qty, 1);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 1, 1), SSA_ERR_INVAL);
	assert_string_equal(f->t.msg, "This line was refunded already.");
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	assert_int_equal(rf.ssa, 235);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_non_null(strstr(f->t.msg, "went back to the card already"));
	assert_int_equal(tf_last_seq(f->journal), 2);
	till_refund_fini(&rf);
	/* a refund is not a sale */
	assert_int_equal(till_refund_open(&f->t, 2, &rf), SSA_ERR_NOT_FOUND);
	till_refund_fini(&rf);
	journal_signer_public(f->signer, pub, kid);
	assert_int_equal(journal_store_verify(f->journal, pub, &c), SSA_ERR_OK);
}

static void
test_refund_cash_only_and_checks(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct till_refund rf;
	struct journal_record r;

	/* sale 1: a wine paid by bank card, no food card */
	f->card.balance = 5000;
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_BANK_CARD, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, NOW, &rc), SSA_ERR_OK);
	till_new_sale(&f->t);
	/* sales 2 and 3 with the card */
	sale_mixed(f);
	sale_mixed(f);
	/* sale 1 goes back by bank card, no card needed */
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_OK);
	tf_record(f->journal, tf_last_seq(f->journal), &r);
	assert_int_equal(r.n_tenders, 1);
	assert_int_equal(r.tenders[0].kind, TENDER_BANK_CARD);
	assert_string_equal(r.card, "");
	assert_true(r.balance_after == JOURNAL_NONE);
	journal_record_fini(&r);
	till_refund_fini(&rf);
	/* sale 2's SSA part: the card has paid sale 3 since */
	assert_int_equal(till_refund_open(&f->t, 2, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_string_equal(f->t.msg, "The card has paid since sale 2: its SSA part can only go "
				      "back to the card before its next payment.");
	till_refund_fini(&rf);
	/* sale 3 with another member's card */
	assert_int_equal(till_refund_open(&f->t, 3, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 3), SSA_ERR_OK);
	f->card.id.member_id = 0xdef;
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_string_equal(f->t.msg, "This is not the card that paid sale 3.");
	f->card.id.member_id = MEMBER;
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	/* the right card: the three lentils back to it */
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_OK);
	assert_int_equal(f->card.balance, 5000 - 705 - 705 + 705);
	till_refund_fini(&rf);
}

/* Torn after the card took the credit: the next tap (the loop's card poll) records it once;
 * torn before: nothing recorded, the refund can be made again. */
static void
test_refund_torn(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct till_refund rf;

	sale_mixed(f);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	f->card.present = true;
	f->card.tear_refund = 1;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_TORN);
	assert_string_equal(f->t.msg, "Refund interrupted: put the card back on the reader.");
	assert_true(f->t.pending_id > 0);
	/* no sale can be paid by card meanwhile; the card comes back */
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "The interrupted refund did not reach the card: nothing was "
				      "recorded.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.balance, 295);
	/* again, torn after the card took it, and the till restarted */
	f->card.tear_refund = 2;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.balance, 295 + 235);
	till_refund_fini(&rf);
	restart(f);
	assert_string_equal(f->t.msg, "A refund to a card was interrupted: tap that card to settle it.");
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "Refund 2 of sale 1 recorded: €2.35.");
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(f->t.last_refund_seq, 2);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_ABSENT);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(f->card.balance, 295 + 235);
}

/* A sale of November paid by the card, then the card reloaded for December (expire policy: the
 * old balance expired): the sale's SSA part does not go back to the card, with a sentence naming
 * both months; nothing changes on the card or in the journal; the sale's other lines still go
 * back by their tender.  (The card itself would take the credit: DESFire counts the limited
 * credit from the sale's debit, and the reload was a credit.) */
static void
test_refund_after_reload_next_month(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	struct till_refund rf;
	struct journal_record r;
	int64_t bal = 0;

	sale_mixed(f); /* sale 1 of 2026-11-18: 7.05 by the card (10.00 -> 2.95), 5.90 cash */
	f->t.today = 20261205;
	put_grants_of(f, 202612, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 15000);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_string_equal(f->t.msg, "Sale 1 was paid from the allocation of 11/2026, expired by the "
				      "card's reload for 12/2026: its SSA part (€2.35) cannot go back "
				      "to the card; the caisse decides.");
	assert_int_equal(f->card.balance, 15000);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(f->t.pending_id, 0);
	/* the wine (cash) still goes back */
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 0), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 1, 1), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_OK);
	tf_record(f->journal, 3, &r);
	assert_int_equal(r.kind, JOURNAL_REFUND);
	assert_int_equal(r.ssa_covered, 0);
	assert_int_equal(r.n_tenders, 1);
	assert_int_equal(r.tenders[0].kind, TENDER_CASH);
	journal_record_fini(&r);
	assert_int_equal(f->card.balance, 15000);
	till_refund_fini(&rf);
}

/* The same when the reload left the balance as it was (the grant equals the old balance): the
 * period state says the card moved to December. */
static void
test_refund_after_reload_same_balance(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	struct till_refund rf;
	int64_t bal = 0;

	sale_mixed(f);
	f->t.today = 20261205;
	put_grants_of(f, 202612, "caisse-34", 100, 295, CARD_RELOAD_EXPIRE, 0);
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(bal, 295);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 3), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_non_null(strstr(f->t.msg, "expired by the card's reload for 12/2026"));
	assert_int_equal(f->card.balance, 295);
	assert_int_equal(tf_last_seq(f->journal), 2);
	till_refund_fini(&rf);
}

/* A grant of the sale's own month applied after the sale (the batch came late; the old balance
 * was above the grant, so the reload debited and DESFire would limit the credit to that): the
 * card's balance moved since its newest debit, the refund says the card was reloaded since. */
static void
test_refund_after_late_reload(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	struct till_refund rf;
	int64_t bal = 0;

	sale_mixed(f); /* the card 10.00 -> 2.95 */
	put_grants(f, "caisse-34", 100, 200, CARD_RELOAD_EXPIRE, 0);
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 200);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_REFUSED);
	assert_string_equal(f->t.msg, "The card was reloaded since sale 1: its SSA part (€2.35) "
				      "cannot go back to the card; the caisse decides.");
	assert_int_equal(f->card.balance, 200);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(f->t.pending_id, 0);
	till_refund_fini(&rf);
}

/* A reload torn after the card's commit, then the card is blocked (the hot list arrives): its
 * next tap records the RELOAD, once, then refuses the card; the inquiry likewise. */
static void
test_reload_torn_then_hotlisted(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct card_identity id;
	int64_t bal = -1;

	put_grants(f, "caisse-34", 100, 15000, CARD_RELOAD_EXPIRE, 0);
	f->card.tear_grant = 2;
	assert_int_equal(pay(f), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.grants, 1);
	assert_true(f->t.pending_id > 0);
	put_hotlist(f, 3, SERIAL, HOTLIST_STOLEN, doc_key);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	assert_string_equal(f->t.msg, "Allocation of November credited: €150.00. Card refused: "
				      "blocked, card reported stolen on 01/11/2026.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(reloads(f), 1);
	check_reload(f, 1, 1000, 15000, 1000);
	assert_false(f->t.has_card);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_HOTLISTED);
	assert_string_equal(f->t.msg, "Card refused: blocked, card reported stolen on 01/11/2026.");
	assert_int_equal(reloads(f), 1);
	assert_int_equal(f->card.grants, 1);
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(bal, -1);
}

/* A refund torn after the card took it, then the card expires: the inquiry the next day
 * records the REFUND, once, then refuses the card. */
static void
test_refund_torn_then_expired(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	int64_t bal = -1;
	struct till_refund rf;

	sale_mixed(f);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	f->card.tear_refund = 2;
	f->card.present = true;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW + 1000), SSA_ERR_CARD_TORN);
	assert_true(f->t.pending_id > 0);
	till_refund_fini(&rf);
	f->t.today = 20280101;
	f->card.present = true;
	assert_int_equal(till_inquiry(&f->t, 10, NOW + 2000, &id, &bal), SSA_ERR_CARD_EXPIRED);
	assert_non_null(strstr(f->t.msg, "Refund 2 of sale 1 recorded"));
	assert_non_null(strstr(f->t.msg, "Card refused: card has expired."));
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(bal, -1);
}

/* A refund torn after the card took it; the card then pays 2.35 at another till, back at the
 * balance the refund started from: the balance alone would say the refund never reached the
 * card (and it would be made again); the card's newest debit is not the sale's any more, so the
 * refund stays pending for the caisse. */
static void
test_refund_torn_then_paid_elsewhere(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct till_refund rf;

	sale_mixed(f);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 1), SSA_ERR_OK);
	f->card.present = true;
	f->card.tear_refund = 2;
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.balance, 295 + 235);
	till_refund_fini(&rf);
	f->card.recs[f->card.n++] = (struct card_debit_record){ .terminal_id = 9, .seq = 40,
								 .amount = 235,
								 .balance_after = 295 };
	f->card.balance = 295;
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, NOW, &rc), SSA_ERR_CARD_ABSENT);
	assert_string_equal(f->t.msg, "The card cannot tell whether the refund reached it: it "
				      "stays pending for the caisse.");
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hotlisted_card_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hotlist_kept_across_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_key_no_hotlist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_rollover_and_inquiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_grant_for_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_torn_before_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_torn_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_crash_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_cache_across_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_two_tills_torn_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_two_tills_torn_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_two_tills_old_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_cash_only_and_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_after_reload_next_month, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_after_reload_same_balance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_after_late_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_torn_then_hotlisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_torn_then_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_torn_then_paid_elsewhere, setup, teardown),
	};
	return cmocka_run_group_tests_name("till_card", tests, NULL, NULL);
}
