/* journal.c — journal records: canonical JSON encoding, SHA-256 chain, Ed25519 signatures.
 *
 * Canonical form (docs/journal.md): jansson's compact output with sorted keys, every key always
 * present, integers only (written directly, see encode()).  The decoder parses, rebuilds the record, encodes it again and compares
 * the bytes: whatever is not exactly canonical (spaces, key order, escapes, duplicate or unknown
 * keys, 1.0 for 1, ...) is refused by that single comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ssa/journal.h"
#include "ssa/money.h"
#include "ssa/strbuf.h"
#include "ssa/hex.h"

#define KIND_NAME_(name, text) [JOURNAL_##name] = #name,
#define KIND_TEXT_(name, text) [JOURNAL_##name] = text,
static const char *const kind_names[] = { JOURNAL_KINDS(KIND_NAME_) };
static const char *const kind_texts[] = { JOURNAL_KINDS(KIND_TEXT_) };
#undef KIND_NAME_
#undef KIND_TEXT_

const char *
journal_kind_name(enum journal_kind k)
{
	if ((unsigned)k >= JOURNAL__KIND_COUNT)
		return "UNKNOWN";
	return kind_names[k];
}

const char *
journal_kind_text(enum journal_kind k)
{
	if ((unsigned)k >= JOURNAL__KIND_COUNT)
		return "unknown record";
	return kind_texts[k];
}

enum ssa_err
journal_kind_parse(const char *name, enum journal_kind *out)
{
	for (unsigned i = 0; i < JOURNAL__KIND_COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum journal_kind)i;
			return SSA_ERR_OK;
		}
	return SSA_ERR_JOURNAL_FORMAT;
}

bool
journal_kind_is_closing(enum journal_kind k)
{
	return k == JOURNAL_CLOSING_Z || k == JOURNAL_CLOSING_MONTH || k == JOURNAL_CLOSING_YEAR;
}

/* --- records ---------------------------------------------------------------------------- */

void
journal_record_init(struct journal_record *r, enum journal_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->balance_before = JOURNAL_NONE;
	r->balance_after = JOURNAL_NONE;
}

void
journal_record_fini(struct journal_record *r)
{
	if (r == NULL)
		return;
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

enum ssa_err
journal_record_add_line(struct journal_record *r, const struct journal_line *line)
{
	struct journal_line *n;

	if (r->n_lines >= JOURNAL_MAX_LINES)
		return SSA_ERR_TOO_LONG;
	n = realloc(r->lines, (r->n_lines + 1) * sizeof(*n));
	if (n == NULL)
		return SSA_ERR_NOMEM;
	r->lines = n;
	r->lines[r->n_lines++] = *line;
	return SSA_ERR_OK;
}

enum ssa_err
journal_record_add_tender(struct journal_record *r, const struct journal_tender *t)
{
	if (r->n_tenders >= JOURNAL_MAX_TENDERS)
		return SSA_ERR_TOO_LONG;
	r->tenders[r->n_tenders++] = *t;
	return SSA_ERR_OK;
}

/* A string field: NUL within @p size, no control character, not longer than the field. */
static bool
str_ok(const char *s, size_t size, bool ascii, bool nonempty)
{
	size_t n = strnlen(s, size);

	if (n == size || (nonempty && n == 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (ascii && c > 0x7e))
			return false;
	}
	return true;
}

static bool
amount_ok(int64_t v)
{
	return v >= -MONEY_MAX && v <= MONEY_MAX;
}

static bool
balance_ok(int64_t v)
{
	return v == JOURNAL_NONE || (v >= 0 && v <= MONEY_MAX);
}

static bool
vat_ok(const struct vat_summary *v)
{
	if (v->n > VAT_MAX_RATES)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		const struct vat_total *t = &v->rates[i];
		if (t->rate_bp < 0 || t->rate_bp > 10000 || !amount_ok(t->gross) ||
		    !amount_ok(t->vat) || !amount_ok(t->net) || t->gross - t->vat != t->net)
			return false;
		if (i > 0 && v->rates[i - 1].rate_bp >= t->rate_bp)
			return false;
	}
	return true;
}

#define CHECK(cond, msg) \
	do { \
		if (!(cond)) { \
			if (why != NULL) \
				*why = (msg); \
			return SSA_ERR_JOURNAL_FORMAT; \
		} \
	} while (0)

static enum ssa_err
check_closing(const struct journal_closing *c, const char **why)
{
	int64_t t = 0;

	CHECK(c->period >= 0, "closing period is negative");
	CHECK(c->first_seq <= c->last_seq, "closing range is reversed");
	CHECK(c->number <= INT64_MAX && c->last_seq <= INT64_MAX && c->records <= INT64_MAX &&
		      c->sales <= INT64_MAX && c->voids <= INT64_MAX && c->refunds <= INT64_MAX &&
		      c->reloads <= INT64_MAX,
	      "closing count out of range");
	CHECK(amount_ok(c->sales_total) && amount_ok(c->voids_total) &&
		      amount_ok(c->refunds_total) && amount_ok(c->reloads_total) &&
		      amount_ok(c->total) && amount_ok(c->ssa_total) && amount_ok(c->perpetual) &&
		      amount_ok(c->perpetual_prev),
	      "closing amount out of range");
	for (size_t i = 0; i < TENDER__COUNT; i++) {
		CHECK(amount_ok(c->tenders[i]), "closing tender out of range");
		t += c->tenders[i];
	}
	CHECK(t == c->total, "closing tenders do not add up to its total");
	CHECK(c->tenders[TENDER_SSA] == c->ssa_total, "closing SSA total is not its SSA tender");
	CHECK(c->sales_total - c->voids_total - c->refunds_total == c->total,
	      "closing total is not sales - voids - refunds");
	CHECK(c->perpetual_prev + c->total == c->perpetual,
	      "closing perpetual total is not previous + period");
	CHECK(vat_ok(&c->vat), "closing VAT totals are malformed");
	return SSA_ERR_OK;
}

