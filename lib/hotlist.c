/* hotlist.c — the caisse's signed, versioned hot list of blocked cards (ssa/hotlist.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/grant.h"
#include "ssa/textlines.h"
#include "ssa/hotlist.h"
#include "ssa/strbuf.h"

#define LINE_MAX_BYTES 160

#define WORD_(name, word, text) word,
#define TEXT_(name, word, text) text,
static const char *const reason_words[] = { HOTLIST_REASONS(WORD_) };
static const char *const reason_texts[] = { HOTLIST_REASONS(TEXT_) };
#undef WORD_
#undef TEXT_

const char *
hotlist_reason_word(enum hotlist_reason r)
{
	return (unsigned)r < HOTLIST__REASON_COUNT ? reason_words[r] : "?";
}

const char *
hotlist_reason_text(enum hotlist_reason r)
{
	return (unsigned)r < HOTLIST__REASON_COUNT ? reason_texts[r] : "unknown reason";
}

static bool
id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HOTLIST_CAISSE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A calendar day written by convention_date_format, and nothing else. */
static bool
day_ok(int32_t d)
{
	char buf[16];
	int32_t back;

	if (d < 19000101 || d > 99991231)
		return false;
	convention_date_format(d, buf, sizeof(buf));
	return convention_date_parse(buf, &back) == SSA_ERR_OK && back == d;
}

/* --- lifetime and lookup -------------------------------------------------------------------- */

enum ssa_err
hotlist_new(const char *caisse, uint32_t version, uint32_t base, struct hotlist **out)
{
	struct hotlist *l;

	if (caisse == NULL || out == NULL || !id_ok(caisse) || version == 0 || base >= version)
		return SSA_ERR_INVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return SSA_ERR_NOMEM;
	strcpy(l->caisse, caisse);
	l->version = version;
	l->base = base;
	*out = l;
	return SSA_ERR_OK;
}

void
hotlist_free(struct hotlist *l)
{
	if (l == NULL)
		return;
	free(l->entries);
	free(l->serials);
	free(l);
}

/* Index of the first entry whose serial is >= @p serial. */
static size_t
lower_bound(const struct hotlist *l, uint64_t serial)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->serials[mid] < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct hotlist_entry *
hotlist_find(const struct hotlist *l, uint64_t serial)
{
	size_t i;

	if (l == NULL || l->n == 0)
		return NULL;
	i = lower_bound(l, serial);
	return i < l->n && l->serials[i] == serial ? &l->entries[i] : NULL;
}

static enum ssa_err
reserve(struct hotlist *l, size_t want)
{
	size_t nc;
	void *e, *s;

	if (want <= l->cap)
		return SSA_ERR_OK;
	if (want > HOTLIST_MAX_ENTRIES)
		return SSA_ERR_TOO_LONG;
	nc = l->cap ? l->cap : 64;
	while (nc < want)
		nc *= 2;
	if ((e = realloc(l->entries, nc * sizeof(*l->entries))) == NULL)
		return SSA_ERR_NOMEM;
	l->entries = e;
	if ((s = realloc(l->serials, nc * sizeof(*l->serials))) == NULL)
		return SSA_ERR_NOMEM;
	l->serials = s;
	l->cap = nc;
	return SSA_ERR_OK;
}

static bool
entry_ok(const struct hotlist_entry *e)
{
	return e->serial != 0 && day_ok(e->since) && (unsigned)e->reason < HOTLIST__REASON_COUNT;
}

enum ssa_err
hotlist_add(struct hotlist *l, const struct hotlist_entry *e)
{
	size_t i;
	enum ssa_err err;

	if (l == NULL || e == NULL || !entry_ok(e))
		return SSA_ERR_INVAL;
	i = l->n ? lower_bound(l, e->serial) : 0;
	if (i < l->n && l->serials[i] == e->serial)
		return SSA_ERR_EXISTS;
	if ((err = reserve(l, l->n + 1)) != SSA_ERR_OK)
		return err;
	memmove(&l->entries[i + 1], &l->entries[i], (l->n - i) * sizeof(*l->entries));
	memmove(&l->serials[i + 1], &l->serials[i], (l->n - i) * sizeof(*l->serials));
	l->entries[i] = *e;
	if (l->entries[i].version == 0)
		l->entries[i].version = l->version;
	l->serials[i] = e->serial;
	l->n++;
	return SSA_ERR_OK;
}

