/* config.c — see ssa/config.h and docs/config.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ssa/config.h"
#include "ssa/money.h"
#include "ssa/strbuf.h"

const char config_required[] = "(required)";

#define LINE_MAX_LEN 65536
#define NAME_MAX_LEN 64
#define VALUE_SHOW 48

struct parser {
	const struct config_key *schema;
	size_t n_key;
	void *cfg;
	struct config_error *err;
	unsigned *seen; /* line where each key was first given, 0 if not */
	char section[NAME_MAX_LEN + 1];
	int in_section;
};

static void
set_err(struct config_error *e, enum ssa_err code, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
set_err(struct config_error *e, enum ssa_err code, unsigned line, const char *fmt, ...)
{
	va_list ap;

	e->err = code;
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static void
set_why(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/* Text from the file, made safe to print: control bytes become '?', long text is cut with "...". */
static const char *
show(char *buf, size_t size, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n && i + 4 < size && i < VALUE_SHOW; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < n && i + 4 <= size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *
trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	*e = '\0';
	return s;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static unsigned
edit_distance(const char *a, const char *b)
{
	unsigned row[NAME_MAX_LEN + 2];
	size_t la = strlen(a), lb = strlen(b);

	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0], tmp;
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			diag = tmp;
		}
	}
	return row[lb];
}

static void *
field(const struct config_key *k, void *cfg)
{
	return (char *)cfg + k->offset;
}

static int
repeatable(const struct config_key *k)
{
	return k->type == CONFIG_T_LIST || k->type == CONFIG_T_GTIN_RULE ||
	       k->type == CONFIG_T_GTIN_LOCAL;
}

static enum ssa_err
parse_int(const char *v, int64_t *out)
{
	const char *s = v;
	int neg = 0;
	uint64_t x = 0, lim;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s == '\0')
		return SSA_ERR_INVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return SSA_ERR_INVAL;
		if (x > (lim - (uint64_t)(*s - '0')) / 10)
			return SSA_ERR_OVERFLOW;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? (int64_t)(0 - x) : (int64_t)x;
	return SSA_ERR_OK;
}

static enum ssa_err
list_add(struct config_list *l, const char *s, size_t n)
{
	char **item, *copy;

	copy = malloc(n + 1);
	if (copy == NULL)
		return SSA_ERR_NOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	item = realloc(l->item, (l->n + 1) * sizeof(*item));
	if (item == NULL) {
		free(copy);
		return SSA_ERR_NOMEM;
	}
	item[l->n++] = copy;
	l->item = item;
	return SSA_ERR_OK;
}

