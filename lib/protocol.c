/* protocol.c — JSON encoding and decoding of the sync protocol's messages (docs/protocol.md). */
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/money.h"
#include "ssa/protocol.h"
#include "ssa/strbuf.h"

static void why_set(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
why_set(char *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	vsnprintf(why, PROTOCOL_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* Dump @p j compactly into a malloc'd string; consumes the reference. */
static enum ssa_err
dump(json_t *j, char **out, size_t *len)
{
	char *s;

	if (!j)
		return SSA_ERR_NOMEM;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!s)
		return SSA_ERR_NOMEM;
	*out = s;
	if (len)
		*len = strlen(s);
	return SSA_ERR_OK;
}

/* Parse @p len bytes as one JSON object; refuse duplicate keys. */
static enum ssa_err
load_object(const void *buf, size_t len, size_t max, json_t **out, char *why)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (len > max) {
		why_set(why, "body of %zu bytes is over the limit of %zu", len, max);
		return SSA_ERR_PROTOCOL;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		why_set(why, "not JSON: %s (byte %d)", jerr.text, jerr.position);
		return SSA_ERR_PROTOCOL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		why_set(why, "not a JSON object");
		return SSA_ERR_PROTOCOL;
	}
	*out = j;
	return SSA_ERR_OK;
}

/* Every key of @p obj must be one of the NULL-terminated @p keys. */
static enum ssa_err
only_keys(json_t *obj, const char *const *keys, const char *what, char *why)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; keys[i]; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (!keys[i]) {
			why_set(why, "unknown key \"%.40s\" in %s", k, what);
			return SSA_ERR_PROTOCOL;
		}
	}
	return SSA_ERR_OK;
}

static enum ssa_err
get_u64(json_t *obj, const char *key, bool required, uint64_t *out, char *why)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v) {
		if (!required)
			return SSA_ERR_OK;
		why_set(why, "\"%s\" is missing", key);
		return SSA_ERR_PROTOCOL;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		why_set(why, "\"%s\" is not a non-negative integer", key);
		return SSA_ERR_PROTOCOL;
	}
	*out = (uint64_t)json_integer_value(v);
	return SSA_ERR_OK;
}

static enum ssa_err
get_i64(json_t *obj, const char *key, int64_t *out, char *why)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) > MONEY_MAX ||
	    json_integer_value(v) < -MONEY_MAX) {
		why_set(why, "\"%s\" is missing or not an amount in cents", key);
		return SSA_ERR_PROTOCOL;
	}
	*out = (int64_t)json_integer_value(v);
	return SSA_ERR_OK;
}

/* Copy string @p key of @p obj into @p dst (@p size bytes with the NUL). */
static enum ssa_err
get_str(json_t *obj, const char *key, bool required, char *dst, size_t size, char *why)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	dst[0] = '\0';
	if (!v) {
		if (!required)
			return SSA_ERR_OK;
		why_set(why, "\"%s\" is missing", key);
		return SSA_ERR_PROTOCOL;
	}
	if (!json_is_string(v)) {
		why_set(why, "\"%s\" is not a string", key);
		return SSA_ERR_PROTOCOL;
	}
	n = json_string_length(v);
	if (n >= size) {
		why_set(why, "\"%s\" is longer than %zu bytes", key, size - 1);
		return SSA_ERR_PROTOCOL;
	}
	memcpy(dst, json_string_value(v), n + 1);
	return SSA_ERR_OK;
}

