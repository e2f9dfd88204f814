/* till.c — the till's logic: the entry line, the sale, the payment steps.  No curses here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssa/money.h"

#include "i18n.h"
#include "receipt.h"
#include "till.h"
#include "till_card.h"

void
till_init(struct till *t, int32_t today)
{
	memset(t, 0, sizeof(*t));
	t->today = today;
	basket_init(&t->basket, today);
}

void
till_fini(struct till *t)
{
	free(t->receipt);
	basket_fini(&t->basket);
	memset(t, 0, sizeof(*t));
}

/* Decide the sale's lines with the preview caisse's list (none: every line NO_CARD). */
static void
use_preview_list(struct till *t)
{
	const struct convention_list *list = NULL;

	if (t->catalog && t->preview_caisse[0] &&
	    t->catalog->list_in_force(t->catalog->cls, t->preview_caisse, &list) != SSA_ERR_OK)
		list = NULL;
	if (basket_set_list(&t->basket, list, t->today, NULL, 0) != SSA_ERR_OK)
		basket_set_list(&t->basket, NULL, t->today, NULL, 0);
}

void
till_set_catalog(struct till *t, struct ssa_catalog *cat, const char *caisse)
{
	t->catalog = cat;
	snprintf(t->preview_caisse, sizeof(t->preview_caisse), "%s", caisse ? caisse : "");
	use_preview_list(t);
}

enum till_mark
till_line_mark(const struct basket_line *l)
{
	if (l->decision.reason == CONVENTION_NO_CARD)
		return TILL_MARK_UNKNOWN;
	if (l->decision.covered <= 0)
		return TILL_MARK_NONE;
	if (l->decision.covered < l->amount)
		return TILL_MARK_PARTIAL;
	return TILL_MARK_COVERED;
}

void
till_message(struct till *t, enum till_msg_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_level = level;
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum ssa_err
till_parse_entry(const char *text, struct till_entry *out)
{
	struct till_entry e = { .qty = 1 };
	const char *star = strchr(text, '*');
	const char *code = star ? star + 1 : text;
	size_t len = strlen(code);

	if (star) {
		size_t plen = (size_t)(star - text);
		char prefix[16];

		if (plen == 0 || plen >= sizeof(prefix))
			return SSA_ERR_INVAL;
		memcpy(prefix, text, plen);
		prefix[plen] = '\0';
		if (strpbrk(prefix, ".,")) {
			int64_t grams;

			if (decimal_parse(prefix, 3, TILL_GRAMS_MAX, &grams) != SSA_ERR_OK ||
			    grams <= 0)
				return SSA_ERR_INVAL;
			e.grams = grams;
		} else {
			int64_t q;

			if (!all_digits(prefix, plen) ||
			    decimal_parse(prefix, 0, TILL_QTY_MAX, &q) != SSA_ERR_OK || q < 1)
				return SSA_ERR_INVAL;
			e.qty = q;
		}
	}
	if (code[0] == '/') { /* a quick key */
		int64_t k;

		if (len < 2 || len > 3 || !all_digits(code + 1, len - 1) ||
		    decimal_parse(code + 1, 0, CATALOG_QUICK_KEY_MAX, &k) != SSA_ERR_OK || k < 1)
			return SSA_ERR_INVAL;
		e.quick_key = (int)k;
		*out = e;
		return SSA_ERR_OK;
	}
	if (len == 0)
		return SSA_ERR_BARCODE_EMPTY;
	if (!all_digits(code, len))
		return SSA_ERR_BARCODE_CHARS;
	if (len > TILL_CODE_MAX)
		return SSA_ERR_TOO_LONG;
	memcpy(e.code, code, len + 1);
	*out = e;
	return SSA_ERR_OK;
}

bool
till_entry_type(struct till *t, int ch)
{
	size_t n = strlen(t->entry);

	if (!((ch >= '0' && ch <= '9') || ch == '*' || ch == ',' || ch == '.' || ch == '/'))
		return false;
	if (n >= TILL_ENTRY_MAX)
		return false;
	t->entry[n] = (char)ch;
	t->entry[n + 1] = '\0';
	return true;
}

bool
till_entry_backspace(struct till *t)
{
	size_t n = strlen(t->entry);

	if (n == 0)
		return false;
	t->entry[n - 1] = '\0';
	return true;
}

void
till_entry_clear(struct till *t)
{
	t->entry[0] = '\0';
	t->weight_prompt = false;
	t->weight_for_product = false;
}

bool
till_entry_is_scan(const char *text)
{
	const char *star = strchr(text, '*');
	const char *code = star ? star + 1 : text;
	size_t len = strlen(code);

	return len >= 8 && len <= TILL_CODE_MAX && all_digits(code, len);
}

void
till_weight_prompt(struct till *t)
{
	t->entry[0] = '\0';
	t->weight_prompt = true;
	till_message(t, TILL_MSG_INFO, "%s", _("Type the weight in kg, then Enter."));
}

static void
format_grams(int64_t grams, char *buf, size_t size)
{
	snprintf(buf, size, "%d,%03d", (int)(grams / 1000), (int)(grams % 1000));
}

static enum ssa_err
enter_weight(struct till *t, const char *text)
{
	int64_t grams;
	char shown[32];

	if (decimal_parse(text, 3, TILL_GRAMS_MAX, &grams) != SSA_ERR_OK || grams <= 0) {
		till_message(t, TILL_MSG_ERROR, _("Not a weight in kg: \"%s\" (e.g. 0,350)."), text);
		return SSA_ERR_INVAL;
	}
	format_grams(grams, shown, sizeof(shown));
	t->pending_grams = grams;
	till_message(t, TILL_MSG_INFO, _("Weight %s kg: now scan or type the item."), shown);
	return SSA_ERR_OK;
}

static enum ssa_err
add_failed(struct till *t, enum ssa_err err, const char *name)
{
	till_message(t, TILL_MSG_ERROR, _("Cannot add %s: %s."), name, _(ssa_strerror(err)));
	return err;
}

static enum ssa_err
add_weight(struct till *t, const struct catalog_product *p, int64_t grams)
{
	char w[32];
	enum ssa_err err = basket_add_weight(&t->basket, p, grams, &t->last_line);

	if (err != SSA_ERR_OK)
		return add_failed(t, err, p->name);
	format_grams(grams, w, sizeof(w));
	till_message(t, TILL_MSG_INFO, _("%s kg of %s."), w, p->name);
	return SSA_ERR_OK;
}

/* "<name>." as the added line's message: every scan sets it, and it needs no formatting. */
static void
message_added(struct till *t, const char *name)
{
	size_t n = strnlen(name, sizeof(t->msg) - 2);

	memcpy(t->msg, name, n);
	memcpy(t->msg + n, ".", 2);
	t->msg_level = TILL_MSG_INFO;
}

/* Add product @p p (found by its code or its quick key) as entry @p e says: pieces, or the
 * weight of a per-kg item (the weight prompt opens when none was typed). */
static enum ssa_err
add_product(struct till *t, const struct till_entry *e, const struct catalog_product *p)
{
	enum ssa_err err;

	if (p->unit == CATALOG_KG) {
		if (e->qty > 1) {
			till_message(t, TILL_MSG_ERROR,
				     _("%s is sold by weight: type the weight, not a quantity."),
				     p->name);
			return SSA_ERR_INVAL;
		}
		if (e->grams == 0) {
			/* No weight yet: ask for it, the item waits. */
			t->pending_product = *p;
			t->weight_for_product = true;
			t->weight_prompt = true;
			till_message(t, TILL_MSG_INFO, _("%s is sold by weight: type the weight in kg."),
				     p->name);
			return SSA_ERR_OK;
		}
		return add_weight(t, p, e->grams);
	}
	if (e->grams > 0) {
		till_message(t, TILL_MSG_ERROR, _("%s is sold by the piece, not by weight."), p->name);
		return SSA_ERR_INVAL;
	}
	err = basket_add_pieces(&t->basket, p, e->qty, &t->last_line);
	if (err != SSA_ERR_OK)
		return add_failed(t, err, p->name);
	if (e->qty > 1)
		till_message(t, TILL_MSG_INFO, _("%d x %s."), (int)e->qty, p->name);
	else
		message_added(t, p->name);
	return SSA_ERR_OK;
}

enum ssa_err
till_add_entry(struct till *t, const struct till_entry *e)
{
	struct catalog_product p;
	struct gtin_code gc;
	char key[GTIN_TEXT_MAX + 1];
	enum ssa_err err;

	if (t->state != TILL_SELLING)
		return SSA_ERR_INVAL;
	if (!t->catalog) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No product list: nothing can be sold."));
		return SSA_ERR_NOT_FOUND;
	}
	if (e->quick_key) {
		err = t->catalog->find_quick_key(t->catalog->cls, e->quick_key, &p);
		if (err == SSA_ERR_NOT_FOUND) {
			till_message(t, TILL_MSG_ERROR, _("No product on quick key %d."), e->quick_key);
			return err;
		}
		if (err != SSA_ERR_OK)
			return add_failed(t, err, "");
		return add_product(t, e, &p);
	}
	err = gtin_scan(&t->nomenclature, e->code, &gc);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Cannot read \"%s\": %s."), e->code,
			     _(ssa_strerror(err)));
		return err;
	}
	if (gtin_format(gc.key, key, sizeof(key)) >= sizeof(key))
		return add_failed(t, SSA_ERR_TOO_LONG, e->code);
	err = t->catalog->find(t->catalog->cls, key, &p);
	if (err == SSA_ERR_NOT_FOUND) {
		till_message(t, TILL_MSG_ERROR, _("Unknown product: %s."), e->code);
		return err;
	}
	if (err != SSA_ERR_OK)
		return add_failed(t, err, e->code);
	if (gc.kind == GTIN_VARIABLE_PRICE || gc.kind == GTIN_VARIABLE_WEIGHT) {
		char amount[40];

		/* The code carries the measure: a typed quantity or weight would contradict it. */
		if (e->qty > 1 || e->grams > 0) {
			till_message(t, TILL_MSG_ERROR, _("%s carries its own weight or price."),
				     e->code);
			return SSA_ERR_INVAL;
		}
		if (gc.kind == GTIN_VARIABLE_WEIGHT)
			return add_weight(t, &p, gc.value);
		err = basket_add_priced(&t->basket, &p, gc.value, &t->last_line);
		if (err != SSA_ERR_OK)
			return add_failed(t, err, p.name);
		money_format(gc.value, t->money_locale, amount, sizeof(amount));
		till_message(t, TILL_MSG_INFO, _("%s at %s."), p.name, amount);
		return SSA_ERR_OK;
	}
	return add_product(t, e, &p);
}

