/* ui.h — the screens of ssa-pos (tig's views).
 *
 * One struct view_ops per screen, in ui_<screen>.c.  The loop (ui_main.c) reads a key, feeds
 * entry-line keys to the till whatever screen has focus (a scanner is a keyboard: digits then
 * Enter), turns other keys into an enum request (request.h) and gives it to the screen in focus;
 * a screen returns REQ_NONE when it handled the request, or a request for the loop (switch
 * screens, quit).  Drawing is from the till's state only, so any key leaves a drawable state.
 */
#ifndef POS_UI_H
#define POS_UI_H

#include <stdbool.h>

#include "ssa/money.h"

#include "request.h"
#include "till.h"

struct ui;

struct view_ops {
	const char *name;  /* for logs and tests */
	const char *title; /* N_()-marked, translated when drawn */
	/* Called when the screen gets the focus.  May be NULL. */
	void (*open)(struct ui *ui);
	/* Draw the body: rows @p top .. @p top + @p rows - 1, full width. */
	void (*draw)(struct ui *ui, int top, int rows);
	/* Handle @p req; return REQ_NONE when handled, or a request for the loop. */
	enum request (*request)(struct ui *ui, enum request req);
	/* Called when the screen loses the focus.  May be NULL. */
	void (*done)(struct ui *ui);
	/* The entry line holds amounts on this screen: Enter goes to the screen, unless what was
	 * typed is a scanned code. */
	bool takes_amounts;
	/* Printable keys type into ui->text (a search) instead of the entry line. */
	bool takes_text;
	/* Enter always goes to the screen, even after a scanned code. */
	bool owns_enter;
	/* Label of the entry line on this screen (N_()-marked), NULL: "Code: ". */
	const char *entry_label;
	/* Called between keys (keys are then read with a short timeout).  May be NULL. */
	void (*idle)(struct ui *ui);
};

extern const struct view_ops ui_sale_ops;
extern const struct view_ops ui_help_ops;
extern const struct view_ops ui_pay_ops;
extern const struct view_ops ui_receipt_ops;
extern const struct view_ops ui_amap_ops;
extern const struct view_ops ui_login_ops;
extern const struct view_ops ui_report_ops;
extern const struct view_ops ui_balance_ops;
extern const struct view_ops ui_rejections_ops;
extern const struct view_ops ui_refund_ops;

struct amap_session;
struct spool;
struct catalog_store;
struct pos_reader;

struct ui {
	struct till *till;
	struct pos_reader *reader;   /* the card reader, NULL: none configured */
	enum money_locale money_locale;
	/* Receipts: header lines, width, where copies go (NULL: nowhere). */
	const char *shop_name, *shop_address, *receipt_dir, *printer;
	int receipt_width;
	const struct view_ops *view; /* in focus */
	const struct view_ops *prev; /* where Esc goes back to */
	int scroll;                  /* first row shown by the help screen */
	uint32_t selected;           /* id of the selected basket line, 0 = the last one */
	uint32_t seen_last;          /* till->last_line when the sale screen last looked */
	bool quit;
	bool bounce;                 /* set by open(): the screen cannot be shown, go back */
	char text[64];               /* what was typed on a takes_text screen */
	struct amap_session *amap;   /* the AMAP distribution, NULL when not in that mode */
	size_t amap_sel;             /* selected row among the matches */
	long amap_by;                /* household whose "collected by" is being typed, -1 none */
	bool amap_totals;            /* show the totals instead of the households */
	uint64_t amap_card_seen;     /* serial of the card on the reader, checked in already; 0 none */
	uint64_t amap_card_member;   /* ... its member id */
	long amap_paying;            /* household whose baskets the card is paying, -1 none */
	char amap_card[24];          /* ... and the card id it must be paid with */
	char *report;                /* text of the report screen (owned), NULL: none */
	enum journal_kind report_kind; /* the report screen shows: JOURNAL_SALE for an X report,
					* else the closing of that kind */
	bool report_confirm;         /* ... which waits for Enter to be recorded */
	char balance[200];           /* what the balance inquiry screen shows */
	const char *data_dir;        /* the till's data directory */
	char *duplicate;             /* the reprint shown on the receipt screen (owned), or NULL */
	/* The status line's sources (borrowed, may be NULL), looked at every few seconds. */
	struct spool *spool;
	struct catalog_store *catalog;
	const char *caisse;          /* whose list's age is shown */
	int64_t status_at;           /* UTC seconds of the next look */
};

/* Run the till on the terminal until quit or a quit signal; the terminal must be set up
 * (crt_init).  @return 0, or the quit signal number. */
int ui_run(struct ui *ui);

/* Give the focus to @p ops (calls done/open). */
void ui_switch(struct ui *ui, const struct view_ops *ops);

/* While paying: look for the card and record the sale once nothing is due; to the receipt
 * screen when it is recorded.  Called by the loop; @p timeout_ms bounds the wait for a card. */
void ui_pay_step(struct ui *ui, int timeout_ms);

/* Tap to pay, called by the loop when no key is waiting: on the sale screen, one short look at
 * the reader (till_tap); a card that arrived starts the payment and the payment screen gets the
 * focus, the card read. */
void ui_sale_tap(struct ui *ui);

/* AMAP distribution, while the card pays a household's baskets: called by ui_pay_step after the
 * card was polled (the card must be the household's; the member's part the card does not pay
 * is left to the AMAP contract), and once the sale is recorded (the household collected). */
void ui_amap_pay_step(struct ui *ui);
void ui_amap_paid(struct ui *ui);

/* Reprint the last receipt: the reprint is recorded in the journal (a REPRINT record, before
 * the copy is shown or printed) and marked "DUPLICATE n", n counted from the journal. */
void ui_reprint(struct ui *ui);

/* The report screen with the X report (REQ_REPORT_X) or the closing a request asks for
 * (REQ_CLOSE_Z, _MONTH, _YEAR), shown and waiting for Enter; a closing that cannot be made is a
 * message and the screen stays as it was. */
void ui_report_show(struct ui *ui, enum request req);

/* Look at the status line's sources again (spool, journal, catalog) if it is time. */
void ui_status_refresh(struct ui *ui, bool now);

/* Draw everything now (title, body, message, entry and status lines). */
void ui_draw(struct ui *ui);

/* The status line's text for @p st at time @p now (UTC seconds), into @p buf; @p *warn set when
 * a list is older than the limit (marked "!") or when the caisse refused records (their count
 * and the key that lists them).  Pure, for tests. */
void ui_status_text(const struct till_status *st, int64_t now, char *buf, size_t size, bool *warn);

#endif