/* Store value @p v of key @p k into @p cfg; on a bad value, SSA_ERR_CONFIG_VALUE and @p why. */
static enum ssa_err
set_value(const struct config_key *k, void *cfg, const char *v, char *why, size_t why_size)
{
	char shown[VALUE_SHOW + 8];
	int64_t x = 0;
	enum ssa_err e;

	switch (k->type) {
	case CONFIG_T_PATH:
		if (*v == '\0') {
			set_why(why, why_size, "a path cannot be empty");
			return SSA_ERR_CONFIG_VALUE;
		}
		for (const char *s = v; *s != '\0'; s++) {
			if ((unsigned char)*s < 0x20 || *s == 0x7f) {
				set_why(why, why_size, "a path cannot hold control characters");
				return SSA_ERR_CONFIG_VALUE;
			}
		}
		/* fall through */
	case CONFIG_T_STRING: {
		char **p = field(k, cfg);
		char *copy = strdup(v);
		if (copy == NULL)
			return SSA_ERR_NOMEM;
		free(*p);
		*p = copy;
		return SSA_ERR_OK;
	}
	case CONFIG_T_INT:
		e = parse_int(v, &x);
		if (e != SSA_ERR_OK) {
			set_why(why, why_size, "'%s' is not a whole number%s", show(shown, sizeof(shown), v),
			        e == SSA_ERR_OVERFLOW ? " in range" : "");
			return SSA_ERR_CONFIG_VALUE;
		}
		goto range;
	case CONFIG_T_MONEY:
		e = money_parse(v, &x);
		if (e != SSA_ERR_OK) {
			set_why(why, why_size, "'%s' is not an amount such as 12,50 (%s)",
			        show(shown, sizeof(shown), v), ssa_strerror(e));
			return SSA_ERR_CONFIG_VALUE;
		}
		goto range;
	case CONFIG_T_RATE:
		e = money_parse_rate(v, &x);
		if (e != SSA_ERR_OK) {
			set_why(why, why_size, "'%s' is not a rate in percent such as 5,5",
			        show(shown, sizeof(shown), v));
			return SSA_ERR_CONFIG_VALUE;
		}
		*(int64_t *)field(k, cfg) = x;
		return SSA_ERR_OK;
	case CONFIG_T_BOOL: {
		bool *b = field(k, cfg);
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
		    !strcmp(v, "1"))
			*b = true;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
		         !strcmp(v, "0"))
			*b = false;
		else {
			set_why(why, why_size, "'%s' is not yes/no, true/false, on/off or 1/0",
			        show(shown, sizeof(shown), v));
			return SSA_ERR_CONFIG_VALUE;
		}
		return SSA_ERR_OK;
	}
	case CONFIG_T_ENUM: {
		size_t used;
		for (int i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
			if (strcasecmp(v, k->choices[i]) == 0) {
				*(int *)field(k, cfg) = i;
				return SSA_ERR_OK;
			}
		}
		used = (size_t)snprintf(why, why_size, "'%s' is none of",
		                        show(shown, sizeof(shown), v));
		for (int i = 0; k->choices != NULL && k->choices[i] != NULL && used < why_size; i++)
			used += (size_t)snprintf(why + used, why_size - used, "%s %s", i ? "," : "",
			                         k->choices[i]);
		return SSA_ERR_CONFIG_VALUE;
	}
	case CONFIG_T_LIST: {
		struct config_list *l = field(k, cfg);
		const char *s = v;
		while (*s != '\0') {
			const char *comma = strchr(s, ','), *b = s, *end;
			end = comma != NULL ? comma : s + strlen(s);
			while (b < end && is_blank(*b))
				b++;
			while (end > b && is_blank(end[-1]))
				end--;
			if (end == b) {
				set_why(why, why_size, "empty item in the list");
				return SSA_ERR_CONFIG_VALUE;
			}
			e = list_add(l, b, (size_t)(end - b));
			if (e != SSA_ERR_OK)
				return e;
			if (comma == NULL)
				break;
			s = comma + 1;
			if (*s == '\0') {
				set_why(why, why_size, "empty item in the list");
				return SSA_ERR_CONFIG_VALUE;
			}
		}
		return SSA_ERR_OK;
	}
	case CONFIG_T_GTIN_RULE:
		if (gtin_nomenclature_add_rule(field(k, cfg), v, why, why_size) != SSA_ERR_OK)
			return SSA_ERR_CONFIG_VALUE;
		return SSA_ERR_OK;
	case CONFIG_T_GTIN_LOCAL:
		if (gtin_nomenclature_add_local_prefix(field(k, cfg), v, why, why_size) != SSA_ERR_OK)
			return SSA_ERR_CONFIG_VALUE;
		return SSA_ERR_OK;
	case CONFIG_T_VAT_RATES:
		if (vat_rates_parse(v, field(k, cfg)) != SSA_ERR_OK) {
			/* "5,5, 10" reads as 5 and 5: the comma separates rates. */
			set_why(why, why_size,
			        "'%s' is not VAT rates in percent such as 5.5, 10, 20 (decimal "
			        "point, no duplicate, at most %d)",
			        show(shown, sizeof(shown), v), VAT_MAX_RATES);
			return SSA_ERR_CONFIG_VALUE;
		}
		return SSA_ERR_OK;
	}
	set_why(why, why_size, "the schema gives this key an unknown type");
	return SSA_ERR_CONFIG_VALUE;
range:
	if (k->min < k->max && (x < k->min || x > k->max)) {
		if (k->type == CONFIG_T_MONEY) {
			char lo[48], hi[48];
			money_format_plain(k->min, lo, sizeof(lo));
			money_format_plain(k->max, hi, sizeof(hi));
			set_why(why, why_size, "%s is not between %s and %s",
			        show(shown, sizeof(shown), v), lo, hi);
		} else {
			set_why(why, why_size, "%lld is not between %lld and %lld", (long long)x,
			        (long long)k->min, (long long)k->max);
		}
		return SSA_ERR_CONFIG_VALUE;
	}
	*(int64_t *)field(k, cfg) = x;
	return SSA_ERR_OK;
}