enum ssa_err
journal_record_check(const struct journal_record *r, const char **why)
{
	bool priced = r->kind == JOURNAL_SALE || r->kind == JOURNAL_VOID ||
		      r->kind == JOURNAL_REFUND;
	int64_t sum = 0, ssa = 0, gross = 0;

	CHECK((unsigned)r->kind < JOURNAL__KIND_COUNT, "unknown record kind");
	CHECK(str_ok(r->establishment, sizeof(r->establishment), true, true),
	      "establishment id is empty, too long or not printable ASCII");
	CHECK(str_ok(r->terminal, sizeof(r->terminal), true, true),
	      "terminal id is empty, too long or not printable ASCII");
	CHECK(str_ok(r->software, sizeof(r->software), true, false),
	      "software version is too long or not printable ASCII");
	CHECK(str_ok(r->operator_id, sizeof(r->operator_id), true, false),
	      "operator id is too long or not printable ASCII");
	CHECK(str_ok(r->card, sizeof(r->card), true, false),
	      "card id is too long or not printable ASCII");
	CHECK(r->seq >= 1 && r->seq <= INT64_MAX, "sequence number out of range");
	CHECK(r->time_ms >= 0, "time is negative");
	CHECK(balance_ok(r->balance_before) && balance_ok(r->balance_after),
	      "card balance out of range");
	CHECK((r->balance_before == JOURNAL_NONE) == (r->balance_after == JOURNAL_NONE),
	      "only one of the card balances is given");
	CHECK(r->n_lines <= JOURNAL_MAX_LINES && (r->n_lines == 0 || r->lines != NULL),
	      "too many lines");
	CHECK(r->n_tenders <= JOURNAL_MAX_TENDERS, "too many tenders");
	CHECK(amount_ok(r->total) && amount_ok(r->ssa_covered), "amount out of range");
	CHECK(vat_ok(&r->vat), "VAT totals are malformed");
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct journal_line *l = &r->lines[i];
		CHECK(str_ok(l->code, sizeof(l->code), true, true),
		      "line code is empty, too long or not printable ASCII");
		CHECK(str_ok(l->name, sizeof(l->name), false, false),
		      "line name is too long or has control characters");
		CHECK(str_ok(l->category, sizeof(l->category), true, false),
		      "line category is too long or not printable ASCII");
		CHECK(str_ok(l->list_caisse, sizeof(l->list_caisse), true, false),
		      "line list id is too long or not printable ASCII");
		CHECK(l->qty >= 0 && l->qty <= MONEY_MAX && l->grams >= 0 && l->grams <= MONEY_MAX,
		      "line quantity out of range");
		CHECK(amount_ok(l->unit_price) && amount_ok(l->amount) && amount_ok(l->covered) &&
			      amount_ok(l->paid_ssa),
		      "line amount out of range");
		CHECK(l->vat_bp >= 0 && l->vat_bp <= 10000, "line VAT rate out of range");
		CHECK((unsigned)l->reason < CONVENTION__REASON_COUNT, "line reason unknown");
		sum += l->amount;
		CHECK(amount_ok(sum), "lines add up out of range");
	}
	for (size_t i = 0; i < r->n_tenders; i++) {
		const struct journal_tender *t = &r->tenders[i];
		CHECK((unsigned)t->kind < TENDER__COUNT, "tender kind unknown");
		CHECK(amount_ok(t->amount) && amount_ok(t->given) && amount_ok(t->change),
		      "tender amount out of range");
		if (t->kind == TENDER_SSA)
			ssa += t->amount;
		gross += t->amount;
		CHECK(amount_ok(ssa) && amount_ok(gross), "tenders add up out of range");
	}
	if (priced) {
		int64_t v = 0;
		CHECK(sum == r->total, "lines do not add up to the total");
		CHECK(gross == r->total, "tenders do not add up to the total");
		CHECK(ssa == r->ssa_covered, "SSA amount is not the SSA tender");
		for (size_t i = 0; i < r->vat.n; i++)
			v += r->vat.rates[i].gross;
		CHECK(v == r->total, "VAT totals do not add up to the total");
	} else {
		CHECK(r->n_lines == 0 && r->n_tenders == 0 && r->vat.n == 0 && r->total == 0 &&
			      r->ssa_covered == 0,
		      "lines, tenders and totals belong to sales, voids and refunds only");
	}
	if (r->kind == JOURNAL_VOID || r->kind == JOURNAL_REFUND)
		CHECK(r->link_seq >= 1 && r->link_seq < r->seq,
		      "void or refund must name an earlier record");
	else if (r->kind == JOURNAL_REPRINT)
		CHECK(r->link_seq >= 1 && r->link_seq < r->seq,
		      "reprint must name an earlier record");
	else
		CHECK(r->link_seq == 0, "only voids and refunds link to another record");
	if (r->kind == JOURNAL_RELOAD) {
		CHECK(str_ok(r->reload.grant_id, sizeof(r->reload.grant_id), true, true),
		      "grant id is empty, too long or not printable ASCII");
		CHECK(r->reload.period >= 0 && amount_ok(r->reload.amount) &&
			      amount_ok(r->reload.expired),
		      "grant amount out of range");
		CHECK(r->card[0] != '\0' && r->balance_after != JOURNAL_NONE,
		      "a reload needs a card and its balances");
	} else {
		static const struct journal_reload zero_reload;
		CHECK(memcmp(&r->reload, &zero_reload, sizeof(zero_reload)) == 0,
		      "grant data belongs to reloads only");
	}
	if (journal_kind_is_closing(r->kind)) {
		enum ssa_err e = check_closing(&r->closing, why);
		if (e != SSA_ERR_OK)
			return e;
	} else {
		static const struct journal_closing zero_closing;
		CHECK(memcmp(&r->closing, &zero_closing, sizeof(zero_closing)) == 0,
		      "closing data belongs to closings only");
	}
	return SSA_ERR_OK;
}

