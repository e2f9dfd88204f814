/* ssa/config.h — INI configuration files checked against a schema.
 *
 * Each program describes its configuration once, as a table of keys (struct config_key) that
 * fill a struct of its own; config_parse() reads INI text into that struct and stops at the
 * first problem — unknown section or key, bad value (and why), duplicate key, missing required
 * key — reported with file name and line number, so that the program refuses to start rather
 * than guess.  docs/config.md shows the pattern to follow.
 *
 * Syntax: "[section]", "key = value", whole-line comments starting with '#' or ';', and in an
 * unquoted value a comment after a blank (" # ..." or " ; ...").  Blanks around sections, keys
 * and values are trimmed.  A value may be written in double quotes to keep blanks, '#' or ';'
 * (\" and \\ inside).  A UTF-8 BOM and CRLF line ends are accepted.
 *
 * config_parse() is pure (lib/config.c); config_load_file() reads a file for it
 * (io/config_file.c, in libssaio).
 */
#ifndef SSA_CONFIG_H
#define SSA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssa/err.h"
#include "ssa/gtin.h"
#include "ssa/vat.h"

enum config_type {
	CONFIG_T_STRING,    /* char *, malloc'd (config_free releases it) */
	CONFIG_T_PATH,      /* char *, non-empty, no control characters */
	CONFIG_T_INT,       /* int64_t, decimal, within [min, max] when min < max */
	CONFIG_T_MONEY,     /* int64_t cents, money_parse ("12,50"), within [min, max] if min < max */
	CONFIG_T_RATE,      /* int64_t basis points, money_parse_rate ("5,5" -> 550) */
	CONFIG_T_BOOL,      /* bool: yes/no, true/false, on/off, 1/0 */
	CONFIG_T_ENUM,      /* int: index of the value in choices[] */
	CONFIG_T_LIST,      /* struct config_list: comma-separated; the key may be repeated to add */
	CONFIG_T_GTIN_RULE, /* struct gtin_nomenclature: one rule per line, repeatable (ssa/gtin.h) */
	CONFIG_T_GTIN_LOCAL, /* struct gtin_nomenclature: one local prefix per line, repeatable */
	CONFIG_T_VAT_RATES  /* struct vat_rates: "5.5, 10, 20", vat_rates_parse (ssa/vat.h) */
};

/* A list of strings (CONFIG_T_LIST). */
struct config_list {
	char **item; /* malloc'd, each malloc'd */
	size_t n;
};

/* The default text meaning "this key must be in the file". */
extern const char config_required[];
#define CONFIG_REQUIRED config_required

/* One key of a schema.  A schema is an array ending with an entry whose name is NULL.
 * Use the CONFIG_* macros below: they take offsetof() and check the field's C type. */
struct config_key {
	const char *section; /* "till" for [till] */
	const char *name;
	enum config_type type;
	size_t offset;       /* of the field in the program's struct */
	const char *def;     /* default, written as in the file; NULL: none (field stays zero);
	                      * CONFIG_REQUIRED: the key must be given */
	int64_t min, max;    /* INT and MONEY bounds, used when min < max */
	const char *const *choices; /* ENUM: NULL-terminated names */
	const char *help;    /* one line for people: what it is, its unit */
};

/* Compile-time check that field @p f of struct @p st has type @p T; evaluates to 0. */
#define CONFIG_TYPECHECK_(st, f, T) (0 * sizeof(_Generic(((st *)0)->f, T: 1)))
#define CONFIG_KEY_(st, f, T, type_, sec, name_, def_, help_, ...) \
	{ .section = (sec), .name = (name_), .type = (type_), \
	  .offset = offsetof(st, f) + CONFIG_TYPECHECK_(st, f, T), .def = (def_), .help = (help_), \
	  __VA_ARGS__ }