static int
section_known(const struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_key; i++)
		if (strcmp(p->schema[i].section, name) == 0)
			return 1;
	return 0;
}

/* Unquote or cut the comment off the value at @p v (in place).  NULL on a syntax error. */
static char *
value_text(char *v, const char **why)
{
	char *r, *w, *e;

	if (*v == '"') {
		for (r = v + 1, w = v; *r != '"'; r++) {
			if (*r == '\0') {
				*why = "missing closing quote";
				return NULL;
			}
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r;
		}
		*w = '\0';
		for (e = r + 1; is_blank(*e); e++)
			;
		if (*e != '\0' && *e != '#' && *e != ';') {
			*why = "text after the closing quote";
			return NULL;
		}
		return v;
	}
	for (e = v; *e != '\0'; e++) {
		if ((*e == '#' || *e == ';') && e > v && is_blank(e[-1])) {
			*e = '\0';
			break;
		}
	}
	return trim(v);
}

static enum ssa_err
parse_line(struct parser *p, char *line, unsigned lineno)
{
	char shown[VALUE_SHOW + 8], why[200];
	const char *syntax_why = NULL;
	char *s = trim(line), *eq, *key, *val;
	const struct config_key *k = NULL;
	size_t ki;
	enum ssa_err e;

	if (*s == '\0' || *s == '#' || *s == ';')
		return SSA_ERR_OK;
	if (*s == '[') {
		char *close = strchr(s, ']'), *rest, *name;
		if (close == NULL) {
			set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "missing ']' after '[%s'",
			        show(shown, sizeof(shown), s + 1));
			return p->err->err;
		}
		*close = '\0';
		rest = trim(close + 1);
		name = trim(s + 1);
		if (*rest != '\0' && *rest != '#' && *rest != ';') {
			set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "text after [%s]",
			        show(shown, sizeof(shown), name));
			return p->err->err;
		}
		if (!valid_name(name)) {
			set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "bad section name [%s]",
			        show(shown, sizeof(shown), name));
			return p->err->err;
		}
		if (!section_known(p, name)) {
			set_err(p->err, SSA_ERR_CONFIG_KEY, lineno, "unknown section [%s]", name);
			return p->err->err;
		}
		memcpy(p->section, name, strlen(name) + 1);
		p->in_section = 1;
		return SSA_ERR_OK;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno,
		        "expected 'key = value', '[section]' or a comment, not '%s'",
		        show(shown, sizeof(shown), s));
		return p->err->err;
	}
	*eq = '\0';
	key = trim(s);
	if (!valid_name(key)) {
		set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "bad key name '%s'",
		        show(shown, sizeof(shown), key));
		return p->err->err;
	}
	if (!p->in_section) {
		set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "key '%s' before any [section]", key);
		return p->err->err;
	}
	for (ki = 0; ki < p->n_key; ki++) {
		if (strcmp(p->schema[ki].section, p->section) == 0 &&
		    strcmp(p->schema[ki].name, key) == 0) {
			k = &p->schema[ki];
			break;
		}
	}
	if (k == NULL) {
		const char *best = NULL;
		unsigned best_d = 3;
		for (size_t i = 0; i < p->n_key; i++) {
			unsigned d;
			if (strcmp(p->schema[i].section, p->section) != 0)
				continue;
			d = edit_distance(key, p->schema[i].name);
			if (d < best_d) {
				best_d = d;
				best = p->schema[i].name;
			}
		}
		if (best != NULL)
			set_err(p->err, SSA_ERR_CONFIG_KEY, lineno,
			        "unknown key '%s' in [%s] (did you mean '%s'?)", key, p->section, best);
		else
			set_err(p->err, SSA_ERR_CONFIG_KEY, lineno, "unknown key '%s' in [%s]", key,
			        p->section);
		return p->err->err;
	}
	if (p->seen[ki] != 0 && !repeatable(k)) {
		set_err(p->err, SSA_ERR_CONFIG_KEY, lineno,
		        "duplicate key '%s' in [%s] (first on line %u)", key, p->section, p->seen[ki]);
		return p->err->err;
	}
	val = value_text(trim(eq + 1), &syntax_why);
	if (val == NULL) {
		set_err(p->err, SSA_ERR_CONFIG_SYNTAX, lineno, "value of '%s' in [%s]: %s", key,
		        p->section, syntax_why);
		return p->err->err;
	}
	why[0] = '\0';
	e = set_value(k, p->cfg, val, why, sizeof(why));
	if (e == SSA_ERR_NOMEM) {
		set_err(p->err, e, lineno, "out of memory");
		return e;
	}
	if (e != SSA_ERR_OK) {
		set_err(p->err, SSA_ERR_CONFIG_VALUE, lineno, "bad value for '%s' in [%s]: %s", key,
		        p->section, why);
		return p->err->err;
	}
	if (p->seen[ki] == 0)
		p->seen[ki] = lineno;
	return SSA_ERR_OK;
}

