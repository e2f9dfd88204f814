/* convention.c — convention lists: parsing, Ed25519 signatures (OpenSSL EVP), deltas,
 * eligibility.  The format and the rules are documented in ssa/convention.h and docs/lists.md.
 * The parser reads text that comes from outside (the caisse, a file, the network): every field is
 * checked, every failure names its line, nothing is half-built on error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ssa/convention.h"
#include "ssa/money.h"
#include "ssa/hex.h"

#define SIG_PREFIX "signature,ed25519,"
#define ENTRY_FIELDS 7

static const char *const reason_names[] = {
#define N_(name, msg) #name,
	CONVENTION_REASONS(N_)
#undef N_
};
static const char *const reason_texts[] = {
#define T_(name, msg) msg,
	CONVENTION_REASONS(T_)
#undef T_
};

const char *
convention_reason_name(enum convention_reason r)
{
	return (unsigned)r < CONVENTION__REASON_COUNT ? reason_names[r] : "UNKNOWN";
}

const char *
convention_reason_text(enum convention_reason r)
{
	return (unsigned)r < CONVENTION__REASON_COUNT ? reason_texts[r] : "unknown reason";
}

/* --- dates ------------------------------------------------------------------------------ */

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

enum ssa_err
convention_date_parse(const char *text, int32_t *out)
{
	int y, m, d;

	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    !digits(text, 4) || !digits(text + 5, 2) || !digits(text + 8, 2))
		return SSA_ERR_INVAL;
	y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	d = (text[8] - '0') * 10 + (text[9] - '0');
	if (y < 2000 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return SSA_ERR_INVAL;
	*out = (int32_t)(y * 10000 + m * 100 + d);
	return SSA_ERR_OK;
}

void
convention_date_format(int32_t date, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02d", (int)(date / 10000), (int)(date / 100 % 100),
		 (int)(date % 100));
}

/* --- list lifetime and lookup ----------------------------------------------------------- */

void
convention_list_free(struct convention_list *list)
{
	if (list == NULL)
		return;
	free(list->entries);
	free(list);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct convention_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->key, y->key);
}

const struct convention_entry *
convention_list_find(const struct convention_list *list, enum convention_kind kind,
		     const char *key)
{
	struct convention_entry probe;

	if (list == NULL || key == NULL || list->n == 0 || strlen(key) > CONVENTION_KEY_MAX)
		return NULL;
	probe.kind = kind;
	strcpy(probe.key, key);
	return bsearch(&probe, list->entries, list->n, sizeof(probe), entry_cmp);
}

enum ssa_err
convention_list_dup(const struct convention_list *list, struct convention_list **out)
{
	struct convention_list *l = malloc(sizeof(*l));

	if (l == NULL)
		return SSA_ERR_NOMEM;
	*l = *list;
	l->entries = NULL;
	if (list->n > 0) {
		l->entries = malloc(list->n * sizeof(*l->entries));
		if (l->entries == NULL) {
			free(l);
			return SSA_ERR_NOMEM;
		}
		memcpy(l->entries, list->entries, list->n * sizeof(*l->entries));
	}
	*out = l;
	return SSA_ERR_OK;
}

/* --- parsing ---------------------------------------------------------------------------- */

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	unsigned lineno;
	struct convention_error *err;
	char line[512];
};

static enum ssa_err fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum ssa_err
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL) {
		p->err->line = p->lineno;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
		va_end(ap);
	}
	return SSA_ERR_LIST_FORMAT;
}

/* Next line into p->line (without newline).  Returns 0 at end of text, -1 on a line that is too
 * long or holds a control character (p->err set), 1 otherwise. */
static int
next_line(struct parser *p, size_t *start)
{
	size_t n = 0;

	if (p->pos >= p->len)
		return 0;
	*start = p->pos;
	p->lineno++;
	while (p->pos < p->len && p->text[p->pos] != '\n') {
		unsigned char c = (unsigned char)p->text[p->pos];

		if (c < 0x20 || c == 0x7f) {
			fail(p, "control character 0x%02x in the line", c);
			return -1;
		}
		if (n + 1 >= sizeof(p->line)) {
			fail(p, "line longer than %zu bytes", sizeof(p->line) - 1);
			return -1;
		}
		p->line[n++] = (char)c;
		p->pos++;
	}
	p->line[n] = '\0';
	if (p->pos < p->len)
		p->pos++; /* the newline */
	return 1;
}