#define CONFIG_STRING(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, char *, CONFIG_T_STRING, sec, name, def, help)
#define CONFIG_PATH(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, char *, CONFIG_T_PATH, sec, name, def, help)
#define CONFIG_INT(st, f, sec, name, min_, max_, def, help) \
	CONFIG_KEY_(st, f, int64_t, CONFIG_T_INT, sec, name, def, help, .min = (min_), .max = (max_))
#define CONFIG_MONEY(st, f, sec, name, min_, max_, def, help) \
	CONFIG_KEY_(st, f, int64_t, CONFIG_T_MONEY, sec, name, def, help, .min = (min_), \
	            .max = (max_))
#define CONFIG_RATE(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, int64_t, CONFIG_T_RATE, sec, name, def, help)
#define CONFIG_BOOL(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, bool, CONFIG_T_BOOL, sec, name, def, help)
#define CONFIG_ENUM(st, f, sec, name, choices_, def, help) \
	CONFIG_KEY_(st, f, int, CONFIG_T_ENUM, sec, name, def, help, .choices = (choices_))
#define CONFIG_LIST(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, struct config_list, CONFIG_T_LIST, sec, name, def, help)
#define CONFIG_GTIN_RULES(st, f, sec, name, help) \
	CONFIG_KEY_(st, f, struct gtin_nomenclature, CONFIG_T_GTIN_RULE, sec, name, NULL, help)
#define CONFIG_GTIN_LOCAL_PREFIXES(st, f, sec, name, help) \
	CONFIG_KEY_(st, f, struct gtin_nomenclature, CONFIG_T_GTIN_LOCAL, sec, name, NULL, help)
#define CONFIG_VAT_RATES(st, f, sec, name, def, help) \
	CONFIG_KEY_(st, f, struct vat_rates, CONFIG_T_VAT_RATES, sec, name, def, help)
#define CONFIG_END { .name = NULL }

/* The first problem found. */
struct config_error {
	enum ssa_err err;   /* CONFIG_SYNTAX, CONFIG_KEY, CONFIG_VALUE, CONFIG_MISSING, IO, NOMEM */
	char file[256];     /* the name given to config_parse (truncated) */
	unsigned line;      /* 1-based; 0 when the problem is not on one line (missing key) */
	char msg[256];      /* "unknown key 'termnial_id' in [till] (did you mean 'terminal_id'?)" */
};

/* Parse @p len bytes of INI @p text against @p schema into @p cfg (the program's struct, zeroed
 * by the caller).  @p name is the file name used in messages.  Keys not in the text get their
 * default.  On error @p *err says what and where, and everything allocated into @p cfg is freed
 * (its pointer fields are NULL again).  Strings and lists in @p cfg are owned by it: release
 * with config_free(). */
enum ssa_err config_parse(const struct config_key *schema, const char *name, const char *text,
                          size_t len, void *cfg, struct config_error *err);

/* Free the strings and lists @p schema put into @p cfg and set those fields to NULL / empty. */
void config_free(const struct config_key *schema, void *cfg);

/* Format @p e for a person: "ssa-pos.ini:12: unknown key 'termnial_id' in [till]" (no line
 * number when line is 0).  snprintf semantics. */
size_t config_error_format(const struct config_error *e, char *buf, size_t size);

/* An example file for @p schema: every section and key with its help as a comment, required
 * keys marked, defaults shown (commented out).  @p *out is malloc'd, owned by the caller. */
enum ssa_err config_describe(const struct config_key *schema, char **out);

/* --- io/config_file.c (libssaio) --- */

/* Where a program's configuration lives unless -c says otherwise: "/etc/ssa-pos/<program>.ini".
 * snprintf semantics. */
size_t config_default_path(const char *program, char *buf, size_t size);

/* Read file @p path (at most 1 MiB) and config_parse() it.  A file that cannot be read is
 * SSA_ERR_IO with the system's reason in @p err. */
enum ssa_err config_load_file(const struct config_key *schema, const char *path, void *cfg,
                              struct config_error *err);

#endif
