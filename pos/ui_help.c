/* ui_help.c — the key map and the help screen, both generated from REQ_INFO (request.h). */
#include <stdio.h>

#include "crt.h"
#include "i18n.h"
#include "ui.h"

#define REQ_ROW_(name, k1, k2, label, help) { REQ_##name, k1, k2, label, help },
static const struct request_info requests[] = { REQ_INFO(REQ_ROW_) };
#undef REQ_ROW_

#define N_REQUESTS (sizeof(requests) / sizeof(requests[0]))

const struct request_info *
request_table(size_t *count)
{
	*count = N_REQUESTS;
	return requests;
}

enum request
request_of_key(int key)
{
	if (key == 0)
		return REQ_NONE;
	for (size_t i = 0; i < N_REQUESTS; i++)
		if (requests[i].key == key || requests[i].key2 == key)
			return requests[i].req;
	/* A terminal may send a carriage return for Enter (we run with nonl()). */
	if (key == '\r')
		return REQ_ENTER;
	return REQ_NONE;
}

/* Lines of help that are not requests: what the entry line understands. */
static const char *const entry_help[][2] = {
	{ "0-9 Enter", N_("scan, or type a code and Enter: it lands in the basket") },
	{ "3*code", N_("three of the same item") },
	{ "0,350*code", N_("0.350 kg of an item sold by weight") },
	{ "/3", N_("the item on quick key 3, no barcode needed (2*/3: two)") },
	{ "Backspace", N_("erase the last character typed") },
	{ N_("card"), N_("tapped on the reader, items in the basket: pays, as F3 does") },
	{ "", N_("a card left there since the last sale: lift it and tap it again") },
};

#define N_ENTRY_HELP (sizeof(entry_help) / sizeof(entry_help[0]))
#define HELP_ROWS ((int)(N_REQUESTS + N_ENTRY_HELP + 3))

static void
help_row(int y, const char *key, const char *text)
{
	attrset(crt_attr(CRT_ENTRY));
	crt_put(y, 1, 12, true, key);
	attrset(crt_attr(CRT_NORMAL));
	crt_put(y, 14, COLS - 14, true, text);
}

static void
help_draw(struct ui *ui, int top, int rows)
{
	int row = 0;
	int y = top;

	if (ui->scroll > HELP_ROWS - rows)
		ui->scroll = HELP_ROWS - rows;
	if (ui->scroll < 0)
		ui->scroll = 0;
	for (int i = ui->scroll; i < HELP_ROWS && y < top + rows; i++, row++) {
		if (i == 0) {
			crt_put(y++, 1, COLS - 1, true, _("Typing and scanning (on every screen):"));
		} else if (i <= (int)N_ENTRY_HELP) {
			const char *key = entry_help[i - 1][0];

			/* (gettext("") is the catalog's header) */
			help_row(y++, key[0] ? _(key) : key, _(entry_help[i - 1][1]));
		} else if (i == (int)N_ENTRY_HELP + 1) {
			y++;
		} else if (i == (int)N_ENTRY_HELP + 2) {
			crt_put(y++, 1, COLS - 1, true, _("Keys:"));
		} else {
			const struct request_info *r = &requests[i - N_ENTRY_HELP - 3];

			help_row(y++, r->label, _(r->help));
		}
	}
}

static enum request
help_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_UP:
		ui->scroll--;
		return REQ_NONE;
	case REQ_DOWN:
		ui->scroll++;
		return REQ_NONE;
	case REQ_PAGE_UP: /* a page (the body's rows), keeping two rows of context */
		ui->scroll -= LINES > 8 ? LINES - 6 : 1;
		return REQ_NONE;
	case REQ_PAGE_DOWN:
		ui->scroll += LINES > 8 ? LINES - 6 : 1;
		return REQ_NONE;
	case REQ_BACK:
		ui_switch(ui, ui->prev ? ui->prev : &ui_sale_ops);
		return REQ_NONE;
	default:
		/* Other keys act where they came from: go back there and do it. */
		ui_switch(ui, ui->prev && ui->prev != &ui_help_ops ? ui->prev : &ui_sale_ops);
		return req;
	}
}

static void
help_open(struct ui *ui)
{
	ui->scroll = 0;
}

const struct view_ops ui_help_ops = {
	.name = "help",
	.title = N_("Help"),
	.open = help_open,
	.draw = help_draw,
	.request = help_request,
};