#undef CHECK

/* --- encoding --------------------------------------------------------------------------- */

void
journal_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Lowercase hex only (the canonical form). */
static bool
unhex(const char *s, uint8_t *out, size_t n)
{
	return strlen(s) == 2 * n && hex_decode(s, n, out, HEX_LOWER);
}

/* The encoder writes the canonical form directly (keys in strcmp order, compact, integers,
 * '"' and '\\' escaped — journal_record_check has refused every control character — and UTF-8
 * as is): exactly what jansson's json_dumps(JSON_COMPACT | JSON_SORT_KEYS) gives for the same
 * record, which tests/unit/test_journal.c checks against jansson on random records.  Building a
 * jansson tree to dump it cost more than half of a sale's computing time. */

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), as jansson wants. */
static bool
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, n, cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

/* strbuf_add with its common case inline: encode sizes the buffer for the whole record up
 * front, so nearly every token is a plain copy, without a call or a reallocation. */
static inline void
jadd(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else {
		strbuf_add(b, s, n);
	}
}

/* "key": — @p key is written as is (our keys need no escape), after a comma unless first. */
static void
jkey(struct strbuf *b, const char *key, bool first)
{
	if (!first)
		jadd(b, ",", 1);
	jadd(b, "\"", 1);
	jadd(b, key, strlen(key));
	jadd(b, "\":", 2);
}

static void
jstr(struct strbuf *b, const char *key, bool first, const char *v)
{
	jkey(b, key, first);
	jadd(b, "\"", 1);
	for (;;) {
		size_t n = strcspn(v, "\"\\");

		jadd(b, v, n);
		if (v[n] == '\0')
			break;
		jadd(b, v[n] == '"' ? "\\\"" : "\\\\", 2);
		v += n + 1;
	}
	jadd(b, "\"", 1);
}

static void
jint(struct strbuf *b, const char *key, bool first, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	jkey(b, key, first);
	jadd(b, p, (size_t)(buf + sizeof(buf) - p));
}

static void
jhex(struct strbuf *b, const char *key, bool first, const uint8_t *in, size_t n)
{
	char buf[2 * JOURNAL_SIG_LEN + 1];

	journal_hex(in, n, buf);
	jstr(b, key, first, buf);
}

static void
jbalance(struct strbuf *b, const char *key, bool first, int64_t v)
{
	if (v == JOURNAL_NONE) {
		jkey(b, key, first);
		jadd(b, "null", 4);
	} else {
		jint(b, key, first, v);
	}
}

static void
jvat(struct strbuf *b, const char *key, bool first, const struct vat_summary *v)
{
	jkey(b, key, first);
	jadd(b, "[", 1);
	for (size_t i = 0; i < v->n; i++) {
		jadd(b, i ? ",{" : "{", i ? 2 : 1);
		jint(b, "gross", true, v->rates[i].gross);
		jint(b, "net", false, v->rates[i].net);
		jint(b, "rate", false, v->rates[i].rate_bp);
		jint(b, "vat", false, v->rates[i].vat);
		jadd(b, "}", 1);
	}
	jadd(b, "]", 1);
}

