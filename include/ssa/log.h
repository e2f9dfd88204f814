/* ssa/log.h — logging for every program: syslog/journald, or stderr in a terminal.
 *
 * log_init() picks the destination once: stderr when it is a terminal, or when LOG_F_STDERR is
 * given (or the environment has SSA_LOG=stderr, for tests and foreground runs); syslog otherwise
 * (openlog with LOG_PID; journald collects it), or always with LOG_F_SYSLOG; both with
 * LOG_F_TOOL when stderr is not a terminal.  On stderr a line
 * reads "ssa-syncd: warning: message" ("ssa-syncd: message" for info), written with one write().  Control characters in a message (it may quote what a
 * server or a file sent) are shown as '?', and a message is cut at LOG_LINE_MAX bytes.
 * Before log_init(), messages go to stderr under the name "ssa".
 *
 * Implemented in io/log.c (libssaio): the core (lib/) never logs, it returns errors.
 */
#ifndef SSA_LOG_H
#define SSA_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* "error", "warning", "info", "debug", NULL: for a CONFIG_ENUM key or a -v option. */
extern const char *const log_level_names[];

#define LOG_F_STDERR 1u /* stderr even when it is not a terminal */
#define LOG_F_SYSLOG 2u /* syslog even when stderr is a terminal */
/* A command-line tool (ssa-admin, ssa-cardsim): its messages answer whoever ran it, so they go to
 * stderr always; when stderr is not a terminal (a script, cron, a test) they go to syslog as
 * well, so that an unattended run leaves a trace in the journal.  SSA_LOG=stderr: stderr only. */
#define LOG_F_TOOL 4u

#define LOG_LINE_MAX 1024

/* Start logging as @p ident (copied; the program's name) with @p flags (LOG_F_*), keeping
 * messages up to @p level.  May be called again to change its mind. */
void log_init(const char *ident, unsigned flags, enum log_level level);

/* Close syslog if it was opened; later messages go to stderr. */
void log_fini(void);

/* Keep messages up to @p level from now on. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* True when messages go to stderr (and maybe to syslog too, LOG_F_TOOL), false for syslog only. */
bool log_is_stderr(void);

/* True when messages go to syslog (alone, or with stderr under LOG_F_TOOL). */
bool log_is_syslog(void);

/* Log printf-style at @p level (dropped when above the current level). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
