/* ui_amap.c — the AMAP distribution screen: the sign-in sheet (feuille d'émargement) at the till.
 *
 * Typing letters finds households (a few letters of a name, co-members too); Enter marks the
 * selected household's baskets collected, with the time; F6 records who collected for them;
 * other keys record absent, moved, cancelled, given away, or undo.  Every change is on disk
 * before it is on screen (amap_session).  Totals per contract and size on F2; F12 exports the
 * results and the printable sheet. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "amap_session.h"
#include "crt.h"
#include "i18n.h"
#include "ui.h"

#define AMAP_ROWS_MAX 512

static const char *const status_mark[] = {
	[AMAP_EXPECTED] = "\u00b7",
	[AMAP_COLLECTED] = "\u2713",
	[AMAP_ABSENT] = "\u2717",
	[AMAP_MOVED] = "\u2192",
	[AMAP_CANCELLED] = "-",
	[AMAP_GIVEN_AWAY] = "\u2665",
};

static const enum crt_color status_color[] = {
	[AMAP_EXPECTED] = CRT_NORMAL,      [AMAP_COLLECTED] = CRT_COVERED,
	[AMAP_ABSENT] = CRT_NOT_COVERED,   [AMAP_MOVED] = CRT_PARTIAL,
	[AMAP_CANCELLED] = CRT_PARTIAL,    [AMAP_GIVEN_AWAY] = CRT_COVERED,
};

static bool
french(void)
{
	return strcmp(_("Sale"), "Sale") != 0;
}

/* The items of household @p h as "Légumes 1 G, Oeufs 6". */
static void
items_text(const struct amap_distribution *d, size_t h, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_item && n + 1 < size; i++) {
		const struct amap_item *it = &d->item[i];
		long long q = (long long)(it->qty_milli / 1000);
		int r;

		if (it->household != h)
			continue;
		if (it->qty_milli % 1000)
			r = snprintf(buf + n, size - n, "%s%s %lld,%03lld%s%s", n ? ", " : "",
				     it->contract, q, (long long)(it->qty_milli % 1000),
				     it->product[0] ? " " : "", it->product);
		else
			r = snprintf(buf + n, size - n, "%s%s %lld%s%s", n ? ", " : "", it->contract,
				     q, it->product[0] ? " " : "", it->product);
		if (r < 0 || (size_t)r >= size - n)
			break;
		n += (size_t)r;
	}
}

static size_t
matches(struct ui *ui, size_t *out)
{
	size_t n = amap_find(&ui->amap->d, ui->amap_by >= 0 ? "" : ui->text, out, AMAP_ROWS_MAX);

	return n < AMAP_ROWS_MAX ? n : AMAP_ROWS_MAX;
}

static void
draw_totals(struct ui *ui, int top, int rows)
{
	struct amap_total tot[64];
	size_t n = amap_totals(&ui->amap->d, tot, 64);
	int y = top + 1;
	char buf[64];

	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, "");
	crt_put(top, 2, 24, true, _("Contract"));
	crt_put(top, 26, 12, true, _("Size"));
	crt_put(top, 38, 12, true, _("Collected"));
	crt_put(top, 50, 12, true, _("Expected"));
	attrset(crt_attr(CRT_NORMAL));
	for (size_t i = 0; i < n && i < 64 && y < top + rows - 1; i++, y++) {
		crt_put(y, 0, COLS, true, "");
		crt_put(y, 2, 23, false, tot[i].contract);
		crt_put(y, 26, 11, false, tot[i].product);
		snprintf(buf, sizeof(buf), "%lld", (long long)(tot[i].collected_milli / 1000));
		crt_put(y, 38, 12, false, buf);
		snprintf(buf, sizeof(buf), "%lld", (long long)(tot[i].expected_milli / 1000));
		crt_put(y, 50, 12, false, buf);
	}
}

static void
amap_draw(struct ui *ui, int top, int rows)
{
	const struct amap_distribution *d = &ui->amap->d;
	size_t idx[AMAP_ROWS_MAX], n, first = 0, collected = 0;
	char head[160], items[256], when[16];
	int y = top + 1;

	for (size_t h = 0; h < d->n_household; h++)
		collected += d->household[h].status == AMAP_COLLECTED ||
			     d->household[h].status == AMAP_GIVEN_AWAY;
	snprintf(head, sizeof(head), _("%zu households, %zu collected, %zu to come"),
		 d->n_household, collected, d->n_household - collected);
	attrset(crt_attr(CRT_NORMAL) | A_BOLD);
	crt_put(top, 0, COLS, true, head);
	attrset(crt_attr(CRT_NORMAL));
	crt_put(top + rows - 1, 0, COLS, true,
		_("Enter collected  F6 by  F7 absent  F8 moved  F9 cancelled  F11 given  F4 undo"));
	if (ui->amap_totals) {
		draw_totals(ui, top + 1, rows - 2);
		return;
	}
	n = matches(ui, idx);
	if (n == 0) {
		crt_put(y, 2, COLS - 2, true, _("No household matches."));
		return;
	}
	if (ui->amap_sel >= n)
		ui->amap_sel = n - 1;
	if (ui->amap_sel >= (size_t)(rows - 2))
		first = ui->amap_sel - (size_t)(rows - 3);
	for (size_t i = first; i < n && y < top + rows - 1; i++, y++) {
		const struct amap_household *hh = &d->household[idx[i]];
		bool sel = i == ui->amap_sel;
		char row[400];

		when[0] = '\0';
		if (hh->changed_at) {
			time_t tt = (time_t)hh->changed_at;
			struct tm tm;

			if (localtime_r(&tt, &tm))
				strftime(when, sizeof(when), "%H:%M", &tm);
		}
		items_text(d, idx[i], items, sizeof(items));
		attrset(crt_attr(sel ? CRT_SELECTED : CRT_NORMAL));
		crt_put(y, 0, COLS, true, sel ? ">" : "");
		attrset(crt_attr(status_color[hh->status]));
		crt_put(y, 2, 1, false, status_mark[hh->status]);
		crt_put(y, 4, 11, true, amap_status_name(hh->status, french()));
		attrset(crt_attr(sel ? CRT_SELECTED : CRT_NORMAL));
		snprintf(row, sizeof(row), "%-5s %s%s%s%s  %s", when, hh->name,
			 hh->collected_by ? " (" : "", hh->collected_by ? hh->collected_by : "",
			 hh->collected_by ? ")" : "", items);
		crt_put(y, 16, COLS - 16, true, row);
		attrset(crt_attr(CRT_NORMAL));
	}
}

