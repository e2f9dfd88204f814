/* test_till_multi.c — one till, two caisses (docs/card.md, "Several caisses"): the card's
 * identity names its caisse, and that caisse's keys check and read it, its hot list blocks it,
 * its grants reload it and its list decides the basket.  Fakes behind the ports (in-memory
 * catalog and journal, a fake reader whose cards only answer the keys of the caisse that issued
 * them), real Ed25519 identities and real signed hot lists and grant batches in two spools. */
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

#include "../../pos/receipt.h"
#include "../../pos/till.h"
#include "till_fixture.h"
#include "../../pos/till_card.h"

/* Per caisse: the key signing its lists, its cards' identities, its hot lists and grants. */
static const uint8_t list_key[2][32] = { { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
					   3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 },
					 { 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13,
					   13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13,
					   13, 13, 13, 13, 13, 13, 13, 13, 13, 13 } };
static const uint8_t card_key[2][32] = { { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
					   4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 },
					 { 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
					   14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14,
					   14, 14, 14, 14, 14, 14, 14, 14, 14, 14 } };
static const uint8_t doc_key[2][32] = { { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
					  5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 },
					{ 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
					  15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
					  15, 15, 15, 15, 15, 15, 15, 15, 15, 15 } };
static const uint8_t stranger_key[32] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
					  9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
static const uint8_t terminal_key[32] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
					  6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };
static const uint8_t uid[7] = { 0x04, 1, 2, 3, 4, 5, 6 };
static const char *const caisse_id[2] = { "caisse-34", "caisse-12" };

/* caisse-34 covers pulses fully and no fruit; caisse-12 half the pulses and all fruit. */
static const char *const list_text[2] = {
	"ssa-list,1\ncaisse,caisse-34\nversion,2\nvalid,2020-01-01,\n"
	"category,legumineuses,100,,,,\n",
	"ssa-list,1\ncaisse,caisse-12\nversion,7\nvalid,2020-01-01,\n"
	"category,legumineuses,50,,,,\ncategory,fruits,100,,,,\n",
};

#define LENTILS "3560070894222" /* 2.35, legumineuses */
#define APPLES "3276550000013"  /* 3.00, fruits */
#define SERIAL 0x5a01ull       /* both caisses' cards have it: serials are per caisse */
#define TODAY 20261123
#define NOW 1795000000000

/* A card of the fake reader: it answers authenticated operations only to the keys of the
 * caisse whose master keys it was personalised with (as DESFire with diversified keys). */
struct fake_card {
	struct card_identity id;
	const char *keys_of;
	int64_t balance;
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	size_t n;
	struct card_period_state period;
	int tear; /* next debit: 1 torn before it happens, 2 torn after it happened */
	int tear_grant; /* next grant: 2 torn after the card took it */
	int tear_refund; /* next refund: 2 torn after the card took it */
	unsigned debits, grants;
};

struct fake_reader {
	struct fake_card *on;   /* the card on the reader, NULL: none */
	char keys[CARD_CAISSE_MAX + 1]; /* the caisse of the keys in use */
	unsigned use_keys;
};

static enum ssa_err
authed(struct fake_reader *r, struct fake_card **c)
{
	if ((*c = r->on) == NULL)
		return SSA_ERR_CARD_TORN;
	return strcmp(r->keys, (*c)->keys_of) == 0 ? SSA_ERR_OK : SSA_ERR_CARD_AUTH;
}

static enum ssa_err
f_wait(void *cls, int timeout_ms, uint8_t u[CARD_UID_MAX], size_t *len)
{
	struct fake_reader *r = cls;

	(void)timeout_ms;
	if (r->on == NULL)
		return SSA_ERR_CARD_ABSENT;
	memcpy(u, uid, sizeof(uid));
	*len = sizeof(uid);
	return SSA_ERR_OK;
}

static enum ssa_err
f_identity(void *cls, struct card_identity *out)
{
	struct fake_reader *r = cls;

	if (r->on == NULL)
		return SSA_ERR_CARD_TORN;
	*out = r->on->id;
	return SSA_ERR_OK;
}

