/* test_caisse_push.c — ssa-caissed's journal push rules on a real SQLite file: all or nothing,
 * idempotent by (terminal, seq), conflicts, tampered records, gaps, broken chains, wrong
 * terminal, unregistered keys; and what is stored survives a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/journal.h"
#include "ssa/protocol.h"
#include "../../sync/server/server.h"

static const uint8_t priv_a[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t priv_b[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
				    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

#define N 8

struct fixture {
	char dir[64];
	char db[96];
	struct caisse_store st;
	struct journal_signer *a, *b;
	uint8_t pub_a[32], pub_b[32];
	char *rec[N + 1]; /* T1's chain signed with a: rec[1..N] */
	size_t len[N + 1];
	uint8_t hash[N + 1][32];
};

/* A small sale of terminal @p terminal by operator @p op. */
static void
sale(struct journal_record *r, const char *terminal, const char *op)
{
	struct journal_line l = { .code = "3560070123456", .name = "Lentilles", .category = "epicerie",
				  .qty = 1, .unit_price = 150, .amount = 150, .vat_bp = 550,
				  .covered = 150, .paid_ssa = 150, .reason = CONVENTION_COVERED,
				  .list_caisse = "caisse-34", .list_version = 7 };
	struct journal_tender t = { TENDER_SSA, 150, 150, 0 };

	journal_record_init(r, JOURNAL_SALE);
	strcpy(r->establishment, "epicerie-34");
	strcpy(r->terminal, terminal);
	strcpy(r->software, "0.1.0");
	strcpy(r->operator_id, op);
	strcpy(r->card, "c-1");
	r->time_ms = INT64_C(1795000000000);
	r->balance_before = 1000;
	r->balance_after = 850;
	assert_int_equal(journal_record_add_line(r, &l), SSA_ERR_OK);
	assert_int_equal(journal_record_add_tender(r, &t), SSA_ERR_OK);
	vat_summary_init(&r->vat);
	assert_int_equal(vat_summary_add(&r->vat, 550, 150), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&r->vat), SSA_ERR_OK);
	r->total = 150;
	r->ssa_covered = 150;
}