/* Split @p line in place at commas; at most @p max fields.  Returns the field count, or max + 1
 * when there are more. */
static size_t
split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = line;
		line = strchr(line, ',');
		if (line == NULL)
			return n;
		*line++ = '\0';
	}
}

static int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 10 || !digits(s, n) || (n > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static int
caisse_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONVENTION_CAISSE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static enum ssa_err
parse_optional_date(struct parser *p, const char *s, const char *what, int32_t *out)
{
	*out = 0;
	if (*s == '\0')
		return SSA_ERR_OK;
	if (convention_date_parse(s, out) != SSA_ERR_OK)
		return fail(p, "%s date '%s' is not a valid YYYY-MM-DD date", what, s);
	return SSA_ERR_OK;
}

static enum ssa_err
parse_entry(struct parser *p, char **f, size_t nf, uint32_t base, struct convention_entry *e)
{
	const char *kind = f[0];
	enum ssa_err err;
	int64_t v;

	memset(e, 0, sizeof(*e));
	e->line = p->lineno;
	e->ceiling = CONVENTION_NONE;
	e->cap = CONVENTION_NONE;
	e->rate_bp = 10000;
	if (kind[0] == '-') {
		e->remove = true;
		kind++;
	}
	if (strcmp(kind, "code") == 0)
		e->kind = CONVENTION_CODE;
	else if (strcmp(kind, "category") == 0)
		e->kind = CONVENTION_CATEGORY;
	else if (strcmp(kind, "exclude") == 0)
		e->kind = CONVENTION_EXCLUDE;
	else
		return fail(p, "unknown line kind '%s' (code, category, exclude)", f[0]);
	if (nf != ENTRY_FIELDS)
		return fail(p, "%zu fields, expected %d: kind,key,rate,ceiling,cap,from,to",
			    nf > ENTRY_FIELDS ? (size_t)ENTRY_FIELDS + 1 : nf, ENTRY_FIELDS);
	if (e->remove && base == 0)
		return fail(p, "a removal '%s' in a full list (only deltas have a base)", f[0]);
	if (e->kind == CONVENTION_CODE) {
		const char *why = NULL;
		if (catalog_code_canonical(f[1], e->key, &why) != SSA_ERR_OK)
			return fail(p, "code '%.40s': %s", f[1], why);
	} else if (!catalog_category_valid(f[1])) {
		return fail(p, "bad category '%.40s' ([a-z0-9_-], at most %d)", f[1],
			    CATALOG_CATEGORY_MAX);
	} else {
		strcpy(e->key, f[1]);
	}
	if (e->kind == CONVENTION_CATEGORY && !e->remove &&
	    strcmp(e->key, CONVENTION_CATEGORY_ALCOHOL) == 0)
		return fail(p, "category '%s' is never eligible: alcohol cannot be covered",
			    CONVENTION_CATEGORY_ALCOHOL);
	if (e->remove || e->kind == CONVENTION_EXCLUDE) {
		for (int i = 2; i < ENTRY_FIELDS; i++)
			if (f[i][0] != '\0' && (e->remove || i < 5))
				return fail(p, "%s takes no rate, ceiling or cap", f[0]);
		if (e->remove)
			return SSA_ERR_OK;
	}
	if (f[2][0] != '\0') {
		if (money_parse_rate(f[2], &v) != SSA_ERR_OK || v <= 0 || v > 10000)
			return fail(p, "coverage rate '%s' is not a percentage in ]0, 100]", f[2]);
		e->rate_bp = (int32_t)v;
	}
	if (f[3][0] != '\0') {
		if (money_parse(f[3], &v) != SSA_ERR_OK || v <= 0)
			return fail(p, "price ceiling '%s' is not a positive amount", f[3]);
		e->ceiling = v;
	}
	if (f[4][0] != '\0') {
		if (e->kind != CONVENTION_CATEGORY)
			return fail(p, "a cap per period is only allowed on a category");
		if (money_parse(f[4], &v) != SSA_ERR_OK || v <= 0)
			return fail(p, "cap '%s' is not a positive amount", f[4]);
		e->cap = v;
	}
	if ((err = parse_optional_date(p, f[5], "from", &e->from)) != SSA_ERR_OK ||
	    (err = parse_optional_date(p, f[6], "to", &e->to)) != SSA_ERR_OK)
		return err;
	if (e->from != 0 && e->to != 0 && e->from > e->to)
		return fail(p, "from date is after to date");
	return SSA_ERR_OK;
}

/* "max_age,<days>": format 2 only, once, after base (the order convention_list_format writes). */
static enum ssa_err
parse_max_age(struct parser *p, const char *s, int format, struct convention_list *l)
{
	uint32_t days;

	if (format < CONVENTION_FORMAT_MAX_AGE)
		return fail(p, "max_age needs list format %d (first line 'ssa-list,%d')",
			    CONVENTION_FORMAT_MAX_AGE, CONVENTION_FORMAT_MAX_AGE);
	if (l->max_age != 0)
		return fail(p, "max_age given twice");
	if (!parse_u32(s, &days) || days < 1 || days > CONVENTION_MAX_AGE_MAX)
		return fail(p, "max_age '%.20s' is not a number of days in 1..%d", s,
			    CONVENTION_MAX_AGE_MAX);
	l->max_age = days;
	return SSA_ERR_OK;
}

static enum ssa_err
parse_signature(struct parser *p, struct convention_list *l)
{
	const char *hex = p->line + strlen(SIG_PREFIX);

	if (strlen(hex) != 128)
		return fail(p, "signature is not 128 lowercase hex digits");
	if (!hex_decode(hex, 64, l->signature, HEX_LOWER))
		return fail(p, "signature is not 128 lowercase hex digits");
	l->has_signature = true;
	return SSA_ERR_OK;
}

enum ssa_err
convention_list_parse(const char *text, size_t len, struct convention_list **out,
		      struct convention_error *err)
{
	struct parser p = { .text = text, .len = len, .err = err };
	struct convention_list *l = NULL;
	char *f[ENTRY_FIELDS + 1];
	size_t nf, cap = 0, start = 0;
	enum ssa_err e = SSA_ERR_OK;
	int r, format = 1;
	int state = 0; /* 0 magic, 1 caisse, 2 version, 3 base/max_age/valid, 4 entries, 5 after sig */

	if (err != NULL) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (memchr(text, '\0', len) != NULL) {
		p.lineno = 0;
		return fail(&p, "NUL byte in the list");
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return SSA_ERR_NOMEM;
	while ((r = next_line(&p, &start)) > 0) {
		if (state == 5) {
			e = fail(&p, "data after the signature line");
			goto out;
		}
		if (p.line[0] == '#' && state > 0)
			continue;
		if (strncmp(p.line, SIG_PREFIX, strlen(SIG_PREFIX)) == 0) {
			if (state < 4) {
				e = fail(&p, "signature before the header is complete");
				goto out;
			}
			l->signed_len = start;
			if ((e = parse_signature(&p, l)) != SSA_ERR_OK)
				goto out;
			state = 5;
			continue;
		}
		nf = split(p.line, f, ENTRY_FIELDS);
		switch (state) {
		case 0:
			if (nf != 2 || strcmp(f[0], "ssa-list") != 0) {
				e = fail(&p, "not an SSA list: first line must be 'ssa-list,%d'",
					 CONVENTION_FORMAT_VERSION);
				goto out;
			}
			if (strcmp(f[1], "1") == 0) {
				format = 1;
			} else if (strcmp(f[1], "2") == 0) {
				format = 2;
			} else {
				e = fail(&p, "unknown list format version '%s' (this program reads 1 and %d)",
					 f[1], CONVENTION_FORMAT_VERSION);
				goto out;
			}
			state = 1;
			break;
		case 1:
			if (nf != 2 || strcmp(f[0], "caisse") != 0 || !caisse_valid(f[1])) {
				e = fail(&p, "expected 'caisse,<id>' ([A-Za-z0-9._-], at most %d)",
					 CONVENTION_CAISSE_MAX);
				goto out;
			}
			strcpy(l->caisse, f[1]);
			state = 2;
			break;
		case 2:
			if (nf != 2 || strcmp(f[0], "version") != 0 ||
			    !parse_u32(f[1], &l->version) || l->version == 0) {
				e = fail(&p, "expected 'version,<positive integer>'");
				goto out;
			}
			state = 3;
			break;
		case 3:
			if (nf == 2 && strcmp(f[0], "base") == 0 && l->max_age != 0) {
				e = fail(&p, "base must come before max_age");
				goto out;
			}
			if (nf == 2 && strcmp(f[0], "base") == 0 && l->base == 0) {
				if (!parse_u32(f[1], &l->base) || l->base == 0 ||
				    l->base >= l->version) {
					e = fail(&p, "base must be a version below %u", l->version);
					goto out;
				}
				break;
			}
			if (nf == 2 && strcmp(f[0], "max_age") == 0) {
				if ((e = parse_max_age(&p, f[1], format, l)) != SSA_ERR_OK)
					goto out;
				break;
			}
			if (nf != 3 || strcmp(f[0], "valid") != 0) {
				e = fail(&p, "expected 'valid,<from>,<to>'");
				goto out;
			}
			if (convention_date_parse(f[1], &l->valid_from) != SSA_ERR_OK) {
				e = fail(&p, "valid-from '%s' is not a YYYY-MM-DD date", f[1]);
				goto out;
			}
			if ((e = parse_optional_date(&p, f[2], "valid-to", &l->valid_to)))
				goto out;
			if (l->valid_to != 0 && l->valid_to < l->valid_from) {
				e = fail(&p, "valid-to is before valid-from");
				goto out;
			}
			state = 4;
			break;
		default:
			if (l->n == CONVENTION_MAX_ENTRIES) {
				e = fail(&p, "more than %d entries", CONVENTION_MAX_ENTRIES);
				goto out;
			}
			if (l->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				void *ne = realloc(l->entries, nc * sizeof(*l->entries));
				if (ne == NULL) {
					e = SSA_ERR_NOMEM;
					goto out;
				}
				l->entries = ne;
				cap = nc;
			}
			if ((e = parse_entry(&p, f, nf, l->base, &l->entries[l->n])) != SSA_ERR_OK)
				goto out;
			l->n++;
		}
	}
	if (r < 0) {
		e = SSA_ERR_LIST_FORMAT;
		goto out;
	}
	if (state < 5) {
		p.lineno++;
		e = fail(&p, state < 4 ? "list ends inside its header" :
					 "missing signature line (truncated list?)");
		goto out;
	}
	if (l->n > 0)
		qsort(l->entries, l->n, sizeof(*l->entries), entry_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (entry_cmp(&l->entries[i - 1], &l->entries[i]) == 0) {
			unsigned a = l->entries[i - 1].line, b = l->entries[i].line;
			p.lineno = a > b ? a : b;
			e = fail(&p, "entry '%s' already given on line %u", l->entries[i].key,
				 a < b ? a : b);
			goto out;
		}
	*out = l;
	l = NULL;
out:
	convention_list_free(l);
	return e;
}

/* --- signatures ------------------------------------------------------------------------- */

enum ssa_err
convention_verify(const uint8_t pub[32], const uint8_t sig[64], const void *msg, size_t len)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	enum ssa_err e = SSA_ERR_LIST_SIGNATURE;

	if (key == NULL || ctx == NULL) {
		e = key == NULL ? SSA_ERR_KEY : SSA_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		e = SSA_ERR_CRYPTO;
		goto out;
	}
	if (EVP_DigestVerify(ctx, sig, 64, msg, len) == 1)
		e = SSA_ERR_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return e;
}

enum ssa_err
convention_list_load(const char *text, size_t len, const uint8_t pub[32],
		     struct convention_list **out, struct convention_error *err)
{
	struct convention_list *l = NULL;
	enum ssa_err e;

	if ((e = convention_list_parse(text, len, &l, err)) != SSA_ERR_OK)
		return e;
	e = convention_verify(pub, l->signature, text, l->signed_len);
	if (e != SSA_ERR_OK) {
		if (err != NULL) {
			err->line = 0;
			snprintf(err->msg, sizeof(err->msg),
				 "signature of list %s version %u does not verify with the "
				 "caisse's key",
				 l->caisse, l->version);
		}
		convention_list_free(l);
		return e;
	}
	*out = l;
	return SSA_ERR_OK;
}

enum ssa_err
convention_public_key(const uint8_t priv[32], uint8_t pub[32])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	size_t n = 32;
	enum ssa_err e = SSA_ERR_OK;

	if (key == NULL)
		return SSA_ERR_KEY;
	if (EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 || n != 32)
		e = SSA_ERR_CRYPTO;
	EVP_PKEY_free(key);
	return e;
}

enum ssa_err
convention_sign(const char *body, size_t len, const uint8_t priv[32], char **out, size_t *out_len)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint8_t sig[64];
	size_t siglen = sizeof(sig), n, total;
	int nl = len == 0 || body[len - 1] != '\n';
	char *buf = NULL;
	enum ssa_err e = SSA_ERR_OK;

	if (body == NULL || out == NULL || len > SIZE_MAX / 2)
		return SSA_ERR_INVAL;
	total = len + (size_t)nl + strlen(SIG_PREFIX) + 128 + 2;
	if ((buf = malloc(total)) == NULL)
		return SSA_ERR_NOMEM;
	memcpy(buf, body, len);
	n = len;
	if (nl)
		buf[n++] = '\n';
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (key == NULL) {
		e = SSA_ERR_KEY;
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const uint8_t *)buf, n) != 1 || siglen != 64) {
		e = SSA_ERR_CRYPTO;
		goto out;
	}
	memcpy(buf + n, SIG_PREFIX, strlen(SIG_PREFIX));
	n += strlen(SIG_PREFIX);
	for (size_t i = 0; i < 64; i++) {
		static const char hx[] = "0123456789abcdef";
		buf[n++] = hx[sig[i] >> 4];
		buf[n++] = hx[sig[i] & 15];
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	buf = NULL;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return e;
}

