/* test_till_config.c — ssa-pos's configuration schema: the example file loads, paths default
 * to data_dir, mistakes are refused with file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../pos/config.h"

static void
test_example_file(void **state)
{
	struct pos_config cfg;
	struct config_error err = { 0 };

	(void)state;
	assert_int_equal(pos_config_load("config/ssa-pos.ini", &cfg, &err), SSA_ERR_OK);
	assert_string_equal(cfg.terminal_id, "T01");
	assert_string_equal(cfg.caisse, "caisse-34");
	assert_string_equal(cfg.catalog, "/var/lib/ssa-pos/catalog.db");
	assert_string_equal(cfg.journal, "/var/lib/ssa-pos/journal.db");
	assert_int_equal(cfg.receipt_width, 40);
	assert_int_equal(cfg.list_max_age, 7);
	assert_true(cfg.color);
	assert_null(cfg.printer);
	assert_string_equal(cfg.spool, "/var/lib/ssa-pos/spool");
	assert_null(cfg.caisse_key);
	assert_int_equal(cfg.barcodes.n_rule, 2);
	pos_config_free(&cfg);
	assert_null(cfg.terminal_id);
}

static enum ssa_err
load_text(const char *text, struct pos_config *cfg, struct config_error *err)
{
	char dir[] = "/tmp/ssa-cfg.XXXXXX", path[64];
	enum ssa_err e;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ssa-pos.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	e = pos_config_load(path, cfg, err);
	unlink(path);
	rmdir(dir);
	return e;
}

static void
test_defaults_and_mistakes(void **state)
{
	struct pos_config cfg;
	struct config_error err = { 0 };

	(void)state;
	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "data_dir = /srv/till\njournal = /j.db\n",
				   &cfg, &err),
			 SSA_ERR_OK);
	assert_string_equal(cfg.catalog, "/srv/till/catalog.db");
	assert_string_equal(cfg.journal, "/j.db");
	assert_string_equal(cfg.key_file, "/srv/till/terminal.key");
	assert_string_equal(cfg.caisse, "");
	assert_string_equal(cfg.spool, "/srv/till/spool");
	assert_null(cfg.caisse_key);
	pos_config_free(&cfg);

	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "[sync]\nspool = /srv/spool\ncaisse_key = /etc/ssa-pos/caisse.pub\n",
				   &cfg, &err),
			 SSA_ERR_OK);
	assert_string_equal(cfg.spool, "/srv/spool");
	assert_string_equal(cfg.caisse_key, "/etc/ssa-pos/caisse.pub");
	pos_config_free(&cfg);
	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "[sync]\nspool_dir = /srv/spool\n",
				   &cfg, &err),
			 SSA_ERR_CONFIG_KEY);
	assert_int_equal(err.line, 5);

	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "[receipt]\nwidth = 20\n",
				   &cfg, &err),
			 SSA_ERR_CONFIG_VALUE);
	assert_int_equal(err.line, 5);
	assert_null(cfg.terminal_id);
	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\ncolour = no\n",
				   &cfg, &err),
			 SSA_ERR_CONFIG_KEY);
	assert_int_equal(err.line, 4);
	assert_int_equal(load_text("[till]\nestablishment_id = e\n", &cfg, &err),
			 SSA_ERR_CONFIG_MISSING);
	assert_int_equal(pos_config_load("/nonexistent/ssa-pos.ini", &cfg, &err), SSA_ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_defaults_and_mistakes),
	};
	return cmocka_run_group_tests_name("till_config", tests, NULL, NULL);
}
