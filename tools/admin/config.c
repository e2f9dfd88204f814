/* config.c — ssa-admin's configuration: where the till's and the caisse's files are, so that
 * commands need no path on the command line.  Every key is optional; a command whose file is
 * neither configured nor given says which option or key it needs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "ssa/convention.h"
#include "ssa/log.h"

#define S struct admin_config
const struct config_key admin_config_schema[] = {
	CONFIG_PATH(S, journal, "till", "journal", NULL, "the till's journal database"),
	CONFIG_PATH(S, key_file, "till", "key_file", NULL, "the till's private signing key"),
	CONFIG_PATH(S, pubkey_file, "till", "pubkey_file", NULL,
		    "the till's public key, to verify its journal"),
	CONFIG_PATH(S, catalog, "till", "catalog", NULL, "the till's catalog database"),
	CONFIG_PATH(S, caisse_db, "caisse", "database", NULL, "the caisse server's database"),
	CONFIG_PATH(S, caisse_dir, "caisse", "key_dir", NULL,
		    "directory of the caisse's keys and certificate authority"),
	CONFIG_STRING(S, caisse_id, "caisse", "id", NULL, "the caisse's id (signed documents)"),
	CONFIG_PATH(S, caisse_doc_key, "caisse", "document_key", NULL,
		    "the caisse's private document key (signs grants and hot lists)"),
	CONFIG_PATH(S, caisse_list_key, "caisse", "list_key", NULL,
		    "the caisse's public document key (checks lists before publishing)"),
	CONFIG_INT(S, caisse_list_max_age, "caisse", "list_max_age", 0, CONVENTION_MAX_AGE_MAX, "0",
		   "days a till may work with the caisse's list and hot list before it warns, "
		   "written into each list signed (0: lists carry no limit)"),
	CONFIG_PATH(S, caisse_rules, "caisse", "household_rules", NULL,
		    "the household allocation rules (docs/caisse.md)"),
	CONFIG_VAT_RATES(S, vat_rates, "vat", "rates", "2.1, 5.5, 10, 20",
			 "the till's VAT rates in percent (as in ssa-pos.ini), for products imported"),
	CONFIG_END,
};
#undef S

int
admin_config_load(struct admin_ctx *ctx)
{
	char def[256], msg[600];
	const char *path = ctx->config_path;
	struct config_error err;
	struct stat st;

	memset(&ctx->cfg, 0, sizeof(ctx->cfg));
	if (path == NULL) {
		config_default_path("ssa-admin", def, sizeof(def));
		/* The default file is optional: ssa-admin runs at a till, at a caisse, or on a
		 * laptop with everything on the command line. */
		if (stat(def, &st) != 0 && errno == ENOENT) {
			config_parse(admin_config_schema, def, "", 0, &ctx->cfg, &err);
			return 0;
		}
		path = def;
	}
	if (config_load_file(admin_config_schema, path, &ctx->cfg, &err) != SSA_ERR_OK) {
		config_error_format(&err, msg, sizeof(msg));
		log_err("%s", msg);
		return -1;
	}
	return 0;
}

void
admin_config_free(struct admin_ctx *ctx)
{
	config_free(admin_config_schema, &ctx->cfg);
}
