/* ui_report.c — X report and closings: the takings since the last Z, from the journal.
 *
 * An X is computed and shown, never recorded.  A Z, a monthly or an annual closing is shown
 * first, then recorded (sealed and appended to the journal) when Enter confirms it, and copied
 * like a receipt (receipt directory, printer); the figures are those of ssa/closing.h.  The
 * period is the local date's: the day, its month, its year. */
#include <stdio.h>
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

/* @p period (YYYYMMDD, YYYYMM or YYYY) as a person reads it. */
static void
period_text(int32_t period, char *buf, size_t size)
{
	if (period >= 10000000)
		snprintf(buf, size, "%02d/%02d/%04d", (int)(period % 100), (int)(period / 100 % 100),
			 (int)(period / 10000));
	else if (period >= 100000)
		snprintf(buf, size, "%02d/%04d", (int)(period % 100), (int)(period / 100));
	else
		snprintf(buf, size, "%04d", (int)period);
}

/* The heading of report @p r: what it is, and whether it is recorded or waits for Enter. */
static void
heading(struct strbuf *b, const struct journal_record *r, bool recorded, bool confirm)
{
	const struct journal_closing *c = &r->closing;
	unsigned long long n = (unsigned long long)c->number, seq = (unsigned long long)r->seq;
	char p[16];

	period_text(c->period, p, sizeof(p));
	if (r->kind == JOURNAL_CLOSING_MONTH) {
		if (recorded)
			strbuf_printf(b, _("Monthly closing %llu of %s, recorded as record %llu"), n,
				      p, seq);
		else
			strbuf_printf(b, _("Monthly closing %llu of %s: Enter records it, Esc cancels"),
				      n, p);
	} else if (r->kind == JOURNAL_CLOSING_YEAR) {
		if (recorded)
			strbuf_printf(b, _("Annual closing %llu of %s, recorded as record %llu"), n,
				      p, seq);
		else
			strbuf_printf(b, _("Annual closing %llu of %s: Enter records it, Esc cancels"),
				      n, p);
	} else if (recorded) {
		strbuf_printf(b, _("Z closing %llu of %s, recorded as record %llu"), n, p, seq);
	} else if (confirm) {
		strbuf_printf(b, _("Z closing %llu of %s: Enter records it, Esc cancels"), n, p);
	} else {
		strbuf_printf(b, _("X report of %s (not recorded)"), p);
	}
}

