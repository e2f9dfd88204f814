/* ui_sale.c — the sale screen: the basket's lines with their eligibility, and the totals.
 *
 * Eligibility is shown twice, so that it reads without color: a symbol (✓ covered, ◐ partly,
 * ✗ not covered, ? no list) and a color; a line not fully covered has its reason on the row
 * below it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ssa/convention.h"

#include "crt.h"
#include "i18n.h"
#include "reader.h"
#include "ui.h"

/* Columns of a line row. */
#define COL_MARK 2
#define COL_NAME 4
#define COL_QTY 43
#define W_QTY 10
#define COL_AMOUNT 54
#define W_AMOUNT 12
#define COL_SSA 67
#define W_SSA 12

static const char *const mark_symbol[] = {
	[TILL_MARK_COVERED] = "\u2713",
	[TILL_MARK_PARTIAL] = "\u25d0",
	[TILL_MARK_NONE] = "\u2717",
	[TILL_MARK_UNKNOWN] = "?",
};

static const enum crt_color mark_color[] = {
	[TILL_MARK_COVERED] = CRT_COVERED,
	[TILL_MARK_PARTIAL] = CRT_PARTIAL,
	[TILL_MARK_NONE] = CRT_NOT_COVERED,
	[TILL_MARK_UNKNOWN] = CRT_NORMAL,
};

static void
put_right(int y, int x, int width, const char *text)
{
	int w = crt_width(text);

	if (w < width)
		crt_put(y, x, width - w, true, "");
	crt_put(y, x + (w < width ? width - w : 0), width, false, text);
}

static void
qty_text(const struct basket_line *l, char *buf, size_t size)
{
	if (l->measure == BASKET_WEIGHT)
		snprintf(buf, size, "%d,%03d kg", (int)(l->grams / 1000), (int)(l->grams % 1000));
	else
		snprintf(buf, size, "%lld", (long long)l->qty);
}

static size_t
selected_index(struct ui *ui)
{
	const struct basket *b = &ui->till->basket;

	for (size_t i = 0; i < b->n; i++)
		if (b->lines[i].id == ui->selected)
			return i;
	return b->n ? b->n - 1 : 0;
}

/* Rows a line takes: one, plus one for the reason when not fully covered. */
static int
line_rows(const struct basket_line *l)
{
	return till_line_mark(l) == TILL_MARK_COVERED ? 1 : 2;
}

static void
draw_line(struct ui *ui, const struct basket_line *l, int y, bool selected, bool with_reason)
{
	enum till_mark m = till_line_mark(l);
	char buf[64];

	attrset(selected ? crt_attr(CRT_SELECTED) : crt_attr(CRT_NORMAL));
	crt_put(y, 0, COLS, true, selected ? ">" : "");
	attrset(crt_attr(mark_color[m]));
	crt_put(y, COL_MARK, 1, false, mark_symbol[m]);
	attrset(selected ? crt_attr(CRT_SELECTED) : crt_attr(CRT_NORMAL));
	crt_put(y, COL_NAME, COL_QTY - COL_NAME - 1, false, l->product.name);
	qty_text(l, buf, sizeof(buf));
	put_right(y, COL_QTY, W_QTY, buf);
	money_format(l->amount, ui->money_locale, buf, sizeof(buf));
	put_right(y, COL_AMOUNT, W_AMOUNT, buf);
	money_format(l->decision.covered, ui->money_locale, buf, sizeof(buf));
	attrset(crt_attr(mark_color[m]));
	put_right(y, COL_SSA, W_SSA, buf);
	if (with_reason) {
		attrset(crt_attr(mark_color[m]));
		crt_put(y + 1, COL_NAME + 2, COLS - COL_NAME - 2, true,
			_(convention_reason_text(l->decision.reason)));
	}
	attrset(crt_attr(CRT_NORMAL));
}

static void
draw_totals(struct ui *ui, int y)
{
	struct basket_totals tot;
	char total[40], covered[40], rest[40], buf[200];

	basket_totals(&ui->till->basket, &tot);
	money_format(tot.total, ui->money_locale, total, sizeof(total));
	money_format(tot.covered, ui->money_locale, covered, sizeof(covered));
	money_format(tot.rest, ui->money_locale, rest, sizeof(rest));
	snprintf(buf, sizeof(buf), _("%d line(s)   Total %s   SSA %s   Rest %s"), (int)tot.lines,
		 total, covered, rest);
	attrset(crt_attr(CRT_TITLE));
	crt_put(y, 0, COLS, true, buf);
	attrset(crt_attr(CRT_NORMAL));
}

/* The line saying how to pay with the card, or NULL: no reader, an empty basket. */
static const char *
tap_hint(struct ui *ui)
{
	if (!ui->reader || !till_tap_wanted(ui->till))
		return NULL;
	switch (ui->till->tap) {
	case TILL_TAP_READY:
		return _("Food card: tap it on the reader to pay (F3: other tenders).");
	case TILL_TAP_LEFT:
		return _("A card was on the reader already: lift it and tap it again to pay, or F3.");
	case TILL_TAP_MUST_LEAVE:
		return _("The card that settled the interrupted operation is still on the reader: "
		         "lift it, then tap the card that pays.");
	default:
		return _("F3 to pay.");
	}
}

