/* test_caisse_books.c — the caisse's books for the card ledgers (io/caisse_books.c) on a real
 * SQLite caisse store: the stored grant batches and issued cards are loaded, a card's ledger
 * parameters name its member and card, and lib/ledger.c then checks every reload against the
 * batch it came from, with that batch's policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/caisse_books.h"
#include "ssa/caisse_store.h"
#include "ssa/ledger.h"
#include "ssa/protocol.h"

#include "../../sync/server/server.h"
#include "journal_fixture.h"

#define MEMBER "00000000000000b1"

/* A reload of grant @p id (period 202611) on the member's card, from @p before, with what the
 * rollover policy of 50.00 lets expire. */
static void
reload(struct journal_record *r, int64_t t, uint64_t id, int64_t before, int64_t amount)
{
	jf_reload(r, t, before, amount);
	strcpy(r->card, MEMBER);
	grant_id_format(id, r->reload.grant_id, sizeof(r->reload.grant_id));
	r->reload.expired = before > 5000 ? before - 5000 : 0;
	r->balance_after = before - r->reload.expired + amount;
}

static size_t
count(const struct ledger_report *rep, enum ledger_anomaly_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n_anomalies; i++)
		n += rep->anomalies[i].kind == k;
	return n;
}

static void
test_books(void **state)
{
	char *dir = jf_tmpdir(), path[512], *text = NULL;
	struct caisse_store st;
	struct caisse_books books;
	struct grant_batch *b = NULL;
	struct caisse_member m = { .id = MEMBER, .household = "00000000000000a1", .birth = 19800402 };
	struct caisse_card c = { .serial = "1122334455667788", .member = MEMBER,
				 .caisse = "caisse-test", .state = "active" };
	struct journal_record r[3];
	const struct journal_record *recs[3] = { &r[0], &r[1], &r[2] };
	struct ledger_params params = { .policy = CARD_RELOAD_EXPIRE };
	struct ledger_report rep;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/caisse.db", dir);
	assert_int_equal(caisse_store_sqlite_open(path, &st), SSA_ERR_OK);
	/* nothing stored: no books */
	assert_int_equal(caisse_books_load(&st, &books), SSA_ERR_OK);
	assert_int_equal(books.n_batches, 0);
	caisse_books_fini(&books);

	assert_int_equal(st.household_put(st.cls, "00000000000000a1"), SSA_ERR_OK);
	assert_int_equal(st.member_put(st.cls, &m), SSA_ERR_OK);
	assert_int_equal(st.issued_card_put(st.cls, &c), SSA_ERR_OK);
	/* November: 150.00 to the member (grant 1), 20.00 to its card (grant 2), rollover 50.00 */
	assert_int_equal(grant_batch_new("caisse-test", 202611, "*", &b), SSA_ERR_OK);
	assert_int_equal(grant_batch_set_policy(b, CARD_RELOAD_ROLLOVER, 5000), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &(struct grant){ 1, GRANT_MEMBER, 0xb1, 15000 }),
			 SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &(struct grant){ 2, GRANT_CARD, 0x1122334455667788,
							     2000 }),
			 SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, jf_priv_a, &text, &len), SSA_ERR_OK);
	assert_int_equal(st.grant_batch_put(st.cls, b, text, len, 1795000000000), SSA_ERR_OK);
	free(text);
	grant_batch_free(b);

	assert_int_equal(caisse_books_load(&st, &books), SSA_ERR_OK);
	assert_int_equal(books.n_batches, 1);
	assert_int_equal(books.batches[0]->policy, CARD_RELOAD_ROLLOVER);
	assert_int_equal(books.n_cards, 1);

	/* grant 1 from 80.00 (30.00 expire), grant 2 of another amount, grant 2 as granted */
	reload(&r[0], 1795000000000, 1, 8000, 15000);
	reload(&r[1], 1795000001000, 2, r[0].balance_after, 2500);
	reload(&r[2], 1795000002000, 2, r[1].balance_after, 2000);
	r[1].seq = r[0].seq + 1;
	r[2].seq = r[0].seq + 2; /* the same grant twice is another check */
	caisse_books_params(&books, MEMBER, recs, 3, &params);
	assert_int_equal(params.opening, 8000); /* the server's rule (ledger_opening) */
	assert_int_equal(params.member_id, 0xb1);
	assert_int_equal(params.card_serial, 0x1122334455667788);
	assert_int_equal(params.n_grants, 1);
	assert_int_equal(ledger_check(MEMBER, recs, 3, &params, &rep), SSA_ERR_OK);
	assert_int_equal(count(&rep, LEDGER_GRANT_UNKNOWN), 1); /* 25.00 of a 20.00 grant */
	assert_int_equal(rep.anomalies[0].record, 1);
	assert_int_equal(count(&rep, LEDGER_RELOAD_POLICY), 0); /* the batch's rollover */
	assert_int_equal(count(&rep, LEDGER_GRANT_TWICE), 1);
	/* a grant counts once in the books: grant 2 taken again adds nothing (flagged above) */
	assert_int_equal(rep.balance, 7500);
	ledger_report_fini(&rep);

	/* without the books: no grant checked, and the reloads look like a wrong expiry */
	params = (struct ledger_params){ .policy = CARD_RELOAD_EXPIRE, .opening = 8000 };
	assert_int_equal(ledger_check(MEMBER, recs, 3, &params, &rep), SSA_ERR_OK);
	assert_int_equal(count(&rep, LEDGER_GRANT_UNKNOWN), 0);
	assert_int_equal(count(&rep, LEDGER_RELOAD_POLICY), 3);
	ledger_report_fini(&rep);

	/* a card id that is no member's: no member, no card, the batches all the same */
	caisse_books_params(&books, "demo-card-0", recs, 0, &params);
	assert_int_equal(params.member_id, 0);
	assert_int_equal(params.card_serial, 0);
	assert_int_equal(params.opening, 0);
	for (int i = 0; i < 3; i++)
		journal_record_fini(&r[i]);
	caisse_books_fini(&books);
	st.close(st.cls);
	jf_rmtree(dir);
	free(dir);
}

