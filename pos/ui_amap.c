/* ui_amap.c — the AMAP distribution screen: the sign-in sheet (feuille d'émargement) at the till.
 *
 * Typing letters finds households (a few letters of a name, co-members too); Enter marks the
 * selected household's baskets collected, with the time; F6 records who collected for them;
 * other keys record absent, moved, cancelled, given away, or undo.  Every change is on disk
 * before it is on screen (amap_session).  Totals per contract and size on F2; F12 exports the
 * results and the printable sheet; F3 lists the rows of the file left out at the import, with
 * their line numbers and reasons in the till's language (in English in the log).  Tapping a
 * household's food card (the sheet's card column) checks it in; the baskets of the contracts the
 * caisse pays are debited from the card through the till's card payment (amap_pay.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amap_pay.h"
#include "amap_session.h"
#include "crt.h"
#include "i18n.h"
#include "receipt.h"
#include "ui.h"

#define AMAP_ROWS_MAX 512

/* The import's bad rows on screen (F3): shown instead of the households, scrolled from row
 * bad_top.  Kept here rather than in struct ui: only this screen has them. */
static struct {
	bool shown;
	size_t top;
} bad_view;

static const char *const status_mark[] = {
	[AMAP_EXPECTED] = "\u00b7",
	[AMAP_COLLECTED] = "\u2713",
	[AMAP_ABSENT] = "\u2717",
	[AMAP_MOVED] = "\u2192",
	[AMAP_CANCELLED] = "-",
	[AMAP_GIVEN_AWAY] = "\u2665",
};

static const enum crt_color status_color[] = {
	[AMAP_EXPECTED] = CRT_NORMAL,      [AMAP_COLLECTED] = CRT_COVERED,
	[AMAP_ABSENT] = CRT_NOT_COVERED,   [AMAP_MOVED] = CRT_PARTIAL,
	[AMAP_CANCELLED] = CRT_PARTIAL,    [AMAP_GIVEN_AWAY] = CRT_COVERED,
};

static bool
french(void)
{
	return strcmp(_("Sale"), "Sale") != 0;
}

/* The items of household @p h as "Légumes 1 G, Oeufs 6". */
static void
items_text(const struct amap_distribution *d, size_t h, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_item && n + 1 < size; i++) {
		const struct amap_item *it = &d->item[i];
		long long q = (long long)(it->qty_milli / 1000);
		int r;

		if (it->household != h)
			continue;
		if (it->qty_milli % 1000)
			r = snprintf(buf + n, size - n, "%s%s %lld,%03lld%s%s", n ? ", " : "",
				     it->contract, q, (long long)(it->qty_milli % 1000),
				     it->product[0] ? " " : "", it->product);
		else
			r = snprintf(buf + n, size - n, "%s%s %lld%s%s", n ? ", " : "", it->contract,
				     q, it->product[0] ? " " : "", it->product);
		if (r < 0 || (size_t)r >= size - n)
			break;
		n += (size_t)r;
	}
}

static size_t
matches(struct ui *ui, size_t *out)
{
	size_t n = amap_find(&ui->amap->d, ui->amap_by >= 0 ? "" : ui->text, out, AMAP_ROWS_MAX);

	return n < AMAP_ROWS_MAX ? n : AMAP_ROWS_MAX;
}

static void
draw_totals(struct ui *ui, int top, int rows)
{
	struct amap_total tot[64];
	size_t n = amap_totals(&ui->amap->d, tot, 64);
	int y = top + 1;
	char buf[64];

	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, "");
	crt_put(top, 2, 24, true, _("Contract"));
	crt_put(top, 26, 12, true, _("Size"));
	crt_put(top, 38, 12, true, _("Collected"));
	crt_put(top, 50, 12, true, _("Expected"));
	attrset(crt_attr(CRT_NORMAL));
	for (size_t i = 0; i < n && i < 64 && y < top + rows - 1; i++, y++) {
		crt_put(y, 0, COLS, true, "");
		crt_put(y, 2, 23, false, tot[i].contract);
		crt_put(y, 26, 11, false, tot[i].product);
		snprintf(buf, sizeof(buf), "%lld", (long long)(tot[i].collected_milli / 1000));
		crt_put(y, 38, 12, false, buf);
		snprintf(buf, sizeof(buf), "%lld", (long long)(tot[i].expected_milli / 1000));
		crt_put(y, 50, 12, false, buf);
	}
}