/* --- the caisse's age limit in a body ------------------------------------------------------ */

static int
starts(const char *line, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(line, prefix, k) == 0;
}

enum ssa_err
convention_body_set_max_age(const char *body, size_t len, uint32_t days, char **out,
			    size_t *out_len)
{
	char *buf = NULL;
	size_t pos = 0, n = 0, cap;
	int header = 1, first = 1;

	if (body == NULL || out == NULL || days > CONVENTION_MAX_AGE_MAX || len > SIZE_MAX / 2)
		return SSA_ERR_INVAL;
	cap = len + 64;
	if ((buf = malloc(cap)) == NULL)
		return SSA_ERR_NOMEM;
	while (pos < len) {
		const char *line = body + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos, all = ll + (nl != NULL);

		pos += all;
		if (first) {
			/* The lowest format that carries the list, as convention_list_format. */
			first = 0;
			if (!starts(line, ll, "ssa-list,"))
				break;
			/* Another version is left for the parser to refuse. */
			if (ll == 10 && (line[9] == '1' || line[9] == '2')) {
				n += (size_t)snprintf(buf + n, cap - n, "ssa-list,%d\n",
						      days != 0 ? CONVENTION_FORMAT_MAX_AGE : 1);
				continue;
			}
		}
		if (header && starts(line, ll, "max_age,"))
			continue; /* replaced */
		if (header && starts(line, ll, "valid,")) {
			header = 0;
			if (days != 0)
				n += (size_t)snprintf(buf + n, cap - n, "max_age,%u\n", days);
		}
		memcpy(buf + n, line, all);
		n += all;
	}
	if (first || header) {
		free(buf);
		return SSA_ERR_LIST_FORMAT;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return SSA_ERR_OK;
}

/* --- formatting ------------------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		size_t nc = b->cap * 2 + (size_t)k + 1;
		char *np = realloc(b->p, nc);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
}

static void
fmt_rate(int32_t bp, char *buf, size_t size)
{
	if (bp % 100 == 0)
		snprintf(buf, size, "%d", (int)(bp / 100));
	else
		snprintf(buf, size, "%d.%02d", (int)(bp / 100), (int)(bp % 100));
}

static void
fmt_opt_amount(int64_t v, char *buf, size_t size)
{
	if (v == CONVENTION_NONE)
		buf[0] = '\0';
	else
		money_format_plain(v, buf, size);
}

static void
fmt_opt_date(int32_t d, char *buf, size_t size)
{
	if (d == 0)
		buf[0] = '\0';
	else
		convention_date_format(d, buf, size);
}

enum ssa_err
convention_list_format(const struct convention_list *l, char **out, size_t *out_len)
{
	static const char *const kinds[] = { "code", "category", "exclude" };
	struct sbuf b = { 0 };
	char d1[16], d2[16], rate[16], ceil[32], cap[32];

	b.cap = 256 + l->n * 64;
	if ((b.p = malloc(b.cap)) == NULL)
		return SSA_ERR_NOMEM;
	b.p[0] = '\0';
	convention_date_format(l->valid_from, d1, sizeof(d1));
	fmt_opt_date(l->valid_to, d2, sizeof(d2));
	/* The lowest format that carries the list: a till older than max_age reads a list without
	 * it. */
	sb_printf(&b, "ssa-list,%d\ncaisse,%s\nversion,%u\n",
		  l->max_age != 0 ? CONVENTION_FORMAT_MAX_AGE : 1, l->caisse, l->version);
	if (l->base != 0)
		sb_printf(&b, "base,%u\n", l->base);
	if (l->max_age != 0)
		sb_printf(&b, "max_age,%u\n", l->max_age);
	sb_printf(&b, "valid,%s,%s\n", d1, d2);
	for (size_t i = 0; i < l->n; i++) {
		const struct convention_entry *e = &l->entries[i];

		if (e->remove) {
			sb_printf(&b, "-%s,%s,,,,,\n", kinds[e->kind], e->key);
			continue;
		}
		rate[0] = '\0';
		if (e->kind != CONVENTION_EXCLUDE)
			fmt_rate(e->rate_bp, rate, sizeof(rate));
		fmt_opt_amount(e->ceiling, ceil, sizeof(ceil));
		fmt_opt_amount(e->cap, cap, sizeof(cap));
		fmt_opt_date(e->from, d1, sizeof(d1));
		fmt_opt_date(e->to, d2, sizeof(d2));
		sb_printf(&b, "%s,%s,%s,%s,%s,%s,%s\n", kinds[e->kind], e->key, rate, ceil, cap, d1,
			  d2);
	}
	if (b.oom) {
		free(b.p);
		return SSA_ERR_NOMEM;
	}
	*out = b.p;
	*out_len = b.n;
	return SSA_ERR_OK;
}

