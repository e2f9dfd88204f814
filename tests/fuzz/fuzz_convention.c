/* fuzz_convention.c — convention_list_parse on arbitrary bytes (lists come from the caisse over
 * the network and from files).  A list that parses must format, sign and parse back to the same
 * text, and deciding lines with it must stay within the line's amount.  Also feeds each input
 * line to the product CSV line parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/catalog.h"
#include "ssa/convention.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[32] = { 3 };

static void
check_roundtrip(const struct convention_list *l)
{
	char *body = NULL, *body2 = NULL, *text = NULL;
	size_t len, len2, tlen;
	struct convention_list *again = NULL;

	if (convention_list_format(l, &body, &len) != SSA_ERR_OK)
		abort();
	if (convention_sign(body, len, key, &text, &tlen) != SSA_ERR_OK)
		abort();
	if (convention_list_parse(text, tlen, &again, NULL) != SSA_ERR_OK)
		abort();
	if (convention_list_format(again, &body2, &len2) != SSA_ERR_OK || len2 != len ||
	    memcmp(body, body2, len) != 0)
		abort();
	convention_list_free(again);
	free(body);
	free(body2);
	free(text);
}

static void
check_decisions(const struct convention_list *l)
{
	for (size_t i = 0; i < l->n && i < 8; i++) {
		const struct convention_entry *e = &l->entries[i];
		struct convention_line ln = { .code = e->key, .category = e->key,
					      .unit = CATALOG_PIECE, .unit_price = 1234, .qty = 3,
					      .amount = 3702 };
		struct convention_decision d;

		if (convention_decide(l, e->from ? e->from : l->valid_from, &ln, &d) != SSA_ERR_OK)
			abort();
		if (d.covered < 0 || d.covered > ln.amount)
			abort();
		convention_apply_cap(&d, 100);
		if (d.covered < 0 || d.covered > ln.amount)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct convention_list *l = NULL, *merged = NULL;
	struct convention_error err;
	const char *p = (const char *)data, *end = p + size;

	if (convention_list_parse((const char *)data, size, &l, &err) == SSA_ERR_OK) {
		if (l->base == 0)
			check_roundtrip(l);
		check_decisions(l);
		if (l->base != 0) {
			struct convention_list base = *l;
			base.base = 0;
			base.version = l->base;
			base.n = 0;
			if (convention_list_apply_delta(&base, l, &merged) == SSA_ERR_OK) {
				check_decisions(merged);
				convention_list_free(merged);
			}
		}
		convention_list_free(l);
	} else if (err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct catalog_product prod;
		const char *why;

		if (catalog_csv_parse_line(p, len, NULL, &prod, &why) == SSA_ERR_OK &&
		    catalog_product_check(&prod, NULL) != SSA_ERR_OK)
			abort();
		p += len + 1;
	}
	return 0;
}