static enum ssa_err
f_balance(void *cls, int64_t *balance)
{
	struct fake_card *c;
	enum ssa_err err = authed(cls, &c);

	if (err == SSA_ERR_OK)
		*balance = c->balance;
	return err;
}

static enum ssa_err
f_debits(void *cls, struct card_debit_record *recs, size_t max, size_t *n)
{
	struct fake_card *c;
	enum ssa_err err = authed(cls, &c);

	if (err != SSA_ERR_OK)
		return err;
	*n = 0;
	for (size_t i = c->n; i-- > 0 && *n < max;)
		recs[(*n)++] = c->recs[i];
	return SSA_ERR_OK;
}

static enum ssa_err
f_debit(void *cls, struct card_debit_record *rec)
{
	struct fake_card *c;
	enum ssa_err err = authed(cls, &c);

	if (err != SSA_ERR_OK)
		return err;
	if (rec->amount > c->balance)
		return SSA_ERR_CARD_BALANCE;
	if (c->tear == 1) {
		c->tear = 0;
		((struct fake_reader *)cls)->on = NULL;
		return SSA_ERR_CARD_TORN;
	}
	c->balance -= rec->amount;
	rec->balance_after = c->balance;
	assert_true(c->n < CARD_DEBIT_RECORDS);
	c->recs[c->n++] = *rec;
	c->debits++;
	if (c->tear == 2) {
		c->tear = 0;
		((struct fake_reader *)cls)->on = NULL;
		return SSA_ERR_CARD_TORN;
	}
	return SSA_ERR_OK;
}

static enum ssa_err
f_read_period(void *cls, struct card_period_state *out)
{
	struct fake_card *c;
	enum ssa_err err = authed(cls, &c);

	if (err == SSA_ERR_OK)
		*out = c->period;
	return err;
}

static enum ssa_err
f_apply_grant(void *cls, const struct card_grant *g, int64_t *balance)
{
	struct fake_card *c;
	int64_t now;
	enum ssa_err err = authed(cls, &c);

	if (err != SSA_ERR_OK)
		return err;
	if (c->period.grant_id == g->grant_id || c->period.period >= g->period) {
		*balance = c->balance;
		return SSA_ERR_CARD_ALREADY_APPLIED;
	}
	if ((err = card_reload_balance(c->balance, g->amount, g->policy, g->cap, &now)) !=
	    SSA_ERR_OK)
		return err;
	c->balance = now;
	c->period.period = g->period;
	c->period.grant_id = g->grant_id;
	c->grants++;
	if (c->tear_grant == 2) {
		c->tear_grant = 0;
		((struct fake_reader *)cls)->on = NULL;
		return SSA_ERR_CARD_TORN;
	}
	*balance = now;
	return SSA_ERR_OK;
}

/* Limited credit (the tests refund a sale's whole SSA part once). */
static enum ssa_err
f_refund(void *cls, int64_t amount, int64_t *balance)
{
	struct fake_card *c;
	enum ssa_err err = authed(cls, &c);

	if (err != SSA_ERR_OK)
		return err;
	c->balance += amount;
	if (c->tear_refund == 2) {
		c->tear_refund = 0;
		((struct fake_reader *)cls)->on = NULL;
		return SSA_ERR_CARD_TORN;
	}
	*balance = c->balance;
	return SSA_ERR_OK;
}

static enum ssa_err
f_use_keys(void *cls, const struct card_keys *keys)
{
	struct fake_reader *r = cls;

	snprintf(r->keys, sizeof(r->keys), "%s", keys->caisse);
	r->use_keys++;
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
	struct fake_reader fr;
	struct ssa_card_reader reader;
	struct fake_card card[2]; /* caisse-34's, caisse-12's */
	struct card_keys keys[2];
	char dir[2][64];          /* the two spools */
	struct till_card_files *files[2];
	struct till_caisse caisses[2];
	struct till t;
};

