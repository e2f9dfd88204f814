/* amap_pay.c — AMAP baskets paid from the food card at pickup (see amap_pay.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "ssa/card.h"
#include "ssa/convention.h"
#include "ssa/strbuf.h"

#include "amap_pay.h"

#define CATEGORY_PREFIX "amap-"

/* Copy at most @p size - 1 bytes of UTF-8 @p s, never cutting a character. */
static void
copy_utf8(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

enum ssa_err
amap_pay_build(const struct amap_distribution *d, size_t h, struct till *t, const char *caisse,
	       size_t *lines)
{
	const struct convention_list *list = NULL;
	enum ssa_err err = SSA_ERR_OK;

	*lines = 0;
	if (t->state != TILL_SELLING || t->basket.n > 0 || h >= d->n_household)
		return SSA_ERR_INVAL;
	if (!t->catalog || !caisse || !caisse[0] ||
	    t->catalog->list_in_force(t->catalog->cls, caisse, &list) != SSA_ERR_OK || !list)
		return SSA_ERR_OK; /* no list: the caisse pays nothing */
	for (size_t i = 0; i < d->n_item && err == SSA_ERR_OK; i++) {
		const struct amap_item *it = &d->item[i];
		struct catalog_product p = { .unit = CATALOG_PIECE, .vat_bp = 0 };
		char name[CATALOG_NAME_MAX * 2];
		uint32_t id;

		if (it->household != h || it->total <= 0)
			continue;
		amap_contract_category(it->contract, p.category, sizeof(p.category));
		copy_utf8(p.code, sizeof(p.code), p.category);
		snprintf(name, sizeof(name), "%s %s", it->contract, it->product);
		copy_utf8(p.name, sizeof(p.name), name);
		p.price = it->total;
		err = basket_add_priced(&t->basket, &p, it->total, &id);
	}
	/* Decide with the caisse's list; what it does not cover is only recorded. */
	if (err == SSA_ERR_OK)
		err = basket_set_list(&t->basket, list, t->today, NULL, 0);
	for (size_t i = t->basket.n; err == SSA_ERR_OK && i-- > 0;)
		if (t->basket.lines[i].decision.covered <= 0)
			err = basket_remove(&t->basket, t->basket.lines[i].id);
	if (err != SSA_ERR_OK) {
		till_new_sale(t);
		return err;
	}
	*lines = t->basket.n;
	return SSA_ERR_OK;
}

struct find_ctx {
	const char *card;
	int64_t since_ms, until_ms;
	uint64_t seq;
	struct journal_record found; /* the last matching sale (its lines) */
};

static enum ssa_err
find_one(void *arg, uint64_t seq, const void *buf, size_t len)
{
	struct find_ctx *c = arg;
	struct journal_record r;
	const char *why = NULL;

	if (journal_record_decode(buf, len, &r, &why) == SSA_ERR_OK && r.kind == JOURNAL_SALE &&
	    r.time_ms >= c->since_ms && r.time_ms < c->until_ms && strcmp(r.card, c->card) == 0)
		for (size_t i = 0; i < r.n_lines; i++)
			if (strncmp(r.lines[i].category, CATEGORY_PREFIX,
				    sizeof(CATEGORY_PREFIX) - 1) == 0) {
				c->seq = seq;
				journal_record_fini(&c->found);
				c->found = r; /* keep its lines */
				journal_record_init(&r, JOURNAL_SALE);
				break;
			}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

/* Is record @p seq of @p j dated before @p ms?  (false when it cannot be read: scan more) */
static bool
before(struct ssa_journal_store *j, uint64_t seq, int64_t ms)
{
	struct journal_record r;
	char *buf = NULL;
	size_t len = 0;
	bool yes = false;

	if (journal_store_get(j, seq, &buf, &len) == SSA_ERR_OK &&
	    journal_record_decode(buf, len, &r, NULL) == SSA_ERR_OK) {
		yes = r.time_ms < ms;
		journal_record_fini(&r);
	}
	free(buf);
	return yes;
}

/* Scan @p j for @p c's sale: after the last Z when that Z is older than @p c's day (the scan
 * stays short), else the whole journal: a Z closed the day after the sale was recorded (and the
 * till stopped before the sign-in log had the pickup) must not hide that sale. */
static enum ssa_err
find(struct ssa_journal_store *j, struct find_ctx *c)
{
	uint64_t from = 0;
	enum ssa_err err;

	journal_record_init(&c->found, JOURNAL_SALE);
	if ((err = journal_store_last_of_kind(j, JOURNAL_CLOSING_Z, &from)) != SSA_ERR_OK)
		return err;
	if (from > 0 && !before(j, from, c->since_ms))
		from = 0;
	return journal_store_scan(j, from + 1, find_one, c);
}

enum ssa_err
amap_pay_find(struct ssa_journal_store *j, const char *card_id, int64_t since_ms, uint64_t *seq)
{
	struct find_ctx c = { .card = card_id, .since_ms = since_ms, .until_ms = INT64_MAX };
	enum ssa_err err = find(j, &c);

	*seq = err == SSA_ERR_OK ? c.seq : 0;
	journal_record_fini(&c.found);
	return err;
}

/* UTC ms of local midnight of the day of @p t (UTC seconds), and that day as YYYY-MM-DD. */
static int64_t
local_day(int64_t t, char *day, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm)) {
		snprintf(day, size, "?");
		return 0;
	}
	strftime(day, size, "%Y-%m-%d", &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* Item @p it's line name, as amap_pay_build writes it. */
static void
line_name(const struct amap_item *it, char *out, size_t size)
{
	char name[CATALOG_NAME_MAX * 2];

	snprintf(name, sizeof(name), "%s %s", it->contract, it->product);
	copy_utf8(out, size, name);
}

static bool
sale_has(const struct journal_record *r, const struct amap_item *it)
{
	char name[CATALOG_NAME_MAX + 1], cat[AMAP_CATEGORY_MAX + 1];

	line_name(it, name, sizeof(name));
	amap_contract_category(it->contract, cat, sizeof(cat));
	for (size_t i = 0; i < r->n_lines; i++)
		if (strcmp(r->lines[i].name, name) == 0 && strcmp(r->lines[i].category, cat) == 0)
			return true;
	return false;
}

enum ssa_err
amap_pay_statement(const struct amap_distribution *d, struct ssa_journal_store *j, char **out,
		   size_t *len)
{
	struct strbuf b = { 0 };
	enum ssa_err err = SSA_ERR_OK;

	strbuf_printf(&b, "member;household;date;contract;product;quantity;amount;paid\n");
	for (size_t h = 0; h < d->n_household && err == SSA_ERR_OK; h++) {
		const struct amap_household *hh = &d->household[h];
		struct find_ctx c = { .seq = 0 };
		char card[24], day[16];

		if (!hh->member_id || hh->status != AMAP_COLLECTED)
			continue;
		card_id_format(hh->member_id, card, sizeof(card));
		c.card = card;
		c.since_ms = local_day(hh->changed_at, day, sizeof(day));
		c.until_ms = c.since_ms + 26LL * 3600 * 1000; /* a day, DST changes included */
		if (j)
			err = find(j, &c);
		else
			journal_record_init(&c.found, JOURNAL_SALE);
		for (size_t i = 0; i < d->n_item && err == SSA_ERR_OK; i++) {
			const struct amap_item *it = &d->item[i];
			char qty[32], amount[32];

			if (it->household != h)
				continue;
			snprintf(qty, sizeof(qty), "%lld,%03lld", (long long)(it->qty_milli / 1000),
				 (long long)(it->qty_milli % 1000));
			snprintf(amount, sizeof(amount), "%s%lld,%02lld", it->total < 0 ? "-" : "",
				 (long long)(it->total < 0 ? -(it->total / 100) : it->total / 100),
				 (long long)(it->total < 0 ? -(it->total % 100) : it->total % 100));
			strbuf_printf(&b, "%s;", card);
			strbuf_add_csv(&b, hh->name, ';');
			strbuf_printf(&b, ";%s;", day);
			strbuf_add_csv(&b, it->contract, ';');
			strbuf_add(&b, ";", 1);
			strbuf_add_csv(&b, it->product, ';');
			strbuf_printf(&b, ";%s;%s;%s\n", qty, amount,
				      c.seq && sale_has(&c.found, it) ? "card" : "reimburse");
		}
		journal_record_fini(&c.found);
	}
	if (err != SSA_ERR_OK) {
		char *tmp = NULL;
		size_t n = 0;

		if (strbuf_finish(&b, &tmp, &n) == SSA_ERR_OK)
			free(tmp);
		return err;
	}
	return strbuf_finish(&b, out, len);
}
