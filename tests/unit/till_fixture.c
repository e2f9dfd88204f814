/* till_fixture.c — see till_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "till_fixture.h"

void
tf_till(struct till *t, int32_t today, const char *op, struct ssa_journal_store *journal,
	struct journal_signer *signer)
{
	till_init(t, today);
	strcpy(t->establishment, "epicerie-test");
	strcpy(t->terminal, "T01");
	snprintf(t->operator_id, sizeof(t->operator_id), "%s", op);
	t->journal = journal;
	t->signer = signer;
}

void
tf_scan(struct till *t, const char *code)
{
	snprintf(t->entry, sizeof(t->entry), "%s", code);
	assert_int_equal(till_enter(t), SSA_ERR_OK);
}

uint64_t
tf_last_seq(struct ssa_journal_store *journal)
{
	uint64_t seq = 0;
	uint8_t hash[JOURNAL_HASH_LEN];

	assert_int_equal(journal_store_last(journal, &seq, hash), SSA_ERR_OK);
	return seq;
}

void
tf_record(struct ssa_journal_store *journal, uint64_t seq, struct journal_record *r)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(journal_store_get(journal, seq, &buf, &len), SSA_ERR_OK);
	assert_int_equal(journal_record_decode(buf, len, r, NULL), SSA_ERR_OK);
	free(buf);
}

struct receipt
tf_receipt(void)
{
	return (struct receipt){ .time_text = "now", .loc = MONEY_EN, .width = 40 };
}

void
tf_torn_restart(struct till *t, int64_t now_ms, void (*setup)(void *cls, struct till *t), void *cls)
{
	struct receipt rc = tf_receipt();

	assert_int_equal(till_pay_commit(t, now_ms, &rc), SSA_ERR_CARD_TORN);
	till_fini(t);
	setup(cls, t);
	till_recover(t);
}