enum ssa_err
till_void_line(struct till *t, uint32_t id)
{
	const struct basket_line *l = basket_line(&t->basket, id);
	char name[CATALOG_NAME_MAX + 1];
	enum ssa_err err;

	if (t->state != TILL_SELLING) {
		till_message(t, TILL_MSG_WARN, "%s", _("Go back to the sale (Esc) to void a line."));
		return SSA_ERR_INVAL;
	}
	if (!l) {
		till_message(t, TILL_MSG_WARN, "%s", _("No line selected."));
		return SSA_ERR_BASKET_LINE;
	}
	memcpy(name, l->product.name, sizeof(name));
	err = basket_remove(&t->basket, id);
	if (err != SSA_ERR_OK)
		return add_failed(t, err, name);
	till_message(t, TILL_MSG_INFO, _("Line voided: %s."), name);
	return SSA_ERR_OK;
}

static void
fmt(const struct till *t, int64_t cents, char *buf, size_t size)
{
	money_format(cents, t->money_locale, buf, size);
}

enum ssa_err
till_pay_start(struct till *t)
{
	enum ssa_err err;

	if (t->state != TILL_SELLING)
		return SSA_ERR_INVAL;
	if (t->basket.n == 0) {
		till_message(t, TILL_MSG_WARN, "%s", _("The basket is empty."));
		return SSA_ERR_INVAL;
	}
	if (t->pending_id) {
		/* An intent of another sale, reload or refund (left by a crash or a torn card): its
		 * card settles it first, so that card is not read as this basket's payment, and this
		 * sale cannot take the journal's next card sequence from it. */
		till_message(t, TILL_MSG_WARN, "%s",
			     _("A card payment, reload or refund was interrupted: tap that card "
			       "first to settle it; no payment can be taken before."));
		return SSA_ERR_INVAL;
	}
	err = allocation_compute(&t->basket, 0, &t->alloc);
	if (err != SSA_ERR_OK)
		return add_failed(t, err, _("the payment"));
	till_entry_clear(t);
	t->pending_grams = 0;
	t->has_card = false;
	t->card_note[0] = '\0';
	t->state = TILL_PAYING;
	/* A card on the reader from now on is this payment's: back to the sale, it must be
	 * lifted and tapped again to pay. */
	till_tap_reset(t);
	till_message(t, TILL_MSG_INFO, "%s",
		     _("Tap the food card, or take the payment by other tenders."));
	return SSA_ERR_OK;
}