/* The closing's tenders by name, names in strcmp order. */
static void
jtenders_by_name(struct strbuf *b, const int64_t tenders[TENDER__COUNT])
{
	size_t order[TENDER__COUNT];

	for (size_t i = 0; i < TENDER__COUNT; i++) {
		size_t j = i;
		for (; j > 0 && strcmp(tender_name((enum tender_kind)order[j - 1]),
				       tender_name((enum tender_kind)i)) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	jkey(b, "tenders", false);
	jadd(b, "{", 1);
	for (size_t i = 0; i < TENDER__COUNT; i++)
		jint(b, tender_name((enum tender_kind)order[i]), i == 0, tenders[order[i]]);
	jadd(b, "}", 1);
}

static void
jclosing(struct strbuf *b, const struct journal_closing *c)
{
	jkey(b, "closing", false);
	jadd(b, "{", 1);
	jint(b, "first_seq", true, (int64_t)c->first_seq);
	jint(b, "last_seq", false, (int64_t)c->last_seq);
	jint(b, "number", false, (int64_t)c->number);
	jint(b, "period", false, c->period);
	jint(b, "perpetual", false, c->perpetual);
	jint(b, "perpetual_prev", false, c->perpetual_prev);
	jint(b, "records", false, (int64_t)c->records);
	jint(b, "refunds", false, (int64_t)c->refunds);
	jint(b, "refunds_total", false, c->refunds_total);
	jint(b, "reloads", false, (int64_t)c->reloads);
	jint(b, "reloads_total", false, c->reloads_total);
	jint(b, "sales", false, (int64_t)c->sales);
	jint(b, "sales_total", false, c->sales_total);
	jint(b, "ssa", false, c->ssa_total);
	jtenders_by_name(b, c->tenders);
	jint(b, "total", false, c->total);
	jvat(b, "vat", false, &c->vat);
	jint(b, "voids", false, (int64_t)c->voids);
	jint(b, "voids_total", false, c->voids_total);
	jadd(b, "}", 1);
}

static void
jline(struct strbuf *b, const struct journal_line *l)
{
	jadd(b, "{", 1);
	jint(b, "amount", true, l->amount);
	jstr(b, "cat", false, l->category);
	jstr(b, "code", false, l->code);
	jint(b, "covered", false, l->covered);
	jint(b, "grams", false, l->grams);
	jstr(b, "list", false, l->list_caisse);
	jint(b, "list_v", false, l->list_version);
	jstr(b, "name", false, l->name);
	jint(b, "paid_ssa", false, l->paid_ssa);
	jint(b, "qty", false, l->qty);
	jstr(b, "reason", false, convention_reason_name(l->reason));
	jint(b, "unit_price", false, l->unit_price);
	jint(b, "vat", false, l->vat_bp);
	jadd(b, "}", 1);
}

static bool
strings_utf8_ok(const struct journal_record *r)
{
	if (!utf8_ok(r->operator_id) || !utf8_ok(r->card) || !utf8_ok(r->reload.grant_id))
		return false;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct journal_line *l = &r->lines[i];
		if (!utf8_ok(l->code) || !utf8_ok(l->name) || !utf8_ok(l->category) ||
		    !utf8_ok(l->list_caisse))
			return false;
	}
	return utf8_ok(r->establishment) && utf8_ok(r->terminal) && utf8_ok(r->software);
}

/* A capacity that holds the encoding of @p r in all but unusual cases (names full of quotes):
 * about 200 bytes a line are written, the fixed part is about 700. */
static size_t
encode_size_hint(const struct journal_record *r)
{
	return 2048 + r->n_lines * 512 + r->n_tenders * 96;
}

/* Append the canonical encoding of @p r to @p b (whose sticky error tells a failure). */
static enum ssa_err
encode_into(const struct journal_record *r, bool with_sig, struct strbuf *b_)
{
	struct strbuf b = *b_;

	if (journal_record_check(r, NULL) != SSA_ERR_OK || !strings_utf8_ok(r))
		return SSA_ERR_JOURNAL_FORMAT;
	jadd(&b, "{", 1);
	jbalance(&b, "bal_after", true, r->balance_after);
	jbalance(&b, "bal_before", false, r->balance_before);
	jstr(&b, "card", false, r->card);
	if (journal_kind_is_closing(r->kind))
		jclosing(&b, &r->closing);
	else
		jadd(&b, ",\"closing\":null", 15);
	jstr(&b, "est", false, r->establishment);
	jhex(&b, "key", false, r->key_id, sizeof(r->key_id));
	jstr(&b, "kind", false, journal_kind_name(r->kind));
	jkey(&b, "lines", false);
	jadd(&b, "[", 1);
	for (size_t i = 0; i < r->n_lines; i++) {
		if (i)
			jadd(&b, ",", 1);
		jline(&b, &r->lines[i]);
	}
	jadd(&b, "]", 1);
	jint(&b, "link", false, (int64_t)r->link_seq);
	jstr(&b, "op", false, r->operator_id);
	jhex(&b, "prev", false, r->prev, sizeof(r->prev));
	if (r->kind == JOURNAL_RELOAD) {
		jkey(&b, "reload", false);
		jadd(&b, "{", 1);
		jint(&b, "amount", true, r->reload.amount);
		jint(&b, "expired", false, r->reload.expired);
		jstr(&b, "grant", false, r->reload.grant_id);
		jint(&b, "period", false, r->reload.period);
		jadd(&b, "}", 1);
	} else {
		jadd(&b, ",\"reload\":null", 14);
	}
	jint(&b, "seq", false, (int64_t)r->seq);
	if (with_sig)
		jhex(&b, "sig", false, r->sig, sizeof(r->sig));
	else
		jstr(&b, "sig", false, "");
	jint(&b, "ssa", false, r->ssa_covered);
	jstr(&b, "sw", false, r->software);
	jkey(&b, "tenders", false);
	jadd(&b, "[", 1);
	for (size_t i = 0; i < r->n_tenders; i++) {
		const struct journal_tender *t = &r->tenders[i];
		jadd(&b, i ? ",{" : "{", i ? 2 : 1);
		jint(&b, "amount", true, t->amount);
		jint(&b, "change", false, t->change);
		jint(&b, "given", false, t->given);
		jstr(&b, "kind", false, tender_name(t->kind));
		jadd(&b, "}", 1);
	}
	jadd(&b, "]", 1);
	jstr(&b, "term", false, r->terminal);
	jint(&b, "time", false, r->time_ms);
	jint(&b, "total", false, r->total);
	jint(&b, "v", false, JOURNAL_FORMAT_VERSION);
	jvat(&b, "vat", false, &r->vat);
	jadd(&b, "}", 1);
	*b_ = b;
	return b.err;
}

/* A strbuf with room for @p cap bytes (none when out of memory: strbuf_add reports it). */
static void
sized_strbuf(struct strbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if ((b->data = malloc(cap)) != NULL) {
		b->cap = cap;
		b->data[0] = '\0';
	}
}

static enum ssa_err
encode(const struct journal_record *r, bool with_sig, char **out, size_t *len)
{
	struct strbuf b;
	enum ssa_err e;

	sized_strbuf(&b, encode_size_hint(r));
	if ((e = encode_into(r, with_sig, &b)) != SSA_ERR_OK) {
		strbuf_fini(&b);
		return e;
	}
	return strbuf_finish(&b, out, len);
}

enum ssa_err
journal_record_encode(const struct journal_record *r, char **out, size_t *len)
{
	return encode(r, true, out, len);
}

/* --- decoding --------------------------------------------------------------------------- */

struct dec {
	const char *why;
};

static json_t *
field(struct dec *d, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL && d->why == NULL)
		d->why = "a field is missing";
	return v;
}

