/* ui_refund.c — refund lines of an earlier sale: type the sale number, choose lines and
 * quantities, F3 refunds (the card that paid takes the SSA part back), the refund's receipt.
 * The logic is till_refund.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt.h"
#include "i18n.h"
#include "receipt.h"
#include "till_card.h"
#include "ui.h"

/* One refund at a time: the screen's state. */
static struct {
	struct till_refund rf;
	size_t sel;
	bool waiting;      /* F3 pressed, an SSA part: waiting for the card */
	uint64_t before;   /* t->last_refund_seq when F3 was pressed */
	char *receipt;     /* the refund's receipt once recorded, NULL before */
} st;

static void
reset(void)
{
	till_refund_fini(&st.rf);
	free(st.receipt);
	memset(&st, 0, sizeof(st));
}

static void
refund_open(struct ui *ui)
{
	struct till *t = ui->till;

	if (t->state == TILL_PAYING) {
		till_message(t, TILL_MSG_WARN, "%s", _("Finish or cancel the sale first."));
		ui->bounce = true;
		return;
	}
	reset();
	till_entry_clear(t);
	till_message(t, TILL_MSG_INFO, "%s", _("Type the number of the sale to refund, then Enter."));
}

static void
refund_done(struct ui *ui)
{
	(void)ui;
	if (!st.waiting)
		reset();
}

static void
local_time(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (localtime_r(&s, &tm))
		strftime(buf, size, "%d/%m/%Y %H:%M", &tm);
}

static void
refund_draw(struct ui *ui, int top, int rows)
{
	const struct till_refund *rf = &st.rf;
	char m[48], m2[48], when[32], buf[200];
	int y = top + 1, first = 0, room;

	if (st.receipt) {
		const char *p = st.receipt;
		for (y = top; *p && y < top + rows; y++) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
			crt_put(y, 2, COLS - 2, true, buf);
			p += n + (nl != NULL);
		}
		crt_put(top + rows - 1, 0, COLS, true, _("Esc: back to the sale."));
		return;
	}
	if (rf->sale_seq == 0) {
		crt_put(y, 2, COLS - 2, true, _("Sale number: type it, then Enter."));
		crt_put(top + rows - 1, 0, COLS, true, _("Esc: back to the sale."));
		return;
	}
	local_time(rf->sale.time_ms, when, sizeof(when));
	money_format(rf->sale.total, ui->money_locale, m, sizeof(m));
	snprintf(buf, sizeof(buf), _("Sale %llu of %s: %s"), (unsigned long long)rf->sale_seq, when,
		 m);
	if (rf->sale.card[0]) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, _(", card %s"), rf->sale.card);
	}
	crt_put(y++, 2, COLS - 2, true, buf);
	attrset(crt_attr(CRT_TITLE));
	snprintf(buf, sizeof(buf), "%-34s %6s %9s %7s %12s", _("Item"), _("Sold"), _("Refunded"),
		 _("Qty"), _("Amount"));
	crt_put(y++, 2, COLS - 2, true, buf);
	attrset(crt_attr(CRT_NORMAL));
	room = top + rows - 4 - y;
	if ((int)st.sel >= room)
		first = (int)st.sel - room + 1;
	for (int i = first; i < (int)rf->n && y < top + rows - 4; i++, y++) {
		const struct till_refund_line *l = &rf->lines[i];
		bool sel = (size_t)i == st.sel;
		money_format(l->line.amount, ui->money_locale, m, sizeof(m));
		snprintf(buf, sizeof(buf), "%-34.34s %6lld %9lld %7lld %12s", l->line.name,
			 (long long)l->line.qty, (long long)l->refunded_qty, (long long)l->qty, m);
		attrset(sel ? crt_attr(CRT_SELECTED) : crt_attr(CRT_NORMAL));
		crt_put(y, 0, 2, true, sel ? ">" : "");
		crt_put(y, 2, COLS - 2, true, buf);
		attrset(crt_attr(CRT_NORMAL));
	}
	y = top + rows - 3;
	money_format(rf->total, ui->money_locale, m, sizeof(m));
	money_format(rf->ssa, ui->money_locale, m2, sizeof(m2));
	snprintf(buf, sizeof(buf), _("To refund: %s, of which back to the food card: %s"), m, m2);
	crt_put(y++, 2, COLS - 2, true, buf);
	if (st.waiting) {
		attrset(crt_attr(CRT_INFO));
		snprintf(buf, sizeof(buf), _("Put the card that paid sale %llu on the reader."),
			 (unsigned long long)rf->sale_seq);
		crt_put(y, 2, COLS - 2, true, buf);
		attrset(crt_attr(CRT_NORMAL));
	}
	crt_put(top + rows - 1, 0, COLS, true,
		_("Up/Down line  qty+Enter  Enter all/none  F3 refund  Esc back"));
}

