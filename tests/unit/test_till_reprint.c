/* test_till_reprint.c — reprints are journal records (REPRINT, linked to the sale): the copy
 * number is counted from the journal per sale, the record carries the operator and no money,
 * the chain verifies, closings skip reprints, and a REPRINT must link to an earlier record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/closing.h"
#include "ssa/journal_store.h"

#include "../../pos/till.h"
#include "till_fixture.h"

static const uint8_t terminal_key[32] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
					  5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };

struct fixture {
	struct ssa_journal_store *journal;
	struct journal_signer *signer;
	struct till t;
};

/* A sale of one 2,50 € cash line, appended as the till would. */
static uint64_t
append_sale(struct fixture *f)
{
	struct journal_record r;
	struct journal_line l = { .code = "123", .name = "x", .qty = 1, .unit_price = 250,
				  .amount = 250, .vat_bp = 550, .reason = CONVENTION_NO_CARD };
	struct journal_tender tn = { TENDER_CASH, 250, 250, 0 };
	uint64_t seq = 0;

	journal_record_init(&r, JOURNAL_SALE);
	strcpy(r.establishment, "epicerie-test");
	strcpy(r.terminal, "T01");
	strcpy(r.operator_id, "7");
	r.time_ms = 1700000000000;
	r.total = 250;
	assert_int_equal(journal_record_add_line(&r, &l), SSA_ERR_OK);
	assert_int_equal(journal_record_add_tender(&r, &tn), SSA_ERR_OK);
	assert_int_equal(vat_summary_add(&r.vat, 550, 250), SSA_ERR_OK);
	assert_int_equal(vat_summary_finish(&r.vat), SSA_ERR_OK);
	assert_int_equal(journal_store_append(f->journal, &r, f->signer, 0, &seq, NULL), SSA_ERR_OK);
	journal_record_fini(&r);
	return seq;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(journal_mem_new(&f->journal), SSA_ERR_OK);
	assert_int_equal(journal_signer_new(terminal_key, &f->signer), SSA_ERR_OK);
	tf_till(&f->t, 20261123, "42", f->journal, f->signer);
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
	free(f);
	return 0;
}

static void
test_copies_counted_per_sale(void **state)
{
	struct fixture *f = *state;
	uint64_t s1 = append_sale(f), s2 = append_sale(f), last = 0;
	unsigned copy = 0;
	uint8_t hash[JOURNAL_HASH_LEN], pub[32], kid[JOURNAL_KEY_ID_LEN];
	struct journal_chain c;
	struct journal_record r;
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(till_reprint(&f->t, s1, 1700000001000, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 1);
	assert_int_equal(till_reprint(&f->t, s1, 1700000002000, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 2);
	assert_int_equal(till_reprint(&f->t, s2, 1700000003000, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 1);
	assert_int_equal(till_reprint(&f->t, s1, 1700000004000, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 3);
	assert_int_equal(f->t.status.records_waiting, 4);
	/* counted for the reports: all of them, those between two records */
	assert_int_equal(till_reprints_between(&f->t, 0, 0, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 4);
	assert_int_equal(till_reprints_between(&f->t, s2, 5, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 2); /* records 3 and 4 */
	assert_int_equal(till_reprints_between(&f->t, 4, 0, &copy), SSA_ERR_OK);
	assert_int_equal(copy, 2); /* records 5 and 6 */

	/* record 3: the first reprint of sale 1, by the operator signed in, no money */
	assert_int_equal(journal_store_get(f->journal, 3, &buf, &len), SSA_ERR_OK);
	assert_non_null(strstr(buf, "\"kind\":\"REPRINT\""));
	assert_int_equal(journal_record_decode(buf, len, &r, NULL), SSA_ERR_OK);
	assert_int_equal(r.kind, JOURNAL_REPRINT);
	assert_int_equal(r.link_seq, s1);
	assert_string_equal(r.operator_id, "42");
	assert_int_equal(r.time_ms, 1700000001000);
	assert_int_equal(r.n_lines, 0);
	assert_int_equal(r.n_tenders, 0);
	assert_int_equal(r.total, 0);
	assert_true(r.balance_before == JOURNAL_NONE);
	journal_record_fini(&r);
	free(buf);

	/* the chain verifies with the new kind in it */
	journal_signer_public(f->signer, pub, kid);
	assert_int_equal(journal_store_verify(f->journal, pub, &c), SSA_ERR_OK);
	assert_int_equal(c.count, 6);
	assert_int_equal(journal_store_last(f->journal, &last, hash), SSA_ERR_OK);
	assert_int_equal(last, 6);

	/* a Z skips the reprints: two sales, 5,00 € */
	journal_record_init(&r, JOURNAL_CLOSING_Z);
	assert_int_equal(closing_compute(f->journal, JOURNAL_CLOSING_Z, 20261123, &r), SSA_ERR_OK);
	assert_int_equal(r.closing.sales, 2);
	assert_int_equal(r.closing.records, 2);
	assert_int_equal(r.closing.total, 500);
	journal_record_fini(&r);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	struct journal_record r;
	struct journal_line l = { .code = "1", .qty = 1, .amount = 0 };
	uint64_t last = 0;
	uint8_t hash[JOURNAL_HASH_LEN];
	unsigned copy = 99;
	const char *why = NULL;

	/* no sale, no journal: nothing recorded */
	assert_int_equal(till_reprint(&f->t, 0, 1, &copy), SSA_ERR_INVAL);
	f->t.journal = NULL;
	assert_int_equal(till_reprint(&f->t, 1, 1, &copy), SSA_ERR_INVAL);
	f->t.journal = f->journal;
	assert_int_equal(copy, 99);
	assert_int_equal(journal_store_last(f->journal, &last, hash), SSA_ERR_OK);
	assert_int_equal(last, 0);

	/* a REPRINT names an earlier record and carries no lines */
	journal_record_init(&r, JOURNAL_REPRINT);
	strcpy(r.establishment, "e");
	strcpy(r.terminal, "T01");
	r.seq = 5;
	r.link_seq = 0;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	r.link_seq = 5;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	r.link_seq = 4;
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_OK);
	assert_int_equal(journal_record_add_line(&r, &l), SSA_ERR_OK);
	assert_int_equal(journal_record_check(&r, &why), SSA_ERR_JOURNAL_FORMAT);
	journal_record_fini(&r);
	assert_int_equal(journal_kind_parse("REPRINT", &r.kind), SSA_ERR_OK);
	assert_int_equal(r.kind, JOURNAL_REPRINT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copies_counted_per_sale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