/* The bad rows of the import, one a line: "line 7: bad quantity 'deux'". */
static void
draw_bad_rows(struct ui *ui, int top, int rows)
{
	const struct amap_report *rep = &ui->amap->rep;
	int y = top, shown = rows - 1;
	char buf[256];

	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	snprintf(buf, sizeof(buf), _("%u bad row(s), left out (Esc: back)"), rep->rows_bad);
	crt_put(y++, 0, COLS, true, buf);
	attrset(crt_attr(CRT_NORMAL));
	if (shown < 1)
		return;
	if (rep->n_bad <= (size_t)shown)
		bad_view.top = 0;
	else if (bad_view.top > rep->n_bad - (size_t)shown)
		bad_view.top = rep->n_bad - (size_t)shown;
	for (size_t i = bad_view.top; i < rep->n_bad && y < top + rows; i++, y++) {
		const struct amap_bad_row *b = &rep->bad[i];
		char why[sizeof(b->msg)];

		/* The core's reason, in the till's language (po/fr.po), filled with its cell. */
		amap_reason_fill(_(b->reason), b->value, why, sizeof(why));
		snprintf(buf, sizeof(buf), _("line %u: %s"), b->line, why);
		crt_put(y, 2, COLS - 2, true, buf);
	}
	if (y < top + rows && rep->rows_bad > rep->n_bad) {
		snprintf(buf, sizeof(buf), _("... and %u more, not listed"),
			 rep->rows_bad - (unsigned)rep->n_bad);
		crt_put(y, 2, COLS - 2, true, buf);
	}
}

static void
amap_draw(struct ui *ui, int top, int rows)
{
	const struct amap_distribution *d = &ui->amap->d;
	size_t idx[AMAP_ROWS_MAX], n, first = 0, collected = 0;
	char head[160], items[256], when[16];
	int y = top + 1;

	for (size_t h = 0; h < d->n_household; h++)
		collected += d->household[h].status == AMAP_COLLECTED ||
			     d->household[h].status == AMAP_GIVEN_AWAY;
	snprintf(head, sizeof(head), _("%zu households, %zu collected, %zu to come"),
		 d->n_household, collected, d->n_household - collected);
	if (ui->amap_card_seen) {
		char card[24], more[64];

		card_id_format(ui->amap_card_member, card, sizeof(card));
		snprintf(more, sizeof(more), _(" | card %s on the reader"), card);
		strncat(head, more, sizeof(head) - strlen(head) - 1);
	}
	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, head);
	attrset(crt_attr(CRT_NORMAL));
	crt_put(top + rows - 1, 0, COLS, true,
		_("Enter collected  F6 by  F7 absent  F8 moved  F9 cancelled  F11 given  F4 undo"));
	if (bad_view.shown) {
		draw_bad_rows(ui, top + 1, rows - 2);
		return;
	}
	if (ui->amap_totals) {
		draw_totals(ui, top + 1, rows - 2);
		return;
	}
	n = matches(ui, idx);
	if (n == 0) {
		crt_put(y, 2, COLS - 2, true, _("No household matches."));
		return;
	}
	if (ui->amap_sel >= n)
		ui->amap_sel = n - 1;
	if (ui->amap_sel >= (size_t)(rows - 2))
		first = ui->amap_sel - (size_t)(rows - 3);
	for (size_t i = first; i < n && y < top + rows - 1; i++, y++) {
		const struct amap_household *hh = &d->household[idx[i]];
		bool sel = i == ui->amap_sel;
		char row[400];

		when[0] = '\0';
		if (hh->changed_at) {
			time_t tt = (time_t)hh->changed_at;
			struct tm tm;

			if (localtime_r(&tt, &tm))
				strftime(when, sizeof(when), "%H:%M", &tm);
		}
		items_text(d, idx[i], items, sizeof(items));
		attrset(crt_attr(sel ? CRT_SELECTED : CRT_NORMAL));
		crt_put(y, 0, COLS, true, sel ? ">" : "");
		attrset(crt_attr(status_color[hh->status]));
		crt_put(y, 2, 1, false, status_mark[hh->status]);
		crt_put(y, 4, 11, true, amap_status_name(hh->status, french()));
		attrset(crt_attr(sel ? CRT_SELECTED : CRT_NORMAL));
		snprintf(row, sizeof(row), "%-5s %s%s%s%s  %s", when, hh->name,
			 hh->collected_by ? " (" : "", hh->collected_by ? hh->collected_by : "",
			 hh->collected_by ? ")" : "", items);
		crt_put(y, 16, COLS - 16, true, row);
		attrset(crt_attr(CRT_NORMAL));
	}
}