static int64_t
get_int(struct dec *d, json_t *o, const char *key)
{
	json_t *v = field(d, o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v)) {
		if (d->why == NULL)
			d->why = "a number field is not an integer";
		return 0;
	}
	return json_integer_value(v);
}

static uint64_t
get_u64(struct dec *d, json_t *o, const char *key)
{
	int64_t v = get_int(d, o, key);

	if (v < 0) {
		if (d->why == NULL)
			d->why = "a count or sequence number is negative";
		return 0;
	}
	return (uint64_t)v;
}

static int64_t
get_balance(struct dec *d, json_t *o, const char *key)
{
	json_t *v = field(d, o, key);

	if (v != NULL && json_is_null(v))
		return JOURNAL_NONE;
	return get_int(d, o, key);
}

static void
get_str(struct dec *d, json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = field(d, o, key);
	const char *s;

	dst[0] = '\0';
	if (v == NULL)
		return;
	if (!json_is_string(v)) {
		if (d->why == NULL)
			d->why = "a text field is not a string";
		return;
	}
	s = json_string_value(v);
	if (json_string_length(v) >= size || strlen(s) != json_string_length(v)) {
		if (d->why == NULL)
			d->why = "a text field is too long";
		return;
	}
	memcpy(dst, s, json_string_length(v) + 1);
}

static void
get_hex(struct dec *d, json_t *o, const char *key, uint8_t *dst, size_t n)
{
	char buf[2 * JOURNAL_SIG_LEN + 2];

	get_str(d, o, key, buf, sizeof(buf));
	if (d->why == NULL && !unhex(buf, dst, n))
		d->why = "a hash, key id or signature is not lowercase hex of the right length";
}

static void
get_vat(struct dec *d, json_t *o, const char *key, struct vat_summary *v)
{
	json_t *a = field(d, o, key), *x;
	size_t i;

	vat_summary_init(v);
	if (a == NULL)
		return;
	if (!json_is_array(a) || json_array_size(a) > VAT_MAX_RATES) {
		if (d->why == NULL)
			d->why = "VAT totals are not a list of at most 8 rates";
		return;
	}
	json_array_foreach(a, i, x)
	{
		if (!json_is_object(x)) {
			if (d->why == NULL)
				d->why = "a VAT total is not an object";
			return;
		}
		v->rates[i].rate_bp = get_int(d, x, "rate");
		v->rates[i].gross = get_int(d, x, "gross");
		v->rates[i].vat = get_int(d, x, "vat");
		v->rates[i].net = get_int(d, x, "net");
	}
	v->n = json_array_size(a);
}

static void
get_closing(struct dec *d, json_t *o, struct journal_closing *c)
{
	json_t *t = field(d, o, "tenders");

	if (t == NULL)
		return;
	if (!json_is_object(t)) {
		if (d->why == NULL)
			d->why = "closing tenders are not an object";
		return;
	}
	for (size_t i = 0; i < TENDER__COUNT; i++)
		c->tenders[i] = get_int(d, t, tender_name((enum tender_kind)i));
	c->period = (int32_t)get_int(d, o, "period");
	if (get_int(d, o, "period") != c->period && d->why == NULL)
		d->why = "closing period out of range";
	c->number = get_u64(d, o, "number");
	c->first_seq = get_u64(d, o, "first_seq");
	c->last_seq = get_u64(d, o, "last_seq");
	c->records = get_u64(d, o, "records");
	c->sales = get_u64(d, o, "sales");
	c->voids = get_u64(d, o, "voids");
	c->refunds = get_u64(d, o, "refunds");
	c->reloads = get_u64(d, o, "reloads");
	c->sales_total = get_int(d, o, "sales_total");
	c->voids_total = get_int(d, o, "voids_total");
	c->refunds_total = get_int(d, o, "refunds_total");
	c->reloads_total = get_int(d, o, "reloads_total");
	c->total = get_int(d, o, "total");
	c->ssa_total = get_int(d, o, "ssa");
	get_vat(d, o, "vat", &c->vat);
	c->perpetual_prev = get_int(d, o, "perpetual_prev");
	c->perpetual = get_int(d, o, "perpetual");
}

static void
get_lines(struct dec *d, json_t *o, struct journal_record *r)
{
	json_t *a = field(d, o, "lines"), *x;
	size_t i;

	if (a == NULL)
		return;
	if (!json_is_array(a) || json_array_size(a) > JOURNAL_MAX_LINES) {
		if (d->why == NULL)
			d->why = "lines are not a list of at most 1000 lines";
		return;
	}
	json_array_foreach(a, i, x)
	{
		struct journal_line l;
		char reason[32];
		int64_t lv;
		bool found = false;

		memset(&l, 0, sizeof(l));
		if (!json_is_object(x)) {
			if (d->why == NULL)
				d->why = "a line is not an object";
			return;
		}
		get_str(d, x, "code", l.code, sizeof(l.code));
		get_str(d, x, "name", l.name, sizeof(l.name));
		get_str(d, x, "cat", l.category, sizeof(l.category));
		l.qty = get_int(d, x, "qty");
		l.grams = get_int(d, x, "grams");
		l.unit_price = get_int(d, x, "unit_price");
		l.amount = get_int(d, x, "amount");
		l.vat_bp = get_int(d, x, "vat");
		l.covered = get_int(d, x, "covered");
		l.paid_ssa = get_int(d, x, "paid_ssa");
		get_str(d, x, "reason", reason, sizeof(reason));
		for (unsigned k = 0; k < CONVENTION__REASON_COUNT && d->why == NULL; k++)
			if (strcmp(reason, convention_reason_name((enum convention_reason)k)) == 0) {
				l.reason = (enum convention_reason)k;
				found = true;
			}
		if (!found && d->why == NULL)
			d->why = "a line has an unknown decision reason";
		get_str(d, x, "list", l.list_caisse, sizeof(l.list_caisse));
		lv = get_int(d, x, "list_v");
		if ((lv < 0 || lv > UINT32_MAX) && d->why == NULL)
			d->why = "a list version is out of range";
		l.list_version = (uint32_t)lv;
		if (d->why != NULL)
			return;
		if (journal_record_add_line(r, &l) != SSA_ERR_OK) {
			d->why = "out of memory";
			return;
		}
	}
}