int
protocol_id_valid(const char *id)
{
	size_t n = 0;

	if (!id)
		return 0;
	for (; id[n]; n++) {
		char c = id[n];

		if (n >= PROTOCOL_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

/* --- errors ---------------------------------------------------------------------------------- */

enum ssa_err
protocol_error_encode(const char *name, const char *message, uint64_t seq, char **out,
		      size_t *len)
{
	char msg[PROTOCOL_MESSAGE_MAX + 1];
	size_t n = strlen(message);
	json_t *j;

	if (n > PROTOCOL_MESSAGE_MAX) {
		n = PROTOCOL_MESSAGE_MAX;
		/* back off to the start of a UTF-8 sequence */
		while (n > 0 && ((unsigned char)message[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(msg, message, n);
	msg[n] = '\0';
	j = json_pack("{s:s, s:s}", "error", name, "message", msg);
	if (!j)
		return SSA_ERR_INVAL; /* not UTF-8 */
	if (seq && json_object_set_new(j, "seq", json_integer((json_int_t)seq)) != 0) {
		json_decref(j);
		return SSA_ERR_NOMEM;
	}
	return dump(j, out, len);
}

enum ssa_err
protocol_error_decode(const void *buf, size_t len, struct protocol_error *e, char *why)
{
	static const char *const keys[] = { "error", "message", "seq", NULL };
	enum ssa_err err;
	json_t *j;

	memset(e, 0, sizeof(*e));
	err = load_object(buf, len, 64 * 1024, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "error body", why)) ||
	    (err = get_str(j, "error", true, e->name, sizeof(e->name), why)) ||
	    (err = get_str(j, "message", true, e->message, sizeof(e->message), why)) ||
	    (err = get_u64(j, "seq", false, &e->seq, why)))
		goto out;
	if (!e->name[0]) {
		why_set(why, "\"error\" is empty");
		err = SSA_ERR_PROTOCOL;
	}
out:
	json_decref(j);
	return err;
}

/* --- journal push ---------------------------------------------------------------------------- */

void
protocol_push_init(struct protocol_push *p)
{
	memset(p, 0, sizeof(*p));
}

void
protocol_push_fini(struct protocol_push *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->rec[i].data);
	free(p->rec);
	memset(p, 0, sizeof(*p));
}

enum ssa_err
protocol_push_add(struct protocol_push *p, uint64_t seq, const char *data, size_t len)
{
	struct protocol_record *r;
	char *copy;

	if (p->n >= PROTOCOL_PUSH_MAX_RECORDS || len > PROTOCOL_RECORD_MAX_BYTES)
		return SSA_ERR_TOO_LONG;
	if (seq == 0 || seq > (uint64_t)INT64_MAX || (p->n && seq <= p->rec[p->n - 1].seq) ||
	    len == 0 || memchr(data, '\0', len))
		return SSA_ERR_INVAL;
	/* grow by doubling: n is a power of two or not, capacity is the next power of two */
	if ((p->n & (p->n - 1)) == 0) {
		size_t cap = p->n ? p->n * 2 : 16;

		r = realloc(p->rec, cap * sizeof(*r));
		if (!r)
			return SSA_ERR_NOMEM;
		p->rec = r;
	}
	copy = malloc(len + 1);
	if (!copy)
		return SSA_ERR_NOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	p->rec[p->n].seq = seq;
	p->rec[p->n].data = copy;
	p->rec[p->n].len = len;
	p->n++;
	return SSA_ERR_OK;
}

enum ssa_err
protocol_push_encode(const struct protocol_push *p, char **out, size_t *len)
{
	json_t *j = json_object(), *a = json_array();

	if (!j || !a)
		goto nomem;
	if (json_object_set_new(j, "records", a) != 0) {
		a = NULL;
		goto nomem;
	}
	for (size_t i = 0; i < p->n; i++) {
		json_t *r = json_pack("{s:I, s:s#}", "seq", (json_int_t)p->rec[i].seq, "data",
				      p->rec[i].data, p->rec[i].len);

		if (!r || json_array_append_new(a, r) != 0)
			goto nomem_j; /* json_pack fails on invalid UTF-8 too */
	}
	return dump(j, out, len);
nomem:
	json_decref(a);
nomem_j:
	json_decref(j);
	return SSA_ERR_NOMEM;
}

enum ssa_err
protocol_push_decode(const void *buf, size_t len, struct protocol_push *p, char *why)
{
	static const char *const keys[] = { "records", NULL };
	static const char *const rkeys[] = { "seq", "data", NULL };
	enum ssa_err err;
	json_t *j, *a, *r;
	size_t i;

	protocol_push_init(p);
	err = load_object(buf, len, PROTOCOL_PUSH_MAX_BYTES, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "push", why)))
		goto out;
	err = SSA_ERR_PROTOCOL;
	a = json_object_get(j, "records");
	if (!json_is_array(a)) {
		why_set(why, "\"records\" is missing or not an array");
		goto out;
	}
	if (json_array_size(a) == 0) {
		why_set(why, "\"records\" is empty");
		goto out;
	}
	if (json_array_size(a) > PROTOCOL_PUSH_MAX_RECORDS) {
		why_set(why, "%zu records in one batch, the limit is %d", json_array_size(a),
			PROTOCOL_PUSH_MAX_RECORDS);
		goto out;
	}
	json_array_foreach(a, i, r) {
		uint64_t seq;
		json_t *d;
		enum ssa_err e2;

		if (!json_is_object(r)) {
			why_set(why, "record %zu is not an object", i + 1);
			goto out;
		}
		if ((err = only_keys(r, rkeys, "record", why)) ||
		    (err = get_u64(r, "seq", true, &seq, why)))
			goto out;
		err = SSA_ERR_PROTOCOL;
		d = json_object_get(r, "data");
		if (!json_is_string(d) || json_string_length(d) == 0) {
			why_set(why, "record %zu: \"data\" is missing or not a non-empty string",
				i + 1);
			goto out;
		}
		e2 = protocol_push_add(p, seq, json_string_value(d), json_string_length(d));
		if (e2 == SSA_ERR_NOMEM) {
			err = e2;
			goto out;
		}
		if (e2 == SSA_ERR_TOO_LONG) {
			why_set(why, "record %zu is over %d bytes", i + 1,
				PROTOCOL_RECORD_MAX_BYTES);
			goto out;
		}
		if (e2) {
			why_set(why, "record %zu: seq %llu is zero or not above the previous one",
				i + 1, (unsigned long long)seq);
			goto out;
		}
	}
	err = SSA_ERR_OK;
out:
	json_decref(j);
	if (err)
		protocol_push_fini(p);
	return err;
}

/* --- push reply ------------------------------------------------------------------------------ */

static const char *const outcome_names[] = { [PROTOCOL_STORED] = "stored",
					     [PROTOCOL_DUPLICATE] = "duplicate" };

const char *
protocol_outcome_name(enum protocol_outcome o)
{
	if ((unsigned)o > PROTOCOL_DUPLICATE)
		return "?";
	return outcome_names[o];
}

void
protocol_push_reply_fini(struct protocol_push_reply *r)
{
	if (!r)
		return;
	free(r->res);
	free(r->cards);
	free(r->anomalies);
	memset(r, 0, sizeof(*r));
}

static int card_valid(const char *card);

/* An anomaly kind: 1..PROTOCOL_NAME_MAX bytes of [A-Z0-9_]. */
static bool
kind_valid(const char *k)
{
	size_t n = 0;

	for (; k[n]; n++)
		if (n >= PROTOCOL_NAME_MAX ||
		    !((k[n] >= 'A' && k[n] <= 'Z') || (k[n] >= '0' && k[n] <= '9') || k[n] == '_'))
			return false;
	return n > 0;
}

static bool
card_listed(const struct protocol_push_reply *r, const char *card)
{
	for (size_t i = 0; i < r->n_cards; i++)
		if (strcmp(r->cards[i], card) == 0)
			return true;
	return false;
}

enum ssa_err
protocol_push_reply_add_card(struct protocol_push_reply *r, const char *card)
{
	void *p;

	if (!card_valid(card))
		return SSA_ERR_INVAL;
	if (r->n_cards >= PROTOCOL_PUSH_MAX_RECORDS)
		return SSA_ERR_TOO_LONG;
	if (!(p = realloc(r->cards, (r->n_cards + 1) * sizeof(*r->cards))))
		return SSA_ERR_NOMEM;
	r->cards = p;
	snprintf(r->cards[r->n_cards++], sizeof(*r->cards), "%s", card);
	r->checked = 1;
	return SSA_ERR_OK;
}

enum ssa_err
protocol_push_reply_add_anomaly(struct protocol_push_reply *r, const struct protocol_anomaly *a)
{
	void *p;

	if (!card_listed(r, a->card) || !protocol_id_valid(a->terminal) || a->seq == 0 ||
	    a->seq > INT64_MAX || !kind_valid(a->kind) || a->ledger_balance > MONEY_MAX ||
	    a->ledger_balance < -MONEY_MAX || a->record_balance > MONEY_MAX ||
	    a->record_balance < -MONEY_MAX || a->time_ms < 0)
		return SSA_ERR_INVAL;
	if (r->n_anomalies >= PROTOCOL_ANOMALIES_MAX)
		return SSA_ERR_TOO_LONG;
	if (!(p = realloc(r->anomalies, (r->n_anomalies + 1) * sizeof(*r->anomalies))))
		return SSA_ERR_NOMEM;
	r->anomalies = p;
	r->anomalies[r->n_anomalies++] = *a;
	return SSA_ERR_OK;
}

/* "cards" and "anomalies" into @p j. */
static enum ssa_err
checks_encode(const struct protocol_push_reply *r, json_t *j)
{
	json_t *c = json_array(), *a = json_array();

	if (!c || !a || json_object_set_new(j, "cards", c) != 0) {
		json_decref(a);
		return SSA_ERR_NOMEM;
	}
	if (json_object_set_new(j, "anomalies", a) != 0)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < r->n_cards; i++)
		if (json_array_append_new(c, json_string(r->cards[i])) != 0)
			return SSA_ERR_NOMEM;
	for (size_t i = 0; i < r->n_anomalies; i++) {
		const struct protocol_anomaly *x = &r->anomalies[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I}", "card", x->card,
				      "terminal", x->terminal, "seq", (json_int_t)x->seq, "kind",
				      x->kind, "ledger_balance", (json_int_t)x->ledger_balance,
				      "record_balance", (json_int_t)x->record_balance, "time_ms",
				      (json_int_t)x->time_ms);

		if (!o || json_array_append_new(a, o) != 0)
			return SSA_ERR_NOMEM;
	}
	return SSA_ERR_OK;
}

