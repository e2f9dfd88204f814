/* ui_pay.c — the payment screen: the split between the food card and the other tenders.
 *
 * The same screen whatever the member pays with: the total, what the caisse covers, the card's
 * debit as one tender among the others, what is left to pay and the change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt.h"
#include "i18n.h"
#include "reader.h"
#include "receipt.h"
#include "ui.h"

#define COL_AMOUNT 40
#define W_AMOUNT 14

static void
row(struct ui *ui, int y, enum crt_color c, const char *label, int64_t cents, const char *note)
{
	char m[48];
	int w;

	money_format(cents, ui->money_locale, m, sizeof(m));
	attrset(crt_attr(c));
	crt_put(y, 2, COL_AMOUNT - 3, true, label);
	w = crt_width(m);
	crt_put(y, COL_AMOUNT, W_AMOUNT - w, true, "");
	crt_put(y, COL_AMOUNT + W_AMOUNT - w, w, false, m);
	if (note)
		crt_put(y, COL_AMOUNT + W_AMOUNT + 2, COLS - COL_AMOUNT - W_AMOUNT - 2, true, note);
	attrset(crt_attr(CRT_NORMAL));
}

static void
pay_draw(struct ui *ui, int top, int rows)
{
	const struct till *t = ui->till;
	const struct allocation *a = &t->alloc;
	struct basket_totals tot;
	char note[96], m[48];
	int y = top + 1;

	basket_totals(&t->basket, &tot);
	snprintf(note, sizeof(note), _("%d line(s)"), (int)tot.lines);
	row(ui, y++, CRT_NORMAL, _("Total"), tot.total, note);
	row(ui, y++, CRT_COVERED, _("Covered by the caisse"), tot.covered,
	    t->has_card ? NULL : _("(before the card is read)"));
	y++;
	if (t->has_card) {
		snprintf(note, sizeof(note), _("card %s, caisse %s"), t->card.id, t->card.caisse);
		crt_put(y++, 2, COLS - 2, true, note);
		if (t->card_note[0]) {
			attrset(crt_attr(CRT_COVERED));
			crt_put(y++, 2, COLS - 2, true, t->card_note);
			attrset(crt_attr(CRT_NORMAL));
		}
		row(ui, y++, CRT_NORMAL, _("Card balance"), t->card.balance, NULL);
		money_format(a->balance_after, ui->money_locale, m, sizeof(m));
		snprintf(note, sizeof(note), _("balance after: %s"), m);
		row(ui, y++, CRT_COVERED, _(tender_label(TENDER_SSA)), a->ssa_debit, note);
	} else if (pos_reader_lost(ui->reader)) {
		attrset(crt_attr(CRT_WARN));
		crt_put(y++, 2, COLS - 2, true,
			_("Card reader gone: tried again by itself; cash and other tenders work."));
	} else {
		attrset(crt_attr(CRT_INFO));
		crt_put(y++, 2, COLS - 2, true, _("Food card: put it on the reader."));
		attrset(crt_attr(CRT_NORMAL));
	}
	for (size_t i = 0; i < a->n && y < top + rows - 4; i++) {
		const struct allocation_tender *tn = &a->tenders[i];

		if (tn->kind == TENDER_SSA)
			continue;
		note[0] = '\0';
		if (tn->given != tn->amount) {
			money_format(tn->given, ui->money_locale, m, sizeof(m));
			snprintf(note, sizeof(note), _("given %s"), m);
		}
		row(ui, y++, CRT_NORMAL, _(tender_label(tn->kind)), tn->amount, note[0] ? note : NULL);
	}
	y++;
	row(ui, y++, allocation_due(a) > 0 ? CRT_WARN : CRT_COVERED, _("Left to pay"),
	    allocation_due(a), NULL);
	if (a->change > 0)
		row(ui, y++, CRT_WARN, _("Change to give"), a->change, NULL);
	crt_put(top + rows - 1, 0, COLS, true,
		_("F7 cash  F8 bank card  F9 local currency  F11 other  Esc back to the sale"));
}

static enum tender_kind
tender_of(enum request req)
{
	switch (req) {
	case REQ_BANK_CARD:
		return TENDER_BANK_CARD;
	case REQ_LOCAL_CURRENCY:
		return TENDER_LOCAL_CURRENCY;
	case REQ_OTHER_TENDER:
		return TENDER_OTHER;
	default:
		return TENDER_CASH;
	}
}

static enum request
pay_request(struct ui *ui, enum request req)
{
	struct till *t = ui->till;
	int64_t amount = 0;

	switch (req) {
	case REQ_ENTER:
	case REQ_CASH:
	case REQ_BANK_CARD:
	case REQ_LOCAL_CURRENCY:
	case REQ_OTHER_TENDER:
		if (t->state != TILL_PAYING)
			return REQ_SALE;
		if (t->entry[0] && money_parse(t->entry, &amount) != SSA_ERR_OK) {
			till_message(t, TILL_MSG_ERROR, _("Not an amount: \"%s\" (e.g. 20 or 12,50)."),
				     t->entry);
			till_entry_clear(t);
			return REQ_NONE;
		}
		if (t->entry[0] && amount <= 0) {
			till_message(t, TILL_MSG_ERROR, "%s", _("The amount must be above zero."));
			till_entry_clear(t);
			return REQ_NONE;
		}
		till_entry_clear(t);
		if (req == REQ_ENTER && amount == 0)
			return REQ_NONE;
		till_pay_tender(t, tender_of(req), amount);
		return REQ_NONE;
	case REQ_BACK:
		return REQ_SALE;
	case REQ_CANCEL_SALE:
		ui_switch(ui, &ui_sale_ops);
		return REQ_CANCEL_SALE;
	case REQ_VOID_LINE:
		till_message(t, TILL_MSG_WARN, "%s", _("Go back to the sale (Esc) to void a line."));
		return REQ_NONE;
	default:
		till_message(t, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

static void
pay_open(struct ui *ui)
{
	if (ui->till->state != TILL_SELLING)
		return;
	if (!ui->till->journal || !ui->till->signer) {
		till_message(ui->till, TILL_MSG_ERROR, "%s",
			     _("No journal: a sale cannot be recorded here."));
		ui->bounce = true;
		return;
	}
	if (till_pay_start(ui->till) != SSA_ERR_OK)
		ui->bounce = true;
}

/* Copies of the receipt: a text file per sale, and the printer.  A failure is a message: the
 * sale is recorded whatever happens to its paper. */
