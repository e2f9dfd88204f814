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
	assert_int_equal(cfg.n_caisses, 0); /* the further caisses are commented out */
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

/* [caisse.<id>] sections: further caisses with their keys and spools; every mistake refused with
 * its line, the main configuration untouched by them. */
static void
test_caisses(void **state)
{
	static const char head[] = "[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "caisse = caisse-34\ndata_dir = /srv/till\n";
	static const struct {
		const char *text; /* after head (5 lines) */
		enum ssa_err err;
		unsigned line;
		const char *msg;
	} bad[] = {
		{ "[caisse.caisse-12]\ncard_keys = /k\ncolor = yes\n", SSA_ERR_CONFIG_KEY, 8,
		  "unknown key 'color' in [caisse.caisse-12]" },
		{ "[caisse.caisse-12]\ncard_key = /k\n", SSA_ERR_CONFIG_KEY, 7,
		  "unknown key 'card_key' in [caisse.caisse-12] (did you mean 'card_keys'?)" },
		{ "[caisse.caisse-12]\ncard_keys =\n", SSA_ERR_CONFIG_VALUE, 7,
		  "bad value for 'card_keys' in [caisse.caisse-12]: a path cannot be empty" },
		{ "[caisse.caisse-12]\nspool = /s\n", SSA_ERR_CONFIG_MISSING, 0,
		  "missing required key 'card_keys' in [caisse.caisse-12]" },
		{ "[caisse.caisse-12]\ncard_keys = /k\ncard_keys = /l\n", SSA_ERR_CONFIG_KEY, 8,
		  "duplicate key 'card_keys' in [caisse.caisse-12] (first on line 7)" },
		{ "\n[caisse.]\ncard_keys = /k\n", SSA_ERR_CONFIG_KEY, 7, "bad caisse id in [caisse.]" },
		{ "[caisse.caisse-of-a-long-name]\ncard_keys = /k\n", SSA_ERR_CONFIG_KEY, 6,
		  "bad caisse id in [caisse.caisse-of-a-long-name]" },
		{ "[caisse.caisse-34]\ncard_keys = /k\n", SSA_ERR_CONFIG_VALUE, 6,
		  "[caisse.caisse-34] is the main caisse" },
		{ "[caisse.b]\ncard_keys = /k\nspool = /srv/till/spool\n", SSA_ERR_CONFIG_VALUE, 6,
		  "[caisse.b] spool /srv/till/spool is the main caisse's" },
		{ "[caisse.a]\ncard_keys = /k\nspool = /s\n[caisse.b]\ncard_keys = /k\n"
		  "spool = /s\n",
		  SSA_ERR_CONFIG_VALUE, 9, "[caisse.b] spool /s is also [caisse.a]'s" },
		/* the main sections still refuse what they refused */
		{ "[caisse.a]\ncard_keys = /k\n[till]\ncolour = no\n", SSA_ERR_CONFIG_KEY, 9,
		  "unknown key 'colour' in [till]" },
		{ "[caisse.a]\ncard_keys = /k\n[tll]\n", SSA_ERR_CONFIG_KEY, 8,
		  "unknown section [tll]" },
		{ "[caisse.a\ncard_keys = /k\n", SSA_ERR_CONFIG_SYNTAX, 6, "missing ']'" },
		{ "[caisses]\n", SSA_ERR_CONFIG_KEY, 6, "unknown section [caisses]" },
	};
	struct pos_config cfg;
	struct config_error err = { 0 };
	char text[600], msg[600];

	(void)state;
	/* Two further caisses; a section opened twice adds to it; comments and CRLF as anywhere. */
	snprintf(text, sizeof(text),
		 "%s[caisse.caisse-12]  # the neighbouring caisse\r\ncard_keys = /etc/k12\r\n"
		 "[vat]\nrates = 5.5, 20\n"
		 "[ caisse.b.2 ]\ncard_keys = /etc/kb\nspool = /var/spool-b\n"
		 "[caisse.caisse-12]\ncaisse_key = /etc/c12.pub\n",
		 head);
	assert_int_equal(load_text(text, &cfg, &err), SSA_ERR_OK);
	assert_string_equal(cfg.caisse, "caisse-34");
	assert_string_equal(cfg.spool, "/srv/till/spool");
	assert_int_equal(cfg.vat_rates.n, 2);
	assert_int_equal(cfg.n_caisses, 2);
	assert_string_equal(cfg.caisses[0].id, "caisse-12");
	assert_int_equal(cfg.caisses[0].line, 6);
	assert_string_equal(cfg.caisses[0].card_keys, "/etc/k12");
	assert_string_equal(cfg.caisses[0].caisse_key, "/etc/c12.pub");
	assert_string_equal(cfg.caisses[0].spool, "/srv/till/spool-caisse-12");
	assert_string_equal(cfg.caisses[1].id, "b.2");
	assert_string_equal(cfg.caisses[1].card_keys, "/etc/kb");
	assert_null(cfg.caisses[1].caisse_key);
	assert_string_equal(cfg.caisses[1].spool, "/var/spool-b");
	pos_config_free(&cfg);
	assert_null(cfg.caisses[0].card_keys);
	assert_int_equal(cfg.n_caisses, 0);

	/* Without a main caisse, a further one has nothing to be further to. */
	assert_int_equal(load_text("[till]\nterminal_id = T9\nestablishment_id = e\n"
				   "[caisse.a]\ncard_keys = /k\n",
				   &cfg, &err),
			 SSA_ERR_CONFIG_MISSING);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "needs the main caisse"));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i].text);
		memset(&err, 0, sizeof(err));
		assert_int_equal(load_text(text, &cfg, &err), bad[i].err);
		assert_int_equal(err.line, bad[i].line);
		assert_null(cfg.terminal_id);
		assert_null(cfg.caisses[0].card_keys);
		config_error_format(&err, msg, sizeof(msg));
		if (strstr(msg, bad[i].msg) == NULL)
			fail_msg("case %zu: %s", i, msg);
		assert_non_null(strstr(msg, "ssa-pos.ini"));
	}
	/* At most POS_CONFIG_CAISSES_MAX of them. */
	snprintf(text, sizeof(text), "%s", head);
	for (int i = 0; i <= POS_CONFIG_CAISSES_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[caisse.c%d]\ncard_keys = /k\n", i);
	assert_int_equal(load_text(text, &cfg, &err), SSA_ERR_CONFIG_KEY);
	assert_int_equal(err.line, 6 + 2 * POS_CONFIG_CAISSES_MAX);
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
		cmocka_unit_test(test_caisses),
	};
	return cmocka_run_group_tests_name("till_config", tests, NULL, NULL);
}