/* The optional "cards" and "anomalies" of a push reply @p j into @p r. */
static enum ssa_err
checks_decode(json_t *j, struct protocol_push_reply *r, char *why)
{
	static const char *const akeys[] = { "card",	       "terminal",	 "seq",	    "kind",
					     "ledger_balance", "record_balance", "time_ms", NULL };
	json_t *c = json_object_get(j, "cards"), *a = json_object_get(j, "anomalies"), *x;
	enum ssa_err err;
	size_t i;

	if (!c && !a)
		return SSA_ERR_OK;
	if (!json_is_array(c) || json_array_size(c) > PROTOCOL_PUSH_MAX_RECORDS ||
	    !json_is_array(a) || json_array_size(a) > PROTOCOL_ANOMALIES_MAX) {
		why_set(why, "\"cards\" and \"anomalies\" must come together, as arrays of at most "
			     "%d and %d",
			PROTOCOL_PUSH_MAX_RECORDS, PROTOCOL_ANOMALIES_MAX);
		return SSA_ERR_PROTOCOL;
	}
	r->checked = 1;
	json_array_foreach(c, i, x) {
		if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x) ||
		    card_listed(r, json_string_value(x))) {
			why_set(why, "card %zu is not a string or is listed twice", i + 1);
			return SSA_ERR_PROTOCOL;
		}
		err = protocol_push_reply_add_card(r, json_string_value(x));
		if (err == SSA_ERR_NOMEM)
			return err;
		if (err) {
			why_set(why, "card %zu is not a card id", i + 1);
			return SSA_ERR_PROTOCOL;
		}
	}
	json_array_foreach(a, i, x) {
		struct protocol_anomaly an;
		uint64_t t;

		if (!json_is_object(x)) {
			why_set(why, "anomaly %zu is not an object", i + 1);
			return SSA_ERR_PROTOCOL;
		}
		if ((err = only_keys(x, akeys, "anomaly", why)) ||
		    (err = get_str(x, "card", true, an.card, sizeof(an.card), why)) ||
		    (err = get_str(x, "terminal", true, an.terminal, sizeof(an.terminal), why)) ||
		    (err = get_u64(x, "seq", true, &an.seq, why)) ||
		    (err = get_str(x, "kind", true, an.kind, sizeof(an.kind), why)) ||
		    (err = get_i64(x, "ledger_balance", &an.ledger_balance, why)) ||
		    (err = get_i64(x, "record_balance", &an.record_balance, why)) ||
		    (err = get_u64(x, "time_ms", true, &t, why)))
			return err;
		an.time_ms = t > INT64_MAX ? -1 : (int64_t)t;
		err = protocol_push_reply_add_anomaly(r, &an);
		if (err == SSA_ERR_NOMEM)
			return err;
		if (err) {
			why_set(why, "anomaly %zu: a field is out of range or its card is not listed",
				i + 1);
			return SSA_ERR_PROTOCOL;
		}
	}
	return SSA_ERR_OK;
}