static void
get_tenders(struct dec *d, json_t *o, struct journal_record *r)
{
	json_t *a = field(d, o, "tenders"), *x;
	size_t i;

	if (a == NULL)
		return;
	if (!json_is_array(a) || json_array_size(a) > JOURNAL_MAX_TENDERS) {
		if (d->why == NULL)
			d->why = "tenders are not a list of at most 8 tenders";
		return;
	}
	json_array_foreach(a, i, x)
	{
		struct journal_tender t;
		char kind[32];
		bool found = false;

		memset(&t, 0, sizeof(t));
		if (!json_is_object(x)) {
			if (d->why == NULL)
				d->why = "a tender is not an object";
			return;
		}
		get_str(d, x, "kind", kind, sizeof(kind));
		for (unsigned k = 0; k < TENDER__COUNT; k++)
			if (strcmp(kind, tender_name((enum tender_kind)k)) == 0) {
				t.kind = (enum tender_kind)k;
				found = true;
			}
		if (!found && d->why == NULL)
			d->why = "a tender has an unknown kind";
		t.amount = get_int(d, x, "amount");
		t.given = get_int(d, x, "given");
		t.change = get_int(d, x, "change");
		if (d->why != NULL)
			return;
		r->tenders[r->n_tenders++] = t;
	}
}

enum ssa_err
journal_record_decode(const void *buf, size_t len, struct journal_record *r, const char **why)
{
	struct dec d = { NULL };
	json_error_t jerr;
	json_t *o = NULL, *x;
	char kind[32], *again = NULL;
	size_t again_len = 0;
	enum ssa_err e = SSA_ERR_JOURNAL_FORMAT;

	journal_record_init(r, JOURNAL_SALE);
	if (buf == NULL || len == 0 || len > JOURNAL_MAX_BYTES) {
		d.why = "empty or oversized record";
		goto out;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		d.why = "not a JSON object";
		goto out;
	}
	if (get_int(&d, o, "v") != JOURNAL_FORMAT_VERSION && d.why == NULL)
		d.why = "unknown record format version";
	get_str(&d, o, "kind", kind, sizeof(kind));
	if (d.why == NULL && journal_kind_parse(kind, &r->kind) != SSA_ERR_OK)
		d.why = "unknown record kind";
	get_str(&d, o, "est", r->establishment, sizeof(r->establishment));
	get_str(&d, o, "term", r->terminal, sizeof(r->terminal));
	get_str(&d, o, "sw", r->software, sizeof(r->software));
	r->seq = get_u64(&d, o, "seq");
	r->time_ms = get_int(&d, o, "time");
	get_str(&d, o, "op", r->operator_id, sizeof(r->operator_id));
	get_str(&d, o, "card", r->card, sizeof(r->card));
	r->balance_before = get_balance(&d, o, "bal_before");
	r->balance_after = get_balance(&d, o, "bal_after");
	get_lines(&d, o, r);
	get_tenders(&d, o, r);
	get_vat(&d, o, "vat", &r->vat);
	r->total = get_int(&d, o, "total");
	r->ssa_covered = get_int(&d, o, "ssa");
	r->link_seq = get_u64(&d, o, "link");
	x = field(&d, o, "reload");
	if (x != NULL && json_is_object(x)) {
		get_str(&d, x, "grant", r->reload.grant_id, sizeof(r->reload.grant_id));
		r->reload.period = (int32_t)get_int(&d, x, "period");
		if (get_int(&d, x, "period") != r->reload.period && d.why == NULL)
			d.why = "grant period out of range";
		r->reload.amount = get_int(&d, x, "amount");
		r->reload.expired = get_int(&d, x, "expired");
	} else if (x != NULL && !json_is_null(x) && d.why == NULL) {
		d.why = "reload is neither an object nor null";
	}
	x = field(&d, o, "closing");
	if (x != NULL && json_is_object(x))
		get_closing(&d, x, &r->closing);
	else if (x != NULL && !json_is_null(x) && d.why == NULL)
		d.why = "closing is neither an object nor null";
	get_hex(&d, o, "key", r->key_id, sizeof(r->key_id));
	get_hex(&d, o, "prev", r->prev, sizeof(r->prev));
	get_hex(&d, o, "sig", r->sig, sizeof(r->sig));
	if (d.why != NULL)
		goto out;
	if (journal_record_check(r, &d.why) != SSA_ERR_OK)
		goto out;
	/* The one canonicality test: the same bytes come out again. */
	if ((e = journal_record_encode(r, &again, &again_len)) != SSA_ERR_OK) {
		d.why = "record does not encode again";
		e = e == SSA_ERR_NOMEM ? e : SSA_ERR_JOURNAL_FORMAT;
		goto out;
	}
	if (again_len != len || memcmp(again, buf, len) != 0) {
		d.why = "record is not in canonical form (spacing, key order, escapes or extra "
			"fields)";
		e = SSA_ERR_JOURNAL_FORMAT;
		goto out;
	}
	e = SSA_ERR_OK;
out:
	free(again);
	json_decref(o);
	if (e != SSA_ERR_OK) {
		journal_record_fini(r);
		journal_record_init(r, JOURNAL_SALE);
		if (e == SSA_ERR_OK || d.why == NULL)
			d.why = "record is malformed";
	}
	if (why != NULL)
		*why = e == SSA_ERR_OK ? NULL : d.why;
	return e;
}

