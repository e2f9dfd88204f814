/* test_till_pay.c — paying and recording with fakes behind the ports: the in-memory journal
 * store (journal_mem_new) and a fake card reader that can tear the card away before or after
 * its debit.  A sale is recorded once, or not at all; a torn debit keeps the sale pending
 * until the card comes back, also across a restart of the till.  Tap to pay: only a card that
 * arrives on a reader seen empty pays; one left after the previous sale, or lying on a reader
 * plugged back, never does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/card.h"
#include "ssa/catalog.h"
#include "ssa/convention.h"
#include "ssa/journal_store.h"

#include "../../pos/receipt.h"
#include "../../pos/till.h"
#include "till_fixture.h"

static const uint8_t list_key[32] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
				      3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
static const uint8_t caisse_key[32] = { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
					4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 };
static const uint8_t uid[7] = { 0x04, 1, 2, 3, 4, 5, 6 };
static const uint8_t terminal_key[32] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
					  6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };

#define LIST \
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n" \
	"category,legumineuses,100,,,,\nexclude,alcool,,,,,\n"

/* A DESFire card as the till's port sees it. */
struct fake_card {
	bool present;
	struct card_identity id;
	int64_t balance;
	struct card_debit_record recs[CARD_DEBIT_RECORDS]; /* oldest first */
	size_t n;
	int tear; /* next debit: 0 normal, 1 torn before it happens, 2 torn after it happened */
	unsigned debits;
	unsigned waits;       /* wait_card calls */
	enum ssa_err wait_err; /* wait_card answers this with a card there, unless SSA_ERR_OK */
};

static enum ssa_err
f_wait(void *cls, int timeout_ms, uint8_t u[CARD_UID_MAX], size_t *len)
{
	struct fake_card *c = cls;

	(void)timeout_ms;
	c->waits++;
	if (!c->present)
		return SSA_ERR_CARD_ABSENT;
	if (c->wait_err != SSA_ERR_OK)
		return c->wait_err;
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
	if (c->tear == 1) {
		c->tear = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
	c->balance -= rec->amount;
	rec->balance_after = c->balance;
	assert_true(c->n < CARD_DEBIT_RECORDS);
	c->recs[c->n++] = *rec;
	c->debits++;
	if (c->tear == 2) {
		c->tear = 0;
		c->present = false;
		return SSA_ERR_CARD_TORN;
	}
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
	struct till t;
};

/* A till as every test here has it (again at a restart, tf_torn_restart). */
static void
till_setup(void *cls, struct till *t)
{
	struct fixture *f = cls;

	tf_till(t, 20261123, "9", f->journal, f->signer);
	till_set_catalog(t, f->cat, "caisse-34");
	t->reader = &f->reader;
	t->caisse_verify_key = f->verify;
	t->card_terminal = 3;
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
	f->card.id = (struct card_identity){ .serial = 0x5a01, .member_id = 0xabc,
					     .household_id = 1, .valid_from = 20260101,
					     .valid_to = 20271231 };
	strcpy(f->card.id.caisse, "caisse-34");
	assert_int_equal(card_identity_sign(&f->card.id, uid, sizeof(uid), caisse_key), SSA_ERR_OK);
	assert_int_equal(convention_public_key(caisse_key, f->verify), SSA_ERR_OK);
	f->reader = (struct ssa_card_reader){ .cls = &f->card, .wait_card = f_wait,
					      .read_identity = f_identity,
					      .read_balance = f_balance, .read_debits = f_debits,
					      .debit = f_debit, .release = f_release };
	till_setup(f, &f->t);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	till_fini(&f->t);
	journal_signer_free(f->signer);
	journal_store_free(f->journal);
	catalog_close(f->cat);
	free(f);
	return 0;
}




/* Start paying 3 lentils (7.05, covered) and a wine (5.90): the card pays 7.05. */
static void
start(struct fixture *f)
{
	struct receipt rc = tf_receipt();

	tf_scan(&f->t, "3*3560070894222");
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_poll_card(&f->t, 10, 1795000000000, &rc), SSA_ERR_CARD_ABSENT);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000000000, &rc), SSA_ERR_OK);
	assert_true(f->t.has_card);
	assert_int_equal(f->t.alloc.ssa_debit, 705);
	assert_int_equal(till_due(&f->t), 590);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 1000), SSA_ERR_OK);
}