/* Decide the lines with @p caisse's list (none: undecided, nothing covered). */
static void
use_list_of(struct till *t, const char *caisse)
{
	const struct convention_list *list = NULL;

	if (t->catalog && caisse && caisse[0] &&
	    t->catalog->list_in_force(t->catalog->cls, caisse, &list) != SSA_ERR_OK)
		list = NULL;
	if (basket_set_list(&t->basket, list, t->today, NULL, 0) != SSA_ERR_OK)
		basket_set_list(&t->basket, NULL, t->today, NULL, 0);
}

enum ssa_err
till_pay_card(struct till *t, const struct till_card *c)
{
	struct allocation a;
	enum ssa_err err;
	char bal[40], debit[40], rest[40];

	if (t->state != TILL_PAYING || t->alloc.n > (t->alloc.ssa_debit > 0 ? 1u : 0u))
		return SSA_ERR_INVAL;
	use_list_of(t, c->caisse);
	err = allocation_compute(&t->basket, c->balance, &a);
	if (err != SSA_ERR_OK) {
		use_list_of(t, t->has_card ? t->card.caisse : t->preview_caisse);
		allocation_compute(&t->basket, t->has_card ? t->card.balance : 0, &t->alloc);
		return add_failed(t, err, _("the payment"));
	}
	t->alloc = a;
	t->card = *c;
	t->has_card = true;
	fmt(t, c->balance, bal, sizeof(bal));
	fmt(t, a.ssa_debit, debit, sizeof(debit));
	fmt(t, allocation_due(&a), rest, sizeof(rest));
	till_message(t, TILL_MSG_INFO, _("Card balance %s: SSA pays %s, %s left to pay."), bal, debit,
		     rest);
	return SSA_ERR_OK;
}

enum ssa_err
till_pay_tender(struct till *t, enum tender_kind kind, int64_t given)
{
	int64_t due = allocation_due(&t->alloc);
	enum ssa_err err;
	char rest[40], change[40];

	if (t->state != TILL_PAYING)
		return SSA_ERR_INVAL;
	if (due <= 0) {
		till_message(t, TILL_MSG_WARN, "%s", _("Nothing is left to pay."));
		return SSA_ERR_BASKET_PAID;
	}
	if (given == 0)
		given = due;
	err = allocation_pay(&t->alloc, kind, given);
	if (err == SSA_ERR_BASKET_PAID) {
		fmt(t, due, rest, sizeof(rest));
		till_message(t, TILL_MSG_ERROR, _("Only %s is due: %s cannot take more."), rest,
			     _(tender_label(kind)));
		return err;
	}
	if (err != SSA_ERR_OK)
		return add_failed(t, err, _(tender_label(kind)));
	fmt(t, allocation_due(&t->alloc), rest, sizeof(rest));
	fmt(t, t->alloc.change, change, sizeof(change));
	if (allocation_due(&t->alloc) > 0)
		till_message(t, TILL_MSG_INFO, _("%s left to pay."), rest);
	else if (t->alloc.change > 0)
		till_message(t, TILL_MSG_INFO, _("Paid. Change to give: %s."), change);
	else
		till_message(t, TILL_MSG_INFO, "%s", _("Paid."));
	return SSA_ERR_OK;
}

/* A card debit of this sale may have happened: the sale cannot be changed or dropped. */
static bool
debit_pending(struct till *t)
{
	if (t->state != TILL_PAYING || !t->pending_id)
		return false;
	till_message(t, TILL_MSG_WARN, "%s",
		     _("A card payment is pending: put the card back on the reader first."));
	return true;
}

enum ssa_err
till_pay_back(struct till *t)
{
	if (t->state != TILL_PAYING || debit_pending(t))
		return SSA_ERR_INVAL;
	memset(&t->alloc, 0, sizeof(t->alloc));
	t->has_card = false;
	use_preview_list(t);
	t->state = TILL_SELLING;
	till_message(t, TILL_MSG_INFO, "%s", _("Back to the sale: the payment was dropped."));
	return SSA_ERR_OK;
}

enum ssa_err
till_sign_in(struct till *t, const char *code)
{
	size_t n = strlen(code);

	if (n == 0 || n > 8 || !all_digits(code, n)) {
		till_message(t, TILL_MSG_ERROR, "%s", _("An operator code is 1 to 8 digits."));
		return SSA_ERR_INVAL;
	}
	memcpy(t->operator_id, code, n + 1);
	till_message(t, TILL_MSG_INFO, _("Operator %s signed in."), code);
	return SSA_ERR_OK;
}

/* The reprints of one sale (sale != 0), or of every sale, already in the journal, among the
 * records before @p before (0: all). */
struct reprint_count {
	uint64_t sale;
	uint64_t before;
	unsigned n;
};

static enum ssa_err
count_reprint(void *ctx, uint64_t seq, const void *buf, size_t len)
{
	struct reprint_count *c = ctx;
	struct journal_record r;
	enum ssa_err err;

	if (c->before && seq >= c->before)
		return SSA_ERR_OK;
	/* Only a REPRINT record is decoded: the others are skipped on their kind's name. */
	if (!memmem(buf, len, "\"kind\":\"REPRINT\"", sizeof("\"kind\":\"REPRINT\"") - 1))
		return SSA_ERR_OK;
	if ((err = journal_record_decode(buf, len, &r, NULL)) == SSA_ERR_OK &&
	    r.kind == JOURNAL_REPRINT && (c->sale == 0 || r.link_seq == c->sale))
		c->n++;
	journal_record_fini(&r);
	return err;
}

enum ssa_err
till_reprints_between(struct till *t, uint64_t after, uint64_t before, unsigned *n)
{
	struct reprint_count c = { .before = before };
	enum ssa_err err;

	*n = 0;
	if (!t->journal)
		return SSA_ERR_INVAL;
	if ((err = journal_store_scan(t->journal, after + 1, count_reprint, &c)) == SSA_ERR_OK)
		*n = c.n;
	return err;
}