void
ui_sale_tap(struct ui *ui)
{
	struct till *t = ui->till;

	if (ui->view != &ui_sale_ops || !till_tap_wanted(t))
		return;
	/* One short look: the keys come first (the loop looks only when none is waiting). */
	till_tap(t, 0, (int64_t)time(NULL) * 1000);
	if (pos_reader_lost(ui->reader))
		/* A reader gone answers "no card" (pos/reader.h): that is no empty reader, and one
		 * plugged back with a card already on it must not make that card arrive. */
		till_tap_reset(t);
	if (t->state == TILL_PAYING)
		ui_switch(ui, &ui_pay_ops);
}

static void
sale_draw(struct ui *ui, int top, int rows)
{
	const struct basket *b = &ui->till->basket;
	size_t sel, first;
	int avail = rows - 2, used;
	const char *hint = tap_hint(ui);

	if (ui->till->last_line != ui->seen_last) {
		/* A line was just added: select it, so that F4 voids what was just scanned. */
		ui->selected = ui->till->last_line;
		ui->seen_last = ui->till->last_line;
	}
	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, _("    Item                                    Qty       Amount    SSA part"));
	attrset(crt_attr(CRT_NORMAL));
	draw_totals(ui, top + rows - 1);
	if (b->n == 0) {
		crt_put(top + 2, 2, COLS - 2, true,
			_("The basket is empty: scan an item or type its code."));
		return;
	}
	if (hint) {
		/* How to pay, above the totals: the card reader's state says it. */
		bool lift = ui->till->tap == TILL_TAP_LEFT || ui->till->tap == TILL_TAP_MUST_LEAVE;

		avail--;
		attrset(crt_attr(lift ? CRT_WARN : CRT_INFO));
		crt_put(top + rows - 2, 0, COLS, true, hint);
		attrset(crt_attr(CRT_NORMAL));
	}
	sel = selected_index(ui);
	ui->selected = b->lines[sel].id;
	/* The first line shown: as late as needed for the selected line to fit. */
	first = 0;
	used = 0;
	for (size_t i = sel + 1; i-- > 0;) {
		used += line_rows(&b->lines[i]);
		if (used > avail)
			break;
		first = i;
	}
	for (size_t i = first, y = (size_t)top + 1; i < b->n; i++) {
		int r = line_rows(&b->lines[i]);

		if ((int)y + 1 > top + 1 + avail)
			break;
		draw_line(ui, &b->lines[i], (int)y, i == sel,
			  r == 2 && (int)y + 2 <= top + 1 + avail);
		y += (size_t)r;
	}
}

static enum request
sale_request(struct ui *ui, enum request req)
{
	struct till *t = ui->till;
	const struct basket *b = &t->basket;
	size_t sel = selected_index(ui);

	switch (req) {
	case REQ_WEIGHT:
		till_weight_prompt(t);
		return REQ_NONE;
	case REQ_UP:
		if (b->n && sel > 0)
			ui->selected = b->lines[sel - 1].id;
		return REQ_NONE;
	case REQ_DOWN:
		if (b->n && sel + 1 < b->n)
			ui->selected = b->lines[sel + 1].id;
		return REQ_NONE;
	case REQ_PAGE_UP:
		if (b->n)
			ui->selected = b->lines[sel > 5 ? sel - 5 : 0].id;
		return REQ_NONE;
	case REQ_PAGE_DOWN:
		if (b->n)
			ui->selected = b->lines[sel + 5 < b->n ? sel + 5 : b->n - 1].id;
		return REQ_NONE;
	case REQ_VOID_LINE:
		if (b->n == 0) {
			till_message(t, TILL_MSG_WARN, "%s", _("The basket is empty."));
			return REQ_NONE;
		}
		if (till_void_line(t, b->lines[sel].id) == SSA_ERR_OK && b->n)
			ui->selected = b->lines[sel < b->n ? sel : b->n - 1].id;
		return REQ_NONE;
	case REQ_CANCEL_SALE:
		till_cancel_sale(t);
		ui->selected = 0;
		return REQ_NONE;
	case REQ_BACK:
		till_message(t, TILL_MSG_NONE, "%s", "");
		return REQ_NONE;
	default:
		till_message(t, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

/* Coming to the sale screen while paying means going back to the sale. */
static void
sale_open(struct ui *ui)
{
	if (ui->till->state == TILL_PAYING && till_pay_back(ui->till) != SSA_ERR_OK)
		ui->bounce = true; /* a card debit is pending: stay on the payment */
	else if (ui->till->state == TILL_PAID)
		till_new_sale(ui->till);
}

/* Another screen (help, inquiry, refund, payment): a card put on the reader meanwhile did not
 * arrive for this basket.  Tap to pay waits for the reader seen empty again. */
static void
sale_done(struct ui *ui)
{
	till_tap_reset(ui->till);
}

const struct view_ops ui_sale_ops = {
	.name = "sale",
	.title = N_("Sale"),
	.open = sale_open,
	.done = sale_done,
	.draw = sale_draw,
	.request = sale_request,
};