enum ssa_err
protocol_push_reply_encode(const struct protocol_push_reply *r, char **out, size_t *len)
{
	json_t *j, *a = json_array();

	if (!a)
		return SSA_ERR_NOMEM;
	j = json_pack("{s:s, s:I, s:o}", "terminal", r->terminal, "last_seq",
		      (json_int_t)r->last_seq, "results", a);
	if (!j)
		return SSA_ERR_NOMEM; /* "o" steals a even on failure */
	for (size_t i = 0; i < r->n; i++) {
		json_t *x = json_pack("{s:I, s:s}", "seq", (json_int_t)r->res[i].seq, "outcome",
				      protocol_outcome_name(r->res[i].outcome));

		if (!x || json_array_append_new(a, x) != 0) {
			json_decref(j);
			return SSA_ERR_NOMEM;
		}
	}
	if (r->checked && checks_encode(r, j) != SSA_ERR_OK) {
		json_decref(j);
		return SSA_ERR_NOMEM;
	}
	return dump(j, out, len);
}

enum ssa_err
protocol_push_reply_decode(const void *buf, size_t len, struct protocol_push_reply *r, char *why)
{
	static const char *const keys[] = { "terminal", "last_seq", "results", "cards",
					    "anomalies", NULL };
	static const char *const rkeys[] = { "seq", "outcome", NULL };
	enum ssa_err err;
	json_t *j, *a, *x;
	size_t i;

	memset(r, 0, sizeof(*r));
	err = load_object(buf, len, PROTOCOL_REPLY_MAX_BYTES, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "push reply", why)) ||
	    (err = get_str(j, "terminal", true, r->terminal, sizeof(r->terminal), why)) ||
	    (err = get_u64(j, "last_seq", true, &r->last_seq, why)))
		goto out;
	err = SSA_ERR_PROTOCOL;
	a = json_object_get(j, "results");
	if (!json_is_array(a) || json_array_size(a) > PROTOCOL_PUSH_MAX_RECORDS) {
		why_set(why, "\"results\" is missing, not an array or too long");
		goto out;
	}
	if (json_array_size(a)) {
		r->res = calloc(json_array_size(a), sizeof(*r->res));
		if (!r->res) {
			err = SSA_ERR_NOMEM;
			goto out;
		}
	}
	json_array_foreach(a, i, x) {
		char name[PROTOCOL_NAME_MAX + 1];
		struct protocol_push_result *res = &r->res[i];

		if (!json_is_object(x)) {
			why_set(why, "result %zu is not an object", i + 1);
			goto out;
		}
		if ((err = only_keys(x, rkeys, "result", why)) ||
		    (err = get_u64(x, "seq", true, &res->seq, why)) ||
		    (err = get_str(x, "outcome", true, name, sizeof(name), why)))
			goto out;
		err = SSA_ERR_PROTOCOL;
		if (strcmp(name, "stored") == 0)
			res->outcome = PROTOCOL_STORED;
		else if (strcmp(name, "duplicate") == 0)
			res->outcome = PROTOCOL_DUPLICATE;
		else {
			why_set(why, "result %zu: unknown outcome \"%s\"", i + 1, name);
			goto out;
		}
		r->n++;
	}
	err = checks_decode(j, r, why);