/* Seal a record after (@p prev_seq, @p prev): its encoding in @p *out (caller frees). */
static void
seal(const char *terminal, const char *op, const struct journal_signer *s, uint64_t prev_seq,
     const uint8_t *prev, char **out, size_t *len, uint8_t hash[32])
{
	struct journal_record r;

	sale(&r, terminal, op);
	assert_int_equal(journal_seal(&r, prev_seq, prev, s, out, len, hash), SSA_ERR_OK);
	journal_record_fini(&r);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t kid[JOURNAL_KEY_ID_LEN];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ssa-test-push-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/caisse.db", f->dir);
	assert_int_equal(caisse_store_sqlite_open(f->db, &f->st), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(priv_a, &f->a), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(priv_b, &f->b), SSA_ERR_OK);
	journal_signer_public(f->a, f->pub_a, kid);
	journal_signer_public(f->b, f->pub_b, kid);
	for (uint64_t i = 1; i <= N; i++)
		seal("T1", "op7", f->a, i - 1, i == 1 ? NULL : f->hash[i - 1], &f->rec[i], &f->len[i],
		     f->hash[i]);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	f->st.close(f->st.cls);
	journal_signer_free(f->a);
	journal_signer_free(f->b);
	for (int i = 1; i <= N; i++)
		free(f->rec[i]);
	snprintf(path, sizeof(path), "%s/caisse.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/caisse.db-shm", f->dir);
	unlink(path);
	unlink(f->db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Push records @p from..@p to of the chain (plus @p extra, may be NULL) as @p terminal. */
static enum ssa_err
push(struct fixture *f, const char *terminal, const uint8_t *pub, uint64_t from, uint64_t to,
     uint64_t extra_seq, const char *extra, struct protocol_push_reply *reply,
     struct caisse_refusal *ref)
{
	struct protocol_push p;
	enum ssa_err err;

	protocol_push_init(&p);
	for (uint64_t i = from; i && i <= to; i++)
		assert_int_equal(protocol_push_add(&p, i, f->rec[i], f->len[i]), SSA_ERR_OK);
	if (extra)
		assert_int_equal(protocol_push_add(&p, extra_seq, extra, strlen(extra)), SSA_ERR_OK);
	err = caisse_push(&f->st, "caisse-34", terminal, pub, &p, 1795000001000, reply, ref);
	protocol_push_fini(&p);
	return err;
}

static uint64_t
stored_last(struct fixture *f, const char *terminal)
{
	uint64_t seq, count;
	uint8_t h[32];

	assert_int_equal(f->st.journal_last(f->st.cls, terminal, &seq, h, &count), SSA_ERR_OK);
	assert_int_equal(seq, count); /* no gaps */
	return seq;
}

static void
test_push_and_replay(void **state)
{
	struct fixture *f = *state;
	struct protocol_push_reply r;
	struct caisse_refusal ref;
	uint64_t seq, count;
	uint8_t h[32];

	assert_int_equal(push(f, "T1", f->pub_a, 1, 3, 0, NULL, &r, &ref), SSA_ERR_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.last_seq, 3);
	assert_string_equal(r.terminal, "T1");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(r.res[i].seq, i + 1);
		assert_int_equal(r.res[i].outcome, PROTOCOL_STORED);
	}
	protocol_push_reply_fini(&r);
	/* the same batch again: accepted, nothing doubled */
	assert_int_equal(push(f, "T1", f->pub_a, 1, 3, 0, NULL, &r, &ref), SSA_ERR_OK);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(r.res[i].outcome, PROTOCOL_DUPLICATE);
	protocol_push_reply_fini(&r);
	assert_int_equal(stored_last(f, "T1"), 3);
	/* overlapping: 2..5 */
	assert_int_equal(push(f, "T1", NULL, 2, 5, 0, NULL, &r, &ref), SSA_ERR_OK);
	assert_int_equal(r.res[0].outcome, PROTOCOL_DUPLICATE);
	assert_int_equal(r.res[1].outcome, PROTOCOL_DUPLICATE);
	assert_int_equal(r.res[2].outcome, PROTOCOL_STORED);
	assert_int_equal(r.res[3].outcome, PROTOCOL_STORED);
	assert_int_equal(r.last_seq, 5);
	protocol_push_reply_fini(&r);
	/* the hash chain the server keeps is the terminal's */
	assert_int_equal(f->st.journal_last(f->st.cls, "T1", &seq, h, &count), SSA_ERR_OK);
	assert_memory_equal(h, f->hash[5], 32);
	/* survives a reopen */
	f->st.close(f->st.cls);
	assert_int_equal(caisse_store_sqlite_open(f->db, &f->st), SSA_ERR_OK);
	assert_int_equal(stored_last(f, "T1"), 5);
}

static void
expect_refused(struct fixture *f, enum ssa_err got, struct caisse_refusal *ref, unsigned status,
	       const char *name, uint64_t seq, const char *msg_part)
{
	assert_int_equal(got, SSA_ERR_REJECTED);
	assert_int_equal(ref->status, status);
	assert_string_equal(ref->name, name);
	assert_int_equal(ref->seq, seq);
	if (!strstr(ref->msg, msg_part))
		fail_msg("message \"%s\" lacks \"%s\"", ref->msg, msg_part);
	(void)f;
}

static void
test_refusals_keep_nothing(void **state)
{
	struct fixture *f = *state;
	struct protocol_push_reply r;
	struct caisse_refusal ref;
	char *other, *tampered, *p;
	size_t olen;
	uint8_t h[32], zero[32] = { 0 };

	assert_int_equal(push(f, "T1", f->pub_a, 1, 3, 0, NULL, &r, &ref), SSA_ERR_OK);
	protocol_push_reply_fini(&r);

	/* same key, different content: 409; the new record 4 in the same batch is not kept */
	seal("T1", "op8", f->a, 1, f->hash[1], &other, &olen, h);
	{
		struct protocol_push pp;

		protocol_push_init(&pp);
		assert_int_equal(protocol_push_add(&pp, 2, other, olen), SSA_ERR_OK);
		assert_int_equal(protocol_push_add(&pp, 4, f->rec[4], f->len[4]), SSA_ERR_OK);
		expect_refused(f, caisse_push(&f->st, "caisse-34", "T1", NULL, &pp, 0, &r, &ref),
			       &ref, 409, "CONFLICT", 2, "differs");
		protocol_push_fini(&pp);
		protocol_push_reply_fini(&r);
	}
	free(other);
	assert_int_equal(stored_last(f, "T1"), 3);
	/* all or nothing: 4 is good, 5 is tampered -> 4 is not kept either */
	tampered = strdup(f->rec[5]);
	p = strstr(tampered, "op7");
	assert_non_null(p);
	p[2] = '9';
	expect_refused(f, push(f, "T1", NULL, 4, 4, 5, tampered, &r, &ref), &ref, 422,
		       "JOURNAL_SIGNATURE", 5, "signature");
	protocol_push_reply_fini(&r);
	free(tampered);
	assert_int_equal(stored_last(f, "T1"), 3);
	/* a gap: 5 without 4 */
	expect_refused(f, push(f, "T1", NULL, 5, 6, 0, NULL, &r, &ref), &ref, 422, "JOURNAL_SEQ", 5,
		       "expected 4");
	protocol_push_reply_fini(&r);
	/* a broken chain: a record 4 whose prev is not record 3's hash */
	seal("T1", "op7", f->a, 3, zero, &other, &olen, h);
	expect_refused(f, push(f, "T1", NULL, 0, 0, 4, other, &r, &ref), &ref, 422, "JOURNAL_CHAIN",
		       4, "");
	protocol_push_reply_fini(&r);
	free(other);
	/* record 4 signed by a key not registered for T1 */
	seal("T1", "op7", f->b, 3, f->hash[3], &other, &olen, h);
	expect_refused(f, push(f, "T1", NULL, 0, 0, 4, other, &r, &ref), &ref, 422, "JOURNAL_KEY",
		       4, "not registered");
	protocol_push_reply_fini(&r);
	free(other);
	/* T1's records pushed with T2's certificate */
	expect_refused(f, push(f, "T2", f->pub_a, 1, 1, 0, NULL, &r, &ref), &ref, 422,
		       "JOURNAL_FORMAT", 1, "names terminal 'T1'");
	protocol_push_reply_fini(&r);
	/* not a journal record */
	expect_refused(f, push(f, "T1", NULL, 0, 0, 4, "{\"seq\":4}", &r, &ref), &ref, 422,
		       "JOURNAL_FORMAT", 4, "not a canonical");
	protocol_push_reply_fini(&r);
	/* the batch says 4, the record says 5 */
	expect_refused(f, push(f, "T1", NULL, 0, 0, 4, f->rec[5], &r, &ref), &ref, 422,
		       "JOURNAL_FORMAT", 4, "the record says 5");
	protocol_push_reply_fini(&r);
	assert_int_equal(stored_last(f, "T1"), 3);
	assert_int_equal(stored_last(f, "T2"), 0);
	/* and the good rest still goes in */
	assert_int_equal(push(f, "T1", NULL, 4, N, 0, NULL, &r, &ref), SSA_ERR_OK);
	assert_int_equal(r.last_seq, N);
	protocol_push_reply_fini(&r);
}

static void
test_store_is_append_only(void **state)
{
	struct fixture *f = *state;
	struct protocol_push_reply r;
	struct caisse_refusal ref;
	char *data;
	size_t len;

	assert_int_equal(push(f, "T1", f->pub_a, 1, 2, 0, NULL, &r, &ref), SSA_ERR_OK);
	protocol_push_reply_fini(&r);
	/* storing again under the same key is refused by the database itself */
	assert_int_equal(f->st.begin(f->st.cls), SSA_ERR_OK);
	assert_int_equal(f->st.journal_put(f->st.cls, "T1", 2, "x", 1, f->hash[2], "SALE", 0, 0),
			 SSA_ERR_DB);
	f->st.rollback(f->st.cls);
	assert_int_equal(f->st.journal_get(f->st.cls, "T1", 2, &data, &len), SSA_ERR_OK);
	assert_int_equal(len, f->len[2]);
	assert_memory_equal(data, f->rec[2], len);
	free(data);
	assert_int_equal(f->st.journal_get(f->st.cls, "T1", 3, &data, &len), SSA_ERR_NOT_FOUND);
}

/* Seal a record of kind @p kind, outlet @p est, time @p time_ms after (@p prev_seq, @p prev). */
static void
seal_kind(const char *terminal, const char *est, enum journal_kind kind, int64_t time_ms,
	  const struct journal_signer *s, uint64_t prev_seq, const uint8_t *prev, char **out,
	  size_t *len, uint8_t hash[32])
{
	struct journal_record r;

	sale(&r, terminal, "op7");
	r.kind = kind;
	strcpy(r.establishment, est);
	r.time_ms = time_ms;
	if (kind == JOURNAL_VOID)
		r.link_seq = 1;
	assert_int_equal(journal_seal(&r, prev_seq, prev, s, out, len, hash), SSA_ERR_OK);
	journal_record_fini(&r);
}

static void
test_settlement(void **state)
{
	struct fixture *f = *state;
	struct protocol_push_reply r;
	struct caisse_refusal ref;
	struct protocol_settlement s;
	char *extra[4];
	size_t elen[4];
	uint8_t h[4][32];
	struct protocol_push p;
	const int64_t dec = INT64_C(1796083200000); /* 2026-12-01T00:00:00Z */

	/* the settlement's outlets are the caisse's: T1 and T2 at epicerie-34, T3 at autre */
	assert_int_equal(f->st.outlet_put(f->st.cls, "epicerie-34", "Épicerie"), SSA_ERR_OK);
	assert_int_equal(f->st.outlet_put(f->st.cls, "autre", "Autre"), SSA_ERR_OK);
	assert_int_equal(f->st.terminal_attach(f->st.cls, "T1", "epicerie-34"), SSA_ERR_OK);
	assert_int_equal(f->st.terminal_attach(f->st.cls, "T2", "epicerie-34"), SSA_ERR_OK);
	assert_int_equal(f->st.terminal_attach(f->st.cls, "T3", "autre"), SSA_ERR_OK);
	/* T1: 8 sales in November 2026, then a void (Nov 30, 23:59:59.999), a sale on Dec 1 */
	assert_int_equal(push(f, "T1", f->pub_a, 1, N, 0, NULL, &r, &ref), SSA_ERR_OK);
	protocol_push_reply_fini(&r);
	seal_kind("T1", "epicerie-34", JOURNAL_VOID, dec - 1, f->a, N, f->hash[N], &extra[0],
		  &elen[0], h[0]);
	seal_kind("T1", "epicerie-34", JOURNAL_SALE, dec, f->a, N + 1, h[0], &extra[1], &elen[1],
		  h[1]);
	protocol_push_init(&p);
	assert_int_equal(protocol_push_add(&p, N + 1, extra[0], elen[0]), SSA_ERR_OK);
	assert_int_equal(protocol_push_add(&p, N + 2, extra[1], elen[1]), SSA_ERR_OK);
	assert_int_equal(caisse_push(&f->st, "caisse-34", "T1", NULL, &p, 0, &r, &ref), SSA_ERR_OK);
	protocol_push_fini(&p);
	protocol_push_reply_fini(&r);
	/* T2, same outlet, one sale; T3, another outlet, one sale */
	seal_kind("T2", "epicerie-34", JOURNAL_SALE, dec - 5000, f->b, 0, NULL, &extra[2], &elen[2],
		  h[2]);
	/* T3's record names epicerie-34: it is settled for autre, where T3 is attached */
	seal_kind("T3", "epicerie-34", JOURNAL_SALE, dec - 5000, f->b, 0, NULL, &extra[3], &elen[3],
		  h[3]);
	for (int k = 2; k < 4; k++) {
		protocol_push_init(&p);
		assert_int_equal(protocol_push_add(&p, 1, extra[k], elen[k]), SSA_ERR_OK);
		assert_int_equal(caisse_push(&f->st, "caisse-34", k == 2 ? "T2" : "T3", f->pub_b,
					     &p, 0, &r, &ref),
				 SSA_ERR_OK);
		protocol_push_fini(&p);
		protocol_push_reply_fini(&r);
	}
	assert_int_equal(caisse_settlement(&f->st, "caisse-34", "epicerie-34", 202611, &s),
			 SSA_ERR_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.line[0].terminal, "T1");
	assert_int_equal(s.line[0].sales, N);
	assert_int_equal(s.line[0].sales_ssa, N * 150);
	assert_int_equal(s.line[0].voids, 1);
	assert_int_equal(s.line[0].owed, (N - 1) * 150);
	assert_string_equal(s.line[1].terminal, "T2");
	assert_int_equal(s.owed, N * 150);
	protocol_settlement_fini(&s);
	assert_int_equal(caisse_settlement(&f->st, "caisse-34", "epicerie-34", 202612, &s),
			 SSA_ERR_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.owed, 150);
	protocol_settlement_fini(&s);
	assert_int_equal(caisse_settlement(&f->st, "caisse-34", "autre", 202611, &s), SSA_ERR_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.line[0].terminal, "T3");
	protocol_settlement_fini(&s);
	assert_int_equal(caisse_settlement(&f->st, "caisse-34", "epicerie-34", 202613, &s),
			 SSA_ERR_INVAL);
	for (int k = 0; k < 4; k++)
		free(extra[k]);
}

static enum ssa_err
collect_anomaly(void *ctx, const char *card, const char *terminal, uint64_t seq, int64_t expected,
		int64_t found, int64_t time_ms)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	(void)time_ms;
	snprintf(buf + n, 512 - n, "%s/%s/%llu/%lld/%lld;", card, terminal, (unsigned long long)seq,
		 (long long)expected, (long long)found);
	return SSA_ERR_OK;
}

