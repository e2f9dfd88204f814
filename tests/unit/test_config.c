/* test_config.c — INI parsing against a schema: every kind of value, every kind of error with
 * its line, defaults, nomenclature rules, reading real files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/config.h"
#include "ssa/log.h"

/* A till-like configuration, written the way docs/config.md tells program owners to. */
struct tconf {
	char *terminal_id;
	char *establishment;
	int64_t max_lines;
	int64_t cash_float;
	int64_t vat_reduced;
	bool training;
	int printer;
	char *journal;
	char *greeting;
	struct config_list caisses;
	struct gtin_nomenclature nom;
};

static const char *const printers[] = {"none", "escpos", "pdf", NULL};

static const struct config_key schema[] = {
	CONFIG_STRING(struct tconf, terminal_id, "till", "terminal_id", CONFIG_REQUIRED,
	              "this till's id, as the caisse knows it"),
	CONFIG_STRING(struct tconf, establishment, "till", "establishment", "demo",
	              "establishment id"),
	CONFIG_INT(struct tconf, max_lines, "till", "max_lines", 1, 500, "200",
	           "most lines in one basket"),
	CONFIG_MONEY(struct tconf, cash_float, "till", "cash_float", 0, 100000, "50",
	             "cash in the drawer at opening"),
	CONFIG_RATE(struct tconf, vat_reduced, "till", "vat_reduced", "5,5", "reduced VAT rate"),
	CONFIG_BOOL(struct tconf, training, "till", "training", "no", "training mode"),
	CONFIG_ENUM(struct tconf, printer, "till", "printer", printers, "none", "receipt printer"),
	CONFIG_PATH(struct tconf, journal, "paths", "journal", "/var/lib/ssa-pos/journal.db",
	            "journal database"),
	CONFIG_STRING(struct tconf, greeting, "till", "greeting", NULL, "receipt header"),
	CONFIG_LIST(struct tconf, caisses, "sync", "caisses", NULL, "caisse ids"),
	CONFIG_GTIN_RULES(struct tconf, nom, "barcodes", "rule", "variable-measure rule"),
	CONFIG_GTIN_LOCAL_PREFIXES(struct tconf, nom, "barcodes", "local_prefix",
	                           "outlet-local code prefix"),
	CONFIG_END,
};

static enum ssa_err
parse(const char *text, struct tconf *c, struct config_error *err)
{
	memset(c, 0, sizeof(*c));
	return config_parse(schema, "till.ini", text, strlen(text), c, err);
}

/* Parse @p text, expect error @p want on line @p line, and return the formatted message. */
static const char *
expect_error(const char *text, enum ssa_err want, unsigned line)
{
	static char buf[600];
	struct tconf c;
	struct config_error err;
	enum ssa_err e = parse(text, &c, &err);

	config_error_format(&err, buf, sizeof(buf));
	if (e != want || err.err != want || err.line != line)
		fail_msg("got %s line %u (%s), wanted %s line %u", ssa_errname(e), err.line, buf,
		         ssa_errname(want), line);
	/* nothing is left allocated */
	assert_null(c.terminal_id);
	assert_null(c.establishment);
	assert_null(c.journal);
	assert_null(c.caisses.item);
	return buf;
}

