/* fuzz_gtin.c — gtin_scan on arbitrary text (whatever a scanner or a cashier sends), with a
 * nomenclature of every kind of rule, and gtin_rule_parse on the same text.  A code that scans
 * must format and scan back to the same key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/gtin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gtin_nomenclature nom;
static int nom_ready;

static void
setup(void)
{
	static const char *const rules[] = {
		"21xxxxxNNDDDc weight", "23xxxxxNNNDDc price", "27xxxxxvNNDDc price",
		"28xxxxvNNNDDc price",  "25xxxxxxxxxxc local", "022xxxxNNDDDc weight",
		"02xxxxxNNNNNc price",
	};
	char msg[160];

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (gtin_nomenclature_add_rule(&nom, rules[i], msg, sizeof(msg)) != SSA_ERR_OK)
			abort();
	if (gtin_nomenclature_add_local_prefix(&nom, "999", msg, sizeof(msg)) != SSA_ERR_OK)
		abort();
	nom_ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gtin_code c, again;
	struct gtin_rule r;
	char *text, buf[64], msg[160];

	if (!nom_ready)
		setup();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (gtin_scan(&nom, text, &c) == SSA_ERR_OK) {
		if (c.kind == GTIN_NONE || strlen(c.text) == 0)
			abort();
		if (c.kind != GTIN_VARIABLE_WEIGHT && c.kind != GTIN_VARIABLE_PRICE && c.value != 0)
			abort();
		if (c.value < 0 || c.value > INT64_C(10000000000000))
			abort();
		if (gtin_format(c.key, buf, sizeof(buf)) == 0)
			abort();
		/* the key's own text scans to the same key (value zeroed for variable codes) */
		if (gtin_scan(&nom, buf, &again) != SSA_ERR_OK || again.key != c.key ||
		    again.kind != c.kind || again.value != 0)
			abort();
	} else if (c.kind != GTIN_NONE || c.msg[0] == '\0') {
		abort();
	}
	if (gtin_rule_parse(text, &r, msg, sizeof(msg)) == SSA_ERR_OK) {
		if (r.prefix_len + r.item_len + r.value_len + (r.verifier_pos >= 0) + 1 != 13)
			abort();
	}
	free(text);
	return 0;
}
