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
	assert_int_equal(cfg.vat_rates.n, 4);
	assert_int_equal(cfg.vat_rates.bp[0], 210);
	assert_int_equal(cfg.vat_rates.bp[1], 550);
	assert_int_equal(cfg.vat_rates.bp[2], 1000);
	assert_int_equal(cfg.vat_rates.bp[3], 2000);
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

/* [vat] rates: the default (France), another country's, and the values refused with their line. */
static void
test_vat_rates(void **state)
{
	static const char *const bad[] = {
		"5,5, 10, 20", /* a decimal comma: 5 and 5, a duplicate */
		"5.5, , 20",   /* an empty rate */
		"",            /* none */
		"5.5%, 120",   /* over 100 % */
		"cinq",
		"1, 2, 3, 4, 5, 6, 7, 8, 9", /* more than VAT_MAX_RATES */
		"5.555",       /* more than two decimals */
	};
	struct pos_config cfg;
	struct config_error err = { 0 };
	char msg[600];

	(void)state;
	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n", &cfg, &err),
			 SSA_ERR_OK);
	/* France's full set, 2.1 % included */
	assert_int_equal(cfg.vat_rates.n, 4);
	assert_true(vat_rates_contains(&cfg.vat_rates, 210));
	assert_true(vat_rates_contains(&cfg.vat_rates, 550));
	assert_true(vat_rates_contains(&cfg.vat_rates, 1000));
	assert_true(vat_rates_contains(&cfg.vat_rates, 2000));
	assert_false(vat_rates_contains(&cfg.vat_rates, 600));
	pos_config_free(&cfg);

	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "[vat]\nrates = 21, 6, 12\n",
				   &cfg, &err),
			 SSA_ERR_OK);
	assert_int_equal(cfg.vat_rates.n, 3);
	assert_int_equal(cfg.vat_rates.bp[0], 600);
	assert_int_equal(cfg.vat_rates.bp[1], 1200);
	assert_int_equal(cfg.vat_rates.bp[2], 2100);
	assert_false(vat_rates_contains(&cfg.vat_rates, 550));
	pos_config_free(&cfg);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[200];

		snprintf(text, sizeof(text),
			 "[till]\nterminal_id = T9\nestablishment_id = e\n\n[vat]\nrates = %s\n",
			 bad[i]);
		memset(&err, 0, sizeof(err));
		assert_int_equal(load_text(text, &cfg, &err), SSA_ERR_CONFIG_VALUE);
		assert_int_equal(err.line, 6);
		assert_null(cfg.terminal_id);
		config_error_format(&err, msg, sizeof(msg));
		assert_non_null(strstr(msg, "ssa-pos.ini:6: bad value for 'rates' in [vat]"));
		assert_non_null(strstr(msg, "is not VAT rates in percent such as 5.5, 10, 20"));
	}
	/* Given twice: the second is a mistake, not an addition. */
	assert_int_equal(load_text("[vat]\nrates = 5.5\nrates = 20\n[till]\nterminal_id = T9\n"
				   "establishment_id = e\n",
				   &cfg, &err),
			 SSA_ERR_CONFIG_KEY);
	assert_int_equal(err.line, 3);
}

/* vat_rates_format writes rates as the configuration does (messages quote them). */
static void
test_vat_rates_format(void **state)
{
	struct vat_rates r;
	char buf[64];

	(void)state;
	assert_int_equal(vat_rates_parse("2.1, 5.5, 10, 20, 12.25", &r), SSA_ERR_OK);
	vat_rates_format(&r, buf, sizeof(buf));
	assert_string_equal(buf, "2.1, 5.5, 10, 12.25, 20");
	vat_rates_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "any");
	/* cut to fit, NUL-terminated, the full length returned */
	assert_int_equal(vat_rates_format(&r, buf, 6), strlen("2.1, 5.5, 10, 12.25, 20"));
	assert_string_equal(buf, "2.1, ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_defaults_and_mistakes),
		cmocka_unit_test(test_vat_rates),
		cmocka_unit_test(test_vat_rates_format),
	};
	return cmocka_run_group_tests_name("till_config", tests, NULL, NULL);
}