/* The payment of start() committed with the card torn away (@p tear: 1 before its debit, 2
 * after), the till stops there and another starts in its place on the same journal. */
static void
torn_restart(struct fixture *f, int tear)
{
	start(f);
	f->card.tear = tear;
	tf_torn_restart(&f->t, 1795000000000, till_setup, f);
}

static void
test_card_and_cash(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct journal_chain c;
	uint8_t pub[32], kid[JOURNAL_KEY_ID_LEN];

	start(f);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.balance, 295);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(f->card.recs[0].terminal_id, 3);
	assert_int_equal(f->card.recs[0].seq, 1);
	assert_non_null(strstr(f->t.receipt, "SSA card"));
	assert_non_null(strstr(f->t.receipt, "Sale 1"));
	assert_string_equal(f->t.msg, "Sale 1 recorded. Change to give: 4,10\u00a0\u20ac.");
	journal_signer_public(f->signer, pub, kid);
	assert_int_equal(journal_store_verify(f->journal, pub, &c), SSA_ERR_OK);
	/* a second commit records nothing more */
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_INVAL);
	assert_int_equal(tf_last_seq(f->journal), 1);
}

static void
test_torn_after_debit(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	start(f);
	f->card.tear = 2;
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_CARD_TORN);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_true(f->t.pending_id > 0);
	assert_non_null(strstr(f->t.msg, "put the card back"));
	/* the sale cannot be dropped or changed while its debit may have happened */
	till_cancel_sale(&f->t);
	assert_int_equal(f->t.basket.n, 2);
	assert_int_equal(till_pay_back(&f->t), SSA_ERR_INVAL);
	strcpy(f->t.entry, "3560070894222");
	assert_int_equal(till_enter(&f->t), SSA_ERR_INVAL);
	assert_int_equal(f->t.basket.n, 2);
	/* no card yet: still pending */
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_CARD_ABSENT);
	/* the card comes back: its record says it paid; recorded once, not debited again */
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(f->card.balance, 295);
	assert_non_null(f->t.receipt);
}

static void
test_torn_before_debit(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	start(f);
	f->card.tear = 1;
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_CARD_TORN);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(f->card.debits, 0);
	f->card.present = true;
	/* the card never paid: the debit is made now, then recorded */
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(f->card.balance, 295);
}

static void
test_restart_settles_pending(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	/* the till dies here; another starts on the same journal */
	torn_restart(f, 2);
	assert_true(f->t.pending_id > 0);
	assert_string_equal(f->t.msg,
	                    "A card payment was interrupted: tap that card to settle it.");
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_OK);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->t.pending_id, 0);
	assert_string_equal(f->t.msg, "The interrupted card payment was recorded.");
	/* and again: nothing pending, nothing more */
	till_recover(&f->t);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.debits, 1);
}

/* A till restarted with a card payment pending rings up the next customer: the payment cannot
 * start before the old intent is settled (its card tapped on the sale screen records it on its
 * own), and that card, left on the reader, does not pay the new basket: it must be lifted first;
 * the new sale is then recorded too. */
static void
test_restart_pending_during_next_sale(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct journal_record r;
	char *enc = NULL;
	size_t len = 0;
	const char *why;

	torn_restart(f, 2); /* the card paid, the till died before recording */
	assert_true(f->t.pending_id > 0);
	/* the next customer: a bottle of wine; no payment before the old intent is settled */
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_INVAL);
	assert_string_equal(f->t.msg, "A card payment, reload or refund was interrupted: tap that "
	                              "card first to settle it; no payment can be taken before.");
	assert_int_equal(f->t.state, TILL_SELLING);
	/* the first customer's card comes back */
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "The interrupted card payment was recorded.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->t.state, TILL_SELLING);
	assert_int_equal(f->t.basket.n, 1);
	/* that card stays on the reader: it does not pay the wine */
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002500, &rc), SSA_ERR_CARD_ABSENT);
	assert_string_equal(f->t.msg, "The card that settled the interrupted operation is still on "
	                              "the reader: lift it, then tap the card that pays.");
	assert_false(f->t.has_card);
	f->card.present = false;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002600, &rc), SSA_ERR_CARD_ABSENT);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 590), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000003000, &rc), SSA_ERR_OK);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(journal_store_get(f->journal, 2, &enc, &len), SSA_ERR_OK);
	assert_int_equal(journal_record_decode(enc, len, &r, &why), SSA_ERR_OK);
	assert_int_equal(r.n_lines, 1);
	assert_int_equal(r.total, 590);
	assert_int_equal(r.ssa_covered, 0);
	journal_record_fini(&r);
	free(enc);
	/* lifted, a card tapped again pays (the next sale) */
	till_new_sale(&f->t);
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000004000, &rc), SSA_ERR_OK);
	assert_true(f->t.has_card);
}

