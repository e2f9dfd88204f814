/* ui_sync.c — what the caisse refused: the records ssa-syncd could not have accepted (the
 * rejection lines of the spool's status file, newest first), and the card anomalies the caisse
 * found in the cards' ledgers after this terminal's pushes (a card cloned or spent at two
 * outlets beyond its balance).  Nothing here changes anything:
 * a refused record stays in the journal; the screen lets the person see it and tell the caisse. */
#include <stdio.h>
#include <time.h>

#include "crt.h"
#include "i18n.h"
#include "ssa/money.h"
#include "spool.h"
#include "ui.h"

static const struct spool_status *
status(struct ui *ui)
{
	return ui->spool && ui->spool->have_status ? &ui->spool->st : NULL;
}

static void
rejections_open(struct ui *ui)
{
	ui_status_refresh(ui, true);
	ui->scroll = 0;
	if (!status(ui) || (status(ui)->rejections == 0 && status(ui)->anomalies == 0)) {
		till_message(ui->till, TILL_MSG_INFO, "%s", _("The caisse refused no record."));
		ui->bounce = true;
		return;
	}
	till_message(ui->till, TILL_MSG_NONE, "%s", "");
}

/* The bytes of @p text that fit in @p width columns, cut after a space when there is one. */
static size_t
fit(const char *text, int width)
{
	size_t n = 0, space = 0;
	int cols = 0;

	while (text[n] && cols < width) {
		size_t k = 1;

		while (((unsigned char)text[n + k] & 0xc0) == 0x80)
			k++;
		if (text[n] == ' ')
			space = n + 1;
		n += k;
		cols++;
	}
	return text[n] && space > 0 ? space : n;
}

#define COL_SEQ 2
#define COL_ERROR 11
#define COL_MSG 28

/* Anomaly @p k of @p st from row @p y (the heading first when it is the first one), below
 * @p end; the next free row. */
static int
draw_anomaly(struct ui *ui, const struct spool_status *st, size_t k, int y, int end)
{
	const struct spool_anomaly *a = &st->anomaly[k];
	char buf[320], held[32], books[32];

	if (k == 0) {
		attrset(crt_attr(CRT_NORMAL) | A_BOLD);
		if (st->anomalies > st->n_anomaly)
			snprintf(buf, sizeof(buf),
				 _("Card anomalies: %llu, the newest %zu here (the caisse may "
				   "hot-list these cards):"),
				 (unsigned long long)st->anomalies, st->n_anomaly);
		else
			snprintf(buf, sizeof(buf),
				 _("Card anomalies: %llu (the caisse may hot-list these cards):"),
				 (unsigned long long)st->anomalies);
		crt_put(y++, 2, COLS - 2, true, buf);
		attrset(crt_attr(CRT_NORMAL));
		if (y >= end)
			return y;
	}
	attrset(crt_attr(CRT_ERROR));
	crt_put(y, 0, COL_SEQ, true, "!");
	attrset(crt_attr(CRT_NORMAL));
	snprintf(buf, sizeof(buf), _("card %s"), a->card);
	crt_put(y, COL_SEQ, COL_MSG - COL_SEQ, true, a->kind);
	crt_put(y++, COL_MSG, COLS - COL_MSG, true, buf);
	if (y >= end)
		return y;
	money_format(a->record_balance, ui->money_locale, held, sizeof(held));
	money_format(a->ledger_balance, ui->money_locale, books, sizeof(books));
	snprintf(buf, sizeof(buf), _("%s/%llu: the card said %s, the ledger %s"), a->terminal,
		 (unsigned long long)a->seq, held, books);
	crt_put(y++, COL_MSG, COLS - COL_MSG, true, buf);
	return y;
}

static void
rejections_draw(struct ui *ui, int top, int rows)
{
	const struct spool_status *st = status(ui);
	char buf[320];
	int y = top + 3, w = COLS - COL_MSG;

	if (!st) {
		crt_put(top + 1, 2, COLS - 2, true, _("No sync status."));
		return;
	}
	if (st->rejections == 0)
		snprintf(buf, sizeof(buf), "%s", _("The caisse refused no record."));
	else if (st->rejections > st->n_rejection)
		snprintf(buf, sizeof(buf), _("The caisse refused %llu record(s), the newest %zu here:"),
			 (unsigned long long)st->rejections, st->n_rejection);
	else
		snprintf(buf, sizeof(buf), _("The caisse refused %llu record(s):"),
			 (unsigned long long)st->rejections);
	crt_put(top + 1, 2, COLS - 2, true, buf);
	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top + 2, 0, COLS, true, "");
	crt_put(top + 2, COL_SEQ, COL_ERROR - COL_SEQ - 1, true, _("Record"));
	crt_put(top + 2, COL_ERROR, COL_MSG - COL_ERROR - 1, true, _("Error"));
	crt_put(top + 2, COL_MSG, w, true, _("Message"));
	attrset(crt_attr(CRT_NORMAL));
	if (ui->scroll > (int)(st->n_rejection + st->n_anomaly) - 1)
		ui->scroll = (int)(st->n_rejection + st->n_anomaly) - 1;
	if (ui->scroll < 0)
		ui->scroll = 0;
	/* One rejection a row, its message on a second row when it is long; then the card
	 * anomalies under their heading, two rows each. */
	for (size_t i = (size_t)ui->scroll; i < st->n_rejection + st->n_anomaly && y < top + rows - 1;
	     i++) {
		const struct spool_rejection *r = &st->rejection[i];

		if (i >= st->n_rejection) {
			y = draw_anomaly(ui, st, i - st->n_rejection, y, top + rows - 1);
			continue;
		}
		const char *m = r->msg;
		size_t n = fit(m, w);

		if (r->seq)
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seq);
		else
			snprintf(buf, sizeof(buf), "-"); /* a list, hot list or grant batch */
		attrset(crt_attr(CRT_ERROR));
		crt_put(y, 0, COL_SEQ, true, "!");
		attrset(crt_attr(CRT_NORMAL));
		crt_put(y, COL_SEQ, COL_ERROR - COL_SEQ, true, buf);
		crt_put(y, COL_ERROR, COL_MSG - COL_ERROR, true, r->error);
		snprintf(buf, sizeof(buf), "%.*s", (int)n, m);
		crt_put(y++, COL_MSG, w, true, buf);
		if (m[n] && y < top + rows - 1)
			crt_put(y++, COL_MSG, w, true, m + n);
	}
	crt_put(top + rows - 1, 0, COLS, true,
		_("They stay in the journal: tell the caisse.  Up/Down scroll  Esc back"));
}

static enum request
rejections_request(struct ui *ui, enum request req)
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
		return REQ_SALE;
	default:
		till_message(ui->till, TILL_MSG_WARN, "%s",
			     _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

const struct view_ops ui_rejections_ops = {
	.name = "rejections",
	.title = N_("Refused by the caisse"),
	.open = rejections_open,
	.draw = rejections_draw,
	.request = rejections_request,
};