/* Show household @p h selected, whatever was searched. */
static void
select_household(struct ui *ui, size_t h)
{
	size_t idx[AMAP_ROWS_MAX], n;

	ui->text[0] = '\0';
	ui->amap_by = -1;
	ui->amap_totals = false;
	bad_view.shown = false;
	n = matches(ui, idx);
	for (size_t i = 0; i < n; i++)
		if (idx[i] == h)
			ui->amap_sel = i;
}

/* UTC ms of today's local midnight: a household's AMAP sale of today. */
static int64_t
day_start_ms(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 0;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* Household @p h collected its baskets now; false (and a message) when it could not be logged. */
static bool
collected(struct ui *ui, size_t h)
{
	enum ssa_err err = amap_session_set(ui->amap, h, AMAP_COLLECTED, (int64_t)time(NULL), NULL);

	if (err != SSA_ERR_OK)
		till_message(ui->till, TILL_MSG_ERROR, _("Not recorded: %s."), _(ssa_strerror(err)));
	return err == SSA_ERR_OK;
}

/* Card @p id was tapped: check its household in, the card paying the baskets the caisse pays. */
static void
card_checkin(struct ui *ui, const struct card_identity *id)
{
	struct till *t = ui->till;
	const struct amap_distribution *d = &ui->amap->d;
	char card[24], m[48];
	size_t h, lines = 0;
	uint64_t seq = 0;
	enum ssa_err err;

	card_id_format(id->member_id, card, sizeof(card));
	if ((h = amap_find_member(d, id->member_id)) == (size_t)-1) {
		till_message(t, TILL_MSG_WARN,
			     _("Card %s: no household of this distribution has this card."), card);
		return;
	}
	select_household(ui, h);
	if (d->household[h].status == AMAP_COLLECTED || d->household[h].status == AMAP_GIVEN_AWAY) {
		till_message(t, TILL_MSG_WARN, _("%s: collected already."), d->household[h].name);
		return;
	}
	/* Debited already (the till stopped before the sign-in log had it): never twice. */
	if (t->journal && amap_pay_find(t->journal, card, day_start_ms(), &seq) == SSA_ERR_OK &&
	    seq) {
		if (collected(ui, h))
			till_message(t, TILL_MSG_INFO, _("%s: collected (paid by the card already)."),
				     d->household[h].name);
		return;
	}
	if (t->state != TILL_SELLING || t->pending_id)
		return;
	till_new_sale(t);
	if ((err = amap_pay_build(d, h, t, id->caisse, &lines)) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, _("Not recorded: %s."), _(ssa_strerror(err)));
		return;
	}
	if (lines == 0) {
		if (collected(ui, h))
			till_message(t, TILL_MSG_INFO, _("%s: collected (nothing for the card to pay)."),
				     d->household[h].name);
		return;
	}
	if (!t->journal || !t->signer || till_pay_start(t) != SSA_ERR_OK) {
		till_new_sale(t);
		till_message(t, TILL_MSG_ERROR, "%s", _("No journal: a sale cannot be recorded here."));
		return;
	}
	ui->amap_paying = (long)h;
	snprintf(ui->amap_card, sizeof(ui->amap_card), "%s", card);
	money_format(t->basket.total, ui->money_locale, m, sizeof(m));
	till_message(t, TILL_MSG_INFO, _("%s: %s of baskets for the card: keep it on the reader."),
		     d->household[h].name, m);
}

void
ui_amap_pay_step(struct ui *ui)
{
	struct till *t = ui->till;
	const char *name;

	if (ui->amap_paying < 0 || t->state != TILL_PAYING || !t->has_card || t->pending_id)
		return;
	name = ui->amap->d.household[ui->amap_paying].name;
	if (strcmp(t->card.id, ui->amap_card) != 0) {
		till_pay_back(t);
		till_new_sale(t);
		ui->amap_paying = -1;
		till_message(t, TILL_MSG_WARN, _("Another card: tap the card of %s again."), name);
		return;
	}
	if (t->alloc.ssa_debit == 0) {
		/* An empty card pays nothing: the pickup is only recorded. */
		size_t h = (size_t)ui->amap_paying;

		till_pay_back(t);
		till_new_sale(t);
		ui->amap_paying = -1;
		if (collected(ui, h))
			till_message(t, TILL_MSG_INFO,
				     _("%s: collected; the card's balance is empty: nothing debited."),
				     name);
		return;
	}
	/* What the card does not pay is the member's part of the contract, paid to the AMAP. */
	if (till_due(t) > 0)
		till_pay_tender(t, TENDER_OTHER, 0);
}

