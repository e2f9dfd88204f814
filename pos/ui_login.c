/* ui_login.c — start of shift: the operator (a volunteer at the AMAP table too) types a short
 * code, recorded with every sale. */
#include <string.h>

#include "crt.h"
#include "i18n.h"
#include "ui.h"

static void
login_draw(struct ui *ui, int top, int rows)
{
	(void)ui;
	(void)rows;
	crt_put(top + 2, 2, COLS - 2, true, _("Start of shift: type your operator code, then Enter."));
	crt_put(top + 3, 2, COLS - 2, true, _("It is recorded with every sale of this shift."));
}

static enum request
login_request(struct ui *ui, enum request req)
{
	struct till *t = ui->till;
	char code[TILL_ENTRY_MAX + 1];

	switch (req) {
	case REQ_ENTER:
		memcpy(code, t->entry, sizeof(code));
		till_entry_clear(t);
		if (till_sign_in(t, code) == SSA_ERR_OK)
			return REQ_SALE;
		return REQ_NONE;
	case REQ_BACK:
		till_entry_clear(t);
		return REQ_NONE;
	case REQ_HELP:
	case REQ_QUIT:
	case REQ_REDRAW:
		return req;
	default:
		till_message(t, TILL_MSG_WARN, "%s", _("Sign in first: type your operator code."));
		return REQ_NONE;
	}
}

static enum request
login_route(struct ui *ui, enum request req)
{
	enum request r = login_request(ui, req);

	/* Signed in: to the sale, or to the AMAP distribution.  The loop's REQ_SALE stops at this
	 * screen, so switch here. */
	if (r == REQ_SALE) {
		ui_switch(ui, ui->amap ? &ui_amap_ops : &ui_sale_ops);
		return REQ_NONE;
	}
	return r;
}

const struct view_ops ui_login_ops = {
	.name = "login",
	.title = N_("Sign in"),
	.draw = login_draw,
	.request = login_route,
	.owns_enter = true,
	.entry_label = N_("Operator code: "),
};