/* --- text ----------------------------------------------------------------------------------- */

enum ssa_err
hotlist_format(const struct hotlist *l, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	char serial[17], day[16];

	if (l == NULL || out == NULL || len == NULL)
		return SSA_ERR_INVAL;
	strbuf_printf(&b, "ssa-hotlist,%d\ncaisse,%s\nversion,%u\n", HOTLIST_FORMAT_VERSION,
		      l->caisse, l->version);
	if (l->base != 0)
		strbuf_printf(&b, "base,%u\n", l->base);
	for (size_t i = 0; i < l->n && b.err == SSA_ERR_OK; i++) {
		const struct hotlist_entry *e = &l->entries[i];
		grant_id_format(e->serial, serial, sizeof(serial));
		convention_date_format(e->since, day, sizeof(day));
		strbuf_printf(&b, "card,%s,%s,%s\n", serial, day, hotlist_reason_word(e->reason));
	}
	return strbuf_finish(&b, out, len);
}

enum ssa_err
hotlist_sign(const struct hotlist *l, const uint8_t priv[32], char **out, size_t *len)
{
	char *body = NULL;
	size_t n;
	enum ssa_err e;

	if ((e = hotlist_format(l, &body, &n)) != SSA_ERR_OK)
		return e;
	e = convention_sign(body, n, priv, out, len);
	free(body);
	return e;
}

/* A positive decimal without leading zero, at most UINT32_MAX. */
static bool
parse_version(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 10 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static enum ssa_err
parse_entry(struct text_lines *l, char **f, size_t nf, uint32_t version, struct hotlist_entry *e)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->version = version;
	if (nf != 4 || strcmp(f[0], "card") != 0)
		return text_fail(l, "expected 'card,<serial>,<YYYY-MM-DD>,<reason>' or the signature");
	if (grant_id_parse(f[1], &e->serial) != SSA_ERR_OK)
		return text_fail(l, "card serial '%s' is not 16 lowercase hex digits, not zero", f[1]);
	if (convention_date_parse(f[2], &e->since) != SSA_ERR_OK || strlen(f[2]) != 10 ||
	    !day_ok(e->since))
		return text_fail(l, "date '%s' is not a YYYY-MM-DD day", f[2]);
	for (r = 0; r < HOTLIST__REASON_COUNT; r++)
		if (strcmp(f[3], reason_words[r]) == 0)
			break;
	if (r == HOTLIST__REASON_COUNT)
		return text_fail(l, "unknown reason '%s' (lost, stolen, cloned, tampered, replaced, "
			       "revoked)",
			    f[3]);
	e->reason = (enum hotlist_reason)r;
	return SSA_ERR_OK;
}