static void
make_card(struct fake_card *c, int caisse, uint64_t member, const uint8_t *sign_key)
{
	memset(c, 0, sizeof(*c));
	c->balance = 1000;
	c->keys_of = caisse_id[caisse];
	c->id = (struct card_identity){ .serial = SERIAL, .member_id = member,
					.household_id = 1, .valid_from = 20260101,
					.valid_to = 20271231 };
	strcpy(c->id.caisse, caisse_id[caisse]);
	c->period = (struct card_period_state){ .period = 202610, .grant_id = 7 };
	assert_int_equal(card_identity_sign(&c->id, uid, sizeof(uid), sign_key), SSA_ERR_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct catalog_product p = { .price = 235, .unit = CATALOG_PIECE, .vat_bp = 550 };

	assert_non_null(f);
	assert_int_equal(catalog_mem_new(&f->cat), SSA_ERR_OK);
	strcpy(p.code, LENTILS);
	strcpy(p.name, "Lentilles");
	strcpy(p.category, "legumineuses");
	assert_int_equal(catalog_mem_put(f->cat, &p), SSA_ERR_OK);
	strcpy(p.code, APPLES);
	strcpy(p.name, "Pommes");
	strcpy(p.category, "fruits");
	p.price = 300;
	assert_int_equal(catalog_mem_put(f->cat, &p), SSA_ERR_OK);
	assert_int_equal(journal_mem_new(&f->journal), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(terminal_key, &f->signer), SSA_ERR_OK);
	for (int i = 0; i < 2; i++) {
		struct convention_list *l = NULL;
		struct convention_error err;
		char *text = NULL;
		size_t len;

		assert_int_equal(convention_sign(list_text[i], strlen(list_text[i]), list_key[i],
						 &text, &len),
				 SSA_ERR_OK);
		assert_int_equal(convention_list_parse(text, len, &l, &err), SSA_ERR_OK);
		free(text);
		assert_int_equal(catalog_mem_set_list(f->cat, l), SSA_ERR_OK);

		make_card(&f->card[i], i, 0xa00 + (uint64_t)i, card_key[i]);
		strcpy(f->keys[i].caisse, caisse_id[i]);
		f->keys[i].has[CARD_KEY_DEBIT] = f->keys[i].has[CARD_KEY_CREDIT] = true;
		f->keys[i].has_verify = true;
		assert_int_equal(convention_public_key(card_key[i], f->keys[i].verify), SSA_ERR_OK);

		strcpy(f->dir[i], "/tmp/ssa-till-multi.XXXXXX");
		assert_non_null(mkdtemp(f->dir[i]));
		assert_int_equal(till_card_files_open(f->dir[i], NULL, &f->files[i], NULL, 0),
				 SSA_ERR_OK);
		f->files[i]->has_key = true;
		assert_int_equal(convention_public_key(doc_key[i], f->files[i]->pub), SSA_ERR_OK);

		strcpy(f->caisses[i].id, caisse_id[i]);
		f->caisses[i].verify_key = f->keys[i].verify;
		f->caisses[i].keys = &f->keys[i];
		f->caisses[i].files = f->files[i];
	}
	/* The reader was opened with the main caisse's keys. */
	strcpy(f->fr.keys, "caisse-34");
	f->reader = (struct ssa_card_reader){ .cls = &f->fr, .wait_card = f_wait,
					      .read_identity = f_identity,
					      .read_balance = f_balance, .read_debits = f_debits,
					      .debit = f_debit, .read_period = f_read_period,
					      .apply_grant = f_apply_grant, .refund = f_refund,
					      .use_keys = f_use_keys,
					      .release = f_release };

	tf_till(&f->t, TODAY, "9", f->journal, f->signer);
	till_set_catalog(&f->t, f->cat, "caisse-34");
	f->t.reader = &f->reader;
	f->t.card_terminal = 3;
	f->t.money_locale = MONEY_EN;
	/* As main.c: the main caisse's key and files, then both caisses. */
	f->t.caisse_verify_key = f->keys[0].verify;
	f->t.files = f->files[0];
	f->t.caisses = f->caisses;
	f->t.n_caisses = 2;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "hotlist.txt", "grants-202611.txt" };

	till_fini(&f->t);
	for (int i = 0; i < 2; i++) {
		till_card_files_free(f->files[i]);
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			char path[128];

			snprintf(path, sizeof(path), "%s/%s", f->dir[i], names[j]);
			unlink(path);
		}
		assert_int_equal(rmdir(f->dir[i]), 0);
	}
	journal_signer_free(f->signer);
	journal_store_free(f->journal);
	catalog_close(f->cat);
	free(f);
	return 0;
}