static void
set_selected(struct ui *ui, enum amap_status st, const char *by)
{
	size_t idx[AMAP_ROWS_MAX], n = matches(ui, idx), h;
	enum ssa_err err;

	if (ui->amap_by >= 0) {
		h = (size_t)ui->amap_by;
	} else if (n == 0) {
		till_message(ui->till, TILL_MSG_WARN, "%s", _("No household matches."));
		return;
	} else {
		h = idx[ui->amap_sel < n ? ui->amap_sel : n - 1];
	}
	err = amap_session_set(ui->amap, h, st, (int64_t)time(NULL), by);
	if (err != SSA_ERR_OK) {
		till_message(ui->till, TILL_MSG_ERROR, _("Not recorded: %s."), _(ssa_strerror(err)));
		return;
	}
	till_message(ui->till, TILL_MSG_INFO, "%s: %s.", ui->amap->d.household[h].name,
		     amap_status_name(st, french()));
	/* The next member: clear the search, keep the list where it was. */
	ui->text[0] = '\0';
	ui->amap_by = -1;
}

static enum request
amap_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_UP:
		if (ui->amap_sel > 0)
			ui->amap_sel--;
		return REQ_NONE;
	case REQ_DOWN:
		ui->amap_sel++;
		return REQ_NONE;
	case REQ_PAGE_UP:
		ui->amap_sel = ui->amap_sel > 10 ? ui->amap_sel - 10 : 0;
		return REQ_NONE;
	case REQ_PAGE_DOWN:
		ui->amap_sel += 10;
		return REQ_NONE;
	case REQ_ENTER:
		if (ui->amap_by >= 0) {
			if (!ui->text[0]) {
				till_message(ui->till, TILL_MSG_WARN, "%s",
					     _("Type the name of who collects, then Enter."));
				return REQ_NONE;
			}
			set_selected(ui, AMAP_COLLECTED, ui->text);
		} else {
			set_selected(ui, AMAP_COLLECTED, NULL);
		}
		return REQ_NONE;
	case REQ_WEIGHT: {
		size_t idx[AMAP_ROWS_MAX], n = matches(ui, idx);

		if (n == 0)
			return REQ_NONE;
		ui->amap_by = (long)idx[ui->amap_sel < n ? ui->amap_sel : n - 1];
		ui->text[0] = '\0';
		till_message(ui->till, TILL_MSG_INFO, _("Who collects for %s? Type the name, Enter."),
			     ui->amap->d.household[ui->amap_by].name);
		return REQ_NONE;
	}
	case REQ_CASH:
		set_selected(ui, AMAP_ABSENT, NULL);
		return REQ_NONE;
	case REQ_BANK_CARD:
		set_selected(ui, AMAP_MOVED, NULL);
		return REQ_NONE;
	case REQ_LOCAL_CURRENCY:
		set_selected(ui, AMAP_CANCELLED, NULL);
		return REQ_NONE;
	case REQ_OTHER_TENDER:
		set_selected(ui, AMAP_GIVEN_AWAY, NULL);
		return REQ_NONE;
	case REQ_VOID_LINE:
		set_selected(ui, AMAP_EXPECTED, NULL);
		return REQ_NONE;
	case REQ_SALE:
		ui->amap_totals = !ui->amap_totals;
		return REQ_NONE;
	case REQ_EXPORT:
		if (amap_session_export(ui->amap) == SSA_ERR_OK)
			till_message(ui->till, TILL_MSG_INFO, _("Written: %s and %s."),
				     ui->amap->results_path, ui->amap->sheet_path);
		else
			till_message(ui->till, TILL_MSG_ERROR, "%s", _("The export could not be written."));
		return REQ_NONE;
	case REQ_BACK:
		ui->text[0] = '\0';
		ui->amap_by = -1;
		ui->amap_totals = false;
		till_message(ui->till, TILL_MSG_NONE, "%s", "");
		return REQ_NONE;
	default:
		till_message(ui->till, TILL_MSG_WARN, "%s",
			     _("This key does nothing here; F1 for help."));
		return REQ_NONE;
	}
}

const struct view_ops ui_amap_ops = {
	.name = "amap",
	.title = N_("AMAP distribution"),
	.draw = amap_draw,
	.request = amap_request,
	.takes_text = true,
};
