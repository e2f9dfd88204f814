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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_books),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