/* Write spool file @p name of caisse @p i's spool, with a distinct mtime. */
static void
put_file(const struct fixture *f, int i, const char *name, const char *text, size_t len)
{
	static long tick;
	char path[128];
	FILE *fp;
	struct timespec ts[2];

	snprintf(path, sizeof(path), "%s/%s", f->dir[i], name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	ts[0].tv_sec = ts[1].tv_sec = 1700000000 + ++tick;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A hot list of caisse @p caisse blocking SERIAL, signed with @p key, into spool @p i. */
static void
put_hotlist(const struct fixture *f, int i, const char *caisse, uint32_t version,
	    const uint8_t *key)
{
	struct hotlist *l;
	struct hotlist_entry e = { .serial = SERIAL, .since = 20261101, .reason = HOTLIST_STOLEN };
	char *text;
	size_t len;

	assert_int_equal(hotlist_new(caisse, version, 0, &l), SSA_ERR_OK);
	assert_int_equal(hotlist_add(l, &e), SSA_ERR_OK);
	assert_int_equal(hotlist_sign(l, key, &text, &len), SSA_ERR_OK);
	put_file(f, i, "hotlist.txt", text, len);
	free(text);
	hotlist_free(l);
}

/* This month's grants of caisse @p caisse (@p amount for member @p member), signed with @p key,
 * into spool @p i. */
static void
put_grants(const struct fixture *f, int i, const char *caisse, uint64_t member, int64_t amount,
	   const uint8_t *key)
{
	struct grant_batch *b;
	struct grant g = { .id = 100 + member, .target = GRANT_MEMBER, .holder = member,
			   .amount = amount };
	char *text;
	size_t len;

	assert_int_equal(grant_batch_new(caisse, 202611, "*", &b), SSA_ERR_OK);
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_EXPIRE, 0), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &g), SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, key, &text, &len), SSA_ERR_OK);
	put_file(f, i, "grants-202611.txt", text, len);
	free(text);
	grant_batch_free(b);
}





/* Two lentils and apples, paid by card @p c (then by cash for the rest). */
static enum ssa_err
pay(struct fixture *f, struct fake_card *c)
{
	struct receipt rc = tf_receipt();
	enum ssa_err err;

	if (f->t.state == TILL_PAID)
		till_new_sale(&f->t);
	if (f->t.state == TILL_SELLING) {
		tf_scan(&f->t, "2*" LENTILS);
		tf_scan(&f->t, APPLES);
		assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	}
	f->fr.on = c;
	err = till_poll_card(&f->t, 10, NOW, &rc);
	f->fr.on = NULL;
	if (err != SSA_ERR_OK)
		return err;
	assert_true(f->t.has_card);
	if (till_due(&f->t) > 0)
		assert_int_equal(till_pay_tender(&f->t, TENDER_CASH, 0), SSA_ERR_OK);
	f->fr.on = c;
	err = till_pay_commit(&f->t, NOW, &rc);
	f->fr.on = NULL;
	return err;
}

/* The sale's lines were decided by @p caisse's list: @p covered in all. */
static void
check_sale(struct fixture *f, uint64_t seq, const struct fake_card *c, int64_t covered)
{
	struct journal_record r;
	char card[24];

	tf_record(f->journal, seq, &r);
	assert_int_equal(r.kind, JOURNAL_SALE);
	card_id_format(c->id.member_id, card, sizeof(card));
	assert_string_equal(r.card, card);
	assert_int_equal(r.ssa_covered, covered);
	assert_int_equal(r.n_lines, 2);
	for (size_t i = 0; i < r.n_lines; i++)
		assert_string_equal(r.lines[i].list_caisse, c->id.caisse);
	journal_record_fini(&r);
}

/* --- each caisse's list decides its own card's lines ---------------------------------------- */

