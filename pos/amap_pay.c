/* amap_pay.c — AMAP baskets paid from the food card at pickup (see amap_pay.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/convention.h"

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
	int64_t since_ms;
	uint64_t seq;
};

static enum ssa_err
find_one(void *arg, uint64_t seq, const void *buf, size_t len)
{
	struct find_ctx *c = arg;
	struct journal_record r;
	const char *why = NULL;

	if (journal_record_decode(buf, len, &r, &why) == SSA_ERR_OK && r.kind == JOURNAL_SALE &&
	    r.time_ms >= c->since_ms && strcmp(r.card, c->card) == 0)
		for (size_t i = 0; i < r.n_lines; i++)
			if (strncmp(r.lines[i].category, CATEGORY_PREFIX,
				    sizeof(CATEGORY_PREFIX) - 1) == 0) {
				c->seq = seq;
				break;
			}
	journal_record_fini(&r);
	return SSA_ERR_OK;
}

enum ssa_err
amap_pay_find(struct ssa_journal_store *j, const char *card_id, int64_t since_ms, uint64_t *seq)
{
	struct find_ctx c = { card_id, since_ms, 0 };
	uint64_t from = 0;
	enum ssa_err err;

	*seq = 0;
	/* A distribution's sales come after the last Z (the scan stays short). */
	if ((err = journal_store_last_of_kind(j, JOURNAL_CLOSING_Z, &from)) != SSA_ERR_OK)
		return err;
	if ((err = journal_store_scan(j, from + 1, find_one, &c)) != SSA_ERR_OK)
		return err;
	*seq = c.seq;
	return SSA_ERR_OK;
}