enum ssa_err
till_reprint(struct till *t, uint64_t sale_seq, int64_t now_ms, unsigned *copy)
{
	struct reprint_count c = { .sale = sale_seq };
	struct journal_record r;
	enum ssa_err err;

	journal_record_init(&r, JOURNAL_REPRINT);
	if (!t->journal || !t->signer || sale_seq == 0) {
		err = SSA_ERR_INVAL;
		goto out;
	}
	/* Reprints come after their sale: the count starts there. */
	if ((err = journal_store_scan(t->journal, sale_seq + 1, count_reprint, &c)) != SSA_ERR_OK)
		goto out;
	snprintf(r.establishment, sizeof(r.establishment), "%s", t->establishment);
	snprintf(r.terminal, sizeof(r.terminal), "%s", t->terminal);
	snprintf(r.software, sizeof(r.software), "ssa-pos %s", SSA_VERSION);
	snprintf(r.operator_id, sizeof(r.operator_id), "%s", t->operator_id);
	r.time_ms = now_ms;
	r.link_seq = sale_seq;
	if ((err = journal_store_append(t->journal, &r, t->signer, 0, NULL, NULL)) != SSA_ERR_OK)
		goto out;
	t->status.records_waiting++;
	*copy = c.n + 1;
out:
	journal_record_fini(&r);
	return err;
}

enum ssa_err
till_sale_record(const struct till *t, int64_t time_ms, struct journal_record *r)
{
	const struct allocation *a = &t->alloc;
	enum ssa_err err;

	journal_record_init(r, JOURNAL_SALE);
	if (t->state != TILL_PAYING)
		return SSA_ERR_INVAL;
	if ((err = allocation_check(a, &t->basket)) != SSA_ERR_OK)
		return err;
	snprintf(r->establishment, sizeof(r->establishment), "%s", t->establishment);
	snprintf(r->terminal, sizeof(r->terminal), "%s", t->terminal);
	snprintf(r->software, sizeof(r->software), "ssa-pos %s", SSA_VERSION);
	snprintf(r->operator_id, sizeof(r->operator_id), "%s", t->operator_id);
	r->time_ms = time_ms;
	if (t->has_card) {
		snprintf(r->card, sizeof(r->card), "%s", t->card.id);
		r->balance_before = a->balance_before;
		r->balance_after = a->balance_after;
	}
	for (size_t i = 0; i < t->basket.n; i++) {
		const struct basket_line *bl = &t->basket.lines[i];
		struct journal_line l = {
			.qty = bl->qty,
			.grams = bl->grams,
			.unit_price = bl->product.price,
			.amount = bl->amount,
			.vat_bp = bl->product.vat_bp,
			.covered = bl->decision.covered,
			.paid_ssa = bl->paid_ssa,
			.reason = bl->decision.reason,
			.list_version = bl->decision.version,
		};

		memcpy(l.code, bl->product.code, sizeof(l.code));
		memcpy(l.name, bl->product.name, sizeof(l.name));
		memcpy(l.category, bl->product.category, sizeof(l.category));
		memcpy(l.list_caisse, bl->decision.caisse, sizeof(l.list_caisse));
		if ((err = journal_record_add_line(r, &l)) != SSA_ERR_OK)
			return err;
	}
	for (size_t i = 0; i < a->n; i++) {
		struct journal_tender jt = {
			.kind = a->tenders[i].kind,
			.amount = a->tenders[i].amount,
			.given = a->tenders[i].given,
			.change = a->tenders[i].given - a->tenders[i].amount,
		};

		if ((err = journal_record_add_tender(r, &jt)) != SSA_ERR_OK)
			return err;
	}
	if ((err = basket_vat(&t->basket, &r->vat)) != SSA_ERR_OK)
		return err;
	r->total = t->basket.total;
	r->ssa_covered = a->ssa_debit;
	return SSA_ERR_OK;
}

/* --- recording, with the card's debit (anti-tearing, docs/card.md) -------------------------- */

/* Version 2 names the card's caisse; version 1 (before) did not: its card is read as of the
 * till's main caisse. */
#define PENDING_TAG "ssa-pending,2,"
#define PENDING_TAG_V1 "ssa-pending,1,"

/* The pending blob: the card intent, then the sale's record (encoded with its provisional
 * sequence number; the store seals it again when it appends it). */
static enum ssa_err
pending_encode(const struct card_intent *in, const char *caisse, struct journal_record *r,
	       char **out, size_t *len)
{
	char head[128], *rec = NULL;
	size_t rlen = 0, hlen;
	enum ssa_err err;

	if ((err = journal_record_encode(r, &rec, &rlen)) != SSA_ERR_OK)
		return err;
	hlen = (size_t)snprintf(head, sizeof(head), PENDING_TAG "%016llx,%u,%u,%lld,%s\n",
				(unsigned long long)in->card_serial, (unsigned)in->terminal_id,
				(unsigned)in->seq, (long long)in->amount, caisse);
	if ((*out = malloc(hlen + rlen + 1)) == NULL) {
		free(rec);
		return SSA_ERR_NOMEM;
	}
	memcpy(*out, head, hlen);
	memcpy(*out + hlen, rec, rlen + 1);
	*len = hlen + rlen;
	free(rec);
	return SSA_ERR_OK;
}

/* The intent in @p buf (NUL after @p len bytes), of a card of caisse @p caisse; one of version 1
 * is of a card of @p main_caisse. */