static void
test_full(void **state)
{
	struct tconf c;
	struct config_error err;
	struct gtin_code code;
	const char *text = "\xef\xbb\xbf# ssa-pos configuration\r\n"
	                   "; another comment\r\n"
	                   "\r\n"
	                   "[till]\r\n"
	                   "  terminal_id   =   T-042  \r\n"
	                   "establishment = \"Épicerie # du \\\"Coin\\\" ; \"  # quoted\r\n"
	                   "max_lines = 30 ; inline comment\n"
	                   "cash_float = 120,50\n"
	                   "vat_reduced = 10\n"
	                   "training = Yes\n"
	                   "printer = ESCPOS\n"
	                   "greeting = Bienvenue#1\n"
	                   "[paths] # comment after a section\n"
	                   "journal = /srv/ssa/journal.db\n"
	                   "[sync]\n"
	                   "caisses = caisse-a, caisse-b\n"
	                   "caisses = caisse-c\n"
	                   "[barcodes]\n"
	                   "rule = 21xxxxxNNDDDc weight\n"
	                   "rule = 23xxxxxNNNDDc price   # prices\n"
	                   "local_prefix = 999\n"
	                   "[till]\n"
	                   "# a section may be opened again\n";
	(void)state;

	assert_int_equal(parse(text, &c, &err), SSA_ERR_OK);
	assert_string_equal(c.terminal_id, "T-042");
	assert_string_equal(c.establishment, "Épicerie # du \"Coin\" ; ");
	assert_int_equal(c.max_lines, 30);
	assert_int_equal(c.cash_float, 12050);
	assert_int_equal(c.vat_reduced, 1000);
	assert_true(c.training);
	assert_int_equal(c.printer, 1);
	assert_string_equal(c.greeting, "Bienvenue#1");
	assert_string_equal(c.journal, "/srv/ssa/journal.db");
	assert_int_equal(c.caisses.n, 3);
	assert_string_equal(c.caisses.item[0], "caisse-a");
	assert_string_equal(c.caisses.item[1], "caisse-b");
	assert_string_equal(c.caisses.item[2], "caisse-c");
	assert_int_equal(c.nom.n_rule, 2);
	assert_int_equal(c.nom.n_local_prefix, 1);
	/* the nomenclature from the file decodes codes */
	assert_int_equal(gtin_scan(&c.nom, "2112345012346", &code), SSA_ERR_OK);
	assert_int_equal(code.kind, GTIN_VARIABLE_WEIGHT);
	assert_int_equal(code.value, 1234);
	config_free(schema, &c);
	assert_null(c.terminal_id);
	assert_null(c.caisses.item);
	assert_int_equal(c.caisses.n, 0);
	config_free(schema, &c); /* twice is harmless */
}

static void
test_defaults(void **state)
{
	struct tconf c;
	struct config_error err;
	(void)state;
	assert_int_equal(parse("[till]\nterminal_id=T1", &c, &err), SSA_ERR_OK);
	assert_string_equal(c.terminal_id, "T1");
	assert_string_equal(c.establishment, "demo");
	assert_int_equal(c.max_lines, 200);
	assert_int_equal(c.cash_float, 5000);
	assert_int_equal(c.vat_reduced, 550);
	assert_false(c.training);
	assert_int_equal(c.printer, 0);
	assert_null(c.greeting);
	assert_string_equal(c.journal, "/var/lib/ssa-pos/journal.db");
	assert_int_equal(c.caisses.n, 0);
	assert_int_equal(c.nom.n_rule, 0);
	/* an empty value is a value: the empty string, not the default */
	config_free(schema, &c);
	assert_int_equal(parse("[till]\nterminal_id=T1\nestablishment=\ngreeting = \"\"\n", &c,
	                       &err),
	                 SSA_ERR_OK);
	assert_string_equal(c.establishment, "");
	assert_string_equal(c.greeting, "");
	config_free(schema, &c);
}

static void
test_unknown(void **state)
{
	const char *m;
	(void)state;
	m = expect_error("[till]\nterminal_id = T1\n\n# c\n\n\n\n\n\n\n\ntermnial_id = T2\n",
	                 SSA_ERR_CONFIG_KEY, 12);
	assert_string_equal(m, "till.ini:12: unknown key 'termnial_id' in [till] "
	                       "(did you mean 'terminal_id'?)");
	m = expect_error("[till]\nterminal_id = T1\ncolour = blue\n", SSA_ERR_CONFIG_KEY, 3);
	assert_string_equal(m, "till.ini:3: unknown key 'colour' in [till]");
	/* a key of another section is unknown here */
	m = expect_error("[till]\nterminal_id = T1\njournal = /x\n", SSA_ERR_CONFIG_KEY, 3);
	assert_non_null(strstr(m, "unknown key 'journal' in [till]"));
	m = expect_error("[tills]\nterminal_id = T1\n", SSA_ERR_CONFIG_KEY, 1);
	assert_string_equal(m, "till.ini:1: unknown section [tills]");
}