static void
test_each_list_decides(void **state)
{
	struct fixture *f = *state;

	/* Before a card: the main caisse's list shows. */
	tf_scan(&f->t, "2*" LENTILS);
	tf_scan(&f->t, APPLES);
	assert_string_equal(f->t.basket.lines[0].decision.caisse, "caisse-34");
	assert_int_equal(f->t.basket.lines[0].decision.covered, 470);
	assert_int_equal(f->t.basket.lines[1].decision.covered, 0);

	/* caisse-12's card: its keys, its list (half the lentils, all the apples). */
	assert_int_equal(till_pay_start(&f->t), SSA_ERR_OK);
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	assert_string_equal(f->fr.keys, "caisse-12");
	assert_int_equal(f->card[1].debits, 1);
	assert_int_equal(f->card[1].balance, 1000 - 235 - 300);
	check_sale(f, 1, &f->card[1], 535);

	/* caisse-34's card: back to its keys and its list. */
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_OK);
	assert_string_equal(f->fr.keys, "caisse-34");
	assert_int_equal(f->card[0].balance, 1000 - 470);
	check_sale(f, 2, &f->card[0], 470);

	/* and caisse-12's again: its 4.65 left go, the rest in cash */
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	check_sale(f, 3, &f->card[1], 1000 - 535);
	assert_int_equal(f->card[1].balance, 0);
	assert_int_equal(f->card[0].debits + f->card[1].debits, 3);
	assert_int_equal(tf_last_seq(f->journal), 3);

	/* After a card went, the back key and the preview are the main caisse's again. */
	till_new_sale(&f->t);
	tf_scan(&f->t, APPLES);
	assert_string_equal(f->t.basket.lines[0].decision.caisse, "caisse-34");
}

/* --- each card refused with the other caisse's keys ----------------------------------------- */

static void
test_other_caisse_keys_refused(void **state)
{
	struct fixture *f = *state;
	struct fake_card forged, swapped, stranger;
	struct card_identity id;
	int64_t bal = -1;

	/* A card naming caisse-12 but signed with caisse-34's key: caisse-12's key does not
	 * verify it.  And the other way round. */
	make_card(&forged, 1, 0xb01, card_key[0]);
	assert_int_equal(pay(f, &forged), SSA_ERR_CARD_SIGNATURE);
	assert_false(f->t.has_card);
	make_card(&forged, 0, 0xb02, card_key[1]);
	assert_int_equal(pay(f, &forged), SSA_ERR_CARD_SIGNATURE);
	assert_false(f->t.has_card);

	/* A card whose identity is caisse-12's but whose keys were caisse-34's (or the other way):
	 * the keys of the caisse it names fail to authenticate. */
	make_card(&swapped, 1, 0xb03, card_key[1]);
	swapped.keys_of = "caisse-34";
	assert_int_equal(pay(f, &swapped), SSA_ERR_CARD_AUTH);
	assert_string_equal(f->fr.keys, "caisse-12");
	assert_false(f->t.has_card);
	make_card(&swapped, 0, 0xb04, card_key[0]);
	swapped.keys_of = "caisse-12";
	assert_int_equal(pay(f, &swapped), SSA_ERR_CARD_AUTH);
	assert_string_equal(f->fr.keys, "caisse-34");
	assert_int_equal(swapped.debits, 0);
	assert_non_null(strstr(f->t.msg, "Card refused: card failed authentication"));

	/* A card of a caisse this till does not know: refused before any key is used. */
	make_card(&stranger, 0, 0xb05, stranger_key);
	strcpy(stranger.id.caisse, "caisse-99");
	assert_int_equal(card_identity_sign(&stranger.id, uid, sizeof(uid), stranger_key),
			 SSA_ERR_OK);
	stranger.keys_of = "caisse-99";
	f->fr.use_keys = 0;
	assert_int_equal(pay(f, &stranger), SSA_ERR_CARD_CAISSE);
	assert_string_equal(f->t.msg, "Card of caisse caisse-99: refused here (only caisse-34, "
				      "caisse-12).");
	assert_int_equal(f->t.msg_level, TILL_MSG_ERROR);
	assert_int_equal(f->fr.use_keys, 0);
	assert_string_equal(f->fr.keys, "caisse-34");
	f->fr.on = &stranger;
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_CARD_CAISSE);
	f->fr.on = NULL;
	assert_int_equal(bal, -1);

	/* Nothing changed: still paying, the same basket and split, nothing recorded. */
	assert_int_equal(f->t.state, TILL_PAYING);
	assert_false(f->t.has_card);
	assert_int_equal(f->t.basket.n, 2);
	assert_int_equal(till_due(&f->t), 770);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(stranger.debits + forged.debits + swapped.debits, 0);

	/* The genuine cards still pay. */
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_OK);
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	assert_int_equal(tf_last_seq(f->journal), 2);
}

