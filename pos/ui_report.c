/* ui_report.c — X report and Z closing: the takings since the last Z, from the journal.
 *
 * An X is computed and shown, never recorded.  A Z is shown first, then recorded (sealed and
 * appended to the journal) when Enter confirms it; the figures are those of ssa/closing.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssa/strbuf.h"

#include "crt.h"
#include "i18n.h"
#include "receipt.h"
#include "ui.h"

static int32_t
today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 19700101;
	return (int32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

static void
line(struct strbuf *b, struct ui *ui, const char *label, int64_t cents)
{
	char m[48];

	money_format(cents, ui->money_locale, m, sizeof(m));
	strbuf_printf(b, "%-34s %14s\n", label, m);
}

/* The closing @p r as text. */
static char *
format(struct ui *ui, const struct journal_record *r, bool recorded)
{
	const struct journal_closing *c = &r->closing;
	struct strbuf b = { 0 };
	char *out = NULL;
	size_t len;

	if (r->kind == JOURNAL_CLOSING_Z && recorded)
		strbuf_printf(&b, _("Z closing %llu of %d, recorded as record %llu"),
			      (unsigned long long)c->number, (int)c->period,
			      (unsigned long long)r->seq);
	else if (r->kind == JOURNAL_CLOSING_Z && ui->report_z)
		strbuf_printf(&b, _("Z closing %llu of %d: Enter records it, Esc cancels"),
			      (unsigned long long)c->number, (int)c->period);
	else
		strbuf_printf(&b, _("X report of %d (not recorded)"), (int)c->period);
	strbuf_printf(&b, "\n\n");
	strbuf_printf(&b, _("Sales %llu, voids %llu, refunds %llu, reloads %llu"),
		      (unsigned long long)c->sales, (unsigned long long)c->voids,
		      (unsigned long long)c->refunds, (unsigned long long)c->reloads);
	strbuf_printf(&b, "\n");
	line(&b, ui, _("Total"), c->total);
	line(&b, ui, _("of which covered by SSA"), c->ssa_total);
	for (int k = 0; k < TENDER__COUNT; k++)
		if (c->tenders[k] != 0)
			line(&b, ui, _(tender_label((enum tender_kind)k)), c->tenders[k]);
	for (size_t i = 0; i < c->vat.n; i++) {
		char label[64];

		snprintf(label, sizeof(label), _("VAT %d.%02d %%: excl. / VAT"),
			 (int)(c->vat.rates[i].rate_bp / 100), (int)(c->vat.rates[i].rate_bp % 100));
		line(&b, ui, label, c->vat.rates[i].net);
		line(&b, ui, "", c->vat.rates[i].vat);
	}
	line(&b, ui, _("Perpetual grand total"), c->perpetual);
	strbuf_finish(&b, &out, &len);
	return out;
}

static void
compute(struct ui *ui, bool record)
{
	struct journal_record r;
	time_t now = time(NULL);

	free(ui->report);
	ui->report = NULL;
	if (till_closing(ui->till, JOURNAL_CLOSING_Z, today(), (int64_t)now * 1000, record, &r) ==
	    SSA_ERR_OK)
		ui->report = format(ui, &r, record);
	journal_record_fini(&r);
}

static void
report_open(struct ui *ui)
{
	compute(ui, false);
	if (!ui->report)
		ui->bounce = true;
}

static void
report_draw(struct ui *ui, int top, int rows)
{
	const char *p = ui->report;
	int y = top + 1;

	while (p && *p && y < top + rows) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[256];

		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		crt_put(y++, 2, COLS - 2, true, buf);
		p = nl ? nl + 1 : p + n;
	}
}

static enum request
report_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_ENTER:
		if (ui->report_z) {
			compute(ui, true);
			ui->report_z = false;
		}
		return REQ_NONE;
	case REQ_BACK:
		ui->report_z = false;
		return REQ_SALE;
	default:
		till_message(ui->till, TILL_MSG_WARN, "%s",
			     _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

const struct view_ops ui_report_ops = {
	.name = "report",
	.title = N_("Takings"),
	.open = report_open,
	.draw = report_draw,
	.request = report_request,
	.owns_enter = true,
};
