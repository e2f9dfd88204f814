/* ui_balance.c — balance inquiry: a member puts the card on the reader and sees the balance,
 * no sale. */
#include <stdio.h>
#include <time.h>

#include "crt.h"
#include "i18n.h"
#include "ui.h"

static void
balance_open(struct ui *ui)
{
	if (!ui->till->reader) {
		till_message(ui->till, TILL_MSG_ERROR, "%s", _("No card reader."));
		ui->bounce = true;
		return;
	}
	snprintf(ui->balance, sizeof(ui->balance), "%s", _("Put the food card on the reader."));
	ui->till->card_note[0] = '\0';
}

static void
balance_idle(struct ui *ui)
{
	struct card_identity id;
	int64_t bal = 0;
	char m[48], id_text[24];

	if (till_inquiry(ui->till, 150, (int64_t)time(NULL) * 1000, &id, &bal) != SSA_ERR_OK)
		return;
	money_format(bal, ui->money_locale, m, sizeof(m));
	card_id_format(id.member_id, id_text, sizeof(id_text));
	snprintf(ui->balance, sizeof(ui->balance), _("Card %s (caisse %s): balance %s."), id_text,
		 id.caisse, m);
	/* The allocation credited at this tap stays in the message line. */
	if (!ui->till->card_note[0])
		till_message(ui->till, TILL_MSG_INFO, "%s", ui->balance);
}

static void
balance_draw(struct ui *ui, int top, int rows)
{
	(void)rows;
	crt_put(top + 2, 2, COLS - 2, true, ui->balance);
	if (ui->till->card_note[0])
		crt_put(top + 3, 2, COLS - 2, true, ui->till->card_note);
	crt_put(top + 4, 2, COLS - 2, true, _("Esc: back to the sale."));
}

static enum request
balance_request(struct ui *ui, enum request req)
{
	if (req == REQ_BACK)
		return REQ_SALE;
	till_message(ui->till, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
	return REQ_NONE;
}

const struct view_ops ui_balance_ops = {
	.name = "balance",
	.title = N_("Balance inquiry"),
	.open = balance_open,
	.draw = balance_draw,
	.request = balance_request,
	.idle = balance_idle,
};
