/* config.c — ssa-pos's configuration schema and loading. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		   "days after which the product list and hot list are shown as too old, when the "
		   "caisse's list in force sets no max_age of its own (0: never)"),
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

#define C struct pos_caisse_config
const struct config_key pos_caisse_schema[] = {
	CONFIG_PATH(C, card_keys, "caisse", "card_keys", CONFIG_REQUIRED,
		    "the caisse's card key file for this till: its debit key and its verify key "
		    "(mode 600)"),
	CONFIG_PATH(C, caisse_key, "caisse", "caisse_key", NULL,
		    "the caisse's public document key (PEM) verifying its hot list and grants"),
	CONFIG_PATH(C, spool, "caisse", "spool", NULL,
		    "where this caisse's ssa-syncd leaves its hot list and grants (default: "
		    "data_dir/spool-<id>)"),
	CONFIG_END,
};
#undef C

#define CAISSE_PREFIX "caisse."
#define FILE_MAX (1024 * 1024) /* as io/config_file.c */

static void
fail(struct config_error *err, enum ssa_err e, const char *path, unsigned line, const char *fmt,
     ...) __attribute__((format(printf, 5, 6)));

static void
fail(struct config_error *err, enum ssa_err e, const char *path, unsigned line, const char *fmt,
     ...)
{
	va_list ap;

	err->err = e;
	snprintf(err->file, sizeof(err->file), "%s", path);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* The whole file @p path (at most FILE_MAX bytes, a regular file), NUL-terminated. */
static enum ssa_err
read_text(const char *path, char **out, size_t *len, struct config_error *err)
{
	struct stat st;
	char *data = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		fail(err, SSA_ERR_IO, path, 0, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, SSA_ERR_IO, path, 0, "cannot read: not a regular file");
		goto fail;
	}
	if ((data = malloc(FILE_MAX + 2)) == NULL) {
		fail(err, SSA_ERR_NOMEM, path, 0, "out of memory");
		goto fail;
	}
	while (n <= FILE_MAX && (r = read(fd, data + n, FILE_MAX + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(err, SSA_ERR_IO, path, 0, "cannot read: %s", strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if (n > FILE_MAX) {
		fail(err, SSA_ERR_IO, path, 0, "file larger than %d bytes", FILE_MAX);
		goto fail;
	}
	close(fd);
	data[n] = '\0';
	*out = data;
	*len = n;
	return SSA_ERR_OK;
fail:
	if (fd >= 0)
		close(fd);
	free(data);
	return err->err;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* If line @p s (@p n bytes) is a section header "[name]" (blanks allowed around, anything after
 * the ']'), its trimmed name in @p name; else false.  lib/config.c reports malformed headers. */
static bool
section_name(const char *s, size_t n, char *name, size_t size)
{
	const char *e = s + n, *close, *a, *b;

	while (s < e && is_blank(*s))
		s++;
	if (s == e || *s != '[' || (close = memchr(s, ']', (size_t)(e - s))) == NULL)
		return false;
	for (a = s + 1; a < close && is_blank(*a); a++)
		;
	for (b = close; b > a && is_blank(b[-1]); b--)
		;
	if ((size_t)(b - a) >= size)
		return false;
	memcpy(name, a, (size_t)(b - a));
	name[b - a] = '\0';
	return true;
}

/* A caisse id as cards carry it: 1..CARD_CAISSE_MAX of [A-Za-z0-9._-]. */
static bool
caisse_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= CARD_CAISSE_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The file cut in texts of the same lines: the main one (every section but [caisse.<id>]) and
 * one per caisse; a line that belongs to another text is left empty there, so that every
 * parser's line numbers are the file's. */
struct split {
	char *main;
	char *text[POS_CONFIG_CAISSES_MAX];
	size_t len; /* of each text: the file's length at most */
	size_t n;
};

static void
split_fini(struct split *sp)
{
	free(sp->main);
	for (size_t i = 0; i < POS_CONFIG_CAISSES_MAX; i++)
		free(sp->text[i]);
}

static enum ssa_err
split_file(const char *path, const char *data, size_t len, struct pos_config *cfg,
	   struct split *sp, struct config_error *err)
{
	const char *s = data, *end = data + len;
	size_t off = 0;
	unsigned lineno = 0;
	int owner = -1; /* the caisse whose section the line is in, -1: main */
	char name[80];

	memset(sp, 0, sizeof(*sp));
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3; /* the BOM: dropped from every text, line 1 stays line 1 */
	if ((sp->main = malloc(len + 1)) == NULL)
		goto nomem;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		lineno++;
		if (section_name(s, n, name, sizeof(name))) {
			owner = -1;
			if (strncmp(name, CAISSE_PREFIX, strlen(CAISSE_PREFIX)) == 0) {
				const char *id = name + strlen(CAISSE_PREFIX);
				size_t i;

				if (!caisse_id_valid(id)) {
					fail(err, SSA_ERR_CONFIG_KEY, path, lineno,
					     "bad caisse id in [%.40s]: 1 to %d letters, digits, '.', "
					     "'_' or '-', as on the caisse's cards",
					     name, CARD_CAISSE_MAX);
					return err->err;
				}
				for (i = 0; i < sp->n && strcmp(cfg->caisses[i].id, id) != 0; i++)
					;
				if (i == sp->n) {
					if (sp->n == POS_CONFIG_CAISSES_MAX) {
						fail(err, SSA_ERR_CONFIG_KEY, path, lineno,
						     "more than %d [caisse.<id>] sections",
						     POS_CONFIG_CAISSES_MAX);
						return err->err;
					}
					if ((sp->text[i] = malloc(len + 1)) == NULL)
						goto nomem;
					/* the lines before: blank, their line ends kept */
					for (size_t j = 0; j < off; j++)
						sp->text[i][j] = sp->main[j] == '\n' ? '\n' : ' ';
					snprintf(cfg->caisses[i].id, sizeof(cfg->caisses[i].id), "%.*s",
						 CARD_CAISSE_MAX, id);
					cfg->caisses[i].line = lineno;
					sp->n++;
				}
				owner = (int)i;
			}
		}
		memcpy(owner < 0 ? sp->main + off : sp->text[owner] + off, s, n);
		if (owner >= 0)
			memset(sp->main + off, ' ', n);
		for (size_t i = 0; i < sp->n; i++)
			if ((int)i != owner)
				memset(sp->text[i] + off, ' ', n);
		off += n;
		if (nl) {
			sp->main[off] = '\n';
			for (size_t i = 0; i < sp->n; i++)
				sp->text[i][off] = '\n';
			off++;
		}
		s = nl ? nl + 1 : end;
	}
	sp->len = off;
	return SSA_ERR_OK;
nomem:
	fail(err, SSA_ERR_NOMEM, path, lineno, "out of memory");
	return SSA_ERR_NOMEM;
}

/* Parse the text of [caisse.<id>] @p c against pos_caisse_schema named after its section. */
static enum ssa_err
parse_caisse(const char *path, const char *text, size_t len, struct pos_caisse_config *c,
	     struct config_error *err)
{
	struct config_key schema[sizeof(pos_caisse_schema) / sizeof(pos_caisse_schema[0])];
	char section[sizeof(CAISSE_PREFIX) + CARD_CAISSE_MAX];
	char id[CARD_CAISSE_MAX + 1];
	unsigned line = c->line;
	enum ssa_err e;

	snprintf(section, sizeof(section), CAISSE_PREFIX "%s", c->id);
	memcpy(schema, pos_caisse_schema, sizeof(schema));
	for (size_t i = 0; schema[i].name != NULL; i++)
		schema[i].section = section;
	memcpy(id, c->id, sizeof(id));
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, sizeof(id));
	c->line = line;
	e = config_parse(schema, path, text, len, c, err);
	return e;
}

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

/* What the caisses' sections must agree with: the main caisse, distinct spools. */
static enum ssa_err
check_caisses(const char *path, struct pos_config *cfg, struct config_error *err)
{
	for (size_t i = 0; i < cfg->n_caisses; i++) {
		const struct pos_caisse_config *c = &cfg->caisses[i];

		if (!cfg->caisse || !cfg->caisse[0]) {
			fail(err, SSA_ERR_CONFIG_MISSING, path, c->line,
			     "[caisse.%s] needs the main caisse: give [till] caisse", c->id);
			return err->err;
		}
		if (strcmp(c->id, cfg->caisse) == 0) {
			fail(err, SSA_ERR_CONFIG_VALUE, path, c->line,
			     "[caisse.%s] is the main caisse ([till] caisse): its keys are [card] keys "
			     "and [sync] caisse_key",
			     c->id);
			return err->err;
		}
		if (strcmp(c->spool, cfg->spool) == 0) {
			fail(err, SSA_ERR_CONFIG_VALUE, path, c->line,
			     "[caisse.%s] spool %s is the main caisse's ([sync] spool): each caisse's "
			     "ssa-syncd needs a spool of its own",
			     c->id, c->spool);
			return err->err;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(c->spool, cfg->caisses[j].spool) == 0) {
				fail(err, SSA_ERR_CONFIG_VALUE, path, c->line,
				     "[caisse.%s] spool %s is also [caisse.%s]'s: each caisse's "
				     "ssa-syncd needs a spool of its own",
				     c->id, c->spool, cfg->caisses[j].id);
				return err->err;
			}
		}
	}
	return SSA_ERR_OK;
}

enum ssa_err
pos_config_load(const char *path, struct pos_config *cfg, struct config_error *err)
{
	struct split sp = { 0 };
	char *data = NULL, spool[CARD_CAISSE_MAX + 8];
	size_t len = 0;
	enum ssa_err e;

	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	if ((e = read_text(path, &data, &len, err)) != SSA_ERR_OK)
		return e;
	if ((e = split_file(path, data, len, cfg, &sp, err)) != SSA_ERR_OK)
		goto out;
	cfg->n_caisses = 0; /* filled one by one, so that an error frees what was parsed */
	if ((e = config_parse(pos_config_schema, path, sp.main, sp.len, cfg, err)) != SSA_ERR_OK)
		goto out;
	for (size_t i = 0; i < sp.n; i++) {
		e = parse_caisse(path, sp.text[i], sp.len, &cfg->caisses[i], err);
		if (e != SSA_ERR_OK)
			goto out;
		cfg->n_caisses++;
	}
	for (size_t i = 0; i < cfg->n_caisses; i++) {
		snprintf(spool, sizeof(spool), "spool-%s", cfg->caisses[i].id);
		if ((e = default_path(&cfg->caisses[i].spool, cfg->data_dir, spool)) != SSA_ERR_OK)
			goto nomem;
	}
	if ((e = default_path(&cfg->catalog, cfg->data_dir, "catalog.db")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->journal, cfg->data_dir, "journal.db")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->key_file, cfg->data_dir, "terminal.key")) != SSA_ERR_OK ||
	    (e = default_path(&cfg->spool, cfg->data_dir, "spool")) != SSA_ERR_OK)
		goto nomem;
	e = check_caisses(path, cfg, err);
	goto out;
nomem:
	fail(err, e, path, 0, "%s", ssa_strerror(e));
out:
	if (e != SSA_ERR_OK)
		pos_config_free(cfg);
	split_fini(&sp);
	free(data);
	return e;
}

void
pos_config_free(struct pos_config *cfg)
{
	config_free(pos_config_schema, cfg);
	for (size_t i = 0; i < POS_CONFIG_CAISSES_MAX; i++)
		config_free(pos_caisse_schema, &cfg->caisses[i]);
	cfg->n_caisses = 0;
}
