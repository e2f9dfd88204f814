/* fuzz_config.c — config_parse on arbitrary text against a schema with every type of key.
 * On success the values obey the schema; on failure the error names a line within the text and
 * nothing stays allocated (LeakSanitizer checks that). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fconf {
	char *id;
	char *path;
	int64_t n;
	int64_t amount;
	int64_t rate;
	bool flag;
	int choice;
	struct config_list list;
	struct gtin_nomenclature nom;
};

static const char *const choices[] = {"none", "escpos", "pdf", NULL};

static const struct config_key schema[] = {
	CONFIG_STRING(struct fconf, id, "till", "terminal_id", CONFIG_REQUIRED, "id"),
	CONFIG_PATH(struct fconf, path, "paths", "journal", "/var/lib/j.db", "journal"),
	CONFIG_INT(struct fconf, n, "till", "max_lines", 1, 500, "200", "lines"),
	CONFIG_MONEY(struct fconf, amount, "till", "cash_float", 0, 100000, "50", "float"),
	CONFIG_RATE(struct fconf, rate, "till", "vat", "5,5", "vat"),
	CONFIG_BOOL(struct fconf, flag, "till", "training", "no", "training"),
	CONFIG_ENUM(struct fconf, choice, "till", "printer", choices, "none", "printer"),
	CONFIG_LIST(struct fconf, list, "sync", "caisses", NULL, "caisses"),
	CONFIG_GTIN_RULES(struct fconf, nom, "barcodes", "rule", "rules"),
	CONFIG_GTIN_LOCAL_PREFIXES(struct fconf, nom, "barcodes", "local_prefix", "prefixes"),
	CONFIG_END,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fconf c;
	struct config_error err;
	char buf[600];
	size_t lines = 1;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (config_parse(schema, "fuzz.ini", (const char *)data, size, &c, &err) == SSA_ERR_OK) {
		if (c.id == NULL || c.path == NULL || c.n < 1 || c.n > 500 || c.amount < 0 ||
		    c.amount > 100000 || c.choice < 0 || c.choice > 2 || c.nom.n_rule > GTIN_RULES_MAX)
			abort();
		for (size_t i = 0; i < c.list.n; i++)
			if (c.list.item[i] == NULL || c.list.item[i][0] == '\0')
				abort();
		config_free(schema, &c);
	} else {
		if (err.msg[0] == '\0' || err.line > lines || c.id != NULL || c.path != NULL ||
		    c.list.item != NULL)
			abort();
		config_error_format(&err, buf, sizeof(buf));
	}
	return 0;
}