static enum ssa_err
check_schema(struct parser *p)
{
	for (size_t i = 0; i < p->n_key; i++) {
		const struct config_key *k = &p->schema[i];
		if (k->section == NULL || !valid_name(k->section) || !valid_name(k->name) ||
		    (k->type == CONFIG_T_ENUM && k->choices == NULL) ||
		    (unsigned)k->type > CONFIG_T_VAT_RATES) {
			set_err(p->err, SSA_ERR_INVAL, 0, "schema entry %zu (%s) is malformed", i,
			        k->name);
			return SSA_ERR_INVAL;
		}
	}
	return SSA_ERR_OK;
}

enum ssa_err
config_parse(const struct config_key *schema, const char *name, const char *text, size_t len,
             void *cfg, struct config_error *err)
{
	struct parser p;
	char *line = NULL, why[200];
	const char *s = text, *end = text + len;
	unsigned lineno = 0;
	enum ssa_err e = SSA_ERR_OK;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name != NULL ? name : "(config)");
	memset(&p, 0, sizeof(p));
	p.schema = schema;
	p.cfg = cfg;
	p.err = err;
	while (schema[p.n_key].name != NULL)
		p.n_key++;
	e = check_schema(&p);
	if (e != SSA_ERR_OK)
		return e;
	p.seen = calloc(p.n_key + 1, sizeof(*p.seen));
	if (p.seen == NULL) {
		set_err(err, SSA_ERR_NOMEM, 0, "out of memory");
		return SSA_ERR_NOMEM;
	}
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl != NULL ? nl : end;
		size_t n = (size_t)(le - s);
		char *grown;

		lineno++;
		if (n > LINE_MAX_LEN) {
			set_err(err, SSA_ERR_CONFIG_SYNTAX, lineno, "line longer than %d bytes",
			        LINE_MAX_LEN);
			e = err->err;
			goto out;
		}
		if (memchr(s, '\0', n) != NULL) {
			set_err(err, SSA_ERR_CONFIG_SYNTAX, lineno, "line holds a NUL byte");
			e = err->err;
			goto out;
		}
		grown = realloc(line, n + 1);
		if (grown == NULL) {
			set_err(err, SSA_ERR_NOMEM, lineno, "out of memory");
			e = SSA_ERR_NOMEM;
			goto out;
		}
		line = grown;
		memcpy(line, s, n);
		line[n] = '\0';
		e = parse_line(&p, line, lineno);
		if (e != SSA_ERR_OK)
			goto out;
		s = nl != NULL ? nl + 1 : end;
	}
	/* Required keys first in schema order, then defaults for the rest. */
	for (size_t i = 0; i < p.n_key; i++) {
		const struct config_key *k = &schema[i];
		if (p.seen[i] != 0 || k->def != CONFIG_REQUIRED)
			continue;
		set_err(err, SSA_ERR_CONFIG_MISSING, 0, "missing required key '%s' in [%s]%s%s",
		        k->name, k->section, k->help ? ": " : "", k->help ? k->help : "");
		e = err->err;
		goto out;
	}
	for (size_t i = 0; i < p.n_key; i++) {
		const struct config_key *k = &schema[i];
		if (p.seen[i] != 0 || k->def == NULL || k->def == CONFIG_REQUIRED)
			continue;
		why[0] = '\0';
		e = set_value(k, cfg, k->def, why, sizeof(why));
		if (e == SSA_ERR_NOMEM) {
			set_err(err, e, 0, "out of memory");
			goto out;
		}
		if (e != SSA_ERR_OK) {
			set_err(err, SSA_ERR_CONFIG_VALUE, 0,
			        "the default of '%s' in [%s] is invalid: %s", k->name, k->section, why);
			e = err->err;
			goto out;
		}
	}
	e = SSA_ERR_OK;
