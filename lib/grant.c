/* grant.c — the caisse's signed batches of monthly grants (ssa/grant.h), and the signature line
 * shared by the caisse's signed text documents. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/card.h"
#include "ssa/textlines.h"
#include "ssa/grant.h"
#include "ssa/strbuf.h"
#include "ssa/hex.h"

#define LINE_MAX_BYTES 256

static bool
id_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool
id_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char_ok(s[i]))
			return false;
	return true;
}

static bool
period_ok(int32_t p)
{
	return p >= 100001 && p <= 999912 && p % 100 >= 1 && p % 100 <= 12;
}

void
grant_id_format(uint64_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%016llx", (unsigned long long)id);
}

enum ssa_err
grant_id_parse(const char *text, uint64_t *out)
{
	uint64_t v = 0;

	if (text == NULL || strlen(text) != 16)
		return SSA_ERR_INVAL;
	for (int i = 0; i < 16; i++) {
		int h = hex_digit(text[i], HEX_LOWER);
		if (h < 0)
			return SSA_ERR_INVAL;
		v = v << 4 | (uint64_t)h;
	}
	if (v == 0)
		return SSA_ERR_INVAL;
	*out = v;
	return SSA_ERR_OK;
}

/* Canonical "265.00": digits without a leading zero (but "0.05"), a dot, two digits. */
static bool
parse_amount(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	if (s[0] == '0' && s[1] != '.')
		return false;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i >= 8)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || s[i] != '.' || s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
	    s[i + 2] > '9' || s[i + 3] != '\0')
		return false;
	v = v * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	*out = v;
	return true;
}

static void
format_amount(int64_t cents, char *buf, size_t size)
{
	snprintf(buf, size, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

/* --- lifetime ------------------------------------------------------------------------------- */

enum ssa_err
grant_batch_new(const char *caisse, int32_t period, const char *outlet, struct grant_batch **out)
{
	struct grant_batch *b;

	if (caisse == NULL || outlet == NULL || out == NULL || !id_ok(caisse, GRANT_CAISSE_MAX) ||
	    !period_ok(period) || (strcmp(outlet, "*") != 0 && !id_ok(outlet, GRANT_OUTLET_MAX)))
		return SSA_ERR_INVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return SSA_ERR_NOMEM;
	strcpy(b->caisse, caisse);
	strcpy(b->outlet, outlet);
	b->period = period;
	b->policy = CARD_RELOAD_EXPIRE;
	*out = b;
	return SSA_ERR_OK;
}

void
grant_batch_free(struct grant_batch *b)
{
	if (b == NULL)
		return;
	free(b->grants);
	free(b->by_holder);
	free(b);
}

static bool
policy_ok(enum card_reload_policy p, int64_t cap)
{
	if (p == CARD_RELOAD_EXPIRE)
		return cap == 0;
	return p == CARD_RELOAD_ROLLOVER && cap >= 0 && cap <= CARD_BALANCE_MAX;
}

enum ssa_err
grant_batch_set_policy(struct grant_batch *b, enum card_reload_policy p, int64_t cap)
{
	if (b == NULL || !policy_ok(p, cap))
		return SSA_ERR_INVAL;
	b->policy = p;
	b->cap = cap;
	return SSA_ERR_OK;
}

static bool
grant_ok(const struct grant *g)
{
	return g->id != 0 && g->holder != 0 && (g->target == GRANT_CARD || g->target == GRANT_MEMBER) &&
	       g->amount >= 1 && g->amount <= CARD_BALANCE_MAX;
}

static enum ssa_err
append(struct grant_batch *b, const struct grant *g, size_t *cap)
{
	if (b->n == GRANT_MAX_GRANTS)
		return SSA_ERR_TOO_LONG;
	if (b->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(b->grants, nc * sizeof(*b->grants));
		if (p == NULL)
			return SSA_ERR_NOMEM;
		b->grants = p;
		*cap = nc;
	}
	b->grants[b->n++] = *g;
	return SSA_ERR_OK;
}

enum ssa_err
grant_batch_add(struct grant_batch *b, const struct grant *g)
{
	if (b == NULL || g == NULL || !grant_ok(g))
		return SSA_ERR_INVAL;
	if (b->n > 0 && g->id <= b->grants[b->n - 1].id)
		return SSA_ERR_EXISTS;
	free(b->by_holder); /* the index is rebuilt when needed */
	b->by_holder = NULL;
	return append(b, g, &b->alloc);
}

/* --- holder index --------------------------------------------------------------------------- */

static int
holder_cmp3(const struct grant *x, enum grant_target t, uint64_t h)
{
	if (x->target != t)
		return x->target < t ? -1 : 1;
	if (x->holder != h)
		return x->holder < h ? -1 : 1;
	return 0;
}

/* Sort indexes by (target, holder) with a heap sort: no global state for qsort's comparator,
 * O(n log n) worst case. */
static void
sift(const struct grant *g, uint32_t *ix, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && holder_cmp3(&g[ix[c]], g[ix[c + 1]].target, g[ix[c + 1]].holder) < 0)
			c++;
		if (holder_cmp3(&g[ix[root]], g[ix[c]].target, g[ix[c]].holder) >= 0)
			return;
		uint32_t t = ix[root];
		ix[root] = ix[c];
		ix[c] = t;
		root = c;
	}
}