out:
	json_decref(j);
	return err;
}

/* --- status ---------------------------------------------------------------------------------- */

enum ssa_err
protocol_status_encode(const struct protocol_status *s, char **out, size_t *len)
{
	return dump(json_pack("{s:s, s:s, s:I, s:I}", "terminal", s->terminal, "caisse", s->caisse,
			      "last_seq", (json_int_t)s->last_seq, "records",
			      (json_int_t)s->records),
		    out, len);
}

enum ssa_err
protocol_status_decode(const void *buf, size_t len, struct protocol_status *s, char *why)
{
	static const char *const keys[] = { "terminal", "caisse", "last_seq", "records", NULL };
	enum ssa_err err;
	json_t *j;

	memset(s, 0, sizeof(*s));
	err = load_object(buf, len, 64 * 1024, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "status", why)) ||
	    (err = get_str(j, "terminal", true, s->terminal, sizeof(s->terminal), why)) ||
	    (err = get_str(j, "caisse", true, s->caisse, sizeof(s->caisse), why)) ||
	    (err = get_u64(j, "last_seq", true, &s->last_seq, why)) ||
	    (err = get_u64(j, "records", true, &s->records, why)))
		goto out;
out:
	json_decref(j);
	return err;
}

/* --- settlement ------------------------------------------------------------------------------ */