/* Every record of the fixture says card c-1 went from 10,00 to 8,50: from the second one on,
 * the ledger (8,50) disagrees — what a card spent twice from the same balance looks like. */
static void
test_ledger(void **state)
{
	struct fixture *f = *state;
	struct protocol_push_reply r;
	struct caisse_refusal ref;
	char seen[512] = "", *tampered, *p;
	int64_t bal;

	assert_int_equal(push(f, "T1", f->pub_a, 1, 3, 0, NULL, &r, &ref), SSA_ERR_OK);
	protocol_push_reply_fini(&r);
	assert_int_equal(f->st.anomaly_scan(f->st.cls, collect_anomaly, seen), SSA_ERR_OK);
	assert_string_equal(seen, "c-1/T1/2/850/1000;c-1/T1/3/850/1000;");
	assert_int_equal(f->st.card_get(f->st.cls, "c-1", &bal), SSA_ERR_OK);
	assert_int_equal(bal, 850);
	assert_int_equal(f->st.card_get(f->st.cls, "c-2", &bal), SSA_ERR_NOT_FOUND);
	/* a replay adds nothing; a refused batch leaves no anomaly behind */
	assert_int_equal(push(f, "T1", NULL, 1, 3, 0, NULL, &r, &ref), SSA_ERR_OK);
	protocol_push_reply_fini(&r);
	tampered = strdup(f->rec[5]);
	p = strstr(tampered, "op7");
	p[2] = '9';
	assert_int_equal(push(f, "T1", NULL, 4, 4, 5, tampered, &r, &ref), SSA_ERR_REJECTED);
	protocol_push_reply_fini(&r);
	free(tampered);
	seen[0] = '\0';
	assert_int_equal(f->st.anomaly_scan(f->st.cls, collect_anomaly, seen), SSA_ERR_OK);
	assert_string_equal(seen, "c-1/T1/2/850/1000;c-1/T1/3/850/1000;");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_keep_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settlement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