static void
test_restart_not_debited(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	torn_restart(f, 1);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_OK);
	assert_string_equal(f->t.msg,
	                    "The interrupted card payment did not happen: nothing was recorded.");
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(f->t.pending_id, 0);
}

static void
test_refused_cards(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	tf_scan(&f->t, "3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	/* an identity signed for another card's UID (a copied file) */
	f->card.id.household_id = 2;
	assert_int_equal(till_poll_card(&f->t, 10, 0, &rc), SSA_ERR_CARD_SIGNATURE);
	assert_string_equal(f->t.msg,
			    "Card refused: card identity signature does not verify.");
	assert_false(f->t.has_card);
	f->card.id.household_id = 1;
	/* expired */
	f->t.today = 20280101;
	assert_int_equal(till_poll_card(&f->t, 10, 0, &rc), SSA_ERR_CARD_EXPIRED);
	assert_false(f->t.has_card);
	assert_int_equal(tf_last_seq(f->journal), 0);
}

static void
test_cash_only(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	f->t.reader = NULL;
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 0, &rc), SSA_ERR_BASKET_UNPAID);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(till_pay_tender(&f->t, TENDER_BANK_CARD, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_null(strstr(f->t.receipt, "SSA card"));
	assert_non_null(strstr(f->t.receipt, "bank card"));
	/* the next scan starts the next sale */
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(f->t.state, TILL_SELLING);
	assert_int_equal(f->t.basket.n, 1);
}

static void
test_x_and_z(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct journal_record r;

	tf_scan(&f->t, "3*3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	/* no closing while a sale is under way */
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 0, false, &r),
			 SSA_ERR_INVAL);
	journal_record_fini(&r);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 1000), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	/* X: computed, not recorded */
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 1795000001000, false, &r),
			 SSA_ERR_OK);
	assert_int_equal(r.closing.sales, 1);
	assert_int_equal(r.closing.total, 705);
	assert_int_equal(r.closing.tenders[TENDER_CASH], 705);
	journal_record_fini(&r);
	assert_int_equal(tf_last_seq(f->journal), 1);
	/* Z: recorded */
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 1795000002000, true, &r),
			 SSA_ERR_OK);
	assert_int_equal(r.closing.number, 1);
	assert_int_equal(r.closing.perpetual, 705);
	journal_record_fini(&r);
	assert_int_equal(tf_last_seq(f->journal), 2);
	assert_string_equal(f->t.msg, "Closing 1 recorded (record 2).");
	/* the next X starts from that Z */
	assert_int_equal(till_closing(&f->t, JOURNAL_CLOSING_Z, 20261123, 1795000003000, false, &r),
			 SSA_ERR_OK);
	assert_int_equal(r.closing.sales, 0);
	assert_int_equal(r.closing.perpetual, 705);
	journal_record_fini(&r);
}

/* A journal that cannot drop an intent (SQLITE_BUSY, disk full): the store's answer. */
static enum ssa_err
drop_fails(void *cls, uint64_t id)
{
	(void)cls;
	(void)id;
	return SSA_ERR_DB;
}

/* The intent pending in the journal, 0: none. */
static uint64_t
stored_intent(struct fixture *f)
{
	void *blob = NULL;
	size_t len = 0;
	uint64_t id = 0;

	if (journal_store_get_pending(f->journal, &id, &blob, &len) != SSA_ERR_OK)
		return 0;
	free(blob);
	return id;
}

/* The card's balance fell short at the debit (paid elsewhere meanwhile) and the journal could
 * not drop the intent: the till keeps it (the card sequence stays taken), says so, and drops it
 * at the next tap once the journal can. */
static void
test_drop_fails_short_balance(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	enum ssa_err (*drop)(void *, uint64_t) = f->journal->drop_pending;
	uint64_t pid;

	start(f);
	f->card.balance = 100;
	f->journal->drop_pending = drop_fails;
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_DB);
	pid = stored_intent(f);
	assert_true(pid > 0);
	assert_int_equal(f->t.pending_id, pid);
	assert_non_null(strstr(f->t.msg, "could not be cleared from the journal"));
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	/* the sale cannot be dropped while the till holds the intent */
	assert_int_equal(till_pay_back(&f->t), SSA_ERR_INVAL);
	/* the journal is back: the next tap finds the card short again and drops the intent */
	f->journal->drop_pending = drop;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_CARD_BALANCE);
	assert_int_equal(stored_intent(f), 0);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
}

