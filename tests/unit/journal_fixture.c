/* journal_fixture.c — records, keys and scratch directories for the journal tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal_fixture.h"

const uint8_t jf_priv_a[32] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
				12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
				23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
const uint8_t jf_priv_b[32] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
				9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };

void
jf_header(struct journal_record *r, int64_t time_ms)
{
	strcpy(r->establishment, "epicerie-solidaire-34");
	strcpy(r->terminal, "T1");
	strcpy(r->software, "0.1.0");
	strcpy(r->operator_id, "op7");
	r->time_ms = time_ms;
}

static void
lines(struct journal_record *r, int64_t ssa)
{
	struct journal_line l1 = { .code = "3560070123456", .name = "Lentilles vertes 500 g",
				   .category = "epicerie", .qty = 2, .unit_price = 150,
				   .amount = 300, .vat_bp = 550, .covered = 300, .paid_ssa = ssa,
				   .reason = CONVENTION_COVERED, .list_caisse = "caisse-34",
				   .list_version = 7 };
	struct journal_line l2 = { .code = "2100000000007", .name = "Comté 18 mois (kg)",
				   .category = "fromage", .qty = 1, .grams = 350,
				   .unit_price = 2400, .amount = 840, .vat_bp = 2000,
				   .reason = CONVENTION_NOT_IN_LIST, .list_caisse = "caisse-34",
				   .list_version = 7 };

	assert_int_equal(journal_record_add_line(r, &l1), SSA_ERR_OK);
	assert_int_equal(journal_record_add_line(r, &l2), SSA_ERR_OK);
	vat_summary_init(&r->vat);
	assert_int_equal(vat_summary_add(&r->vat, 550, 300), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&r->vat, 2000, 840), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&r->vat), SSA_ERR_OK);
	r->total = 1140;
}

void
jf_sale(struct journal_record *r, int64_t time_ms, int64_t ssa)
{
	struct journal_tender t1 = { TENDER_SSA, ssa, ssa, 0 };
	struct journal_tender t2 = { TENDER_CASH, 1140 - ssa, 1140 - ssa + 500, 500 };

	journal_record_init(r, JOURNAL_SALE);
	jf_header(r, time_ms);
	lines(r, ssa);
	if (ssa > 0) {
		strcpy(r->card, "c-4f2a9b");
		r->balance_before = 15000;
		r->balance_after = 15000 - ssa;
		assert_int_equal(journal_record_add_tender(r, &t1), SSA_ERR_OK);
	}
	assert_int_equal(journal_record_add_tender(r, &t2), SSA_ERR_OK);
	r->ssa_covered = ssa;
}

void
jf_cancel(struct journal_record *r, enum journal_kind kind, uint64_t link_seq, int64_t time_ms,
	  int64_t ssa)
{
	struct journal_tender t1 = { TENDER_SSA, ssa, ssa, 0 };
	struct journal_tender t2 = { TENDER_CASH, 1140 - ssa, 1140 - ssa, 0 };

	journal_record_init(r, kind);
	jf_header(r, time_ms);
	lines(r, ssa);
	r->link_seq = link_seq;
	if (ssa > 0) {
		strcpy(r->card, "c-4f2a9b");
		r->balance_before = 15000 - ssa;
		r->balance_after = 15000;
		assert_int_equal(journal_record_add_tender(r, &t1), SSA_ERR_OK);
	}
	assert_int_equal(journal_record_add_tender(r, &t2), SSA_ERR_OK);
	r->ssa_covered = ssa;
}

void
jf_reload(struct journal_record *r, int64_t time_ms, int64_t before, int64_t amount)
{
	journal_record_init(r, JOURNAL_RELOAD);
	jf_header(r, time_ms);
	strcpy(r->card, "c-4f2a9b");
	r->balance_before = before;
	r->balance_after = before + amount;
	strcpy(r->reload.grant_id, "g-2026-11-c-4f2a9b");
	r->reload.period = 202611;
	r->reload.amount = amount;
}

struct journal_signer *
jf_signer(const uint8_t priv[32])
{
	struct journal_signer *s = NULL;

	assert_int_equal(journal_signer_new(priv, &s), SSA_ERR_OK);
	return s;
}

void
jf_public(const uint8_t priv[32], uint8_t pub[32])
{
	struct journal_signer *s = jf_signer(priv);

	journal_signer_public(s, pub, NULL);
	journal_signer_free(s);
}

char *
jf_tmpdir(void)
{
	char *d = strdup("/tmp/ssa-journal-test.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

void
jf_rmtree(const char *dir)
{
	char cmd[512];

	assert_true(strncmp(dir, "/tmp/ssa-journal-test.", 22) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}