/* --- hashing and signatures ------------------------------------------------------------- */

enum ssa_err
journal_hash(const void *buf, size_t len, uint8_t out[JOURNAL_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1 || n != JOURNAL_HASH_LEN)
		return SSA_ERR_CRYPTO;
	return SSA_ERR_OK;
}

enum ssa_err
journal_key_id(const uint8_t pub[32], uint8_t key_id[JOURNAL_KEY_ID_LEN])
{
	uint8_t h[JOURNAL_HASH_LEN];
	enum ssa_err e = journal_hash(pub, 32, h);

	if (e == SSA_ERR_OK)
		memcpy(key_id, h, JOURNAL_KEY_ID_LEN);
	return e;
}

struct journal_signer {
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	uint8_t pub[32];
	uint8_t key_id[JOURNAL_KEY_ID_LEN];
};

enum ssa_err
journal_signer_new(const uint8_t priv[32], struct journal_signer **out)
{
	struct journal_signer *s = calloc(1, sizeof(*s));
	size_t n = 32;
	enum ssa_err e = SSA_ERR_OK;

	if (s == NULL)
		return SSA_ERR_NOMEM;
	s->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (s->key == NULL) {
		e = SSA_ERR_KEY;
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(s->key, s->pub, &n) != 1 || n != 32) {
		e = SSA_ERR_CRYPTO;
		goto out;
	}
	if ((s->ctx = EVP_MD_CTX_new()) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	e = journal_key_id(s->pub, s->key_id);
out:
	if (e != SSA_ERR_OK) {
		journal_signer_free(s);
		s = NULL;
	}
	*out = s;
	return e;
}

void
journal_signer_free(struct journal_signer *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ctx);
	EVP_PKEY_free(s->key);
	free(s);
}

void
journal_signer_public(const struct journal_signer *s, uint8_t pub[32],
		      uint8_t key_id[JOURNAL_KEY_ID_LEN])
{
	if (pub != NULL)
		memcpy(pub, s->pub, 32);
	if (key_id != NULL)
		memcpy(key_id, s->key_id, JOURNAL_KEY_ID_LEN);
}

#define EMPTY_SIG ",\"sig\":\"\","

enum ssa_err
journal_seal(struct journal_record *r, uint64_t prev_seq, const uint8_t *prev_hash,
	     const struct journal_signer *signer, char **out, size_t *len,
	     uint8_t hash[JOURNAL_HASH_LEN])
{
	struct strbuf msg;
	size_t siglen = JOURNAL_SIG_LEN, body_len, enc_len, head;
	size_t dl = sizeof(JOURNAL_SIG_DOMAIN);
	char *enc = NULL, *at;
	const char *body;
	enum ssa_err e;

	if (r == NULL || signer == NULL || out == NULL || len == NULL || prev_seq >= INT64_MAX)
		return SSA_ERR_INVAL;
	r->seq = prev_seq + 1;
	if (prev_hash != NULL)
		memcpy(r->prev, prev_hash, JOURNAL_HASH_LEN);
	else
		memset(r->prev, 0, JOURNAL_HASH_LEN);
	memcpy(r->key_id, signer->key_id, JOURNAL_KEY_ID_LEN);
	memset(r->sig, 0, JOURNAL_SIG_LEN);
	/* The signed message is JOURNAL_SIG_DOMAIN, its NUL, then the body (the encoding with an
	 * empty "sig"): the body is encoded right after the domain, in one buffer. */
	sized_strbuf(&msg, dl + encode_size_hint(r));
	strbuf_add(&msg, JOURNAL_SIG_DOMAIN, dl);
	if ((e = encode_into(r, false, &msg)) != SSA_ERR_OK)
		goto out;
	body = msg.data + dl;
	body_len = msg.len - dl;
	if (EVP_DigestSignInit(signer->ctx, NULL, NULL, NULL, signer->key) != 1 ||
	    EVP_DigestSign(signer->ctx, r->sig, &siglen, (const uint8_t *)msg.data, msg.len) != 1 ||
	    siglen != JOURNAL_SIG_LEN) {
		e = SSA_ERR_CRYPTO;
		goto out;
	}
	/* The final encoding is the body with the signature put into "sig" (encoding it again
	 * gives the same bytes: the unit tests check it).  The top-level "sig" is never the first
	 * nor the last key, and inside a JSON string a quote is always escaped, so the pattern
	 * occurs exactly once. */
	at = strstr(body, EMPTY_SIG);
	if (at == NULL) {
		e = SSA_ERR_JOURNAL_FORMAT;
		goto out;
	}
	head = (size_t)(at - body) + strlen(EMPTY_SIG) - 2; /* up to and with the opening quote */
	enc_len = body_len + 2 * JOURNAL_SIG_LEN;
	if ((enc = malloc(enc_len + 1)) == NULL) {
		e = SSA_ERR_NOMEM;
		goto out;
	}
	memcpy(enc, body, head);
	journal_hex(r->sig, JOURNAL_SIG_LEN, enc + head);
	memcpy(enc + head + 2 * JOURNAL_SIG_LEN, body + head, body_len - head + 1);
	if (hash != NULL && (e = journal_hash(enc, enc_len, hash)) != SSA_ERR_OK)
		goto out;
	*out = enc;
	*len = enc_len;
	enc = NULL;
out:
	free(enc);
	strbuf_fini(&msg);
	return e;
}