/* After a restart, an interrupted payment that did not happen is dropped at its card's tap: a
 * drop that fails keeps it pending, as the till does, with a message; the next tap drops it. */
static void
test_drop_fails_not_debited(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	enum ssa_err (*drop)(void *, uint64_t) = f->journal->drop_pending;
	uint64_t pid;

	torn_restart(f, 1);
	pid = stored_intent(f);
	assert_int_equal(f->t.pending_id, pid);
	f->card.present = true;
	f->journal->drop_pending = drop_fails;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_DB);
	assert_int_equal(stored_intent(f), pid);
	assert_int_equal(f->t.pending_id, pid);
	assert_non_null(strstr(f->t.msg, "could not be cleared from the journal"));
	f->journal->drop_pending = drop;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000003000, &rc), SSA_ERR_OK);
	assert_string_equal(f->t.msg,
	                    "The interrupted card payment did not happen: nothing was recorded.");
	assert_int_equal(stored_intent(f), 0);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(f->card.debits, 0);
}

/* A sale torn before the card's commit; the card pays 1.00 at another till, comes back: it is not
 * debited with the old split (its record would say 10.00 -> 2.95 of a card at 9.00), the
 * intent goes and the split is made again from the balance read now. */
static void
test_not_debited_balance_changed(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();
	struct journal_record r;

	tf_scan(&f->t, "3*3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000000000, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.alloc.ssa_debit, 705);
	assert_int_equal(till_due(&f->t), 0);
	f->card.tear = 1;
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card.debits, 0);
	/* another till debits 1.00 */
	f->card.recs[f->card.n++] =
		(struct card_debit_record){ .terminal_id = 9, .seq = 50, .amount = 100 };
	f->card.balance -= 100;
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_CARD_BALANCE);
	assert_string_equal(f->t.msg, "The card's balance changed: tap the card again.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(stored_intent(f), 0);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	/* the next tap reads 9.00: the split again, debited and recorded with the card's balances */
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_OK);
	assert_true(f->t.has_card);
	assert_int_equal(f->t.alloc.ssa_debit, 705);
	assert_int_equal(till_pay_commit(&f->t, 1795000002000, &rc), SSA_ERR_OK);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(f->card.balance, 195);
	assert_int_equal(tf_last_seq(f->journal), 1);
	{
		char *enc = NULL;
		size_t len = 0;
		const char *why;

		assert_int_equal(journal_store_get(f->journal, 1, &enc, &len), SSA_ERR_OK);
		assert_int_equal(journal_record_decode(enc, len, &r, &why), SSA_ERR_OK);
		free(enc);
	}
	assert_int_equal(r.balance_before, 900);
	assert_int_equal(r.balance_after, 195);
	assert_int_equal(r.ssa_covered, 705);
	journal_record_fini(&r);
}

/* A sale torn after the card's commit on the card's last valid day: the till restarted the
 * next day settles it (recorded once) before refusing the expired card for anything new. */
static void
test_expired_card_settles(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	torn_restart(f, 2);
	f->t.today = 20280101; /* the card is valid to 20271231 */
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000002000, &rc), SSA_ERR_CARD_EXPIRED);
	assert_string_equal(f->t.msg,
	                    "The interrupted card payment was recorded. Card refused: card "
	                    "has expired.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(stored_intent(f), 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(f->card.debits, 1);
	/* it pays nothing new (lifted and tapped again) */
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	f->card.present = false;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000003000, &rc), SSA_ERR_CARD_ABSENT);
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000003000, &rc), SSA_ERR_CARD_EXPIRED);
	assert_string_equal(f->t.msg, "Card refused: card has expired.");
	assert_false(f->t.has_card);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(tf_last_seq(f->journal), 1);
}

/* Torn before the card's commit, and midnight passes on the card's last valid day: the card is
 * not debited afresh; the intent goes, the sale is paid otherwise. */
