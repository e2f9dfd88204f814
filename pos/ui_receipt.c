/* ui_receipt.c — the receipt of the sale just recorded, as it is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/strbuf.h"

#include "crt.h"
#include "i18n.h"
#include "receipt.h"
#include "ui.h"

void
ui_reprint(struct ui *ui)
{
	struct till *t = ui->till;
	struct strbuf b = { 0 };
	char head[64], *esc = NULL;
	unsigned n = 0;
	size_t len;

	if (!t->receipt || !t->last_sale_seq) {
		till_message(t, TILL_MSG_WARN, "%s", _("No receipt to reprint."));
		return;
	}
	/* Order matters: recorded in the journal before the copy exists. */
	if (till_reprint(t, t->last_sale_seq, (int64_t)time(NULL) * 1000, &n) != SSA_ERR_OK) {
		till_message(t, TILL_MSG_ERROR, "%s", _("The reprint could not be counted: none."));
		return;
	}
	snprintf(head, sizeof(head), _("DUPLICATE %u"), n);
	strbuf_printf(&b, "%*s%s\n%s", (int)((ui->receipt_width - crt_width(head)) / 2), "", head,
		      t->receipt);
	free(ui->duplicate);
	ui->duplicate = NULL;
	if (strbuf_finish(&b, &ui->duplicate, &len) != SSA_ERR_OK)
		return;
	if (ui->printer && (receipt_escpos(ui->duplicate, len, &esc, &len) != SSA_ERR_OK ||
			    receipt_write(ui->printer, esc, len) != SSA_ERR_OK))
		till_message(t, TILL_MSG_WARN, _("Printer %s: the receipt was not printed."),
			     ui->printer);
	else
		till_message(t, TILL_MSG_INFO, _("Receipt of sale %llu reprinted (copy %u)."),
			     (unsigned long long)t->last_sale_seq, n);
	free(esc);
	ui_switch(ui, &ui_receipt_ops);
}

static void
receipt_draw(struct ui *ui, int top, int rows)
{
	const char *p = ui->duplicate ? ui->duplicate : ui->till->receipt;
	int line = 0, y = top;

	if (!p) {
		crt_put(top + 1, 2, COLS - 2, true, _("No receipt yet."));
		return;
	}
	if (ui->scroll < 0)
		ui->scroll = 0;
	while (*p && y < top + rows - 1) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[256];

		if (line++ >= ui->scroll) {
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			crt_put(y++, 2, COLS - 2, true, buf);
		}
		p += n + (nl ? 1 : 0);
	}
	attrset(crt_attr(CRT_INFO));
	crt_put(top + rows - 1, 0, COLS, true,
		_("Next sale: scan or type (3*code, F6 weight), or Esc.  Up/Down scroll."));
	attrset(crt_attr(CRT_NORMAL));
}

static enum request
receipt_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_UP:
		ui->scroll--;
		return REQ_NONE;
	case REQ_DOWN:
		ui->scroll++;
		return REQ_NONE;
	case REQ_PAGE_UP:
		ui->scroll -= 10;
		return REQ_NONE;
	case REQ_PAGE_DOWN:
		ui->scroll += 10;
		return REQ_NONE;
	case REQ_BACK:
	case REQ_ENTER:
		if (ui->till->state == TILL_PAID)
			till_new_sale(ui->till);
		return REQ_SALE;
	case REQ_WEIGHT:
		/* A weight is the next sale's first item, as on an empty basket (the sale screen
		 * starts the sale and opens the prompt). */
		ui_switch(ui, &ui_sale_ops);
		return REQ_WEIGHT;
	default:
		return REQ_NONE;
	}
}

static void
receipt_open(struct ui *ui)
{
	ui->scroll = 0;
}

/* The duplicate is shown once; the next time the screen shows the last receipt. */
static void
receipt_done(struct ui *ui)
{
	free(ui->duplicate);
	ui->duplicate = NULL;
}

const struct view_ops ui_receipt_ops = {
	.name = "receipt",
	.title = N_("Receipt"),
	.open = receipt_open,
	.done = receipt_done,
	.draw = receipt_draw,
	.request = receipt_request,
};