/* --- one till's journal at two caisses --------------------------------------------------- */

#define CA "00000000000000a1" /* caisse-34's cards */
#define CC "00000000000000c1" /* a card id of both caisses: two cards */
#define CF "00000000000000f1" /* caisse-34's member, issued a card */
#define CB "00000000000000b1" /* caisse-12's cards */
#define CE "00000000000000e1"
#define NREC 13
#define OUTLET "epicerie-solidaire-34" /* what jf_header names */

/* Every line of @p r decided by @p caisse's list ("" : none), card @p card from @p before. */
static void
owned_by(struct journal_record *r, const char *caisse, const char *card, int64_t before,
	 int64_t after)
{
	for (size_t i = 0; i < r->n_lines; i++)
		snprintf(r->lines[i].list_caisse, sizeof(r->lines[i].list_caisse), "%s", caisse);
	if (card) {
		strcpy(r->card, card);
		r->balance_before = before;
		r->balance_after = after;
	}
}

/* A RELOAD of grant @p id (202611, expire) of @p amount on @p card from @p before. */
static void
reload_of(struct journal_record *r, int64_t t, const char *card, uint64_t id, int64_t before,
	  int64_t amount)
{
	jf_reload(r, t, before, amount);
	strcpy(r->card, card);
	grant_id_format(id, r->reload.grant_id, sizeof(r->reload.grant_id));
	r->reload.expired = before;
	r->balance_after = amount;
}

/* T1's journal: the two caisses' cards' sales, voids, refunds, reloads, a cash sale, and one
 * double spend of caisse-12's card CB (seq 12). */
