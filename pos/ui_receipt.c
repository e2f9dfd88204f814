/* ui_receipt.c — the receipt of the sale just recorded, as it is printed. */
#include <string.h>

#include "crt.h"
#include "i18n.h"
#include "ui.h"

static void
receipt_draw(struct ui *ui, int top, int rows)
{
	const char *p = ui->till->receipt;
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
		_("Scan the next item, or Esc for a new sale.  Up/Down scroll."));
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
	default:
		return REQ_NONE;
	}
}

static void
receipt_open(struct ui *ui)
{
	ui->scroll = 0;
}

const struct view_ops ui_receipt_ops = {
	.name = "receipt",
	.title = N_("Receipt"),
	.open = receipt_open,
	.draw = receipt_draw,
	.request = receipt_request,
};
