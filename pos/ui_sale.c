/* ui_sale.c — the sale screen: the basket's lines, the totals. */
#include <stdio.h>

#include "crt.h"
#include "i18n.h"
#include "ui.h"

static void
sale_draw(struct ui *ui, int top, int rows)
{
	(void)rows;
	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, _("  Item                                     Qty      Price  SSA"));
	attrset(crt_attr(CRT_NORMAL));
	crt_put(top + 2, 2, COLS - 2, true, _("The basket is empty: scan an item or type its code."));
	(void)ui;
}

static enum request
sale_request(struct ui *ui, enum request req)
{
	struct till *t = ui->till;

	switch (req) {
	case REQ_WEIGHT:
		till_weight_prompt(t);
		return REQ_NONE;
	case REQ_PAY:
	case REQ_VOID_LINE:
	case REQ_CANCEL_SALE:
		till_message(t, TILL_MSG_WARN, "%s", _("The basket is empty."));
		return REQ_NONE;
	case REQ_BACK:
		till_message(t, TILL_MSG_NONE, "%s", "");
		return REQ_NONE;
	default:
		return REQ_NONE;
	}
}

const struct view_ops ui_sale_ops = {
	.name = "sale",
	.title = N_("Sale"),
	.draw = sale_draw,
	.request = sale_request,
};