static enum ssa_err
pending_decode(const char *buf, size_t len, const char *main_caisse, struct card_intent *in,
	       char caisse[CARD_CAISSE_MAX + 1], struct journal_record *r)
{
	const char *nl = memchr(buf, '\n', len);
	unsigned long long serial;
	unsigned term, seq;
	long long amount;
	const char *why;
	int end = -1;

	journal_record_init(r, JOURNAL_SALE);
	memset(in, 0, sizeof(*in));
	memset(caisse, 0, CARD_CAISSE_MAX + 1);
	if (!nl || len < sizeof(PENDING_TAG))
		return SSA_ERR_JOURNAL_FORMAT;
	if (memcmp(buf, PENDING_TAG, sizeof(PENDING_TAG) - 1) == 0) {
		const char *c;

		if (sscanf(buf + sizeof(PENDING_TAG) - 1, "%16llx,%u,%u,%lld,%n", &serial, &term,
			   &seq, &amount, &end) != 4 ||
		    end < 0 || (c = buf + sizeof(PENDING_TAG) - 1 + end) > nl ||
		    (size_t)(nl - c) > CARD_CAISSE_MAX ||
		    strspn(c, CARD_CAISSE_CHARS) < (size_t)(nl - c))
			return SSA_ERR_JOURNAL_FORMAT;
		memcpy(caisse, c, (size_t)(nl - c));
	} else if (memcmp(buf, PENDING_TAG_V1, sizeof(PENDING_TAG_V1) - 1) == 0 &&
		   sscanf(buf + sizeof(PENDING_TAG_V1) - 1, "%16llx,%u,%u,%lld", &serial, &term,
			  &seq, &amount) == 4) {
		snprintf(caisse, CARD_CAISSE_MAX + 1, "%.*s", (int)CARD_CAISSE_MAX, main_caisse);
	} else {
		return SSA_ERR_JOURNAL_FORMAT;
	}
	in->card_serial = serial;
	in->terminal_id = term;
	in->seq = seq;
	in->amount = amount;
	return journal_record_decode(nl + 1, len - (size_t)(nl + 1 - buf), r, &why);
}

/* Lay out the receipt of the sale just recorded as @p seq. */
static void
make_receipt(struct till *t, uint64_t seq, struct receipt *rc)
{
	char *text = NULL;
	size_t len;

	free(t->receipt);
	t->receipt = NULL;
	if (!rc)
		return;
	rc->basket = &t->basket;
	rc->alloc = &t->alloc;
	rc->sale_no = seq;
	rc->card = t->has_card;
	rc->operator_id = t->operator_id;
	rc->terminal_id = t->terminal;
	if (receipt_format(rc, &text, &len) == SSA_ERR_OK)
		t->receipt = text;
}

/* Append record @p r (removing pending @p pending_id) and end the sale. */
static enum ssa_err
append_sale(struct till *t, struct journal_record *r, uint64_t pending_id, struct receipt *rc)
{
	uint64_t seq = 0;
	enum ssa_err err = journal_store_append(t->journal, r, t->signer, pending_id, &seq, NULL);
	char total[40];

	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The sale could not be recorded: %s."),
			     _(ssa_strerror(err)));
		return err;
	}
	t->pending_id = 0;
	t->last_sale_seq = seq;
	t->status.records_waiting++;
	if (t->has_card && t->reader)
		t->reader->release(t->reader->cls);
	make_receipt(t, seq, rc);
	t->state = TILL_PAID;
	/* Order matters: the sale ended with its card on the reader; that card must never pay
	 * the next basket (tap to pay waits for the reader seen empty). */
	till_tap_reset(t);
	fmt(t, t->alloc.change, total, sizeof(total));
	if (t->alloc.change > 0)
		till_message(t, TILL_MSG_INFO, _("Sale %llu recorded. Change to give: %s."),
			     (unsigned long long)seq, total);
	else
		till_message(t, TILL_MSG_INFO, _("Sale %llu recorded."), (unsigned long long)seq);
	return SSA_ERR_OK;
}

/* The sale's intent goes: the card was not debited.  Order matters: pending_id is forgotten
 * only once the row is gone (a row left behind would hold this card sequence for another sale).
 * @return SSA_ERR_OK, or the journal's error (the intent kept, a message). */
static enum ssa_err
drop_sale_intent(struct till *t)
{
	enum ssa_err err;

	t->has_card = false;
	if ((err = journal_store_drop_pending(t->journal, t->pending_id)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR,
			     _("The card was not debited, but its payment could not be cleared from "
			       "the journal (%s): tap the card again."),
			     _(ssa_strerror(err)));
		return err;
	}
	t->pending_id = 0;
	return SSA_ERR_OK;
}

/* The card's balance is not the one the sale's split was computed with (spent elsewhere
 * meanwhile), and the card was not debited: the intent goes, the split is computed again at the
 * next tap.
 * @return SSA_ERR_CARD_BALANCE, or the journal's error (the intent kept). */
static enum ssa_err
balance_changed(struct till *t)
{
	enum ssa_err err;

	if ((err = drop_sale_intent(t)) != SSA_ERR_OK)
		return err;
	till_message(t, TILL_MSG_ERROR, "%s", _("The card's balance changed: tap the card again."));
	return SSA_ERR_CARD_BALANCE;
}

/* The card's debit for intent @p in, then the record.  Order matters: the intent is pending in
 * the journal before this runs, so a tear at any point is settled at the next tap. */
static enum ssa_err
debit_and_append(struct till *t, const struct card_intent *in, struct journal_record *r,
		 int64_t now_ms, struct receipt *rc)
{
	struct card_debit_record rec = {
		.terminal_id = in->terminal_id,
		.seq = in->seq,
		.amount = in->amount,
		.time = (uint32_t)(now_ms / 1000),
	};
	enum ssa_err err = t->reader->debit(t->reader->cls, &rec);

	if (err == SSA_ERR_OK)
		return append_sale(t, r, t->pending_id, rc);
	if (err == SSA_ERR_CARD_BALANCE)
		return balance_changed(t);
	till_message(t, TILL_MSG_ERROR, _("Card payment interrupted (%s): put the card back on "
					  "the reader."),
		     _(ssa_strerror(err)));
	return err;
}

/* The sale's card part: intent pending, debit, record.  @p r is the sale's record. */
static enum ssa_err
commit_with_card(struct till *t, struct journal_record *r, int64_t now_ms, struct receipt *rc)
{
	struct card_intent in;
	char *blob = NULL;
	size_t len = 0;
	uint64_t last = 0;
	uint8_t hash[JOURNAL_HASH_LEN];
	enum ssa_err err;

	if (!t->reader) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No card reader."));
		return SSA_ERR_READER;
	}
	/* The card's record carries the sequence number this sale will get (one writer). */
	if ((err = journal_store_last(t->journal, &last, hash)) != SSA_ERR_OK)
		goto out;
	in = (struct card_intent){ t->card_identity.serial, t->card_terminal, (uint32_t)(last + 1),
				   t->alloc.ssa_debit };
	r->seq = last + 1;
	if ((err = pending_encode(&in, t->card_identity.caisse, r, &blob, &len)) != SSA_ERR_OK ||
	    (err = journal_store_put_pending(t->journal, blob, len, &t->pending_id)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The sale could not be recorded: %s."),
			     _(ssa_strerror(err)));
		goto out;
	}
	t->sale_pending_id = t->pending_id;
	err = debit_and_append(t, &in, r, now_ms, rc);