static void
test_syntax(void **state)
{
	const char *m;
	(void)state;
	m = expect_error("terminal_id = T1\n", SSA_ERR_CONFIG_SYNTAX, 1);
	assert_non_null(strstr(m, "before any [section]"));
	m = expect_error("[till]\nterminal_id T1\n", SSA_ERR_CONFIG_SYNTAX, 2);
	assert_non_null(strstr(m, "expected 'key = value'"));
	expect_error("[till\nterminal_id = T1\n", SSA_ERR_CONFIG_SYNTAX, 1);
	expect_error("[till] x\nterminal_id = T1\n", SSA_ERR_CONFIG_SYNTAX, 1);
	expect_error("[]\n", SSA_ERR_CONFIG_SYNTAX, 1);
	expect_error("[ti ll]\n", SSA_ERR_CONFIG_SYNTAX, 1);
	expect_error("[till]\n= T1\n", SSA_ERR_CONFIG_SYNTAX, 2);
	expect_error("[till]\nterminal id = T1\n", SSA_ERR_CONFIG_SYNTAX, 2);
	m = expect_error("[till]\nterminal_id = \"T1\n", SSA_ERR_CONFIG_SYNTAX, 2);
	assert_non_null(strstr(m, "missing closing quote"));
	m = expect_error("[till]\nterminal_id = \"T1\" x\n", SSA_ERR_CONFIG_SYNTAX, 2);
	assert_non_null(strstr(m, "after the closing quote"));
	{
		struct tconf c;
		struct config_error err;
		static const char nul[] = "[till]\nterminal_id = T\0 1\n";
		memset(&c, 0, sizeof(c));
		assert_int_equal(config_parse(schema, "till.ini", nul, sizeof(nul) - 1, &c, &err),
		                 SSA_ERR_CONFIG_SYNTAX);
		assert_int_equal(err.line, 2);
		assert_null(c.terminal_id);
	}
	{
		/* a very long line */
		size_t n = 70000;
		char *big = malloc(n + 32);
		struct tconf c;
		struct config_error err;
		assert_non_null(big);
		strcpy(big, "[till]\ngreeting = ");
		memset(big + strlen(big), 'a', n);
		big[18 + n] = '\0';
		assert_int_equal(parse(big, &c, &err), SSA_ERR_CONFIG_SYNTAX);
		assert_int_equal(err.line, 2);
		free(big);
	}
}

static void
test_duplicate(void **state)
{
	const char *m;
	(void)state;
	m = expect_error("[till]\nterminal_id = T1\n\nterminal_id = T2\n", SSA_ERR_CONFIG_KEY, 4);
	assert_string_equal(m, "till.ini:4: duplicate key 'terminal_id' in [till] (first on line 2)");
	/* also when the section was opened twice */
	expect_error("[till]\nterminal_id = T1\n[paths]\n[till]\nterminal_id = T1\n",
	             SSA_ERR_CONFIG_KEY, 5);
	expect_error("[till]\nterminal_id = T1\n[barcodes]\nrule = 21xxxxxNNDDDc weight\n"
	             "rule = 21xxxxxNNNDDc price\n",
	             SSA_ERR_CONFIG_VALUE, 5);
}