/* A till of one caisse (no caisses listed) reads every card with its own keys, as before. */
static void
test_single_caisse_unchanged(void **state)
{
	struct fixture *f = *state;

	f->t.caisses = NULL;
	f->t.n_caisses = 0;
	/* caisse-12's card does not verify with caisse-34's key */
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_CARD_SIGNATURE);
	assert_int_equal(f->fr.use_keys, 0);
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_OK);
	check_sale(f, 1, &f->card[0], 470);
}

/* --- hot lists and grants per caisse -------------------------------------------------------- */

static void
test_hotlist_per_caisse(void **state)
{
	struct fixture *f = *state;

	/* caisse-34 blocks its card SERIAL; caisse-12's card of the same serial is not blocked. */
	put_hotlist(f, 0, "caisse-34", 3, doc_key[0]);
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_CARD_HOTLISTED);
	assert_string_equal(f->t.msg, "Card refused: blocked, card reported stolen on 01/11/2026.");
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	check_sale(f, 1, &f->card[1], 535);

	/* A hot list put in caisse-12's spool but signed by caisse-34: refused, none in force. */
	put_hotlist(f, 1, "caisse-12", 4, doc_key[0]);
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	assert_null(f->files[1]->hot);
	assert_non_null(strstr(f->files[1]->warned, "refused"));
	/* caisse-12's own: its card is blocked now, caisse-34's hot list did not move */
	put_hotlist(f, 1, "caisse-12", 4, doc_key[1]);
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_CARD_HOTLISTED);
	assert_int_equal(f->files[1]->hot->version, 4);
	assert_int_equal(f->files[0]->hot->version, 3);
	assert_int_equal(f->card[0].debits, 0);
	assert_int_equal(tf_last_seq(f->journal), 2);
}

static void
test_grants_per_caisse(void **state)
{
	struct fixture *f = *state;
	struct card_identity id;
	struct journal_record r;
	int64_t bal = 0;

	/* caisse-12's batch for its member, in its spool: its card is reloaded at the tap. */
	put_grants(f, 1, "caisse-12", f->card[1].id.member_id, 15000, doc_key[1]);
	/* caisse-12's batch, also for caisse-34's member id, dropped in caisse-34's spool: not
	 * signed by caisse-34, refused; caisse-34's card gets nothing. */
	put_grants(f, 0, "caisse-12", f->card[0].id.member_id, 9900, doc_key[1]);
	f->fr.on = &f->card[0];
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	assert_int_equal(bal, 1000);
	assert_int_equal(f->card[0].grants, 0);
	assert_non_null(strstr(f->files[0]->warned, "grant batch signature does not verify"));
	f->fr.on = &f->card[1];
	assert_int_equal(till_inquiry(&f->t, 10, NOW, &id, &bal), SSA_ERR_OK);
	f->fr.on = NULL;
	assert_int_equal(bal, 15000);
	assert_int_equal(f->card[1].grants, 1);
	assert_string_equal(f->t.card_note, "Allocation of November credited: €150.00.");
	assert_int_equal(tf_last_seq(f->journal), 1);
	tf_record(f->journal, 1, &r);
	assert_int_equal(r.kind, JOURNAL_RELOAD);
	assert_int_equal(r.reload.amount, 15000);
	journal_record_fini(&r);

	/* caisse-34's own batch, signed by it, even naming the same member id as caisse-12's card:
	 * only caisse-34's card takes it, once. */
	put_grants(f, 0, "caisse-34", f->card[0].id.member_id, 5000, doc_key[0]);
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_OK);
	assert_int_equal(f->card[0].grants, 1);
	assert_int_equal(f->card[0].balance, 5000 - 470);
	assert_int_equal(pay(f, &f->card[1]), SSA_ERR_OK);
	assert_int_equal(f->card[1].grants, 1);
	assert_int_equal(f->card[1].balance, 15000 - 535);
	assert_int_equal(tf_last_seq(f->journal), 4); /* reload, reload + sale, sale */
}

