/* ui_receipt.c — the receipt of the sale just recorded, as it is printed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssa/strbuf.h"

#include "crt.h"
#include "i18n.h"
#include "receipt.h"
#include "ui.h"

/* Count one more reprint of sale @p seq in @p dir/reprints.log; @p *n gets its number.  Order
 * matters: counted on disk before the copy exists. */
static enum ssa_err
count_reprint(const char *dir, uint64_t seq, unsigned *n)
{
	char path[1024], line[32], buf[4096];
	ssize_t r;
	size_t len = 0;
	int fd, k;
	enum ssa_err err = SSA_ERR_OK;

	snprintf(path, sizeof(path), "%s/reprints.log", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return SSA_ERR_IO;
	*n = 1;
	k = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)seq);
	/* Lines already there for this sale. */
	while ((r = read(fd, buf + len, sizeof(buf) - len - 1)) > 0) {
		char *p, *nl;

		len += (size_t)r;
		buf[len] = '\0';
		for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			if ((size_t)(nl + 1 - p) == (size_t)k && memcmp(p, line, (size_t)k) == 0)
				(*n)++;
		len = strlen(p);
		memmove(buf, p, len);
	}
	if (write(fd, line, (size_t)k) != k || fsync(fd) != 0)
		err = SSA_ERR_IO;
	if (close(fd) != 0)
		err = SSA_ERR_IO;
	return err;
}

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
	if (!ui->data_dir || count_reprint(ui->data_dir, t->last_sale_seq, &n) != SSA_ERR_OK) {
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