static void
test_expired_card_not_debited(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	start(f);
	f->card.tear = 1;
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_CARD_TORN);
	f->t.today = 20280101;
	f->card.present = true;
	assert_int_equal(till_poll_card(&f->t, 10, 1795000001000, &rc), SSA_ERR_CARD_EXPIRED);
	assert_string_equal(f->t.msg, "The card was not debited: nothing was recorded. Card "
				      "refused: card has expired.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(stored_intent(f), 0);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_false(f->t.has_card);
	assert_int_equal(till_pay_back(&f->t), SSA_ERR_OK);
}

/* 3 lentils (7.05, covered) and a wine (5.90) in the basket. */
static void
fill(struct fixture *f)
{
	tf_scan(&f->t, "3*3560070894222");
	tf_scan(&f->t, "3176582033303");
}

/* Tap to pay with a card on the reader that did not arrive: look after look, it is left there
 * and nothing starts. */
static void
tap_left_there(struct fixture *f, int64_t now_ms)
{
	for (int i = 0; i < 5; i++) {
		assert_int_equal(till_tap(&f->t, 0, now_ms), SSA_ERR_CARD_ABSENT);
		assert_int_equal(f->t.tap, TILL_TAP_LEFT);
		assert_int_equal(f->t.state, TILL_SELLING);
	}
	assert_false(f->t.has_card);
}

/* That card lifted, then tapped again: an arrival, the payment starts with it. */
static void
tap_again(struct fixture *f, int64_t now_ms)
{
	f->card.present = false;
	assert_int_equal(till_tap(&f->t, 0, now_ms), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_READY);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, now_ms), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAYING);
}

static void
test_tap_arrival_pays(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	fill(f);
	assert_int_equal(f->t.tap, TILL_TAP_UNKNOWN);
	/* the reader seen empty: ready; then the card arrives and is read in the same call */
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_READY);
	assert_int_equal(f->t.state, TILL_SELLING);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAYING);
	assert_true(f->t.has_card);
	assert_int_equal(f->t.alloc.ssa_debit, 705);
	assert_int_equal(till_due(&f->t), 590);
	/* a payment under way: no tap looks at the reader */
	assert_false(till_tap_wanted(&f->t));
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(f->card.balance, 295);
	assert_int_equal(tf_last_seq(f->journal), 1);
	/* the sale ended: the reader must be seen empty again */
	assert_int_equal(f->t.tap, TILL_TAP_UNKNOWN);
}

static void
test_tap_card_left_never_pays(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	fill(f);
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	/* the card stays on the reader; the next customer's basket (started by a scan) */
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(f->t.state, TILL_SELLING);
	tap_left_there(f, 1795000001000);
	assert_int_equal(f->card.debits, 1);
	assert_int_equal(tf_last_seq(f->journal), 1);
	/* lifted, then tapped again: that is an arrival */
	tap_again(f, 1795000001000);
	assert_int_equal(f->t.alloc.ssa_debit, 235);
}

static void
test_tap_card_left_f3_still_pays(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	/* a card on the reader before the first look (start-up, or left): F3 reads it */
	f->card.present = true;
	fill(f);
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_LEFT);
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_poll_card(&f->t, 10, 1795000000000, &rc), SSA_ERR_OK);
	assert_true(f->t.has_card);
	/* back to the sale: the card still there did not arrive again */
	assert_int_equal(till_pay_back(&f->t), SSA_ERR_OK);
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.state, TILL_SELLING);
	assert_int_equal(f->t.tap, TILL_TAP_LEFT);
	/* a payment started by a tap, then dropped: the same */
	f->card.present = false;
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_OK);
	assert_int_equal(till_pay_back(&f->t), SSA_ERR_OK);
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.state, TILL_SELLING);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
}

/* Tap to pay: the reader is unplugged and plugged back with a card already lying on it.  The
 * reader was not seen empty in between: that card did not arrive, it pays only once lifted and
 * tapped again. */
static void
test_tap_reader_replugged(void **state)
{
	struct fixture *f = *state;

	fill(f);
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_READY);
	/* unplugged: the reader answers errors; meanwhile a card is put where it stood */
	f->card.present = true;
	f->card.wait_err = SSA_ERR_READER;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_CARD_ABSENT);
		assert_int_equal(f->t.tap, TILL_TAP_UNKNOWN);
	}
	/* plugged back with the card on it: seen there, it did not arrive */
	f->card.wait_err = SSA_ERR_OK;
	tap_left_there(f, 1795000001000);
	assert_int_equal(f->card.debits, 0);
	/* lifted, then tapped again: that is an arrival */
	tap_again(f, 1795000002000);
	assert_int_equal(f->t.alloc.ssa_debit, 705);
}