static void
two_caisse_journal(char *rec[NREC + 1], size_t len[NREC + 1])
{
	struct journal_signer *sg = jf_signer(jf_priv_a);
	uint8_t hash[NREC + 1][32];
	int64_t t = INT64_C(1795000000000);

	for (uint64_t i = 1; i <= NREC; i++) {
		struct journal_record r;

		switch (i) {
		case 1: jf_sale(&r, t, 300); owned_by(&r, "caisse-34", CA, 15000, 14700); break;
		case 2: jf_sale(&r, t, 200); owned_by(&r, "caisse-12", CB, 15000, 14800); break;
		case 3: jf_sale(&r, t, 0); owned_by(&r, "", NULL, 0, 0); break; /* cash */
		case 4: /* its lines say caisse-34: the sale it gives back decides */
			jf_cancel(&r, JOURNAL_REFUND, 2, t, 200);
			owned_by(&r, "caisse-34", CB, 14800, 15000);
			break;
		case 5:
			jf_cancel(&r, JOURNAL_VOID, 1, t, 300);
			owned_by(&r, "caisse-34", CA, 14700, 15000);
			break;
		case 6: jf_sale(&r, t, 100); owned_by(&r, "caisse-34", CC, 15000, 14900); break;
		case 7: jf_sale(&r, t, 250); owned_by(&r, "caisse-12", CC, 8000, 7750); break;
		case 8: reload_of(&r, t, CE, 5, 0, 10000); break;   /* caisse-12's grant */
		case 9: reload_of(&r, t, CA, 99, 15000, 5000); break; /* no batch has it */
		case 10: jf_sale(&r, t, 100); owned_by(&r, "caisse-34", CA, 5000, 4900); break;
		case 11: jf_sale(&r, t, 100); owned_by(&r, "caisse-12", CB, 15000, 14900); break;
		case 12: jf_sale(&r, t, 50); owned_by(&r, "caisse-12", CB, 15000, 14950); break;
		default: reload_of(&r, t, CF, 7, 0, 2000); break; /* caisse-34's member */
		}
		r.time_ms = t + (int64_t)i * 1000;
		assert_int_equal(journal_seal(&r, i - 1, i == 1 ? NULL : hash[i - 1], sg, &rec[i],
					      &len[i], hash[i]),
				 SSA_ERR_OK);
		journal_record_fini(&r);
	}
	journal_signer_free(sg);
}

static enum ssa_err
count_anomaly(void *ctx, const char *card, const char *terminal, uint64_t seq, int64_t expected,
	      int64_t found, int64_t time_ms)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	(void)expected;
	(void)found;
	(void)time_ms;
	snprintf(buf + n, 256 - n, "%s/%s/%llu;", card, terminal, (unsigned long long)seq);
	return SSA_ERR_OK;
}

static bool
reply_has(const struct protocol_push_reply *r, const char *card)
{
	for (size_t i = 0; i < r->n_cards; i++)
		if (strcmp(r->cards[i], card) == 0)
			return true;
	return false;
}

/* Each caisse receives the whole journal (one chain) and counts only its own cards' records:
 * its settlement, its card ledgers and anomalies, the cards it tells the till of, the
 * reloads (by the card's other records, its issued cards, its grant batches). */