enum ssa_err
hotlist_parse(const char *text, size_t len, struct hotlist **out, struct convention_error *err)
{
	struct text_lines l = { .text = text, .len = len, .err = err, .code = SSA_ERR_HOTLIST_FORMAT,
				 .max = LINE_MAX_BYTES - 1 };
	struct hotlist *h = NULL;
	char *f[5];
	size_t nf, start;
	size_t plen = strlen(GRANT_SIG_PREFIX);
	enum ssa_err e = SSA_ERR_OK;
	int r, state = 0; /* 0 magic, 1 caisse, 2 version, 3 base or entries, 4 entries, 5 signed */

	if (err != NULL) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (len > HOTLIST_MAX_BYTES)
		return text_fail(&l, "hot list longer than %d bytes", HOTLIST_MAX_BYTES);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SSA_ERR_NOMEM;
	for (;;) {
		start = l.pos;
		if ((r = text_next_line(&l)) <= 0)
			break;
		if (state == 5) {
			e = text_fail(&l, "data after the signature line");
			goto out;
		}
		if (strncmp(l.line, GRANT_SIG_PREFIX, plen) == 0) {
			const char *hex = l.line + plen;
			if (state < 3) {
				e = text_fail(&l, "signature before the header is complete");
				goto out;
			}
			if (strlen(hex) != 128) {
				e = text_fail(&l, "signature is not 128 lowercase hex digits");
				goto out;
			}
			for (size_t i = 0; i < 128; i++)
				if (!((hex[i] >= '0' && hex[i] <= '9') ||
				      (hex[i] >= 'a' && hex[i] <= 'f'))) {
					e = text_fail(&l, "signature is not 128 lowercase hex digits");
					goto out;
				}
			for (size_t i = 0; i < 64; i++) {
				unsigned v;
				sscanf(hex + 2 * i, "%2x", &v);
				h->signature[i] = (uint8_t)v;
			}
			h->signed_len = start;
			state = 5;
			continue;
		}
		nf = text_split(l.line, f, 4);
		switch (state) {
		case 0:
			if (nf != 2 || strcmp(f[0], "ssa-hotlist") != 0) {
				e = text_fail(&l, "not a hot list: first line must be 'ssa-hotlist,%d'",
					 HOTLIST_FORMAT_VERSION);
				goto out;
			}
			if (strcmp(f[1], "1") != 0) {
				e = text_fail(&l, "unknown hot list format version '%s'", f[1]);
				goto out;
			}
			state = 1;
			break;
		case 1:
			if (nf != 2 || strcmp(f[0], "caisse") != 0 || !id_ok(f[1])) {
				e = text_fail(&l, "expected 'caisse,<id>' ([A-Za-z0-9._-], at most %d)",
					 HOTLIST_CAISSE_MAX);
				goto out;
			}
			strcpy(h->caisse, f[1]);
			state = 2;
			break;
		case 2:
			if (nf != 2 || strcmp(f[0], "version") != 0 ||
			    !parse_version(f[1], &h->version)) {
				e = text_fail(&l, "expected 'version,<positive integer>'");
				goto out;
			}
			state = 3;
			break;
		case 3:
			state = 4;
			if (nf == 2 && strcmp(f[0], "base") == 0) {
				if (!parse_version(f[1], &h->base) || h->base >= h->version) {
					e = text_fail(&l, "base must be a version below %u", h->version);
					goto out;
				}
				break;
			}
			/* the first entry of a full list */
			__attribute__((fallthrough));
		default: {
			struct hotlist_entry en;
			if ((e = parse_entry(&l, f, nf, h->version, &en)) != SSA_ERR_OK)
				goto out;
			if (h->n > 0 && en.serial <= h->serials[h->n - 1]) {
				e = text_fail(&l, "card serials are not strictly increasing");
				goto out;
			}
			if ((e = reserve(h, h->n + 1)) != SSA_ERR_OK) {
				if (e == SSA_ERR_TOO_LONG)
					e = text_fail(&l, "more than %d cards", HOTLIST_MAX_ENTRIES);
				goto out;
			}
			h->entries[h->n] = en;
			h->serials[h->n++] = en.serial;
		}
		}
	}
	if (r < 0) {
		e = SSA_ERR_HOTLIST_FORMAT;
		goto out;
	}
	if (state < 5) {
		l.lineno++;
		e = text_fail(&l, state < 3 ? "hot list ends inside its header" :
					 "missing signature line (truncated list?)");
		goto out;
	}
	*out = h;
	h = NULL;
out:
	hotlist_free(h);
	return e;
}

enum ssa_err
hotlist_load(const char *text, size_t len, const uint8_t pub[32], const char *caisse,
	     struct hotlist **out, struct convention_error *err)
{
	struct hotlist *h = NULL;
	size_t signed_len;
	enum ssa_err e;