out:
	if (e != SSA_ERR_OK)
		config_free(schema, cfg);
	free(line);
	free(p.seen);
	return e;
}

void
config_free(const struct config_key *schema, void *cfg)
{
	for (size_t i = 0; schema[i].name != NULL; i++) {
		const struct config_key *k = &schema[i];
		if (k->type == CONFIG_T_STRING || k->type == CONFIG_T_PATH) {
			char **s = field(k, cfg);
			free(*s);
			*s = NULL;
		} else if (k->type == CONFIG_T_LIST) {
			struct config_list *l = field(k, cfg);
			for (size_t j = 0; j < l->n; j++)
				free(l->item[j]);
			free(l->item);
			l->item = NULL;
			l->n = 0;
		}
	}
}

size_t
config_error_format(const struct config_error *e, char *buf, size_t size)
{
	int n;

	if (e->line > 0)
		n = snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->msg);
	else
		n = snprintf(buf, size, "%s: %s", e->file, e->msg);
	return n < 0 ? 0 : (size_t)n;
}

static const char *
type_hint(const struct config_key *k)
{
	switch (k->type) {
	case CONFIG_T_STRING:
		return "text";
	case CONFIG_T_PATH:
		return "path";
	case CONFIG_T_INT:
		return "whole number";
	case CONFIG_T_MONEY:
		return "amount in euros, e.g. 12,50";
	case CONFIG_T_RATE:
		return "rate in percent, e.g. 5,5";
	case CONFIG_T_BOOL:
		return "yes or no";
	case CONFIG_T_ENUM:
		return "one of";
	case CONFIG_T_LIST:
		return "comma-separated list, the key may be repeated";
	case CONFIG_T_GTIN_RULE:
		return "barcode rule '<pattern> weight|price|local', repeatable";
	case CONFIG_T_GTIN_LOCAL:
		return "local code prefix, repeatable";
	case CONFIG_T_VAT_RATES:
		return "VAT rates in percent, e.g. 5.5, 10, 20";
	}
	return "?";
}

enum ssa_err
config_describe(const struct config_key *schema, char **out)
{
	struct strbuf b = {0};
	size_t len;

	for (size_t i = 0; schema[i].name != NULL; i++) {
		const char *sec = schema[i].section;
		size_t j;
		for (j = 0; j < i; j++)
			if (strcmp(schema[j].section, sec) == 0)
				break;
		if (j < i)
			continue; /* section printed already */
		strbuf_printf(&b, "%s[%s]\n", i ? "\n" : "", sec);
		for (j = i; schema[j].name != NULL; j++) {
			const struct config_key *k = &schema[j];
			if (strcmp(k->section, sec) != 0)
				continue;
			strbuf_printf(&b, "# %s (%s", k->help ? k->help : k->name, type_hint(k));
			if (k->type == CONFIG_T_ENUM)
				for (int c = 0; k->choices[c] != NULL; c++)
					strbuf_printf(&b, "%s %s", c ? "," : "", k->choices[c]);
			if ((k->type == CONFIG_T_INT) && k->min < k->max)
				strbuf_printf(&b, ", %lld to %lld", (long long)k->min,
				              (long long)k->max);
			strbuf_printf(&b, ")\n");
			if (k->def == CONFIG_REQUIRED)
				strbuf_printf(&b, "%s =   # required\n", k->name);
			else if (k->def != NULL)
				strbuf_printf(&b, "#%s = %s\n", k->name, k->def);
			else
				strbuf_printf(&b, "#%s =\n", k->name);
		}
	}
	if (b.data == NULL && b.err == SSA_ERR_OK)
		strbuf_add(&b, "", 0);
	return strbuf_finish(&b, out, &len);
}