/* --- a card is its caisse and serial: intents name the caisse ---------------------------- */

/* A fresh till on the same journal, spool and reader (a restart), as setup makes it. */
static void
restart(struct fixture *f)
{
	till_fini(&f->t);
	tf_till(&f->t, TODAY, "9", f->journal, f->signer);
	till_set_catalog(&f->t, f->cat, "caisse-34");
	f->t.reader = &f->reader;
	f->t.card_terminal = 3;
	f->t.money_locale = MONEY_EN;
	f->t.caisse_verify_key = f->keys[0].verify;
	f->t.files = f->files[0];
	f->t.caisses = f->caisses;
	f->t.n_caisses = 2;
	till_recover(&f->t);
}

/* Tap card @p c once. */
static enum ssa_err
tap(struct fixture *f, struct fake_card *c)
{
	struct receipt rc = tf_receipt();
	enum ssa_err err;

	f->fr.on = c;
	err = till_poll_card(&f->t, 10, NOW + 1000, &rc);
	f->fr.on = NULL;
	return err;
}

/* caisse-34's card's sale torn before its debit: caisse-12's card of the same serial, tapped
 * next, is another card (neither debited for it nor taken for its record); caisse-34's card
 * then pays it, once. */
static void
test_intent_names_caisse(void **state)
{
	struct fixture *f = *state;

	f->card[0].tear = 1;
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_CARD_TORN);
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tap(f, &f->card[1]), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "This is not the card of the interrupted payment"));
	assert_int_equal(f->card[1].debits, 0);
	assert_int_equal(f->card[1].balance, 1000);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tap(f, &f->card[0]), SSA_ERR_OK);
	assert_int_equal(f->t.state, TILL_PAID);
	assert_int_equal(f->card[0].debits, 1);
	assert_int_equal(f->card[0].balance, 1000 - 470);
	assert_int_equal(tf_last_seq(f->journal), 1);
	check_sale(f, 1, &f->card[0], 470);
	assert_int_equal(f->t.pending_id, 0);
}

/* An intent stored by a till of before caisses were named in intents ("ssa-pending,1,", no
 * caisse) is of a card of the till's main caisse: caisse-12's card of the same serial does not
 * settle it (its records would say NOT_DEBITED and drop a sale caisse-34's card paid);
 * caisse-34's card records it, once. */
static void
test_old_intent_is_main_caisse(void **state)
{
	struct fixture *f = *state;
	void *blob = NULL;
	char *v1, *comma, *nl;
	size_t len = 0;
	uint64_t id = 0, id1 = 0;

	f->card[0].tear = 2;
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card[0].debits, 1);
	/* the intent as the older version wrote it */
	assert_int_equal(journal_store_get_pending(f->journal, &id, &blob, &len), SSA_ERR_OK);
	assert_int_equal(memcmp(blob, "ssa-pending,2,", 14), 0);
	assert_non_null(v1 = calloc(1, len + 1));
	memcpy(v1, blob, len);
	v1[12] = '1';
	nl = strchr(v1, '\n');
	assert_non_null(nl);
	*nl = '\0';
	comma = strrchr(v1, ',');
	assert_string_equal(comma, ",caisse-34");
	memmove(comma, nl, len - (size_t)(nl - v1) + 1);
	*comma = '\n';
	assert_int_equal(journal_store_drop_pending(f->journal, id), SSA_ERR_OK);
	assert_int_equal(journal_store_put_pending(f->journal, v1, strlen(v1), &id1), SSA_ERR_OK);
	free(v1);
	free(blob);
	restart(f);
	assert_int_equal(f->t.pending_id, id1);
	assert_string_equal(f->t.msg, "A card payment was interrupted: tap that card to settle it.");
	assert_int_equal(tap(f, &f->card[1]), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "This is not the card of the interrupted payment"));
	assert_int_equal(f->t.pending_id, id1);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(f->card[1].debits, 0);
	assert_int_equal(tap(f, &f->card[0]), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "The interrupted card payment was recorded.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	check_sale(f, 1, &f->card[0], 470);
	assert_int_equal(f->card[0].debits, 1);
}