void
protocol_settlement_fini(struct protocol_settlement *s)
{
	if (!s)
		return;
	free(s->line);
	memset(s, 0, sizeof(*s));
}

enum ssa_err
protocol_settlement_add(struct protocol_settlement *s, const char *terminal, int kind, int64_t ssa)
{
	struct protocol_settlement_line *l = NULL;
	size_t i;
	int64_t sum;
	enum ssa_err err;

	if (!protocol_id_valid(terminal) || kind < 0 || kind > 2 || ssa < 0)
		return SSA_ERR_INVAL;
	for (i = 0; i < s->n; i++) {
		int c = strcmp(s->line[i].terminal, terminal);

		if (c == 0) {
			l = &s->line[i];
			break;
		}
		if (c > 0)
			break;
	}
	if (!l) {
		struct protocol_settlement_line *nl;

		if (s->n >= PROTOCOL_SETTLEMENT_MAX_TERMINALS)
			return SSA_ERR_TOO_LONG;
		nl = realloc(s->line, (s->n + 1) * sizeof(*nl));
		if (!nl)
			return SSA_ERR_NOMEM;
		s->line = nl;
		memmove(&nl[i + 1], &nl[i], (s->n - i) * sizeof(*nl));
		memset(&nl[i], 0, sizeof(*nl));
		snprintf(nl[i].terminal, sizeof(nl[i].terminal), "%s", terminal);
		s->n++;
		l = &nl[i];
	}
	if (kind == 0) {
		if ((err = money_add(l->sales_ssa, ssa, &sum)))
			return err;
		l->sales_ssa = sum;
		l->sales++;
	} else if (kind == 1) {
		if ((err = money_add(l->voids_ssa, ssa, &sum)))
			return err;
		l->voids_ssa = sum;
		l->voids++;
	} else {
		if ((err = money_add(l->refunds_ssa, ssa, &sum)))
			return err;
		l->refunds_ssa = sum;
		l->refunds++;
	}
	if ((err = money_sub(l->owed, kind == 0 ? -ssa : ssa, &l->owed)))
		return err;
	return money_sub(s->owed, kind == 0 ? -ssa : ssa, &s->owed);
}

enum ssa_err
protocol_settlement_encode(const struct protocol_settlement *s, char **out, size_t *len)
{
	json_t *a = json_array(), *j;

	if (!a)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct protocol_settlement_line *l = &s->line[i];
		json_t *x = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "terminal",
				      l->terminal, "sales", (json_int_t)l->sales, "sales_ssa",
				      (json_int_t)l->sales_ssa, "voids", (json_int_t)l->voids,
				      "voids_ssa", (json_int_t)l->voids_ssa, "refunds",
				      (json_int_t)l->refunds, "refunds_ssa",
				      (json_int_t)l->refunds_ssa, "owed", (json_int_t)l->owed);

		if (!x || json_array_append_new(a, x) != 0) {
			json_decref(a);
			return SSA_ERR_NOMEM;
		}
	}
	j = json_pack("{s:s, s:i, s:o, s:I}", "outlet", s->outlet, "period", (int)s->period,
		      "terminals", a, "owed", (json_int_t)s->owed);
	return dump(j, out, len);
}

enum ssa_err
protocol_settlement_csv(const struct protocol_settlement *s, char **out, size_t *len)
{
	struct strbuf b = { 0 };
	char m[5][32];

	strbuf_printf(&b, "outlet,period,terminal,sales,sales_ssa,voids,voids_ssa,refunds,"
			  "refunds_ssa,owed\r\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct protocol_settlement_line *l = &s->line[i];

		money_format_plain(l->sales_ssa, m[0], sizeof(m[0]));
		money_format_plain(l->voids_ssa, m[1], sizeof(m[1]));
		money_format_plain(l->refunds_ssa, m[2], sizeof(m[2]));
		money_format_plain(l->owed, m[3], sizeof(m[3]));
		strbuf_add_csv(&b, s->outlet, ',');
		strbuf_printf(&b, ",%d,", (int)s->period);
		strbuf_add_csv(&b, l->terminal, ',');
		strbuf_printf(&b, ",%llu,%s,%llu,%s,%llu,%s,%s\r\n", (unsigned long long)l->sales,
			      m[0], (unsigned long long)l->voids, m[1],
			      (unsigned long long)l->refunds, m[2], m[3]);
	}
	money_format_plain(s->owed, m[4], sizeof(m[4]));
	strbuf_add_csv(&b, s->outlet, ',');
	strbuf_printf(&b, ",%d,total,,,,,,,%s\r\n", (int)s->period, m[4]);
	return strbuf_finish(&b, out, len);
}