/* Recorded: the receipt on screen and in the receipt directory. */
static void
show_receipt(struct ui *ui, const struct journal_record *r)
{
	char when[32], path[1024];

	local_time(r->time_ms, when, sizeof(when));
	free(st.receipt);
	st.receipt = NULL;
	st.waiting = false;
	if (till_refund_receipt(ui->till, r, ui->shop_name, when, ui->receipt_width, &st.receipt) !=
	    SSA_ERR_OK)
		return;
	if (ui->receipt_dir) {
		snprintf(path, sizeof(path), "%s/refund-%06llu.txt", ui->receipt_dir,
			 (unsigned long long)r->seq);
		if (receipt_write(path, st.receipt, strlen(st.receipt)) != SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_WARN, _("Receipt not written to %s."), path);
	}
}

static void
commit(struct ui *ui)
{
	struct till *t = ui->till;
	enum ssa_err err;

	st.before = t->last_refund_seq;
	err = till_refund_commit(t, &st.rf, 150, (int64_t)time(NULL) * 1000);
	if (err == SSA_ERR_OK)
		show_receipt(ui, &st.rf.done);
	else if (err == SSA_ERR_CARD_ABSENT && !t->pending_id && st.rf.ssa > 0)
		st.waiting = true; /* polled again while the screen is idle */
	else
		st.waiting = t->pending_id != 0; /* torn: the loop settles it */
}

/* Between keys: wait for the card, or see what the settlement of a torn refund decided. */
static void
refund_idle(struct ui *ui)
{
	struct till *t = ui->till;
	struct journal_record r;
	char *buf = NULL;
	size_t len = 0;

	if (!st.waiting || t->pending_id)
		return;
	if (t->last_refund_seq > st.before) {
		/* settled from the card: the refund was recorded */
		if (journal_store_get(t->journal, t->last_refund_seq, &buf, &len) == SSA_ERR_OK &&
		    journal_record_decode(buf, len, &r, NULL) == SSA_ERR_OK) {
			show_receipt(ui, &r);
			journal_record_fini(&r);
		}
		free(buf);
		st.waiting = false;
		return;
	}
	commit(ui);
}

static enum request
refund_request(struct ui *ui, enum request req)
{
	struct till *t = ui->till;
	struct till_refund_line *l;
	int64_t v = 0;

	if (st.receipt || (st.waiting && req != REQ_BACK)) {
		if (req == REQ_BACK || req == REQ_ENTER)
			return st.waiting ? REQ_NONE : REQ_SALE;
		till_message(t, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
	switch (req) {
	case REQ_ENTER:
		if (t->entry[0] && decimal_parse(t->entry, 0, 999999999, &v) != SSA_ERR_OK) {
			till_message(t, TILL_MSG_ERROR, _("Not a number: \"%s\"."), t->entry);
			till_entry_clear(t);
			return REQ_NONE;
		}
		if (st.rf.sale_seq == 0) {
			till_entry_clear(t);
			if (v > 0) {
				till_refund_fini(&st.rf);
				till_refund_open(t, (uint64_t)v, &st.rf);
				st.sel = 0;
			}
			return REQ_NONE;
		}
		l = &st.rf.lines[st.sel];
		if (!t->entry[0]) { /* Enter alone: all that is left of the line, or none */
			v = l->qty ? 0 : l->line.qty - l->refunded_qty;
			if (!l->qty && v == 0)
				v = 1; /* nothing left: say so */
		}
		till_entry_clear(t);
		till_refund_set_qty(t, &st.rf, st.sel, v);
		return REQ_NONE;
	case REQ_UP:
		if (st.sel > 0)
			st.sel--;
		return REQ_NONE;
	case REQ_DOWN:
		if (st.sel + 1 < st.rf.n)
			st.sel++;
		return REQ_NONE;
	case REQ_PAY:
		commit(ui);
		return REQ_NONE;
	case REQ_BACK:
		if (st.waiting && t->pending_id) {
			till_message(t, TILL_MSG_WARN, "%s",
				     _("A card operation is pending: put that card back on the reader "
				       "first."));
			return REQ_NONE;
		}
		if (st.waiting) {
			st.waiting = false;
			till_message(t, TILL_MSG_INFO, "%s", _("Refund abandoned: nothing was recorded."));
			return REQ_NONE;
		}
		return REQ_SALE;
	default:
		till_message(t, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

const struct view_ops ui_refund_ops = {
	.name = "refund",
	.title = N_("Refund"),
	.open = refund_open,
	.draw = refund_draw,
	.request = refund_request,
	.done = refund_done,
	.idle = refund_idle,
	.takes_amounts = true,
	.entry_label = N_("Number: "),
};