out:
	free(blob);
	return err;
}

enum ssa_err
till_pay_commit(struct till *t, int64_t now_ms, struct receipt *rc)
{
	struct journal_record r;
	enum ssa_err err;

	if (t->state != TILL_PAYING || t->pending_id)
		return SSA_ERR_INVAL;
	if (!t->journal || !t->signer) {
		till_message(t, TILL_MSG_ERROR, "%s", _("No journal: a sale cannot be recorded here."));
		return SSA_ERR_INVAL;
	}
	if ((err = till_sale_record(t, now_ms, &r)) == SSA_ERR_OK)
		err = t->alloc.ssa_debit == 0 ? append_sale(t, &r, 0, rc)
					      : commit_with_card(t, &r, now_ms, rc);
	journal_record_fini(&r);
	return err;
}

/* Settle the pending intent with the card on the reader (identity @p id already checked).
 * @p may_debit false: the card may pay nothing new (blocked, out of its dates), so a sale of
 * this payment that it did not pay is dropped instead of debited afresh. */
static enum ssa_err
settle_pending(struct till *t, const struct card_identity *id, bool may_debit, int64_t now_ms,
	       struct receipt *rc)
{
	struct card_debit_record recs[CARD_DEBIT_RECORDS];
	struct journal_record r;
	struct card_intent in;
	char caisse[CARD_CAISSE_MAX + 1]; /* the intent's card's */
	enum card_settle_outcome o;
	void *blob = NULL;
	size_t len = 0, n = 0;
	uint64_t pid = 0;
	bool ours; /* the intent is the sale being paid, not one left by a crash */
	enum ssa_err err;

	if ((err = journal_store_get_pending(t->journal, &pid, &blob, &len)) != SSA_ERR_OK)
		return err;
	ours = t->state == TILL_PAYING && pid == t->sale_pending_id;
	err = pending_decode(blob, len, t->n_caisses ? t->caisses[0].id : t->preview_caisse, &in,
			     caisse, &r);
	free(blob);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("The interrupted payment cannot be read: %s."),
			     _(ssa_strerror(err)));
		goto out;
	}
	if ((err = t->reader->read_debits(t->reader->cls, recs, CARD_DEBIT_RECORDS, &n)) !=
		    SSA_ERR_OK ||
	    (err = card_settle_card(&in, caisse, id->serial, t->n_caisses ? id->caisse : NULL, recs,
				    n, &o, NULL)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
		goto out;
	}
	t->pending_id = pid;
	switch (o) {
	case CARD_SETTLE_DEBITED:
		/* The debit happened once: record it, once.  An intent of an earlier sale is
		 * recorded on its own; the sale being paid goes on. */
		if (ours)
			err = append_sale(t, &r, pid, rc);
		else if ((err = journal_store_append(t->journal, &r, t->signer, pid, NULL, NULL)) ==
			 SSA_ERR_OK) {
			t->pending_id = 0;
			t->status.records_waiting++;
			till_message(t, TILL_MSG_INFO, "%s",
				     _("The interrupted card payment was recorded."));
		}
		break;
	case CARD_SETTLE_NOT_DEBITED:
		if (ours) {
			int64_t bal = 0;

			/* The card may have paid elsewhere since the split was computed: the record
			 * would say balances the card does not have.  Read it again. */
			if (!may_debit) {
				if ((err = drop_sale_intent(t)) == SSA_ERR_OK)
					till_message(t, TILL_MSG_INFO, "%s",
						     _("The card was not debited: nothing was "
						       "recorded."));
			} else if ((err = t->reader->read_balance(t->reader->cls, &bal)) !=
				   SSA_ERR_OK)
				till_message(t, TILL_MSG_ERROR, _("Card: %s."), _(ssa_strerror(err)));
			else if (bal != r.balance_before)
				err = balance_changed(t);
			else
				err = debit_and_append(t, &in, &r, now_ms, rc);
		} else if ((err = journal_store_drop_pending(t->journal, pid)) != SSA_ERR_OK) {
			/* The intent stays, and its card sequence stays taken. */
			till_message(t, TILL_MSG_ERROR,
				     _("The interrupted card payment did not happen, but it could not "
				       "be cleared from the journal (%s): tap the card again."),
				     _(ssa_strerror(err)));
		} else {
			t->pending_id = 0;
			till_message(t, TILL_MSG_INFO, "%s",
				     _("The interrupted card payment did not happen: nothing was "
				       "recorded."));
		}
		break;
	case CARD_SETTLE_OTHER_CARD:
		err = SSA_ERR_CARD_ABSENT;
		till_message(t, TILL_MSG_WARN, _("This is not the card of the interrupted payment "
						 "(card %016llx)."),
			     (unsigned long long)in.card_serial);
		break;
	default:
		err = SSA_ERR_CARD_ABSENT;
		till_message(t, TILL_MSG_ERROR, "%s",
			     _("The card cannot tell whether it paid: the payment stays pending for "
			       "the caisse."));
		break;
	}
out:
	journal_record_fini(&r);
	return err;
}

/* A card refused by @p err whose identity verified (till_card_check checks the signature
 * first): blocked, or out of its dates.  Its serial can be trusted, so it settles what it left
 * pending here (torn on its last valid day, or before it was blocked); it pays nothing new. */
static bool
refusal_after_signature(enum ssa_err err)
{
	return err == SSA_ERR_CARD_HOTLISTED || err == SSA_ERR_CARD_EXPIRED ||
	       err == SSA_ERR_CARD_NOT_YET_VALID;
}

/* After a settlement that ended with @p err by a card refused by @p refused (@p why: its
 * message): the refusal is said after what the settlement said (unless the settlement ended
 * the sale being paid: the card had paid it); the settlement's error, else the refusal. */
static enum ssa_err
refused_after_settling(struct till *t, enum ssa_err err, enum ssa_err refused, const char *why)
{
	char done[sizeof(t->msg)];

	if (refused == SSA_ERR_OK || t->state == TILL_PAID)
		return err;
	memcpy(done, t->msg, sizeof(done));
	till_message(t, TILL_MSG_ERROR, "%s %s", done, why);
	return err != SSA_ERR_OK ? err : refused;
}