static void
copy_receipt(struct ui *ui)
{
	const char *text = ui->till->receipt;
	char path[1024], *esc = NULL;
	size_t len;

	if (!text)
		return;
	if (ui->receipt_dir) {
		snprintf(path, sizeof(path), "%s/sale-%06llu.txt", ui->receipt_dir,
			 (unsigned long long)ui->till->last_sale_seq);
		if (receipt_write(path, text, strlen(text)) != SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_WARN, _("Receipt not written to %s."), path);
	}
	if (ui->printer) {
		if (receipt_escpos(text, strlen(text), &esc, &len) != SSA_ERR_OK ||
		    receipt_write(ui->printer, esc, len) != SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_WARN, _("Printer %s: the receipt was not "
								"printed."),
				     ui->printer);
		free(esc);
	}
}

void
ui_pay_step(struct ui *ui, int timeout_ms)
{
	struct till *t = ui->till;
	struct receipt rc = {
		.shop_name = ui->shop_name,
		.shop_address = ui->shop_address,
		.loc = ui->money_locale,
		.width = ui->receipt_width,
	};
	time_t now = time(NULL);
	struct tm tm;
	char when[32] = "";
	int64_t now_ms = (int64_t)now * 1000;

	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%d/%m/%Y %H:%M", &tm);
	rc.time_text = when;
	if (t->state == TILL_PAYING && t->pending_id == 0 && till_due(t) == 0 &&
	    (t->has_card || t->alloc.ssa_debit == 0))
		till_pay_commit(t, now_ms, &rc);
	else if (t->state == TILL_PAYING || t->pending_id)
		till_poll_card(t, timeout_ms, now_ms, &rc);
	if (ui->amap)
		ui_amap_pay_step(ui);
	/* A card read with nothing left to pay: record at once. */
	if (t->state == TILL_PAYING && t->pending_id == 0 && t->has_card && till_due(t) == 0)
		till_pay_commit(t, now_ms, &rc);
	if (t->state == TILL_PAID && ui->view != &ui_receipt_ops) {
		copy_receipt(ui);
		if (ui->amap)
			ui_amap_paid(ui); /* the distribution goes on: no receipt screen */
		else
			ui_switch(ui, &ui_receipt_ops);
	}
}

const struct view_ops ui_pay_ops = {
	.name = "pay",
	.title = N_("Payment"),
	.open = pay_open,
	.draw = pay_draw,
	.request = pay_request,
	.takes_amounts = true,
	.entry_label = N_("Amount: "),
};