static void
test_two_caisses(void **state)
{
	static const char *ids[2] = { "caisse-34", "caisse-12" };
	char *dir = jf_tmpdir(), path[512], *rec[NREC + 1] = { 0 }, *text = NULL;
	size_t len[NREC + 1];
	struct caisse_store st[2];
	struct grant_batch *b = NULL;
	struct caisse_member m = { .id = CF, .household = "00000000000000a9", .birth = 19800402 };
	struct caisse_card c = { .serial = "1111111111111111", .member = CF, .caisse = "caisse-34",
				 .state = "active" };
	uint8_t pub[32];
	size_t blen;

	(void)state;
	jf_public(jf_priv_a, pub);
	two_caisse_journal(rec, len);
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/caisse%d.db", dir, k);
		assert_int_equal(caisse_store_sqlite_open(path, &st[k]), SSA_ERR_OK);
		assert_int_equal(st[k].outlet_put(st[k].cls, OUTLET, "Epicerie"), SSA_ERR_OK);
		assert_int_equal(st[k].terminal_attach(st[k].cls, "T1", OUTLET), SSA_ERR_OK);
	}
	/* caisse-34 issued member CF a card; caisse-12 granted CE 100.00 in November */
	assert_int_equal(st[0].household_put(st[0].cls, "00000000000000a9"), SSA_ERR_OK);
	assert_int_equal(st[0].member_put(st[0].cls, &m), SSA_ERR_OK);
	assert_int_equal(st[0].issued_card_put(st[0].cls, &c), SSA_ERR_OK);
	assert_int_equal(grant_batch_new("caisse-12", 202611, "*", &b), SSA_ERR_OK);
	assert_int_equal(grant_batch_add(b, &(struct grant){ 5, GRANT_MEMBER, 0xe1, 10000 }),
			 SSA_ERR_OK);
	assert_int_equal(grant_batch_sign(b, jf_priv_b, &text, &blen), SSA_ERR_OK);
	assert_int_equal(st[1].grant_batch_put(st[1].cls, b, text, blen, 1795000000000),
			 SSA_ERR_OK);
	free(text);
	grant_batch_free(b);

	for (int k = 0; k < 2; k++) {
		struct protocol_push p;
		struct protocol_push_reply reply;
		struct caisse_refusal ref;

		/* two batches: the refund and the void follow their sales from the store */
		for (uint64_t from = 1; from <= NREC; from += 4) {
			uint64_t to = from + 3 > NREC ? NREC : from + 3;

			protocol_push_init(&p);
			for (uint64_t i = from; i <= to; i++)
				assert_int_equal(protocol_push_add(&p, i, rec[i], len[i]),
						 SSA_ERR_OK);
			assert_int_equal(caisse_push(&st[k], ids[k], "T1", pub, &p, 1795000100000,
						     &reply, &ref),
					 SSA_ERR_OK);
			assert_int_equal(reply.n, to - from + 1);
			/* the till is told of this caisse's cards only */
			assert_false(reply_has(&reply, k == 0 ? CB : CA));
			assert_false(reply_has(&reply, k == 0 ? CE : CF));
			protocol_push_fini(&p);
			protocol_push_reply_fini(&reply);
		}
	}

	/* the settlements: each caisse's cards' SSA part, less their voids and refunds */
	{
		struct protocol_settlement s;

		assert_int_equal(caisse_settlement(&st[0], "caisse-34", OUTLET, 202611, &s),
				 SSA_ERR_OK);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.line[0].sales, 3);
		assert_int_equal(s.line[0].sales_ssa, 500);
		assert_int_equal(s.line[0].voids, 1);
		assert_int_equal(s.line[0].voids_ssa, 300);
		assert_int_equal(s.line[0].refunds, 0);
		assert_int_equal(s.owed, 200);
		protocol_settlement_fini(&s);
		assert_int_equal(caisse_settlement(&st[1], "caisse-12", OUTLET, 202611, &s),
				 SSA_ERR_OK);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.line[0].sales, 4);
		assert_int_equal(s.line[0].sales_ssa, 600);
		assert_int_equal(s.line[0].voids, 0);
		assert_int_equal(s.line[0].refunds, 1);
		assert_int_equal(s.line[0].refunds_ssa, 200);
		assert_int_equal(s.owed, 400);
		protocol_settlement_fini(&s);
		/* a caisse that is neither: nothing of it */
		assert_int_equal(caisse_settlement(&st[0], "caisse-99", OUTLET, 202611, &s),
				 SSA_ERR_OK);
		assert_int_equal(s.owed, 0);
		assert_int_equal(s.n, 0);
		protocol_settlement_fini(&s);
	}

	/* the ledgers: each caisse's own cards, CC twice (two cards), without false anomalies */
	{
		static const struct {
			int k;
			const char *card;
			enum ssa_err found;
			int64_t balance;
		} want[] = {
			{ 0, CA, SSA_ERR_OK, 4900 },  { 0, CC, SSA_ERR_OK, 14900 },
			{ 0, CF, SSA_ERR_OK, 2000 },  { 0, CB, SSA_ERR_NOT_FOUND, 0 },
			{ 0, CE, SSA_ERR_NOT_FOUND, 0 }, { 1, CB, SSA_ERR_OK, 14950 },
			{ 1, CC, SSA_ERR_OK, 7750 },  { 1, CE, SSA_ERR_OK, 10000 },
			{ 1, CA, SSA_ERR_NOT_FOUND, 0 }, { 1, CF, SSA_ERR_NOT_FOUND, 0 },
		};
		char an[2][256] = { "", "" };

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			int64_t bal = -1;

			struct caisse_store *sk = &st[want[i].k];

			assert_int_equal(sk->card_get(sk->cls, want[i].card, &bal), want[i].found);
			if (want[i].found == SSA_ERR_OK)
				assert_int_equal(bal, want[i].balance);
		}
		for (int k = 0; k < 2; k++)
			assert_int_equal(st[k].anomaly_scan(st[k].cls, count_anomaly, an[k]),
					 SSA_ERR_OK);
		assert_string_equal(an[0], "");
		assert_string_equal(an[1], CB "/T1/12;"); /* its card spent twice from 150.00 */
	}

	/* whose each record is, with the books as ssa-admin loads them */
	{
		struct journal_record r[NREC + 1];
		const struct journal_record *ca[3], *ce[1];
		struct caisse_books books;
		bool mine[NREC];
		char owner[CONVENTION_CAISSE_MAX + 1];
		static const char *owners[NREC + 1] = {
			NULL, "caisse-34", "caisse-12", "", "caisse-12", "caisse-34", "caisse-34",
			"caisse-12", "", "", "caisse-34", "caisse-12", "caisse-12", "",
		};

		for (uint64_t i = 1; i <= NREC; i++) {
			assert_int_equal(journal_record_decode(rec[i], len[i], &r[i], NULL),
					 SSA_ERR_OK);
			assert_int_equal(caisse_record_owner(&st[0], &r[i], owner, sizeof(owner)),
					 SSA_ERR_OK);
			assert_string_equal(owner, owners[i]);
		}
		ca[0] = &r[1], ca[1] = &r[9], ca[2] = &r[10];
		ce[0] = &r[8];
		/* books not loaded: loaded when a reload needs them, kept for the next card */
		memset(&books, 0, sizeof(books));
		assert_int_equal(caisse_books_mine(&st[1], "caisse-12", &books, ca, 3, mine),
				 SSA_ERR_OK);
		assert_true(books.loaded); /* for the reload of CA, a card of no record of its */
		assert_int_equal(books.n_batches, 1);
		assert_false(mine[0] || mine[1] || mine[2]);
		assert_int_equal(caisse_books_mine(&st[1], "caisse-12", &books, ce, 1, mine),
				 SSA_ERR_OK);
		assert_true(mine[0]);
		caisse_books_fini(&books);
		assert_int_equal(caisse_books_mine(&st[0], "caisse-34", &books, ca, 3, mine),
				 SSA_ERR_OK);
		assert_false(books.loaded); /* CA's sales say whose its reload is */
		assert_true(mine[0] && mine[1] && mine[2]);
		assert_int_equal(caisse_books_load(&st[1], &books), SSA_ERR_OK);
		assert_int_equal(caisse_books_mine(&st[1], "caisse-12", &books, ce, 1, mine),
				 SSA_ERR_OK);
		assert_true(mine[0]); /* its grant */
		assert_int_equal(caisse_books_mine(&st[1], "caisse-12", &books, ca, 3, mine),
				 SSA_ERR_OK);
		assert_false(mine[0] || mine[1] || mine[2]);
		caisse_books_fini(&books);
		assert_int_equal(caisse_books_load(&st[0], &books), SSA_ERR_OK);
		assert_int_equal(caisse_books_mine(&st[0], "caisse-34", &books, ce, 1, mine),
				 SSA_ERR_OK);
		assert_false(mine[0]);
		assert_int_equal(caisse_books_mine(&st[0], "caisse-34", &books, ca, 3, mine),
				 SSA_ERR_OK);
		assert_true(mine[0] && mine[1] && mine[2]); /* the reload: the card's sales say */
		caisse_books_fini(&books);
		for (uint64_t i = 1; i <= NREC; i++)
			journal_record_fini(&r[i]);
	}

	for (int k = 0; k < 2; k++)
		st[k].close(st[k].cls);
	for (uint64_t i = 1; i <= NREC; i++)
		free(rec[i]);
	jf_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_books),
		cmocka_unit_test(test_two_caisses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