/* caisse-34's card's monthly reload torn after the card took the grant: caisse-12's card of the
 * same serial is another card (its period state would drop the intent, and the grant would
 * never be recorded); caisse-34's card records the RELOAD, once. */
static void
test_reload_intent_names_caisse(void **state)
{
	struct fixture *f = *state;
	struct journal_record r;

	put_grants(f, 0, "caisse-34", f->card[0].id.member_id, 5000, doc_key[0]);
	f->card[0].tear_grant = 2;
	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_CARD_TORN);
	assert_int_equal(f->card[0].grants, 1);
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tap(f, &f->card[1]), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "This is not the card of the interrupted reload"));
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tf_last_seq(f->journal), 0);
	assert_int_equal(f->card[1].grants, 0);
	assert_int_equal(tap(f, &f->card[0]), SSA_ERR_OK);
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	tf_record(f->journal, 1, &r);
	assert_int_equal(r.kind, JOURNAL_RELOAD);
	assert_int_equal(r.reload.amount, 5000);
	journal_record_fini(&r);
	assert_int_equal(f->card[0].grants, 1);
}

/* caisse-34's card's refund torn after the card took it, the till restarted: caisse-12's card
 * of the same serial is another card (its balance says nothing of that refund); caisse-34's card
 * records the REFUND, once. */
static void
test_refund_intent_names_caisse(void **state)
{
	struct fixture *f = *state;
	struct till_refund rf;
	struct journal_record r;

	assert_int_equal(pay(f, &f->card[0]), SSA_ERR_OK);
	assert_int_equal(f->card[0].balance, 1000 - 470);
	till_new_sale(&f->t);
	assert_int_equal(till_refund_open(&f->t, 1, &rf), SSA_ERR_OK);
	assert_int_equal(till_refund_set_qty(&f->t, &rf, 0, 2), SSA_ERR_OK);
	assert_int_equal(rf.ssa, 470);
	f->card[0].tear_refund = 2;
	f->fr.on = &f->card[0];
	assert_int_equal(till_refund_commit(&f->t, &rf, 10, NOW + 500), SSA_ERR_CARD_TORN);
	f->fr.on = NULL;
	till_refund_fini(&rf);
	assert_int_equal(f->card[0].balance, 1000);
	restart(f);
	assert_string_equal(f->t.msg, "A refund to a card was interrupted: tap that card to settle it.");
	/* caisse-12's card: 10.00 is before + amount of the refund; it is not the card */
	assert_int_equal(f->card[1].balance, 1000);
	assert_int_equal(tap(f, &f->card[1]), SSA_ERR_CARD_ABSENT);
	assert_non_null(strstr(f->t.msg, "This is not the card of the interrupted refund"));
	assert_true(f->t.pending_id > 0);
	assert_int_equal(tf_last_seq(f->journal), 1);
	assert_int_equal(tap(f, &f->card[0]), SSA_ERR_OK);
	assert_string_equal(f->t.msg, "Refund 2 of sale 1 recorded: €4.70.");
	assert_int_equal(f->t.pending_id, 0);
	assert_int_equal(tf_last_seq(f->journal), 2);
	tf_record(f->journal, 2, &r);
	assert_int_equal(r.kind, JOURNAL_REFUND);
	assert_int_equal(r.link_seq, 1);
	journal_record_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_list_decides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_caisse_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_caisse_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hotlist_per_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grants_per_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intent_names_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_intent_is_main_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_intent_names_caisse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_intent_names_caisse, setup, teardown),
	};
	return cmocka_run_group_tests_name("till_multi", tests, NULL, NULL);
}