/* The reader must be seen empty again before a card on it is used (till.h, enum till_tap): a
 * card was used, or may be there unseen.  @p how is TILL_TAP_UNKNOWN, TILL_TAP_LEFT (a card
 * seen there) or TILL_TAP_MUST_LEAVE (F3 neither); TILL_TAP_MUST_LEAVE stays until
 * tap_seen_empty. */
static void
tap_unseen(struct till *t, enum till_tap how)
{
	if (t->tap != TILL_TAP_MUST_LEAVE)
		t->tap = how;
}

/* The reader was seen empty.  @p arm: by tap to pay, whose next card seen there arrived and
 * pays (TILL_TAP_READY); else by a payment's look (till_poll_card), where a card that comes is
 * that payment's: a card may pay again, tap to pay is not armed. */
static void
tap_seen_empty(struct till *t, bool arm)
{
	if (arm)
		t->tap = TILL_TAP_READY;
	else if (t->tap == TILL_TAP_MUST_LEAVE)
		t->tap = TILL_TAP_UNKNOWN;
}

enum ssa_err
till_poll_card(struct till *t, int timeout_ms, int64_t now_ms, struct receipt *rc)
{
	struct card_identity id;
	struct till_card c = { .balance = 0 };
	uint8_t uid[CARD_UID_MAX];
	size_t uid_len = 0;
	char why[sizeof(t->msg)];
	enum ssa_err err, refused_err;

	if (!t->reader || !t->journal)
		return SSA_ERR_CARD_ABSENT;
	if (t->state == TILL_PAYING && t->has_card && !t->pending_id)
		return SSA_ERR_OK; /* read already */
	if (t->state != TILL_PAYING && !t->pending_id)
		return SSA_ERR_CARD_ABSENT;
	err = t->reader->wait_card(t->reader->cls, timeout_ms, uid, &uid_len);
	if (err == SSA_ERR_CARD_ABSENT) {
		tap_seen_empty(t, false);
		return err;
	}
	if (err == SSA_ERR_OK && t->state == TILL_PAYING && t->tap == TILL_TAP_MUST_LEAVE) {
		/* The card that settled another customer's operation must not pay this basket. */
		t->reader->release(t->reader->cls);
		till_message(t, TILL_MSG_WARN, "%s",
			     _("The card that settled the interrupted operation is still on the "
			       "reader: lift it, then tap the card that pays."));
		return SSA_ERR_CARD_ABSENT;
	}
	if (err == SSA_ERR_OK)
		err = t->reader->read_identity(t->reader->cls, &id);
	if (err != SSA_ERR_OK)
		goto refused;
	/* Signature, hot list, dates (till_card.c): the message names the reason.  Order matters:
	 * a card blocked or out of its dates since it left an intent here settles it first (the
	 * signature verified, and the settlement reads the card with its AES keys), then is
	 * refused. */
	refused_err = till_card_check(t, &id, uid, uid_len);
	if (refused_err != SSA_ERR_OK &&
	    !(t->pending_id && refusal_after_signature(refused_err))) {
		t->reader->release(t->reader->cls);
		return refused_err;
	}
	memcpy(why, t->msg, sizeof(why));
	if (t->pending_id && till_card_pending_is_sale(t)) {
		err = settle_pending(t, &id, refused_err == SSA_ERR_OK, now_ms, rc);
		t->reader->release(t->reader->cls);
		return refused_after_settling(t, err, refused_err, why);
	}
	/* A reload's intent settled from the card, then this month's grant (till_card.c). */
	if ((t->pending_id && (err = till_card_settle(t, &id, now_ms)) != SSA_ERR_OK) ||
	    refused_err != SSA_ERR_OK) {
		t->reader->release(t->reader->cls);
		return refused_after_settling(t, t->pending_id ? err : SSA_ERR_OK, refused_err, why);
	}
	if (t->state != TILL_PAYING || (err = till_card_reload(t, &id, now_ms, NULL)) != SSA_ERR_OK) {
		t->reader->release(t->reader->cls);
		return err;
	}
	if ((err = t->reader->read_balance(t->reader->cls, &c.balance)) != SSA_ERR_OK)
		goto refused;
	card_id_format(id.member_id, c.id, sizeof(c.id));
	snprintf(c.caisse, sizeof(c.caisse), "%s", id.caisse);
	t->card_identity = id;
	/* The card stays connected: the debit reuses the session (fewer APDUs). */
	return till_pay_card(t, &c);
refused:
	t->reader->release(t->reader->cls);
	till_message(t, TILL_MSG_ERROR, _("Card refused: %s."), _(ssa_strerror(err)));
	return err;
}

bool
till_tap_wanted(const struct till *t)
{
	return t->reader && t->journal && t->signer && t->state == TILL_SELLING &&
	       t->basket.n > 0 && !t->pending_id;
}

void
till_tap_reset(struct till *t)
{
	tap_unseen(t, TILL_TAP_UNKNOWN);
}

enum ssa_err
till_tap(struct till *t, int timeout_ms, int64_t now_ms)
{
	uint8_t uid[CARD_UID_MAX];
	size_t uid_len = 0;
	enum ssa_err err;

	if (!till_tap_wanted(t))
		return SSA_ERR_CARD_ABSENT;
	err = t->reader->wait_card(t->reader->cls, timeout_ms, uid, &uid_len);
	if (err == SSA_ERR_CARD_ABSENT) {
		tap_seen_empty(t, true);
		return err;
	}
	/* The card is let go here: a card that pays is read again below. */
	t->reader->release(t->reader->cls);
	if (err == SSA_ERR_READER) {
		/* The reader itself failed (unplugged?): it may come back with a card put on it
		 * meanwhile, unseen.  That card did not arrive. */
		tap_unseen(t, TILL_TAP_UNKNOWN);
		return SSA_ERR_CARD_ABSENT;
	}
	if (err != SSA_ERR_OK)
		return SSA_ERR_CARD_ABSENT; /* something there, no card connected: nothing changes */
	if (t->tap != TILL_TAP_READY) {
		/* Not seen arriving: the card of the previous sale, or one that stayed after a
		 * payment or an inquiry.  It pays only once lifted and tapped again (or F3). */
		tap_unseen(t, TILL_TAP_LEFT);
		return SSA_ERR_CARD_ABSENT;
	}
	/* Arrived: the payment starts as with F3 (t->tap is reset), and the card is read at once
	 * by the very path F3's payment reads it with (checks, settlement, grant, split). */
	if ((err = till_pay_start(t)) != SSA_ERR_OK)
		return err;
	return till_poll_card(t, timeout_ms, now_ms, NULL);
}

