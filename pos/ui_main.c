/* ui_main.c — the UI loop and the lines every screen shares: title, message, entry, status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt.h"
#include "i18n.h"
#include "spool.h"
#include "till_card.h"
#include "ui.h"

void
ui_switch(struct ui *ui, const struct view_ops *ops)
{
	if (ui->view == ops)
		return;
	if (ui->view && ui->view->done)
		ui->view->done(ui);
	ui->prev = ui->view;
	ui->view = ops;
	ui->bounce = false;
	if (ops->open)
		ops->open(ui);
	if (ui->bounce && ui->prev && ui->prev != ops) {
		/* Bounded: the screen we return to was shown already, it does not bounce. */
		ui->bounce = false;
		ui->view = ui->prev;
	}
}

static void
age_text(int64_t seconds, char *buf, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 3600)
		snprintf(buf, size, _("%d min"), (int)(seconds / 60));
	else if (seconds < 2 * 86400)
		snprintf(buf, size, _("%d h"), (int)(seconds / 3600));
	else
		snprintf(buf, size, _("%d d"), (int)(seconds / 86400));
}

void
ui_status_text(const struct till_status *st, int64_t now, char *buf, size_t size, bool *warn)
{
	char sync[32], list[32], hot[32];

	*warn = false;
	if (st->last_sync == 0)
		snprintf(sync, sizeof(sync), "%s", _("never"));
	else
		age_text(now - st->last_sync, sync, sizeof(sync));
	/* A list older than the caisse's limit is marked "!" and turns the whole line red. */
	if (st->list_version == 0) {
		snprintf(list, sizeof(list), "%s", _("none"));
		*warn = true;
	} else if (st->list_time == 0) {
		snprintf(list, sizeof(list), "v%u", (unsigned)st->list_version);
	} else {
		char age[24];

		age_text(now - st->list_time, age, sizeof(age));
		snprintf(list, sizeof(list), "v%u, %s", (unsigned)st->list_version, age);
		if (st->max_age > 0 && now - st->list_time > st->max_age) {
			strncat(list, " !", sizeof(list) - strlen(list) - 1);
			*warn = true;
		}
	}
	if (st->hotlist_time == 0) {
		snprintf(hot, sizeof(hot), "%s", _("none"));
	} else {
		age_text(now - st->hotlist_time, hot, sizeof(hot));
		if (st->max_age > 0 && now - st->hotlist_time > st->max_age) {
			strncat(hot, " !", sizeof(hot) - strlen(hot) - 1);
			*warn = true;
		}
	}
	if (st->rejections > 0) {
		/* Shorter, and the count of refused records first: it must not be cut. */
		*warn = true;
		snprintf(buf, size, _("%s | %llu refused ^E | sync %s | %lld wait. | list %s | hot %s"),
			 st->online ? _("online") : _("offline"), (unsigned long long)st->rejections,
			 sync, (long long)st->records_waiting, list, hot);
		return;
	}
	snprintf(buf, size, _("%s | sync: %s | %lld waiting | list: %s | hot list: %s"),
		 st->online ? _("online") : _("offline"), sync, (long long)st->records_waiting,
		 list, hot);
}

/* The age of the hot list in force at the till (not of the spool's file, which may be refused
 * or not read yet): the time it was received, or the last sync that saw that very version. */
static void
hotlist_in_force(struct ui *ui)
{
	/* The main caisse's ([till] caisse): t->files is the last card's caisse's. */
	const struct till_card_files *f =
		ui->till->n_caisses > 0 ? ui->till->caisses[0].files : ui->till->files;
	const struct spool_status *ss = ui->spool && ui->spool->have_status ? &ui->spool->st : NULL;
	struct till_status *st = &ui->till->status;

	if (!f || !f->hot) {
		st->hotlist_time = 0;
		return;
	}
	st->hotlist_time = f->hot_time;
	if (ss && ss->hotlist_version == f->hot->version &&
	    ss->last_success > st->hotlist_time)
		st->hotlist_time = ss->last_success;
}