/* Build b->by_holder; SSA_ERR_EXISTS (and @p dup set to the later grant) for a holder twice. */
static enum ssa_err
build_index(struct grant_batch *b, size_t *dup)
{
	uint32_t *ix;

	if (b->by_holder != NULL || b->n == 0)
		return SSA_ERR_OK;
	if ((ix = malloc(b->n * sizeof(*ix))) == NULL)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < b->n; i++)
		ix[i] = (uint32_t)i;
	for (size_t i = b->n / 2; i-- > 0;)
		sift(b->grants, ix, i, b->n);
	for (size_t end = b->n; end-- > 1;) {
		uint32_t t = ix[0];
		ix[0] = ix[end];
		ix[end] = t;
		sift(b->grants, ix, 0, end);
	}
	for (size_t i = 1; i < b->n; i++) {
		const struct grant *p = &b->grants[ix[i - 1]], *q = &b->grants[ix[i]];
		if (holder_cmp3(p, q->target, q->holder) == 0) {
			if (dup != NULL)
				*dup = ix[i - 1] > ix[i] ? ix[i - 1] : ix[i];
			free(ix);
			return SSA_ERR_EXISTS;
		}
	}
	b->by_holder = ix;
	return SSA_ERR_OK;
}

static const struct grant *
find_holder(const struct grant_batch *b, enum grant_target t, uint64_t h)
{
	size_t lo = 0, hi = b->n;

	if (h == 0)
		return NULL;
	if (b->by_holder == NULL) { /* a batch being built: no index yet */
		for (size_t i = 0; i < b->n; i++)
			if (holder_cmp3(&b->grants[i], t, h) == 0)
				return &b->grants[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = holder_cmp3(&b->grants[b->by_holder[mid]], t, h);
		if (c == 0)
			return &b->grants[b->by_holder[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum ssa_err
grant_find(const struct grant_batch *b, uint64_t card_serial, uint64_t member_id, int32_t period,
	   const struct grant **out)
{
	const struct grant *g;

	if (b == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (b->period != period)
		return SSA_ERR_GRANT_PERIOD;
	g = find_holder(b, GRANT_CARD, card_serial);
	if (g == NULL)
		g = find_holder(b, GRANT_MEMBER, member_id);
	if (g == NULL)
		return SSA_ERR_NOT_FOUND;
	*out = g;
	return SSA_ERR_OK;
}

const struct grant *
grant_by_id(const struct grant_batch *b, uint64_t id)
{
	size_t lo = 0, hi;

	if (b == NULL)
		return NULL;
	hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->grants[mid].id == id)
			return &b->grants[mid];
		if (b->grants[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- text ----------------------------------------------------------------------------------- */

enum ssa_err
grant_batch_format(const struct grant_batch *b, char **out, size_t *len)
{
	struct strbuf sb = { 0 };
	char id[17], holder[17], amount[32];
	size_t dup;
	enum ssa_err e;

	if (b == NULL || out == NULL || len == NULL || !policy_ok(b->policy, b->cap))
		return SSA_ERR_INVAL;
	/* The index is a cache: building it does not change what the batch holds. */
	if ((e = build_index((struct grant_batch *)(uintptr_t)b, &dup)) != SSA_ERR_OK)
		return e;
	strbuf_printf(&sb, "ssa-grants,%d\ncaisse,%s\nperiod,%06d\noutlet,%s\n", GRANT_FORMAT_VERSION,
		      b->caisse, (int)b->period, b->outlet);
	if (b->policy == CARD_RELOAD_EXPIRE) {
		strbuf_printf(&sb, "policy,expire\n");
	} else {
		format_amount(b->cap, amount, sizeof(amount));
		strbuf_printf(&sb, "policy,rollover,%s\n", amount);
	}
	for (size_t i = 0; i < b->n && sb.err == SSA_ERR_OK; i++) {
		const struct grant *g = &b->grants[i];
		grant_id_format(g->id, id, sizeof(id));
		grant_id_format(g->holder, holder, sizeof(holder));
		format_amount(g->amount, amount, sizeof(amount));
		strbuf_printf(&sb, "grant,%s,%s,%s,%s\n", id,
			      g->target == GRANT_CARD ? "card" : "member", holder, amount);
	}
	return strbuf_finish(&sb, out, len);
}

enum ssa_err
grant_batch_sign(const struct grant_batch *b, const uint8_t priv[32], char **out, size_t *len)
{
	char *body = NULL;
	size_t n;
	enum ssa_err e;

	if ((e = grant_batch_format(b, &body, &n)) != SSA_ERR_OK)
		return e;
	e = convention_sign(body, n, priv, out, len);
	free(body);
	return e;
}

/* The final line GRANT_SIG_PREFIX<128 hex>\n of @p text: its offset and the signature. */
static bool
find_signature(const char *text, size_t len, size_t *start, uint8_t sig[64])
{
	size_t plen = strlen(GRANT_SIG_PREFIX), line = plen + 128 + 1;
	const char *p;

	if (len < line || text[len - 1] != '\n')
		return false;
	p = text + len - line;
	if ((p != text && p[-1] != '\n') || memcmp(p, GRANT_SIG_PREFIX, plen) != 0)
		return false;
	if (!hex_decode(p + plen, 64, sig, HEX_LOWER))
		return false;
	*start = (size_t)(p - text);
	return true;
}

enum ssa_err
grant_text_verify(const char *text, size_t len, const uint8_t pub[32], size_t *signed_len)
{
	uint8_t sig[64];
	size_t start;
	enum ssa_err e;

	if (text == NULL || pub == NULL)
		return SSA_ERR_INVAL;
	if (!find_signature(text, len, &start, sig))
		return SSA_ERR_NOT_FOUND;
	if ((e = convention_verify(pub, sig, text, start)) != SSA_ERR_OK)
		return e == SSA_ERR_LIST_SIGNATURE ? SSA_ERR_CRYPTO : e;
	if (signed_len != NULL)
		*signed_len = start;
	return SSA_ERR_OK;
}

static enum ssa_err
parse_grant_line(struct text_lines *l, char **f, size_t nf, struct grant *g)
{
	memset(g, 0, sizeof(*g));
	if (nf != 5 || strcmp(f[0], "grant") != 0)
		return text_fail(l, "expected 'grant,<id>,card|member,<id>,<amount>' or the signature");
	if (grant_id_parse(f[1], &g->id) != SSA_ERR_OK)
		return text_fail(l, "grant id '%s' is not 16 lowercase hex digits, not zero", f[1]);
	if (strcmp(f[2], "card") == 0)
		g->target = GRANT_CARD;
	else if (strcmp(f[2], "member") == 0)
		g->target = GRANT_MEMBER;
	else
		return text_fail(l, "grant target '%s' is neither 'card' nor 'member'", f[2]);
	if (grant_id_parse(f[3], &g->holder) != SSA_ERR_OK)
		return text_fail(l, "%s id '%s' is not 16 lowercase hex digits, not zero", f[2], f[3]);
	if (!parse_amount(f[4], &g->amount) || g->amount < 1 || g->amount > CARD_BALANCE_MAX)
		return text_fail(l, "amount '%s' is not 0.01..%d.00 written with two decimals", f[4],
			    CARD_BALANCE_MAX / 100);
	return SSA_ERR_OK;
}

enum ssa_err
grant_batch_parse(const char *text, size_t len, struct grant_batch **out,
		  struct convention_error *err)
{
	struct text_lines l = { .text = text, .len = len, .err = err, .code = SSA_ERR_GRANT_FORMAT,
				 .max = LINE_MAX_BYTES - 1 };
	struct grant_batch *b = NULL;
	char *f[6];
	size_t nf, start = 0, dup = 0;
	size_t plen = strlen(GRANT_SIG_PREFIX);
	enum ssa_err e = SSA_ERR_OK;
	/* 0 magic, 1 caisse, 2 period, 3 outlet, 4 policy, 5 grants, 6 after signature */
	int r, state = 0;

	if (err != NULL) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (text == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if (len > GRANT_MAX_BYTES)
		return text_fail(&l, "batch longer than %d bytes", GRANT_MAX_BYTES);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return SSA_ERR_NOMEM;
	for (;;) {
		start = l.pos;
		if ((r = text_next_line(&l)) <= 0)
			break;
		if (state == 6) {
			e = text_fail(&l, "data after the signature line");
			goto out;
		}
		if (strncmp(l.line, GRANT_SIG_PREFIX, plen) == 0) {
			if (state < 5) {
				e = text_fail(&l, "signature before the header is complete");
				goto out;
			}
			if (!find_signature(text, l.pos, &b->signed_len, b->signature) ||
			    b->signed_len != start) {
				e = text_fail(&l, "signature is not 128 lowercase hex digits");
				goto out;
			}
			state = 6;
			continue;
		}
		nf = text_split(l.line, f, 5);
		switch (state) {
		case 0:
			if (nf != 2 || strcmp(f[0], "ssa-grants") != 0) {
				e = text_fail(&l, "not a grant batch: first line must be 'ssa-grants,%d'",
					 GRANT_FORMAT_VERSION);
				goto out;
			}
			if (strcmp(f[1], "1") != 0) {
				e = text_fail(&l, "unknown grant batch format version '%s'", f[1]);
				goto out;
			}
			break;
		case 1:
			if (nf != 2 || strcmp(f[0], "caisse") != 0 || !id_ok(f[1], GRANT_CAISSE_MAX)) {
				e = text_fail(&l, "expected 'caisse,<id>' ([A-Za-z0-9._-], at most %d)",
					 GRANT_CAISSE_MAX);
				goto out;
			}
			strcpy(b->caisse, f[1]);
			break;
		case 2: {
			int32_t p = 0;
			size_t i;
			if (nf == 2 && strcmp(f[0], "period") == 0 && strlen(f[1]) == 6)
				for (i = 0; i < 6 && f[1][i] >= '0' && f[1][i] <= '9'; i++)
					p = p * 10 + (f[1][i] - '0');
			if (!period_ok(p) || strlen(f[1]) != 6) {
				e = text_fail(&l, "expected 'period,<YYYYMM>'");
				goto out;
			}
			b->period = p;
			break;
		}
		case 3:
			if (nf != 2 || strcmp(f[0], "outlet") != 0 ||
			    (strcmp(f[1], "*") != 0 && !id_ok(f[1], GRANT_OUTLET_MAX))) {
				e = text_fail(&l, "expected 'outlet,<id>' or 'outlet,*'");
				goto out;
			}
			strcpy(b->outlet, f[1]);
			break;
		case 4:
			if (nf == 2 && strcmp(f[0], "policy") == 0 && strcmp(f[1], "expire") == 0) {
				b->policy = CARD_RELOAD_EXPIRE;
			} else if (nf == 3 && strcmp(f[0], "policy") == 0 &&
				   strcmp(f[1], "rollover") == 0 && parse_amount(f[2], &b->cap) &&
				   b->cap <= CARD_BALANCE_MAX) {
				b->policy = CARD_RELOAD_ROLLOVER;
			} else {
				e = text_fail(&l, "expected 'policy,expire' or 'policy,rollover,<cap>' "
						  "(euros, two decimals, at most %d.00)",
					      CARD_BALANCE_MAX / 100);
				goto out;
			}
			break;
		default: {
			struct grant g;
			if ((e = parse_grant_line(&l, f, nf, &g)) != SSA_ERR_OK)
				goto out;
			if (b->n > 0 && g.id <= b->grants[b->n - 1].id) {
				e = text_fail(&l, "grant ids are not strictly increasing");
				goto out;
			}
			if ((e = append(b, &g, &b->alloc)) != SSA_ERR_OK) {
				if (e == SSA_ERR_TOO_LONG)
					e = text_fail(&l, "more than %d grants", GRANT_MAX_GRANTS);
				goto out;
			}
		}
		}
		if (state < 5)
			state++;
	}
	if (r < 0) {
		e = SSA_ERR_GRANT_FORMAT;
		goto out;
	}
	if (state < 6) {
		l.lineno++;
		e = text_fail(&l, state < 5 ? "batch ends inside its header" :
					 "missing signature line (truncated batch?)");
		goto out;
	}
	if ((e = build_index(b, &dup)) != SSA_ERR_OK) {
		if (e == SSA_ERR_EXISTS) {
			l.lineno = (unsigned)(dup + 6);
			e = text_fail(&l, "%s already has a grant in this batch",
				 b->grants[dup].target == GRANT_CARD ? "card" : "member");
		}
		goto out;
	}
	*out = b;
	b = NULL;
out:
	grant_batch_free(b);
	return e;
}

enum ssa_err
grant_batch_load(const char *text, size_t len, const uint8_t pub[32], const char *caisse,
		 struct grant_batch **out, struct convention_error *err)
{
	struct grant_batch *b = NULL;
	enum ssa_err e;

	if (pub == NULL || out == NULL)
		return SSA_ERR_INVAL;
	if ((e = grant_batch_parse(text, len, &b, err)) != SSA_ERR_OK)
		return e;
	if ((e = convention_verify(pub, b->signature, text, b->signed_len)) != SSA_ERR_OK) {
		if (err != NULL) {
			err->line = 0;
			snprintf(err->msg, sizeof(err->msg),
				 "signature of the grants of %s for %06d does not verify with the "
				 "caisse's key",
				 b->caisse, (int)b->period);
		}
		grant_batch_free(b);
		return e == SSA_ERR_LIST_SIGNATURE ? SSA_ERR_GRANT_SIGNATURE : e;
	}
	if (caisse != NULL && strcmp(caisse, b->caisse) != 0) {
		if (err != NULL) {
			err->line = 2;
			snprintf(err->msg, sizeof(err->msg), "grants of caisse '%s', not of '%s'",
				 b->caisse, caisse);
		}
		grant_batch_free(b);
		return SSA_ERR_GRANT_CAISSE;
	}
	*out = b;
	return SSA_ERR_OK;
}