static void
test_bad_values(void **state)
{
	const char *m;
	(void)state;
	m = expect_error("[till]\nterminal_id=T\nmax_lines = 12a\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_string_equal(m, "till.ini:3: bad value for 'max_lines' in [till]: '12a' is not a "
	                       "whole number");
	m = expect_error("[till]\nterminal_id=T\nmax_lines = 501\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "501 is not between 1 and 500"));
	expect_error("[till]\nterminal_id=T\nmax_lines = 0\n", SSA_ERR_CONFIG_VALUE, 3);
	expect_error("[till]\nterminal_id=T\nmax_lines = -\n", SSA_ERR_CONFIG_VALUE, 3);
	expect_error("[till]\nterminal_id=T\nmax_lines =\n", SSA_ERR_CONFIG_VALUE, 3);
	m = expect_error("[till]\nterminal_id=T\nmax_lines = 99999999999999999999\n",
	                 SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "in range"));
	m = expect_error("[till]\nterminal_id=T\ncash_float = 12,505\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "is not an amount"));
	m = expect_error("[till]\nterminal_id=T\ncash_float = 1000,01\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "between 0.00 and 1000.00"));
	expect_error("[till]\nterminal_id=T\ncash_float = -1\n", SSA_ERR_CONFIG_VALUE, 3);
	expect_error("[till]\nterminal_id=T\nvat_reduced = cinq\n", SSA_ERR_CONFIG_VALUE, 3);
	m = expect_error("[till]\nterminal_id=T\ntraining = maybe\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "'maybe' is not yes/no"));
	m = expect_error("[till]\nterminal_id=T\nprinter = laser\n", SSA_ERR_CONFIG_VALUE, 3);
	assert_non_null(strstr(m, "'laser' is none of none, escpos, pdf"));
	expect_error("[paths]\njournal =\n", SSA_ERR_CONFIG_VALUE, 2);
	expect_error("[paths]\njournal = \"/a\tb\"\n", SSA_ERR_CONFIG_VALUE, 2);
	m = expect_error("[sync]\ncaisses = a,,b\n", SSA_ERR_CONFIG_VALUE, 2);
	assert_non_null(strstr(m, "empty item"));
	expect_error("[sync]\ncaisses = a,\n", SSA_ERR_CONFIG_VALUE, 2);
	expect_error("[sync]\ncaisses = a\ncaisses = ,b\n", SSA_ERR_CONFIG_VALUE, 3);
	m = expect_error("[barcodes]\nrule = 31xxxxxNNDDDc weight\n", SSA_ERR_CONFIG_VALUE, 2);
	assert_non_null(strstr(m, "bad value for 'rule' in [barcodes]: pattern 31xxxxxNNDDDc"));
	expect_error("[barcodes]\nlocal_prefix = 9x\n", SSA_ERR_CONFIG_VALUE, 2);
	/* control characters in a bad value are not echoed */
	m = expect_error("[till]\nterminal_id=T\nmax_lines = \"1\x1b[2J\"\n", SSA_ERR_CONFIG_VALUE,
	                 3);
	assert_null(strchr(m, '\x1b'));
}

static void
test_missing(void **state)
{
	const char *m;
	(void)state;
	m = expect_error("[till]\nmax_lines = 3\n", SSA_ERR_CONFIG_MISSING, 0);
	assert_string_equal(m, "till.ini: missing required key 'terminal_id' in [till]: this "
	                       "till's id, as the caisse knows it");
	expect_error("", SSA_ERR_CONFIG_MISSING, 0);
	/* a required key with an empty value is given */
	{
		struct tconf c;
		struct config_error err;
		assert_int_equal(parse("[till]\nterminal_id =\n", &c, &err), SSA_ERR_OK);
		config_free(schema, &c);
	}
}

struct small {
	int64_t n;
	char *s;
};

static void
test_schema_errors(void **state)
{
	static const struct config_key bad_default[] = {
		CONFIG_STRING(struct small, s, "a", "s", "x", "a string"),
		CONFIG_INT(struct small, n, "a", "n", 0, 10, "eleven", "a number"),
		CONFIG_END,
	};
	static const struct config_key bad_name[] = {
		CONFIG_INT(struct small, n, "a b", "n", 0, 10, "1", "a number"),
		CONFIG_END,
	};
	static const struct config_key no_choices[] = {
		{.section = "a", .name = "e", .type = CONFIG_T_ENUM, .offset = 0},
		CONFIG_END,
	};
	struct small s = {0};
	struct config_error err;
	char buf[300];
	(void)state;
	assert_int_equal(config_parse(bad_default, "x.ini", "", 0, &s, &err), SSA_ERR_CONFIG_VALUE);
	config_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "x.ini: the default of 'n' in [a] is invalid: 'eleven' is not a "
	                         "whole number");
	assert_null(s.s); /* the string default applied first was freed */
	assert_int_equal(config_parse(bad_name, "x.ini", "", 0, &s, &err), SSA_ERR_INVAL);
	assert_int_equal(config_parse(no_choices, "x.ini", "", 0, &s, &err), SSA_ERR_INVAL);
}

struct logconf {
	int level;
};

static void
test_log_level_key(void **state)
{
	/* the pattern docs/config.md gives for a verbosity key */
	static const struct config_key log_schema[] = {
		CONFIG_ENUM(struct logconf, level, "log", "level", log_level_names, "info",
		            "how much to log"),
		CONFIG_END,
	};
	struct logconf c = {0};
	struct config_error err;
	(void)state;
	assert_int_equal(config_parse(log_schema, "x.ini", "", 0, &c, &err), SSA_ERR_OK);
	assert_int_equal(c.level, LOG_LEVEL_INFO);
	assert_int_equal(config_parse(log_schema, "x.ini", "[log]\nlevel = debug\n", 20, &c, &err),
	                 SSA_ERR_OK);
	assert_int_equal(c.level, LOG_LEVEL_DEBUG);
	assert_int_equal(config_parse(log_schema, "x.ini", "[log]\nlevel = loud\n", 19, &c, &err),
	                 SSA_ERR_CONFIG_VALUE);
	assert_non_null(strstr(err.msg, "none of error, warning, info, debug"));
}

static void
test_describe(void **state)
{
	char *out = NULL;
	struct tconf c;
	struct config_error err;
	(void)state;
	assert_int_equal(config_describe(schema, &out), SSA_ERR_OK);
	assert_non_null(out);
	assert_non_null(strstr(out, "[till]\n# this till's id, as the caisse knows it (text)\n"
	                            "terminal_id =   # required\n"));
	assert_non_null(strstr(out, "#max_lines = 200\n"));
	assert_non_null(strstr(out, "(one of none, escpos, pdf)"));
	assert_non_null(strstr(out, "[barcodes]\n"));
	assert_non_null(strstr(out, "[paths]\n"));
	/* the example parses, once its required key is filled in */
	{
		char *filled = malloc(strlen(out) + 8);
		char *at = strstr(out, "terminal_id =");
		assert_non_null(filled);
		memcpy(filled, out, (size_t)(at - out));
		strcpy(filled + (at - out), "terminal_id = T9");
		strcat(filled, at + strlen("terminal_id =   # required"));
		assert_int_equal(parse(filled, &c, &err), SSA_ERR_OK);
		assert_string_equal(c.terminal_id, "T9");
		config_free(schema, &c);
		free(filled);
	}
	free(out);
}

static void
test_file(void **state)
{
	char dir[] = "/tmp/ssa-test-config-XXXXXX";
	char path[128], buf[400];
	struct tconf c;
	struct config_error err;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ssa-pos.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[till]\nterminal_id = T7\n[barcodes]\nrule = 23xxxxxNNNDDc price\n", f);
	assert_int_equal(fclose(f), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(config_load_file(schema, path, &c, &err), SSA_ERR_OK);
	assert_string_equal(c.terminal_id, "T7");
	assert_int_equal(c.nom.n_rule, 1);
	config_free(schema, &c);

	f = fopen(path, "a");
	assert_non_null(f);
	fputs("[till]\ntermnial_id = T8\n", f);
	assert_int_equal(fclose(f), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(config_load_file(schema, path, &c, &err), SSA_ERR_CONFIG_KEY);
	config_error_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "/ssa-pos.ini:6: unknown key 'termnial_id' in [till]"));

	snprintf(path, sizeof(path), "%s/absent.ini", dir);
	assert_int_equal(config_load_file(schema, path, &c, &err), SSA_ERR_IO);
	config_error_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "absent.ini: cannot read: No such file or directory"));
	assert_int_equal(config_load_file(schema, dir, &c, &err), SSA_ERR_IO);
	assert_non_null(strstr(err.msg, "not a regular file"));

	snprintf(path, sizeof(path), "%s/ssa-pos.ini", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(config_default_path("ssa-syncd", buf, sizeof(buf)), 26);
	assert_string_equal(buf, "/etc/ssa-pos/ssa-syncd.ini");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),       cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown),    cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_duplicate),  cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing),    cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_describe),   cmocka_unit_test(test_file),
		cmocka_unit_test(test_log_level_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