static void
test_tap_when_not_wanted(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	int64_t balance;

	/* an empty basket: the reader is not looked at, a card there changes nothing */
	f->card.present = true;
	assert_false(till_tap_wanted(&f->t));
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->card.waits, 0);
	assert_int_equal(f->t.state, TILL_SELLING);
	/* no reader, no journal or signer: no look either */
	fill(f);
	f->t.reader = NULL;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	f->t.reader = &f->reader;
	f->t.signer = NULL;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	f->t.signer = f->signer;
	assert_int_equal(f->card.waits, 0);
	/* a look that finds something that is no card connected changes nothing */
	f->card.present = false;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_READY);
	f->card.present = true;
	f->card.wait_err = SSA_ERR_CARD_FORMAT;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_READY);
	assert_int_equal(f->t.state, TILL_SELLING);
	f->card.wait_err = SSA_ERR_OK;
	/* a balance inquiry leaves its card on the reader: it did not arrive for this basket */
	assert_int_equal(till_inquiry(&f->t, 0, 0, &id, &balance), SSA_ERR_OK);
	assert_int_equal(f->t.tap, TILL_TAP_UNKNOWN);
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_LEFT);
	/* the UI forgets what it saw (another screen had the focus) */
	f->card.present = false;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	till_tap_reset(&f->t);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.state, TILL_SELLING);
	/* cancelled: the next basket waits for the reader seen empty too */
	till_cancel_sale(&f->t);
	assert_int_equal(f->t.tap, TILL_TAP_UNKNOWN);
	assert_int_equal(f->card.debits, 0);
}

static void
test_scan_while_paying(void **state)
{
	struct fixture *f = *state;

	fill(f);
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	f->card.present = true;
	assert_int_equal(till_tap(&f->t, 0, 1795000000000), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 100), SSA_ERR_OK);
	/* a scan before the debit: back to the sale with the line, the card and tenders dropped */
	tf_scan(&f->t, "3560070894222");
	assert_int_equal(f->t.state, TILL_SELLING);
	assert_int_equal(f->t.basket.n, 3);
	assert_false(f->t.has_card);
	assert_int_equal(f->t.msg_level, TILL_MSG_WARN);
	assert_string_equal(f->t.msg,
			    "Lentilles. Pay again: F3, or lift the card and tap it again.");
	assert_int_equal(till_tap(&f->t, 0, 0), SSA_ERR_CARD_ABSENT);
	assert_int_equal(f->t.tap, TILL_TAP_LEFT);
	assert_int_equal(f->card.debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
}

static void
test_entry_kept_for_next_sale(void **state)
{
	struct fixture *f = *state;
	struct receipt rc = tf_receipt();

	f->t.reader = NULL;
	tf_scan(&f->t, "3176582033303");
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 0), SSA_ERR_OK);
	assert_int_equal(till_pay_commit(&f->t, 1795000000000, &rc), SSA_ERR_OK);
	/* "3*" typed on the receipt, the sale screen opens the next sale, then the scan */
	assert_true(till_entry_type(&f->t, '3'));
	assert_true(till_entry_type(&f->t, '*'));
	till_new_sale(&f->t);
	assert_string_equal(f->t.entry, "3*");
	for (const char *p = "3560070894222"; *p; p++)
		assert_true(till_entry_type(&f->t, *p));
	assert_int_equal(till_enter(&f->t), SSA_ERR_OK);
	assert_int_equal(f->t.basket.n, 1);
	assert_int_equal(f->t.basket.lines[0].qty, 3);
	/* cancelling the sale clears what was typed */
	assert_true(till_entry_type(&f->t, '4'));
	till_cancel_sale(&f->t);
	assert_string_equal(f->t.entry, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_card_and_cash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_after_debit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_before_debit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_settles_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_not_debited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_pending_during_next_sale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_cards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cash_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x_and_z, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_fails_short_balance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_fails_not_debited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_debited_balance_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_card_settles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_card_not_debited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_arrival_pays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_card_left_never_pays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_card_left_f3_still_pays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_reader_replugged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_when_not_wanted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_while_paying, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_kept_for_next_sale, setup, teardown),
	};
	return cmocka_run_group_tests_name("till_pay", tests, NULL, NULL);
}