/* The report @p r as text; @p reprints: receipts reprinted in a Z's period, or -1 (not shown). */
static char *
format(struct ui *ui, const struct journal_record *r, bool recorded, bool confirm, long reprints)
{
	const struct journal_closing *c = &r->closing;
	struct strbuf b = { 0 };
	char *out = NULL;
	size_t len;

	heading(&b, r, recorded, confirm);
	strbuf_printf(&b, "\n\n");
	if (r->kind == JOURNAL_CLOSING_MONTH || r->kind == JOURNAL_CLOSING_YEAR) {
		strbuf_printf(&b, _("Daily closings %llu (records %llu to %llu)"),
			      (unsigned long long)c->records, (unsigned long long)c->first_seq,
			      (unsigned long long)c->last_seq);
		strbuf_printf(&b, "\n");
	}
	strbuf_printf(&b, _("Sales %llu, voids %llu, refunds %llu, reloads %llu"),
		      (unsigned long long)c->sales, (unsigned long long)c->voids,
		      (unsigned long long)c->refunds, (unsigned long long)c->reloads);
	strbuf_printf(&b, "\n");
	if (reprints >= 0) {
		strbuf_printf(&b, _("Receipts reprinted (duplicates): %ld"), reprints);
		strbuf_printf(&b, "\n");
	}
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

/* Copies of a recorded closing, like a receipt's: a text file and the printer.  A failure is a
 * message: the closing is in the journal whatever happens here. */
static void
copies(struct ui *ui, const struct journal_record *r, const char *text)
{
	const char *what = r->kind == JOURNAL_CLOSING_MONTH  ? "month"
			   : r->kind == JOURNAL_CLOSING_YEAR ? "year"
							     : "Z";
	char path[1024], *esc = NULL;
	size_t len = 0;

	if (ui->receipt_dir) {
		snprintf(path, sizeof(path), "%s/closing-%s-%06llu.txt", ui->receipt_dir, what,
			 (unsigned long long)r->closing.number);
		if (receipt_write(path, text, strlen(text)) != SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_WARN, _("%s could not be written."), path);
	}
	if (ui->printer) {
		if (receipt_escpos(text, strlen(text), &esc, &len) != SSA_ERR_OK ||
		    receipt_write(ui->printer, esc, len) != SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_WARN,
				     _("Printer %s: the closing was not printed."), ui->printer);
		free(esc);
	}
}

/* Compute (and record when @p record) the report of @p kind (JOURNAL_SALE: an X report, the
 * figures of a Z not recorded).  The screen changes only on success. */
static bool
compute(struct ui *ui, enum journal_kind kind, bool record)
{
	struct journal_record r;
	enum journal_kind k = kind == JOURNAL_SALE ? JOURNAL_CLOSING_Z : kind;
	time_t now = time(NULL);
	char *text = NULL;
	uint64_t prev_z = 0;
	unsigned n = 0;
	long reprints = -1;

	/* The reprints of the day: after the last Z, before this one when it is recorded. */
	if (k == JOURNAL_CLOSING_Z && ui->till->journal &&
	    journal_store_last_of_kind(ui->till->journal, JOURNAL_CLOSING_Z, &prev_z) != SSA_ERR_OK)
		prev_z = UINT64_MAX;
	if (till_closing(ui->till, k, till_closing_period(k, today()), (int64_t)now * 1000, record,
			 &r) == SSA_ERR_OK) {
		if (k == JOURNAL_CLOSING_Z && prev_z != UINT64_MAX &&
		    till_reprints_between(ui->till, prev_z, record ? r.seq : 0, &n) == SSA_ERR_OK)
			reprints = (long)n;
		text = format(ui, &r, record, kind != JOURNAL_SALE, reprints);
	}
	if (text && record)
		copies(ui, &r, text);
	journal_record_fini(&r);
	if (!text)
		return false;
	free(ui->report);
	ui->report = text;
	ui->report_kind = kind;
	ui->report_confirm = kind != JOURNAL_SALE && !record;
	return true;
}

void
ui_report_show(struct ui *ui, enum request req)
{
	enum journal_kind kind = req == REQ_CLOSE_Z	  ? JOURNAL_CLOSING_Z
				 : req == REQ_CLOSE_MONTH ? JOURNAL_CLOSING_MONTH
				 : req == REQ_CLOSE_YEAR  ? JOURNAL_CLOSING_YEAR
							  : JOURNAL_SALE;

	if (compute(ui, kind, false))
		ui_switch(ui, &ui_report_ops);
}

static void
report_draw(struct ui *ui, int top, int rows)
{
	const char *p = ui->report;
	int y = top + 1;

	while (p && *p && y < top + rows - 1) {
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
	crt_put(top + rows - 1, 0, COLS, true,
		_("^X X report  ^Z daily  ^N monthly  ^Y annual closing  Esc back"));
}

static enum request
report_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_ENTER:
		if (ui->report_confirm)
			compute(ui, ui->report_kind, true);
		return REQ_NONE;
	case REQ_BACK:
		ui->report_confirm = false;
		return REQ_SALE;
	default:
		till_message(ui->till, TILL_MSG_WARN, "%s",
			     _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

static void
report_done(struct ui *ui)
{
	/* A closing left unconfirmed is dropped: it never records by surprise later. */
	ui->report_confirm = false;
}

const struct view_ops ui_report_ops = {
	.name = "report",
	.title = N_("Takings"),
	.draw = report_draw,
	.request = report_request,
	.done = report_done,
	.owns_enter = true,
};