enum ssa_err
protocol_settlement_decode(const void *buf, size_t len, struct protocol_settlement *s, char *why)
{
	static const char *const keys[] = { "outlet", "period", "terminals", "owed", NULL };
	static const char *const lkeys[] = { "terminal", "sales", "sales_ssa", "voids", "voids_ssa",
					     "refunds", "refunds_ssa", "owed", NULL };
	enum ssa_err err;
	json_t *j, *a, *x;
	uint64_t period;
	int64_t owed;
	size_t i;

	memset(s, 0, sizeof(*s));
	err = load_object(buf, len, PROTOCOL_REPLY_MAX_BYTES, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "settlement", why)) ||
	    (err = get_str(j, "outlet", true, s->outlet, sizeof(s->outlet), why)) ||
	    (err = get_u64(j, "period", true, &period, why)) ||
	    (err = get_i64(j, "owed", &owed, why)))
		goto out;
	err = SSA_ERR_PROTOCOL;
	if (period < 190001 || period > 999912 || period % 100 < 1 || period % 100 > 12) {
		why_set(why, "\"period\" is not a month YYYYMM");
		goto out;
	}
	s->period = (int32_t)period;
	a = json_object_get(j, "terminals");
	if (!json_is_array(a) || json_array_size(a) > PROTOCOL_SETTLEMENT_MAX_TERMINALS) {
		why_set(why, "\"terminals\" is missing, not an array or too long");
		goto out;
	}
	json_array_foreach(a, i, x) {
		struct protocol_settlement_line l = { 0 };
		uint64_t v[6];
		int64_t lowed;
		static const char *const num[] = { "sales", "sales_ssa", "voids", "voids_ssa",
						   "refunds", "refunds_ssa" };

		if (!json_is_object(x)) {
			why_set(why, "terminal line %zu is not an object", i + 1);
			goto out;
		}
		if ((err = only_keys(x, lkeys, "terminal line", why)) ||
		    (err = get_str(x, "terminal", true, l.terminal, sizeof(l.terminal), why)))
			goto out;
		for (int k = 0; k < 6; k++)
			if ((err = get_u64(x, num[k], true, &v[k], why)))
				goto out;
		if ((err = get_i64(x, "owed", &lowed, why)))
			goto out;
		err = SSA_ERR_PROTOCOL;
		for (int k = 0; k < 6; k++)
			if (v[k] > (uint64_t)MONEY_MAX) {
				why_set(why, "terminal line %zu: \"%s\" out of range", i + 1, num[k]);
				goto out;
			}
		if (lowed != (int64_t)v[1] - (int64_t)v[3] - (int64_t)v[5] ||
		    (i && strcmp(s->line[i - 1].terminal, l.terminal) >= 0)) {
			why_set(why, "terminal line %zu does not add up or is out of order", i + 1);
			goto out;
		}
		l.sales = v[0], l.sales_ssa = (int64_t)v[1], l.voids = v[2];
		l.voids_ssa = (int64_t)v[3], l.refunds = v[4], l.refunds_ssa = (int64_t)v[5];
		l.owed = lowed;
		{
			struct protocol_settlement_line *nl =
				realloc(s->line, (s->n + 1) * sizeof(*nl));

			if (!nl) {
				err = SSA_ERR_NOMEM;
				goto out;
			}
			s->line = nl;
			nl[s->n++] = l;
		}
		if (money_add(s->owed, l.owed, &s->owed) != SSA_ERR_OK) {
			why_set(why, "the total is out of range");
			goto out;
		}
	}
	if (s->owed != owed) {
		why_set(why, "\"owed\" is not the sum of the terminals' lines");
		goto out;
	}
	err = SSA_ERR_OK;
out:
	json_decref(j);
	if (err)
		protocol_settlement_fini(s);
	return err;
}

/* --- hot list -------------------------------------------------------------------------------- */

