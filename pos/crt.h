/* crt.h — the terminal: the only module that sets up curses, colors and signals (htop's CRT.c).
 *
 * crt_init() takes the terminal; crt_done() gives it back and is safe to call on every exit
 * path, twice, and from atexit (crt_init registers it).  crt_fatal() restores the terminal before
 * it prints and exits.  SIGTERM, SIGINT and SIGHUP are turned into a flag the UI loop reads
 * (crt_quit_signal); SIGWINCH is left to curses, which then returns KEY_RESIZE.
 */
#ifndef POS_CRT_H
#define POS_CRT_H

#include <stdbool.h>
#include <curses.h>

#include "ssa/err.h"

#define CRT_MIN_COLS 80
#define CRT_MIN_ROWS 24

enum crt_color {
	CRT_NORMAL,
	CRT_TITLE,
	CRT_STATUS,
	CRT_STATUS_WARN,
	CRT_COVERED,
	CRT_PARTIAL,
	CRT_NOT_COVERED,
	CRT_INFO,
	CRT_WARN,
	CRT_ERROR,
	CRT_SELECTED,
	CRT_ENTRY,
	CRT__COUNT
};

/* Take the terminal: locale must be set already.  @param use_color false to draw in plain
 * attributes only (NO_COLOR, or a terminal without colors).  SSA_ERR_UI if no terminal. */
enum ssa_err crt_init(bool use_color);

/* Give the terminal back as it was.  Idempotent; async-signal paths use it too. */
void crt_done(void);

/* Restore the terminal, print "ssa-pos: <message>" on stderr and exit(70).  For broken
 * invariants and out-of-memory only: bad input is a message on screen, never fatal. */
_Noreturn void crt_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The quit signal received (SIGTERM, SIGINT, SIGHUP), or 0. */
int crt_quit_signal(void);

/* Wait at most @p timeout_ms for a key; ERR on timeout or a signal. */
int crt_read_key(int timeout_ms);

/* Is the terminal smaller than CRT_MIN_COLS x CRT_MIN_ROWS? */
bool crt_too_small(void);

/* The attribute (color pair and/or bold/reverse) for @p c. */
int crt_attr(enum crt_color c);

/* Draw UTF-8 @p text at (@p y, @p x) in at most @p width columns, padded with spaces to
 * @p width when @p pad.  Returns the columns used.  Bytes that are not UTF-8 are shown as '?'. */
int crt_put(int y, int x, int width, bool pad, const char *text);

/* Display width in columns of UTF-8 @p text. */
int crt_width(const char *text);

#endif
