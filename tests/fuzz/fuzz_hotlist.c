/* fuzz_hotlist.c — the hot list parser on arbitrary bytes (what a terminal pulls from the
 * network).  A parsed list must be sorted, format back to exactly the bytes its signature covers,
 * find every card it holds, and apply to itself only as "not newer". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/convention.h"
#include "ssa/hotlist.h"

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
	struct hotlist *l = NULL, *m = NULL;
	struct convention_error err;
	char *out;
	size_t len;

	if (hotlist_parse((const char *)data, size, &l, &err) == SSA_ERR_OK) {
		if (hotlist_format(l, &out, &len) != SSA_ERR_OK || len != l->signed_len ||
		    memcmp(out, data, len) != 0)
			abort();
		free(out);
		for (size_t i = 0; i < l->n; i++) {
			if (i > 0 && l->serials[i - 1] >= l->serials[i])
				abort();
			if (hotlist_find(l, l->serials[i]) != &l->entries[i])
				abort();
		}
		if (hotlist_apply(l, l, &m) != SSA_ERR_HOTLIST_OLDER)
			abort();
		if (l->base == 0) {
			if (hotlist_apply(NULL, l, &m) != SSA_ERR_OK || m->n != l->n)
				abort();
			hotlist_free(m);
		}
		hotlist_free(l);
		l = NULL;
	}
	if (hotlist_load((const char *)data, size, pub, NULL, &l, &err) == SSA_ERR_OK)
		abort();
	return 0;
}