static int
card_valid(const char *card)
{
	size_t n = 0;

	for (; card[n]; n++)
		if (n >= PROTOCOL_CARD_MAX || card[n] <= ' ' || card[n] > '~' || card[n] == ',' ||
		    card[n] == '"' || card[n] == '\\')
			return 0;
	return n > 0;
}

void
protocol_hotlist_fini(struct protocol_hotlist *h)
{
	if (!h)
		return;
	free(h->e);
	memset(h, 0, sizeof(*h));
}

enum ssa_err
protocol_hotlist_add(struct protocol_hotlist *h, const char *card, uint64_t version,
		     const char *reason)
{
	struct protocol_hotlist_entry *e;

	if (!card_valid(card) || version == 0 || version > (uint64_t)INT64_MAX ||
	    (h->n && version <= h->e[h->n - 1].version))
		return SSA_ERR_INVAL;
	if (strlen(reason) > PROTOCOL_REASON_MAX || h->n >= PROTOCOL_HOTLIST_MAX)
		return SSA_ERR_TOO_LONG;
	if ((h->n & (h->n - 1)) == 0) {
		e = realloc(h->e, (h->n ? h->n * 2 : 16) * sizeof(*e));
		if (!e)
			return SSA_ERR_NOMEM;
		h->e = e;
	}
	e = &h->e[h->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->card, card, strlen(card) + 1);
	memcpy(e->reason, reason, strlen(reason) + 1);
	e->version = version;
	h->n++;
	if (version > h->version)
		h->version = version;
	return SSA_ERR_OK;
}

enum ssa_err
protocol_hotlist_encode(const struct protocol_hotlist *h, char **out, size_t *len)
{
	json_t *a = json_array(), *j;

	if (!a)
		return SSA_ERR_NOMEM;
	for (size_t i = 0; i < h->n; i++) {
		json_t *x = json_pack("{s:s, s:I, s:s}", "card", h->e[i].card, "version",
				      (json_int_t)h->e[i].version, "reason", h->e[i].reason);

		if (!x || json_array_append_new(a, x) != 0) {
			json_decref(a);
			return SSA_ERR_NOMEM;
		}
	}
	j = json_pack("{s:I, s:o}", "version", (json_int_t)h->version, "cards", a);
	return dump(j, out, len);
}

enum ssa_err
protocol_hotlist_decode(const void *buf, size_t len, struct protocol_hotlist *h, char *why)
{
	static const char *const keys[] = { "version", "cards", NULL };
	static const char *const ekeys[] = { "card", "version", "reason", NULL };
	enum ssa_err err;
	json_t *j, *a, *x;
	uint64_t version;
	size_t i;

	memset(h, 0, sizeof(*h));
	err = load_object(buf, len, PROTOCOL_REPLY_MAX_BYTES, &j, why);
	if (err)
		return err;
	if ((err = only_keys(j, keys, "hot list", why)) ||
	    (err = get_u64(j, "version", true, &version, why)))
		goto out;
	err = SSA_ERR_PROTOCOL;
	a = json_object_get(j, "cards");
	if (!json_is_array(a) || json_array_size(a) > PROTOCOL_HOTLIST_MAX) {
		why_set(why, "\"cards\" is missing, not an array or too long");
		goto out;
	}
	json_array_foreach(a, i, x) {
		char card[PROTOCOL_CARD_MAX + 1], reason[PROTOCOL_REASON_MAX + 1];
		uint64_t v;

		if (!json_is_object(x)) {
			why_set(why, "card %zu is not an object", i + 1);
			goto out;
		}
		if ((err = only_keys(x, ekeys, "hot-listed card", why)) ||
		    (err = get_str(x, "card", true, card, sizeof(card), why)) ||
		    (err = get_u64(x, "version", true, &v, why)) ||
		    (err = get_str(x, "reason", true, reason, sizeof(reason), why)))
			goto out;
		err = protocol_hotlist_add(h, card, v, reason);
		if (err == SSA_ERR_NOMEM)
			goto out;
		if (err) {
			why_set(why, "card %zu: bad id, or version not increasing", i + 1);
			err = SSA_ERR_PROTOCOL;
			goto out;
		}
	}
	if (version < h->version) {
		why_set(why, "\"version\" is below a card's version");
		err = SSA_ERR_PROTOCOL;
		goto out;
	}
	h->version = version;
	err = SSA_ERR_OK;
out:
	json_decref(j);
	if (err)
		protocol_hotlist_fini(h);
	return err;
}
