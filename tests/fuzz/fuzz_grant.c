/* fuzz_grant.c — the grant batch parser and the household rules parser on arbitrary bytes (what a
 * terminal pulls from the network, what an administrator types).  A parsed batch must format
 * back to exactly the bytes its signature covers, and every grant must be found again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/convention.h"
#include "ssa/grant.h"
#include "ssa/household.h"

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
	struct grant_batch *b = NULL;
	struct household_rules r;
	struct convention_error err;
	const struct grant *g;
	char *out;
	size_t len;

	if (grant_batch_parse((const char *)data, size, &b, &err) == SSA_ERR_OK) {
		if (grant_batch_format(b, &out, &len) != SSA_ERR_OK || len != b->signed_len ||
		    memcmp(out, data, len) != 0)
			abort();
		free(out);
		for (size_t i = 0; i < b->n; i++) {
			const struct grant *x = &b->grants[i];
			if (grant_by_id(b, x->id) != x)
				abort();
			if (x->target == GRANT_CARD &&
			    (grant_find(b, x->holder, 0, b->period, &g) != SSA_ERR_OK || g != x))
				abort();
		}
		grant_batch_free(b);
		b = NULL;
	}
	/* the signature with a key that signed nothing here must never verify */
	if (grant_batch_load((const char *)data, size, pub, NULL, &b, &err) == SSA_ERR_OK)
		abort();
	if (household_rules_parse((const char *)data, size, &r, &err) == SSA_ERR_OK) {
		int32_t births[3] = { 19800101, 20100615, 20200229 };
		int64_t amount;
		if (household_rules_format(&r, &out, &len) != SSA_ERR_OK)
			abort();
		struct household_rules back;
		if (household_rules_parse(out, len, &back, NULL) != SSA_ERR_OK ||
		    back.base != r.base || back.adult != r.adult || back.child != r.child ||
		    back.child_age != r.child_age || back.cap != r.cap)
			abort();
		free(out);
		enum ssa_err e = household_amount(&r, births, 3, 202603, &amount, NULL, NULL);
		if (e != SSA_ERR_OK && e != SSA_ERR_OVERFLOW)
			abort();
	}
	return 0;
}