enum ssa_err
till_inquiry(struct till *t, int timeout_ms, int64_t now_ms, struct card_identity *id,
	     int64_t *balance)
{
	uint8_t uid[CARD_UID_MAX];
	size_t uid_len = 0;
	char why[sizeof(t->msg)];
	enum ssa_err err, refused_err;

	if (!t->reader)
		return SSA_ERR_CARD_ABSENT;
	err = t->reader->wait_card(t->reader->cls, timeout_ms, uid, &uid_len);
	if (err == SSA_ERR_CARD_ABSENT)
		return err;
	/* The card stays on the reader after the inquiry: it must not pay a basket then. */
	till_tap_reset(t);
	if (err == SSA_ERR_OK)
		err = t->reader->read_identity(t->reader->cls, id);
	if (err != SSA_ERR_OK)
		goto refused;
	/* A card blocked or out of its dates settles its pending reload or refund first, as
	 * till_poll_card, then is refused. */
	refused_err = till_card_check(t, id, uid, uid_len);
	if (refused_err != SSA_ERR_OK &&
	    !(t->pending_id && !till_card_pending_is_sale(t) &&
	      refusal_after_signature(refused_err))) {
		err = refused_err;
		goto out;
	}
	memcpy(why, t->msg, sizeof(why));
	/* A pending reload of this card is settled, then this month's grant applied: both say
	 * what went wrong themselves. */
	if ((t->pending_id && !till_card_pending_is_sale(t) &&
	     (err = till_card_settle(t, id, now_ms)) != SSA_ERR_OK) ||
	    refused_err != SSA_ERR_OK) {
		err = refused_after_settling(t, err, refused_err, why);
		goto out;
	}
	if ((err = till_card_reload(t, id, now_ms, NULL)) != SSA_ERR_OK)
		goto out;
	if ((err = t->reader->read_balance(t->reader->cls, balance)) == SSA_ERR_OK)
		goto out;
refused:
	till_message(t, TILL_MSG_ERROR, _("Card refused: %s."), _(ssa_strerror(err)));
out:
	t->reader->release(t->reader->cls);
	return err;
}

void
till_recover(struct till *t)
{
	void *blob = NULL;
	size_t len = 0;
	uint64_t id = 0;

	if (!t->journal || journal_store_get_pending(t->journal, &id, &blob, &len) != SSA_ERR_OK)
		return;
	t->pending_id = id;
	/* Another customer's card settles it: once it did, that card must leave the reader before
	 * a card pays the next basket. */
	tap_unseen(t, TILL_TAP_MUST_LEAVE);
	till_card_recover_message(t, blob, len);
	free(blob);
}

int64_t
till_due(const struct till *t)
{
	return t->state == TILL_PAYING ? allocation_due(&t->alloc) : 0;
}

void
till_new_sale(struct till *t)
{
	basket_fini(&t->basket);
	basket_init(&t->basket, t->today);
	use_preview_list(t);
	memset(&t->alloc, 0, sizeof(t->alloc));
	t->has_card = false;
	t->sale_pending_id = 0;
	t->state = TILL_SELLING;
	t->last_line = 0;
	t->pending_grams = 0;
	till_tap_reset(t);
	/* The entry line is what the person at the till is typing now, for the new sale: a "3*"
	 * or a weight typed on the receipt screen is kept for the scan that follows.  Only a
	 * weight asked for an item of the old sale goes with it. */
	if (t->weight_for_product)
		till_entry_clear(t);
}

void
till_cancel_sale(struct till *t)
{
	size_t n = t->state == TILL_PAID ? 0 : t->basket.n;

	if (debit_pending(t))
		return;
	till_new_sale(t);
	till_entry_clear(t);
	if (n == 0)
		till_message(t, TILL_MSG_WARN, "%s", _("The basket is empty."));
	else
		till_message(t, TILL_MSG_INFO, _("Sale cancelled: %d line(s) removed."), (int)n);
}

enum ssa_err
till_enter(struct till *t)
{
	char text[TILL_ENTRY_MAX + 1];
	struct till_entry e;
	struct catalog_product p;
	enum ssa_err err;
	bool weight = t->weight_prompt;
	bool for_product = t->weight_for_product;
	bool paying = t->state == TILL_PAYING;

	memcpy(text, t->entry, sizeof(text));
	till_entry_clear(t);
	if (text[0] == '\0')
		return SSA_ERR_OK;
	/* A scan during the payment goes back to the sale (nothing was recorded yet); after a
	 * recorded sale it starts the next one. */
	if (t->state == TILL_PAYING && till_pay_back(t) != SSA_ERR_OK)
		return SSA_ERR_INVAL;
	if (t->state == TILL_PAID)
		till_new_sale(t);
	p = t->pending_product;
	if (weight && !till_entry_is_scan(text)) {
		if (!for_product)
			return enter_weight(t, text);
		err = enter_weight(t, text);
		if (err != SSA_ERR_OK) {
			/* The item still waits for its weight. */
			t->weight_prompt = true;
			t->weight_for_product = true;
			return err;
		}
		err = add_weight(t, &p, t->pending_grams);
		t->pending_grams = 0;
		return err;
	}
	err = till_parse_entry(text, &e);
	if (err != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Cannot read \"%s\": %s."), text,
			     _(ssa_strerror(err)));
		return err;
	}
	if (e.grams == 0 && t->pending_grams > 0) {
		e.grams = t->pending_grams;
		e.qty = 1;
	}
	t->pending_grams = 0;
	err = till_add_entry(t, &e);
	if (err == SSA_ERR_OK && paying && t->msg_level == TILL_MSG_INFO) {
		/* The card read for the payment was dropped with it (the amounts change): say how
		 * to pay again. */
		char added[sizeof(t->msg)];

		memcpy(added, t->msg, sizeof(added));
		till_message(t, TILL_MSG_WARN,
			     _("%s Pay again: F3, or lift the card and tap it again."), added);
	}
	return err;
}