	if (pub == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if ((e = hotlist_parse(text, len, &h, err)) != SSA_ERR_OK)
		return e;
	e = grant_text_verify(text, len, pub, &signed_len);
	if (e == SSA_ERR_OK && signed_len != h->signed_len)
		e = SSA_ERR_CRYPTO;
	if (e != SSA_ERR_OK) {
		if (err != NULL) {
			err->line = 0;
			snprintf(err->msg, sizeof(err->msg),
				 "signature of hot list %s version %u does not verify with the "
				 "caisse's key",
				 h->caisse, h->version);
		}
		hotlist_free(h);
		return e == SSA_ERR_CRYPTO || e == SSA_ERR_NOT_FOUND ? SSA_ERR_HOTLIST_SIGNATURE : e;
	}
	if (caisse != NULL && strcmp(caisse, h->caisse) != 0) {
		if (err != NULL) {
			err->line = 2;
			snprintf(err->msg, sizeof(err->msg), "hot list of caisse '%s', not of '%s'",
				 h->caisse, caisse);
		}
		hotlist_free(h);
		return SSA_ERR_HOTLIST_CAISSE;
	}
	*out = h;
	return SSA_ERR_OK;
}

/* --- updates -------------------------------------------------------------------------------- */

static enum ssa_err
copy_full(const struct hotlist *src, uint32_t version, struct hotlist **out)
{
	struct hotlist *l = NULL;
	enum ssa_err e;

	if ((e = hotlist_new(src->caisse, version, 0, &l)) != SSA_ERR_OK)
		return e;
	if ((e = reserve(l, src->n)) != SSA_ERR_OK) {
		hotlist_free(l);
		return e;
	}
	if (src->n > 0) {
		memcpy(l->entries, src->entries, src->n * sizeof(*l->entries));
		memcpy(l->serials, src->serials, src->n * sizeof(*l->serials));
	}
	l->n = src->n;
	*out = l;
	return SSA_ERR_OK;
}

enum ssa_err
hotlist_apply(const struct hotlist *current, const struct hotlist *incoming, struct hotlist **out)
{
	struct hotlist *l = NULL;
	enum ssa_err e;

	if (incoming == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (current != NULL && strcmp(current->caisse, incoming->caisse) != 0)
		return SSA_ERR_HOTLIST_CAISSE;
	if (current != NULL && incoming->version <= current->version)
		return SSA_ERR_HOTLIST_OLDER;
	if (incoming->base == 0)
		return copy_full(incoming, incoming->version, out);
	if (current == NULL || incoming->base != current->version)
		return SSA_ERR_HOTLIST_BASE;
	if ((e = copy_full(current, incoming->version, &l)) != SSA_ERR_OK)
		return e;
	for (size_t i = 0; i < incoming->n; i++) {
		const struct hotlist_entry *d = &incoming->entries[i];
		size_t at = l->n ? lower_bound(l, d->serial) : 0;
		if (at < l->n && l->serials[at] == d->serial) {
			l->entries[at] = *d; /* newer facts about a card already blocked */
			continue;
		}
		if ((e = hotlist_add(l, d)) != SSA_ERR_OK) {
			hotlist_free(l);
			return e;
		}
	}
	*out = l;
	return SSA_ERR_OK;
}

enum ssa_err
hotlist_delta(const struct hotlist *full, uint32_t since, struct hotlist **out)
{
	struct hotlist *l = NULL;
	enum ssa_err e;

	if (full == NULL || out == NULL || full->base != 0 || since >= full->version)
		return SSA_ERR_INVAL;
	if (since == 0)
		return copy_full(full, full->version, out);
	if ((e = hotlist_new(full->caisse, full->version, since, &l)) != SSA_ERR_OK)
		return e;
	for (size_t i = 0; i < full->n; i++) {
		if (full->entries[i].version <= since)
			continue;
		/* in serial order already: appending keeps the list sorted */
		if ((e = reserve(l, l->n + 1)) != SSA_ERR_OK) {
			hotlist_free(l);
			return e;
		}
		l->entries[l->n] = full->entries[i];
		l->serials[l->n++] = full->serials[i];
	}
	*out = l;
	return SSA_ERR_OK;
}
