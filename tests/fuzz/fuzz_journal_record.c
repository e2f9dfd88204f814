/* fuzz_journal_record.c — journal_record_decode on arbitrary bytes (records read back from the
 * journal file, received by the caisse): whatever decodes must encode to exactly the same
 * bytes, and chain verification of it must neither crash nor accept a wrong key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/convention.h"
#include "ssa/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A real key: a degenerate one (such as the identity point, 01 00 .. 00) lets a forged
	 * signature verify, which says nothing about our parsers. */
	static const uint8_t priv[32] = { 7 };
	static uint8_t pub[32];
	static int have_pub;

	if (!have_pub && convention_public_key(priv, pub) == SSA_ERR_OK)
		have_pub = 1;
	struct journal_record r;
	struct journal_chain c;
	const char *why = NULL;
	char *again = NULL;
	size_t len = 0;

	if (journal_record_decode(data, size, &r, &why) == SSA_ERR_OK) {
		if (journal_record_encode(&r, &again, &len) != SSA_ERR_OK || len != size ||
		    memcmp(again, data, size) != 0)
			abort();
		free(again);
	} else if (why == NULL) {
		abort();
	}
	journal_record_fini(&r);
	/* A record decoded under a key that signed nothing must never verify. */
	if (journal_chain_init(&c, pub) == SSA_ERR_OK &&
	    journal_chain_next(&c, 1, data, size, NULL) == SSA_ERR_OK)
		abort();
	return 0;
}
