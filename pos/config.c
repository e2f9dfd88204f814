/* config.c — ssa-pos's configuration schema and loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define S struct pos_config
const struct config_key pos_config_schema[] = {
	CONFIG_STRING(S, terminal_id, "till", "terminal_id", CONFIG_REQUIRED,
		      "this till's id, as the caisse knows it"),
	CONFIG_STRING(S, establishment_id, "till", "establishment_id", CONFIG_REQUIRED,
		      "the outlet's id, as the caisse knows it"),
	CONFIG_STRING(S, caisse, "till", "caisse", "",
		      "the outlet's main caisse: its list decides eligibility until a card is read"),
	CONFIG_STRING(S, shop_name, "till", "shop_name", "", "first line of the receipt"),
	CONFIG_STRING(S, shop_address, "till", "shop_address", "", "second line of the receipt"),
	CONFIG_PATH(S, data_dir, "till", "data_dir", "/var/lib/ssa-pos",
		    "directory of the catalog and journal databases"),
	CONFIG_PATH(S, catalog, "till", "catalog", NULL,
		    "catalog database (default: data_dir/catalog.db)"),
	CONFIG_PATH(S, journal, "till", "journal", NULL,
		    "journal database (default: data_dir/journal.db)"),
	CONFIG_PATH(S, key_file, "till", "key_file", NULL,
		    "the terminal's signing key (default: data_dir/terminal.key)"),
	CONFIG_INT(S, list_max_age, "till", "list_max_age", 0, 365, "7",
		   "days after which the product list and hot list are shown as too old (0: never)"),
	CONFIG_BOOL(S, color, "till", "color", "yes", "draw in color (symbols show every state too)"),
	CONFIG_INT(S, receipt_width, "receipt", "width", 32, 64, "40", "characters per line"),
	CONFIG_PATH(S, receipt_dir, "receipt", "directory", NULL,
		    "write every receipt there as a text file too"),
	CONFIG_PATH(S, printer, "receipt", "printer", NULL, "ESC/POS printer device, e.g. /dev/usb/lp0"),
	CONFIG_STRING(S, reader, "card", "reader", "",
		      "libnfc connstring of the card reader, e.g. pn532_uart:/dev/ttyUSB0"),
	CONFIG_PATH(S, card_keys, "card", "keys", NULL,
		    "card key file of this till: debit key and the caisse's verify key (mode 600)"),
	CONFIG_INT(S, card_terminal, "card", "terminal_number", 1, 4294967295LL, "1",
		   "this till's number in the cards' debit records, unique in the caisse"),
	CONFIG_PATH(S, spool, "sync", "spool", NULL,
		    "where ssa-syncd leaves the hot list and grants (default: data_dir/spool)"),
	CONFIG_PATH(S, caisse_key, "sync", "caisse_key", NULL,
		    "the caisse's public document key (PEM) verifying the hot list and grants"),
	CONFIG_GTIN_RULES(S, barcodes, "barcodes", "rule",
			  "GS1 in-store code rule, e.g. 21xxxxxNNDDDc weight (repeatable)"),
	CONFIG_GTIN_LOCAL_PREFIXES(S, barcodes, "barcodes", "local_prefix",
				   "prefix of the outlet's own short codes (repeatable)"),
	CONFIG_VAT_RATES(S, vat_rates, "vat", "rates", "2.1, 5.5, 10, 20",
			 "the VAT rates in force, in percent (France 2.1, 5.5, 10, 20; Belgium 6, 12, 21)"),
	CONFIG_END,
};
#undef S

/* @p *field = data_dir/@p name when the file did not give it. */
static enum ssa_err
default_path(char **field, const char *dir, const char *name)
{
	size_t n;

	if (*field)
		return SSA_ERR_OK;
	n = strlen(dir) + strlen(name) + 2;
	if ((*field = malloc(n)) == NULL)
		return SSA_ERR_NOMEM;
	snprintf(*field, n, "%s/%s", dir, name);
	return SSA_ERR_OK;
}

enum ssa_err
pos_config_load(const char *path, struct pos_config *cfg, struct config_error *err)
{
	enum ssa_err e;

	memset(cfg, 0, sizeof(*cfg));
	e = config_load_file(pos_config_schema, path, cfg, err);
	if (e != SSA_ERR_OK)
		return e;
	if ((e = default_path(&cfg->catalog, cfg->data_dir, "catalog.db")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->journal, cfg->data_dir, "journal.db")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->key_file, cfg->data_dir, "terminal.key")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->spool, cfg->data_dir, "spool")) != SSA_ERR_OK) {
		pos_config_free(cfg);
		err->err = e;
		snprintf(err->file, sizeof(err->file), "%s", path);
		err->line = 0;
		snprintf(err->msg, sizeof(err->msg), "%s", ssa_strerror(e));
	}
	return e;
}

void
pos_config_free(struct pos_config *cfg)
{
	config_free(pos_config_schema, cfg);
}