void
ui_status_refresh(struct ui *ui, bool now)
{
	int64_t t = (int64_t)time(NULL);

	if (!now && t < ui->status_at && t > ui->status_at - 60)
		return; /* (a clock set back: look now) */
	ui->status_at = t + 2;
	if (ui->spool)
		spool_refresh(ui->spool);
	/* A new hot list in the spool comes into force now, not at the next card only: each
	 * caisse's (till_card_refresh_hotlist looks at t->files), not while a card's caisse is
	 * selected for a payment. */
	if (ui->till->state != TILL_PAYING && !ui->till->pending_id) {
		struct till_card_files *keep = ui->till->files;

		for (size_t i = 0; i < ui->till->n_caisses; i++) {
			ui->till->files = ui->till->caisses[i].files;
			till_card_refresh_hotlist(ui->till);
		}
		ui->till->files = keep;
		if (ui->till->n_caisses == 0 && keep)
			till_card_refresh_hotlist(ui->till);
	}
	spool_till_status(ui->spool, ui->till->journal, ui->catalog, ui->caisse, &ui->till->status);
	hotlist_in_force(ui);
}

static void
draw_too_small(void)
{
	char msg[160];
	int y = LINES / 2;

	erase();
	snprintf(msg, sizeof(msg), _("Terminal too small: %dx%d, ssa-pos needs %dx%d."), COLS,
		 LINES, CRT_MIN_COLS, CRT_MIN_ROWS);
	attrset(crt_attr(CRT_ERROR));
	crt_put(y > 0 ? y - 1 : 0, 0, COLS, true, msg);
	attrset(crt_attr(CRT_NORMAL));
	crt_put(y, 0, COLS, true, _("Enlarge the window, or F10 to quit."));
	refresh();
}

static void
draw_title(struct ui *ui)
{
	char left[160], right[80];
	int rw;

	snprintf(left, sizeof(left), " ssa-pos - %s", _(ui->view->title));
	if (ui->till->operator_id[0])
		snprintf(right, sizeof(right), _("Operator %s | F1 help"), ui->till->operator_id);
	else
		snprintf(right, sizeof(right), "%s", _("F1 help"));
	rw = crt_width(right);
	attrset(crt_attr(CRT_TITLE));
	crt_put(0, 0, COLS - rw - 1, true, left);
	crt_put(0, COLS - rw - 1, rw + 1, true, right);
	attrset(crt_attr(CRT_NORMAL));
}

static void
draw_message(struct ui *ui, int y)
{
	static const enum crt_color colors[] = {
		[TILL_MSG_NONE] = CRT_NORMAL,
		[TILL_MSG_INFO] = CRT_INFO,
		[TILL_MSG_WARN] = CRT_WARN,
		[TILL_MSG_ERROR] = CRT_ERROR,
	};

	attrset(crt_attr(colors[ui->till->msg_level]));
	crt_put(y, 0, COLS, true, ui->till->msg_level == TILL_MSG_NONE ? "" : ui->till->msg);
	attrset(crt_attr(CRT_NORMAL));
}

/* Draws the entry line and returns the column of the cursor. */
static int
draw_entry(struct ui *ui, int y)
{
	const char *label;
	int x;

	if (ui->view->takes_text) {
		attrset(crt_attr(CRT_NORMAL));
		x = crt_put(y, 0, COLS, false,
			    ui->amap_by >= 0 ? _("Collected by: ") : _("Search: "));
		attrset(crt_attr(CRT_ENTRY));
		x += crt_put(y, x, COLS - x - 1, false, ui->text);
		attrset(crt_attr(CRT_NORMAL));
		crt_put(y, x, COLS - x, true, "");
		return x;
	}
	label = ui->till->weight_prompt ? _("Weight (kg): ")
		: ui->view->entry_label	? _(ui->view->entry_label)
					: _("Code: ");
	attrset(crt_attr(CRT_NORMAL));
	x = crt_put(y, 0, COLS, false, label);
	attrset(crt_attr(CRT_ENTRY));
	x += crt_put(y, x, COLS - x - 1, false, ui->till->entry);
	attrset(crt_attr(CRT_NORMAL));
	crt_put(y, x, COLS - x, true, "");
	return x;
}

