/* crt.c — curses set-up and tear-down, colors, signals.  See crt.h. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "crt.h"

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t active;
static int saved_stderr = -1;
static bool colors;
static int attrs[CRT__COUNT];

static void
on_quit(int sig)
{
	quit_signal = sig;
}

/* A crash must not leave the terminal raw and invisible: restore it, then die of the same
 * signal (SA_RESETHAND put the default action back). */
static void
on_crash(int sig)
{
	if (active) {
		active = 0;
		endwin();
		if (saved_stderr >= 0)
			dup2(saved_stderr, STDERR_FILENO);
	}
	raise(sig);
}

static void
set_signals(void)
{
	struct sigaction sa;
	static const int quit_sigs[] = { SIGTERM, SIGINT, SIGHUP };
	static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit;
	for (size_t i = 0; i < sizeof(quit_sigs) / sizeof(quit_sigs[0]); i++)
		sigaction(quit_sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
		sigaction(crash_sigs[i], &sa, NULL);
}

static void
set_colors(void)
{
	static const struct {
		enum crt_color c;
		short fg, bg;
		int extra;
		int mono;
	} table[] = {
		{ CRT_NORMAL, -1, -1, 0, A_NORMAL },
		{ CRT_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
		{ CRT_STATUS, COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
		{ CRT_STATUS_WARN, COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
		{ CRT_COVERED, COLOR_GREEN, -1, A_BOLD, A_BOLD },
		{ CRT_PARTIAL, COLOR_YELLOW, -1, A_BOLD, A_NORMAL },
		{ CRT_NOT_COVERED, COLOR_RED, -1, A_BOLD, A_UNDERLINE },
		{ CRT_INFO, COLOR_CYAN, -1, 0, A_NORMAL },
		{ CRT_WARN, COLOR_YELLOW, -1, A_BOLD, A_BOLD },
		{ CRT_ERROR, COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
		{ CRT_SELECTED, COLOR_BLACK, COLOR_WHITE, 0, A_REVERSE },
		{ CRT_ENTRY, -1, -1, A_BOLD, A_BOLD },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		short pair = (short)(i + 1);

		if (colors) {
			init_pair(pair, table[i].fg, table[i].bg);
			attrs[table[i].c] = (int)COLOR_PAIR(pair) | table[i].extra;
		} else {
			attrs[table[i].c] = table[i].mono;
		}
	}
	if (colors)
		attrs[CRT_NORMAL] = A_NORMAL;
}

enum ssa_err
crt_init(bool use_color)
{
	if (active)
		return SSA_ERR_OK;
	if (!initscr())
		return SSA_ERR_UI;
	active = 1;
	/* Libraries (libnfc) may write to stderr, which is the screen: send it to /dev/null while
	 * curses owns the terminal; crt_done gives it back.  ssa-pos itself logs to syslog. */
	saved_stderr = dup(STDERR_FILENO);
	if (saved_stderr >= 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
	}
	atexit(crt_done);
	set_signals();
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(1);
	colors = use_color && has_colors();
	if (colors) {
		start_color();
		use_default_colors();
	}
	set_colors();
	return SSA_ERR_OK;
}

void
crt_done(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

void
crt_fatal(const char *fmt, ...)
{
	va_list ap;

	crt_done();
	fputs("ssa-pos: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(70);
}

int
crt_quit_signal(void)
{
	return quit_signal;
}

int
crt_read_key(int timeout_ms)
{
	timeout(timeout_ms);
	return getch();
}

bool
crt_too_small(void)
{
	return COLS < CRT_MIN_COLS || LINES < CRT_MIN_ROWS;
}

int
crt_attr(enum crt_color c)
{
	if ((unsigned)c >= CRT__COUNT)
		return A_NORMAL;
	return attrs[c];
}

/* Next character of UTF-8 @p s: its wide char in @p *wc and its length, or 1 with '?' for a
 * byte that does not start a valid sequence. */
static size_t
next_char(const char *s, mbstate_t *st, wchar_t *wc)
{
	size_t n = mbrtowc(wc, s, MB_CUR_MAX, st);

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(st, 0, sizeof(*st));
		*wc = L'?';
		return 1;
	}
	return n;
}

int
crt_width(const char *text)
{
	mbstate_t st;
	int cols = 0;

	memset(&st, 0, sizeof(st));
	while (*text) {
		wchar_t wc;
		int w;

		text += next_char(text, &st, &wc);
		w = wcwidth(wc);
		cols += w > 0 ? w : 0;
	}
	return cols;
}

int
crt_put(int y, int x, int width, bool pad, const char *text)
{
	mbstate_t st;
	int cols = 0;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	memset(&st, 0, sizeof(st));
	move(y, x);
	while (*text) {
		wchar_t wc[2] = { 0, 0 };
		int w;

		text += next_char(text, &st, &wc[0]);
		w = wcwidth(wc[0]);
		if (w < 0) {
			wc[0] = L'?';
			w = 1;
		}
		if (cols + w > width)
			break;
		addnwstr(wc, 1);
		cols += w;
	}
	if (pad)
		for (; cols < width; cols++)
			addch(' ');
	return cols;
}
