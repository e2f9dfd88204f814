/* fuzz_card.c — what a card or a key file can hand us: identity, debit records and period state
 * bytes as read from a card, key file text.  A decoded identity/record/period must encode back to
 * the same bytes; a parsed key file must format and parse back to the same keys; settlement of
 * decoded records never fails on valid input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card_identity id;
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	struct card_period_state st;
	struct card_keys k, k2;
	uint8_t buf[CARD_IDENTITY_LEN];
	size_t n = 0;
	char *text = NULL;

	if (card_identity_decode(data, size, &id) == SSA_ERR_OK) {
		if (card_identity_encode(&id, buf) != SSA_ERR_OK ||
		    memcmp(buf, data, CARD_IDENTITY_LEN) != 0)
			abort();
	}
	if (size >= CARD_PERIOD_LEN && card_period_decode(data, &st) == SSA_ERR_OK) {
		card_period_encode(&st, buf);
		if (data[0] != 0 && memcmp(buf, data, CARD_PERIOD_LEN) != 0)
			abort();
	}
	for (size_t off = 0; off + CARD_DEBIT_RECORD_LEN <= size && n < CARD_DEBIT_RECORDS;
	     off += CARD_DEBIT_RECORD_LEN) {
		if (card_debit_record_decode(data + off, &recs[n]) != SSA_ERR_OK)
			continue;
		if (card_debit_record_encode(&recs[n], buf) != SSA_ERR_OK ||
		    memcmp(buf, data + off, CARD_DEBIT_RECORD_LEN) != 0)
			abort();
		n++;
	}
	if (n > 0) {
		struct card_intent in = { 1, recs[0].terminal_id, recs[0].seq, recs[0].amount };
		enum card_settle_outcome o;
		enum ssa_err err = card_settle(&in, 1, recs, n, &o, NULL);
		if (err != SSA_ERR_OK && err != SSA_ERR_CARD_RECORD)
			abort();
		if (err == SSA_ERR_OK && o != CARD_SETTLE_DEBITED)
			abort();
	}
	if (card_keys_parse((const char *)data, size, &k, NULL) == SSA_ERR_OK) {
		if (card_keys_format(&k, &text) != SSA_ERR_OK)
			abort();
		if (card_keys_parse(text, strlen(text), &k2, NULL) != SSA_ERR_OK ||
		    memcmp(k.master, k2.master, sizeof(k.master)) != 0 ||
		    memcmp(k.has, k2.has, sizeof(k.has)) != 0)
			abort();
		free(text);
	}
	return 0;
}