void
ui_amap_paid(struct ui *ui)
{
	struct till *t = ui->till;
	char m[48], msg[200];
	size_t h;

	if (ui->amap_paying < 0) {
		till_new_sale(t);
		return;
	}
	h = (size_t)ui->amap_paying;
	ui->amap_paying = -1;
	money_format(t->alloc.ssa_debit, ui->money_locale, m, sizeof(m));
	snprintf(msg, sizeof(msg), _("Sale %llu: %s paid by the card."),
		 (unsigned long long)t->last_sale_seq, m);
	till_new_sale(t);
	if (amap_session_set(ui->amap, h, AMAP_COLLECTED, (int64_t)time(NULL), NULL) != SSA_ERR_OK)
		till_message(t, TILL_MSG_ERROR, _("%s The sign-in log could not be written."), msg);
	else
		till_message(t, TILL_MSG_INFO, _("%s %s: collected."), msg,
			     ui->amap->d.household[h].name);
}

/* Between keys: a card on the reader checks its household in (once per tap). */
static void
amap_idle(struct ui *ui)
{
	struct till *t = ui->till;
	struct card_identity id;
	int64_t balance = 0;
	enum ssa_err err;

	if (!t->reader || t->state != TILL_SELLING || t->pending_id || ui->amap_by >= 0)
		return;
	err = till_inquiry(t, 50, (int64_t)time(NULL) * 1000, &id, &balance);
	if (err == SSA_ERR_CARD_ABSENT) {
		ui->amap_card_seen = 0;
		return;
	}
	if (err != SSA_ERR_OK || id.serial == ui->amap_card_seen)
		return; /* refused (said so), or still on the reader */
	ui->amap_card_seen = id.serial;
	ui->amap_card_member = id.member_id;
	card_checkin(ui, &id);
}

static void
set_selected(struct ui *ui, enum amap_status st, const char *by)
{
	size_t idx[AMAP_ROWS_MAX], n = matches(ui, idx), h;
	enum ssa_err err;

	if (ui->amap_by >= 0) {
		h = (size_t)ui->amap_by;
	} else if (n == 0) {
		till_message(ui->till, TILL_MSG_WARN, "%s", _("No household matches."));
		return;
	} else {
		h = idx[ui->amap_sel < n ? ui->amap_sel : n - 1];
	}
	err = amap_session_set(ui->amap, h, st, (int64_t)time(NULL), by);
	if (err != SSA_ERR_OK) {
		till_message(ui->till, TILL_MSG_ERROR, _("Not recorded: %s."), _(ssa_strerror(err)));
		return;
	}
	till_message(ui->till, TILL_MSG_INFO, "%s: %s.", ui->amap->d.household[h].name,
		     amap_status_name(st, french()));
	/* The next member: clear the search, keep the list where it was. */
	ui->text[0] = '\0';
	ui->amap_by = -1;
}