enum ssa_err
journal_record_verify(const struct journal_record *r, const uint8_t pub[32])
{
	uint8_t kid[JOURNAL_KEY_ID_LEN];
	size_t dl = sizeof(JOURNAL_SIG_DOMAIN);
	struct strbuf msg;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum ssa_err e;

	if ((e = journal_key_id(pub, kid)) != SSA_ERR_OK)
		return e;
	if (memcmp(kid, r->key_id, sizeof(kid)) != 0)
		return SSA_ERR_JOURNAL_KEY;
	/* the signed message: JOURNAL_SIG_DOMAIN, its NUL, the encoding with an empty "sig" */
	sized_strbuf(&msg, dl + encode_size_hint(r));
	strbuf_add(&msg, JOURNAL_SIG_DOMAIN, dl);
	if ((e = encode_into(r, false, &msg)) != SSA_ERR_OK)
		goto out;
	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ctx = EVP_MD_CTX_new();
	if (key == NULL || ctx == NULL) {
		e = key == NULL ? SSA_ERR_KEY : SSA_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		e = SSA_ERR_CRYPTO;
		goto out;
	}
	e = EVP_DigestVerify(ctx, r->sig, JOURNAL_SIG_LEN, (const uint8_t *)msg.data, msg.len) == 1
		    ? SSA_ERR_OK
		    : SSA_ERR_JOURNAL_SIGNATURE;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	strbuf_fini(&msg);
	return e;
}

/* --- chains ----------------------------------------------------------------------------- */

enum ssa_err
journal_chain_init(struct journal_chain *c, const uint8_t pub[32])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->pub, pub, 32);
	return journal_key_id(pub, c->key_id);
}

enum ssa_err
journal_chain_init_at(struct journal_chain *c, const uint8_t pub[32], uint64_t last_seq,
		      const uint8_t last_hash[JOURNAL_HASH_LEN])
{
	enum ssa_err e = journal_chain_init(c, pub);

	c->last_seq = last_seq;
	memcpy(c->last_hash, last_hash, JOURNAL_HASH_LEN);
	return e;
}

enum ssa_err
journal_chain_next(struct journal_chain *c, uint64_t pos, const void *buf, size_t len,
		   struct journal_record *out)
{
	struct journal_record r;
	const char *why = NULL;
	char want[2 * JOURNAL_KEY_ID_LEN + 1], got[2 * JOURNAL_KEY_ID_LEN + 1];
	uint8_t h[JOURNAL_HASH_LEN];
	enum ssa_err e;

	c->bad_seq = pos;
	c->why[0] = '\0';
	e = journal_record_decode(buf, len, &r, &why);
	if (e != SSA_ERR_OK) {
		snprintf(c->why, sizeof(c->why), "record %llu is malformed: %s",
			 (unsigned long long)pos, why);
		goto out;
	}
	if (r.seq != pos) {
		e = SSA_ERR_JOURNAL_ORDER;
		snprintf(c->why, sizeof(c->why),
			 "record stored at position %llu carries sequence number %llu "
			 "(reordered or renumbered)",
			 (unsigned long long)pos, (unsigned long long)r.seq);
		goto out;
	}
	if (pos != c->last_seq + 1) {
		if (pos > c->last_seq + 1) {
			e = SSA_ERR_JOURNAL_SEQ;
			if (pos - c->last_seq == 2)
				snprintf(c->why, sizeof(c->why),
					 "record %llu is missing (deleted): record %llu follows "
					 "record %llu",
					 (unsigned long long)c->last_seq + 1, (unsigned long long)pos,
					 (unsigned long long)c->last_seq);
			else
				snprintf(c->why, sizeof(c->why),
					 "records %llu to %llu are missing (deleted)",
					 (unsigned long long)c->last_seq + 1,
					 (unsigned long long)pos - 1);
		} else {
			e = SSA_ERR_JOURNAL_ORDER;
			snprintf(c->why, sizeof(c->why),
				 "record %llu comes after record %llu (reordered or duplicated)",
				 (unsigned long long)pos, (unsigned long long)c->last_seq);
		}
		goto out;
	}
	if (memcmp(r.key_id, c->key_id, JOURNAL_KEY_ID_LEN) != 0) {
		e = SSA_ERR_JOURNAL_KEY;
		journal_hex(r.key_id, JOURNAL_KEY_ID_LEN, got);
		journal_hex(c->key_id, JOURNAL_KEY_ID_LEN, want);
		snprintf(c->why, sizeof(c->why),
			 "record %llu is signed by another key (key id %s, expected %s)",
			 (unsigned long long)pos, got, want);
		goto out;
	}
	e = journal_record_verify(&r, c->pub);
	if (e != SSA_ERR_OK) {
		snprintf(c->why, sizeof(c->why),
			 "record %llu: signature does not verify (content changed after signing)",
			 (unsigned long long)pos);
		goto out;
	}
	if (memcmp(r.prev, c->last_hash, JOURNAL_HASH_LEN) != 0) {
		e = SSA_ERR_JOURNAL_CHAIN;
		if (c->last_seq == 0)
			snprintf(c->why, sizeof(c->why),
				 "record %llu: previous-record hash is not the genesis (zeros)",
				 (unsigned long long)pos);
		else
			snprintf(c->why, sizeof(c->why),
				 "record %llu: previous-record hash does not match record %llu "
				 "(a record was replaced)",
				 (unsigned long long)pos, (unsigned long long)c->last_seq);
		goto out;
	}
	if ((e = journal_hash(buf, len, h)) != SSA_ERR_OK)
		goto out;
	c->last_seq = pos;
	memcpy(c->last_hash, h, JOURNAL_HASH_LEN);
	c->count++;
	c->bad_seq = 0;
out:
	if (out != NULL && e == SSA_ERR_OK)
		*out = r;
	else
		journal_record_fini(&r);
	return e;
}