/* --- deltas ----------------------------------------------------------------------------- */

enum ssa_err
convention_list_apply_delta(const struct convention_list *base,
			    const struct convention_list *delta, struct convention_list **out)
{
	struct convention_list *r = NULL;
	size_t i = 0, j = 0, n = 0;
	enum ssa_err e = SSA_ERR_OK;

	if (strcmp(base->caisse, delta->caisse) != 0)
		return SSA_ERR_LIST_CAISSE;
	if (delta->version <= base->version)
		return SSA_ERR_LIST_OLDER;
	if (delta->base == 0 || delta->base != base->version || base->base != 0)
		return SSA_ERR_LIST_BASE;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SSA_ERR_NOMEM;
	memcpy(r->caisse, delta->caisse, sizeof(r->caisse));
	r->version = delta->version;
	r->valid_from = delta->valid_from;
	r->valid_to = delta->valid_to;
	/* The delta's header is the new header: its limit replaces the base's, and a delta
	 * without max_age lifts it (as its dates replace the base's). */
	r->max_age = delta->max_age;
	if (base->n + delta->n > 0 &&
	    (r->entries = malloc((base->n + delta->n) * sizeof(*r->entries))) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	/* Both are sorted by (kind, key): one merge pass. */
	while (i < base->n || j < delta->n) {
		int c = i == base->n    ? 1
			: j == delta->n ? -1
					: entry_cmp(&base->entries[i], &delta->entries[j]);
		if (c < 0) {
			r->entries[n++] = base->entries[i++];
			continue;
		}
		if (delta->entries[j].remove) {
			if (c > 0) {
				e = SSA_ERR_LIST_FORMAT;
				goto out;
			}
		} else {
			r->entries[n++] = delta->entries[j];
		}
		if (c == 0)
			i++;
		j++;
	}
	for (size_t k = 0; k < n; k++)
		r->entries[k].line = 0;
	r->n = n;
	*out = r;
	r = NULL;
out:
	convention_list_free(r);
	return e;
}

/* --- eligibility ------------------------------------------------------------------------ */

static int
in_force(int32_t from, int32_t to, int32_t today)
{
	return (from == 0 || today >= from) && (to == 0 || today <= to);
}

static enum convention_reason
date_reason(int32_t from, int32_t today)
{
	return from != 0 && today < from ? CONVENTION_NOT_YET_IN_FORCE
					 : CONVENTION_NO_LONGER_IN_FORCE;
}

/* amount x num / den, half up (the rounding rule of ssa/money.h); den > 0, all non-negative. */
static enum ssa_err
scale(int64_t amount, int64_t num, int64_t den, int64_t *out)
{
	__int128 p = (__int128)amount * num;
	__int128 q = p / den, r = p % den;

	if (2 * r >= den)
		q++;
	if (q > MONEY_MAX)
		return SSA_ERR_OVERFLOW;
	*out = (int64_t)q;
	return SSA_ERR_OK;
}

enum ssa_err
convention_decide(const struct convention_list *list, int32_t today,
		  const struct convention_line *line, struct convention_decision *out)
{
	const struct convention_entry *ex, *ce, *ca, *chosen = NULL;
	struct convention_decision d = { .cap = CONVENTION_NONE };
	int64_t base;
	enum ssa_err e;

	if (line == NULL || out == NULL || line->code == NULL || line->category == NULL)
		return SSA_ERR_INVAL;
	if (line->amount < 0 || line->unit_price < 0 || line->qty < 0 || line->grams < 0)
		return SSA_ERR_NEGATIVE;
	if (line->amount > MONEY_MAX || line->unit_price > MONEY_MAX)
		return SSA_ERR_OVERFLOW;
	if (list == NULL) {
		d.reason = CONVENTION_NO_CARD;
		goto done;
	}
	memcpy(d.caisse, list->caisse, sizeof(d.caisse));
	d.version = list->version;
	if (!in_force(list->valid_from, list->valid_to, today)) {
		d.reason = date_reason(list->valid_from, today);
		goto done;
	}
	/* Alcohol is never eligible: a rule of the code, not of the caisse's list. */
	ex = convention_list_find(list, CONVENTION_EXCLUDE, line->category);
	if (strcmp(line->category, CONVENTION_CATEGORY_ALCOHOL) == 0 ||
	    (ex != NULL && in_force(ex->from, ex->to, today))) {
		d.reason = CONVENTION_EXCLUDED_CATEGORY;
		goto done;
	}
	ce = convention_list_find(list, CONVENTION_CODE, line->code);
	ca = convention_list_find(list, CONVENTION_CATEGORY, line->category);
	if (ce != NULL && in_force(ce->from, ce->to, today))
		chosen = ce;
	else if (ca != NULL && in_force(ca->from, ca->to, today))
		chosen = ca;
	if (ca != NULL && ca->cap != CONVENTION_NONE && in_force(ca->from, ca->to, today))
		d.cap = ca->cap;
	if (chosen == NULL) {
		const struct convention_entry *m = ce != NULL ? ce : ca;
		d.reason = m != NULL ? date_reason(m->from, today) : CONVENTION_NOT_IN_LIST;
		d.cap = CONVENTION_NONE;
		goto done;
	}
	d.rate_bp = chosen->rate_bp;
	base = line->amount;
	if (chosen->ceiling != CONVENTION_NONE && line->unit_price > chosen->ceiling) {
		if (line->grams > 0)
			e = money_mul_weight(chosen->ceiling, line->grams, &base);
		else if (line->qty > 0)
			e = money_mul_qty(chosen->ceiling, line->qty, &base);
		else /* embedded price: the same share of the amount as ceiling / price */
			e = scale(line->amount, chosen->ceiling, line->unit_price, &base);
		if (e != SSA_ERR_OK)
			return e;
		base = money_min(base, line->amount);
		d.reason = CONVENTION_OVER_CEILING;
	} else {
		d.reason = chosen->rate_bp < 10000 ? CONVENTION_PARTIAL_RATE : CONVENTION_COVERED;
	}
	if ((e = money_apply_rate(base, chosen->rate_bp, &d.covered)) != SSA_ERR_OK)
		return e;
done:
	*out = d;
	return SSA_ERR_OK;
}

void
convention_apply_cap(struct convention_decision *d, int64_t used)
{
	int64_t left;

	if (d->cap == CONVENTION_NONE || d->covered <= 0)
		return;
	left = used >= d->cap ? 0 : d->cap - used;
	if (d->covered > left) {
		d->covered = left;
		d->reason = CONVENTION_CAP_REACHED;
	}
}