static enum request
amap_request(struct ui *ui, enum request req)
{
	if (ui->till->state == TILL_PAYING && ui->amap_paying >= 0) {
		/* The card is paying: only Esc (drop the payment) or moving around. */
		if (req == REQ_BACK) {
			if (till_pay_back(ui->till) == SSA_ERR_OK) {
				till_new_sale(ui->till);
				ui->amap_paying = -1;
				till_message(ui->till, TILL_MSG_INFO, "%s",
					     _("Card payment dropped: nothing was recorded."));
			}
			return REQ_NONE;
		}
		if (req != REQ_UP && req != REQ_DOWN && req != REQ_PAGE_UP && req != REQ_PAGE_DOWN) {
			till_message(ui->till, TILL_MSG_WARN, "%s",
				     _("The card is paying: keep it on the reader, or Esc."));
			return REQ_NONE;
		}
	}
	if (bad_view.shown) {
		/* The bad rows: the arrows scroll them, F3 or Esc goes back, any other key too. */
		switch (req) {
		case REQ_UP:
			if (bad_view.top > 0)
				bad_view.top--;
			return REQ_NONE;
		case REQ_DOWN:
			bad_view.top++;
			return REQ_NONE;
		case REQ_PAGE_UP:
			bad_view.top = bad_view.top > 10 ? bad_view.top - 10 : 0;
			return REQ_NONE;
		case REQ_PAGE_DOWN:
			bad_view.top += 10;
			return REQ_NONE;
		case REQ_PAY:
		case REQ_BACK:
			bad_view.shown = false;
			return REQ_NONE;
		default:
			/* Leave the list; only F2 (the totals) does what it says, so that a key
			 * pressed while reading the list records no check-in by surprise. */
			bad_view.shown = false;
			if (req != REQ_SALE)
				return REQ_NONE;
			break;
		}
	}
	switch (req) {
	case REQ_PAY:
		if (ui->amap->rep.rows_bad == 0) {
			till_message(ui->till, TILL_MSG_INFO, "%s",
				     _("Every row of the file was imported."));
			return REQ_NONE;
		}
		bad_view.shown = true;
		bad_view.top = 0;
		ui->amap_totals = false;
		till_message(ui->till, TILL_MSG_WARN, _("%u row(s) imported, %u bad."),
			     ui->amap->rep.rows_imported, ui->amap->rep.rows_bad);
		return REQ_NONE;
	case REQ_UP:
		if (ui->amap_sel > 0)
			ui->amap_sel--;
		return REQ_NONE;
	case REQ_DOWN:
		ui->amap_sel++;
		return REQ_NONE;
	case REQ_PAGE_UP:
		ui->amap_sel = ui->amap_sel > 10 ? ui->amap_sel - 10 : 0;
		return REQ_NONE;
	case REQ_PAGE_DOWN:
		ui->amap_sel += 10;
		return REQ_NONE;
	case REQ_ENTER:
		if (ui->amap_by >= 0) {
			if (!ui->text[0]) {
				till_message(ui->till, TILL_MSG_WARN, "%s",
					     _("Type the name of who collects, then Enter."));
				return REQ_NONE;
			}
			set_selected(ui, AMAP_COLLECTED, ui->text);
		} else {
			set_selected(ui, AMAP_COLLECTED, NULL);
		}
		return REQ_NONE;
	case REQ_WEIGHT: {
		size_t idx[AMAP_ROWS_MAX], n = matches(ui, idx);

		if (n == 0)
			return REQ_NONE;
		ui->amap_by = (long)idx[ui->amap_sel < n ? ui->amap_sel : n - 1];
		ui->text[0] = '\0';
		till_message(ui->till, TILL_MSG_INFO, _("Who collects for %s? Type the name, Enter."),
			     ui->amap->d.household[ui->amap_by].name);
		return REQ_NONE;
	}
	case REQ_CASH:
		set_selected(ui, AMAP_ABSENT, NULL);
		return REQ_NONE;
	case REQ_BANK_CARD:
		set_selected(ui, AMAP_MOVED, NULL);
		return REQ_NONE;
	case REQ_LOCAL_CURRENCY:
		set_selected(ui, AMAP_CANCELLED, NULL);
		return REQ_NONE;
	case REQ_OTHER_TENDER:
		set_selected(ui, AMAP_GIVEN_AWAY, NULL);
		return REQ_NONE;
	case REQ_VOID_LINE:
		set_selected(ui, AMAP_EXPECTED, NULL);
		return REQ_NONE;
	case REQ_SALE:
		ui->amap_totals = !ui->amap_totals;
		return REQ_NONE;
	case REQ_EXPORT: {
		char *st = NULL;
		size_t len = 0;
		enum ssa_err err = amap_session_export(ui->amap);

		/* The members' statement: what the card paid, what the caisse reimburses. */
		if (err == SSA_ERR_OK &&
		    (err = amap_pay_statement(&ui->amap->d, ui->till->journal, &st, &len)) ==
			    SSA_ERR_OK)
			err = receipt_write(ui->amap->statement_path, st, len);
		free(st);
		if (err == SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_INFO, _("Written: %s, %s and %s."),
				     ui->amap->results_path, ui->amap->sheet_path,
				     ui->amap->statement_path);
		else
			till_message(ui->till, TILL_MSG_ERROR, "%s", _("The export could not be written."));
		return REQ_NONE;
	}
	case REQ_BACK:
		ui->text[0] = '\0';
		ui->amap_by = -1;
		ui->amap_totals = false;
		till_message(ui->till, TILL_MSG_NONE, "%s", "");
		return REQ_NONE;
	default:
		till_message(ui->till, TILL_MSG_WARN, "%s",
			     _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

const struct view_ops ui_amap_ops = {
	.name = "amap",
	.title = N_("AMAP distribution"),
	.draw = amap_draw,
	.request = amap_request,
	.takes_text = true,
	.idle = amap_idle,
};
