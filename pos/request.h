/* request.h — what a key asks the till to do.
 *
 * Every request is declared once, here, with the keys that give it and its help text: the key
 * map and the help screen are both generated from this list (tig's REQ_INFO).  Keys that type
 * into the entry line (digits, '*', ',', '.', backspace) are not requests: the UI loop feeds them
 * to the entry line whatever screen has focus, so that a scanner (a keyboard wedge: digits then
 * Enter) always lands in the basket.
 *
 * _(NAME, key, second key or 0, key label, help text)
 * The help text is marked with N_() and translated when drawn.
 */
#ifndef POS_REQUEST_H
#define POS_REQUEST_H

#include <curses.h>

#ifndef N_
#define N_(s) s
#endif

#define REQ_CTRL(c) ((c) & 0x1f)

#define REQ_INFO(_) \
	_(HELP, KEY_F(1), '?', "F1 ?", N_("show this help")) \
	_(SALE, KEY_F(2), 0, "F2", N_("the sale screen (AMAP: totals)")) \
	_(PAY, KEY_F(3), 0, "F3", N_("pay the sale (AMAP: the rows the import left out)")) \
	_(VOID_LINE, KEY_F(4), KEY_DC, "F4 Del", N_("void the selected line (AMAP: undo)")) \
	_(CANCEL_SALE, KEY_F(5), 0, "F5", N_("cancel the whole sale")) \
	_(WEIGHT, KEY_F(6), 0, "F6", N_("type a weight in kg, then the item (AMAP: collected by)")) \
	_(CASH, KEY_F(7), 0, "F7", N_("pay cash, the amount typed or due (AMAP: absent)")) \
	_(BANK_CARD, KEY_F(8), 0, "F8", N_("pay by bank card (AMAP: moved)")) \
	_(LOCAL_CURRENCY, KEY_F(9), 0, "F9", N_("pay in local currency (AMAP: cancelled)")) \
	_(OTHER_TENDER, KEY_F(11), 0, "F11", N_("pay by another tender (AMAP: given away)")) \
	_(EXPORT, KEY_F(12), 0, "F12", N_("AMAP: export the results and the printable sheet")) \
	_(ENTER, '\n', KEY_ENTER, "Enter", N_("add the typed code (3*code: three of them)")) \
	_(BACK, 27, 0, "Esc", N_("clear the entry, or go back")) \
	_(UP, KEY_UP, 0, "Up", N_("select the line above")) \
	_(DOWN, KEY_DOWN, 0, "Down", N_("select the line below")) \
	_(PAGE_UP, KEY_PPAGE, 0, "PgUp", N_("scroll up")) \
	_(PAGE_DOWN, KEY_NPAGE, 0, "PgDn", N_("scroll down")) \
	_(BALANCE, REQ_CTRL('b'), 0, "^B", N_("balance inquiry: read a food card, no sale")) \
	_(REFUND, REQ_CTRL('t'), 0, "^T", N_("refund lines of an earlier sale (its number)")) \
	_(REPRINT, REQ_CTRL('r'), 0, "^R", N_("reprint the last receipt (counted)")) \
	_(REPORT_X, REQ_CTRL('x'), 0, "^X", N_("X report: the takings since the last Z")) \
	_(CLOSE_Z, REQ_CTRL('z'), 0, "^Z", N_("Z: daily closing (Enter confirms)")) \
	_(CLOSE_MONTH, REQ_CTRL('n'), 0, "^N", N_("monthly closing, after the Z (Enter confirms)")) \
	_(CLOSE_YEAR, REQ_CTRL('y'), 0, "^Y", N_("annual closing, after the Z (Enter confirms)")) \
	_(REJECTIONS, REQ_CTRL('e'), 0, "^E", N_("the records the caisse refused (sync)")) \
	_(REDRAW, REQ_CTRL('l'), 0, "^L", N_("redraw the screen")) \
	_(QUIT, KEY_F(10), REQ_CTRL('q'), "F10 ^Q", N_("quit ssa-pos"))

#define REQ_ENUM_(name, k1, k2, label, help) REQ_##name,
enum request {
	REQ_NONE = 0,
	REQ_INFO(REQ_ENUM_) REQ__COUNT
};
#undef REQ_ENUM_

struct request_info {
	enum request req;
	int key;
	int key2;
	const char *label;
	const char *help; /* untranslated; pass through _() to show */
};

/* The table generated from REQ_INFO, in declaration order; @p *count gets its length. */
const struct request_info *request_table(size_t *count);

/* The request a key gives, or REQ_NONE. */
enum request request_of_key(int key);

#endif