static void
draw_status(struct ui *ui, int y)
{
	char buf[256];
	bool warn;

	ui_status_text(&ui->till->status, (int64_t)time(NULL), buf, sizeof(buf), &warn);
	attrset(crt_attr(warn ? CRT_STATUS_WARN : CRT_STATUS));
	crt_put(y, 0, COLS, true, buf);
	attrset(crt_attr(CRT_NORMAL));
}

void
ui_draw(struct ui *ui)
{
	int cursor_x;

	if (crt_too_small()) {
		draw_too_small();
		return;
	}
	erase();
	draw_title(ui);
	ui->view->draw(ui, 1, LINES - 4);
	draw_message(ui, LINES - 3);
	cursor_x = draw_entry(ui, LINES - 2);
	draw_status(ui, LINES - 1);
	move(LINES - 2, cursor_x);
	refresh();
}

static bool
is_backspace(int key)
{
	return key == KEY_BACKSPACE || key == 127 || key == 8;
}

/* A request for the loop itself; false if the screen in focus should have it. */
static bool
global_request(struct ui *ui, enum request req)
{
	switch (req) {
	case REQ_HELP:
		ui_switch(ui, &ui_help_ops);
		return true;
	case REQ_SALE:
		if (ui->view == &ui_amap_ops || ui->view == &ui_login_ops)
			return false; /* its totals; sign in first */
		ui_switch(ui, ui->amap ? &ui_amap_ops : &ui_sale_ops);
		return true;
	case REQ_PAY:
		if (ui->view == &ui_amap_ops || ui->view == &ui_login_ops ||
		    ui->view == &ui_refund_ops) /* F3 there: refund */
			return false;
		ui_switch(ui, &ui_pay_ops);
		return true;
	case REQ_QUIT:
		ui->quit = true;
		return true;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		return true;
	case REQ_REPRINT:
		if (ui->view == &ui_login_ops || ui->view == &ui_amap_ops ||
		    ui->till->state == TILL_PAYING)
			return false;
		ui_reprint(ui);
		return true;
	case REQ_REPORT_X:
	case REQ_CLOSE_Z:
	case REQ_CLOSE_MONTH:
	case REQ_CLOSE_YEAR:
		if (ui->view == &ui_login_ops || ui->view == &ui_amap_ops ||
		    ui->till->state == TILL_PAYING)
			return false;
		ui_report_show(ui, req);
		return true;
	case REQ_REJECTIONS:
		if (ui->view == &ui_login_ops || ui->till->state == TILL_PAYING)
			return false;
		ui_switch(ui, &ui_rejections_ops);
		return true;
	case REQ_BALANCE:
		if (ui->view == &ui_login_ops || ui->view == &ui_amap_ops ||
		    ui->till->state == TILL_PAYING)
			return false;
		ui_switch(ui, &ui_balance_ops);
		return true;
	case REQ_REFUND:
		if (ui->view == &ui_login_ops || ui->view == &ui_amap_ops ||
		    ui->till->state == TILL_PAYING)
			return false;
		ui_switch(ui, &ui_refund_ops);
		return true;
	default:
		return false;
	}
}

static void
handle_request(struct ui *ui, enum request req)
{
	/* A screen may hand a request back to the loop; bounded, as a screen could bounce. */
	for (int hops = 0; req != REQ_NONE && hops < 4; hops++) {
		if (global_request(ui, req))
			return;
		req = ui->view->request(ui, req);
	}
}

/* One key.  Order matters: entry-line keys go to the till before any screen sees them, so a
 * scanner's digits land in the basket whatever has focus. */
static void
handle_key(struct ui *ui, int key)
{
	enum request req;

	if (crt_too_small()) {
		/* Nothing can be shown: keep what is typed, act on nothing but quit. */
		if (key < 256 && till_entry_type(ui->till, key))
			return;
		if (request_of_key(key) == REQ_QUIT)
			ui->quit = true;
		return;
	}
	if (ui->view->takes_text) {
		size_t n = strlen(ui->text);

		/* Printable ASCII and the bytes of UTF-8 characters type into the search. */
		if (key >= 0x20 && key < 0x100 && key != 0x7f) {
			if (n + 1 < sizeof(ui->text)) {
				ui->text[n] = (char)key;
				ui->text[n + 1] = '\0';
			}
			return;
		}
		if (is_backspace(key)) {
			while (n > 0 && ((unsigned char)ui->text[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 0)
				n--;
			ui->text[n] = '\0';
			return;
		}
	}
	if (key < 256 && till_entry_type(ui->till, key))
		return;
	if (is_backspace(key)) {
		till_entry_backspace(ui->till);
		return;
	}
	req = request_of_key(key);
	/* A scanned code goes to the basket on any screen that owns Enter once someone signed in:
	 * a scan on a closing waiting for its Enter must never record the closing. */
	if (req == REQ_ENTER && ui->view->owns_enter && !ui->view->takes_text &&
	    ui->till->operator_id[0] && till_entry_is_scan(ui->till->entry)) {
		till_enter(ui->till);
		ui_switch(ui, &ui_sale_ops);
		return;
	}
	if (req == REQ_ENTER && (ui->view->takes_text || ui->view->owns_enter ||
				 (ui->view->takes_amounts && !till_entry_is_scan(ui->till->entry)))) {
		handle_request(ui, req);
		return;
	}
	if (req == REQ_ENTER && (ui->till->entry[0] || ui->till->weight_prompt)) {
		/* Order matters: the till takes the entry first, on whatever screen (a scan while
		 * paying drops the payment and says so; after a recorded sale it starts the next
		 * one), then the sale screen shows it. */
		till_enter(ui->till);
		ui_switch(ui, &ui_sale_ops);
		return;
	}
	if (req == REQ_BACK && (ui->till->entry[0] || ui->till->weight_prompt)) {
		till_entry_clear(ui->till);
		till_message(ui->till, TILL_MSG_NONE, "%s", "");
		return;
	}
	if (req == REQ_NONE) {
		till_message(ui->till, TILL_MSG_WARN, "%s", _("This key does nothing here; F1 for help."));
		return;
	}
	handle_request(ui, req);
}

int
ui_run(struct ui *ui)
{
	if (!ui->view)
		/* The operator signs in first, at the counter as at the AMAP table: the code is
		 * recorded with every sale, the baskets a card pays at pickup too. */
		ui_switch(ui, !ui->till->operator_id[0] ? &ui_login_ops
			      : ui->amap		 ? &ui_amap_ops
						 : &ui_sale_ops);
	while (!ui->quit && !crt_quit_signal()) {
		/* While a card is awaited, keys are read briefly and the reader polled in turn. */
		bool card = ui->till->state == TILL_PAYING || ui->till->pending_id;
		/* Tap to pay: on the sale screen with lines, the reader is looked at when no key
		 * came for a while (never between a scanner's keys). */
		bool tap = ui->view == &ui_sale_ops && ui->reader && till_tap_wanted(ui->till);
		int key;

		ui_status_refresh(ui, false);
		ui_draw(ui);
		key = crt_read_key(card || ui->view->idle ? 50 : tap ? 150 : 1000);
		if (key != ERR && key != KEY_RESIZE)
			handle_key(ui, key);
		if (card || ui->till->state == TILL_PAYING) {
			ui_draw(ui);
			ui_pay_step(ui, 150);
		} else if (ui->view->idle) {
			ui_draw(ui);
			ui->view->idle(ui);
		} else if (key == ERR && tap) {
			ui_sale_tap(ui);
			if (ui->till->state == TILL_PAYING) {
				/* The card was read: record at once when nothing else is due. */
				ui_draw(ui);
				ui_pay_step(ui, 0);
			}
		}
	}
	if (ui->view && ui->view->done)
		ui->view->done(ui);
	free(ui->report);
	ui->report = NULL;
	free(ui->duplicate);
	ui->duplicate = NULL;
	return crt_quit_signal();
}
