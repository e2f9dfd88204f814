/* log.c — see ssa/log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ssa/log.h"

const char *const log_level_names[] = {"error", "warning", "info", "debug", NULL};

static char ident_buf[64] = "ssa";
static enum log_level cur_level = LOG_LEVEL_INFO;
static bool to_stderr = true;
static bool to_syslog;
static bool syslog_open;

void
log_init(const char *ident, unsigned flags, enum log_level level)
{
	const char *env = getenv("SSA_LOG");
	bool use_stderr, use_syslog;

	if (syslog_open) {
		closelog();
		syslog_open = false;
	}
	snprintf(ident_buf, sizeof(ident_buf), "%s", ident != NULL && *ident ? ident : "ssa");
	cur_level = level;
	if (flags & LOG_F_TOOL) {
		/* stderr always: a tool's messages must not be lost where syslog is missing. */
		use_stderr = true;
		use_syslog = isatty(STDERR_FILENO) != 1 &&
			     !(env != NULL && strcmp(env, "stderr") == 0);
	} else {
		if (flags & LOG_F_STDERR)
			use_stderr = true;
		else if (flags & LOG_F_SYSLOG)
			use_stderr = false;
		else if (env != NULL && strcmp(env, "stderr") == 0)
			use_stderr = true;
		else if (env != NULL && strcmp(env, "syslog") == 0)
			use_stderr = false;
		else
			use_stderr = isatty(STDERR_FILENO) == 1;
		use_syslog = !use_stderr;
	}
	to_stderr = use_stderr;
	to_syslog = use_syslog;
	if (use_syslog) {
		/* openlog keeps the pointer: ident_buf is static and stays until log_init again. */
		openlog(ident_buf, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = true;
	}
}

void
log_fini(void)
{
	if (syslog_open)
		closelog();
	syslog_open = false;
	to_stderr = true;
	to_syslog = false;
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

bool
log_is_stderr(void)
{
	return to_stderr;
}

bool
log_is_syslog(void)
{
	return to_syslog;
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report it */
		s += w;
		n -= (size_t)w;
	}
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[LOG_LINE_MAX + 1], line[LOG_LINE_MAX + 128];
	int saved = errno, n;

	if ((unsigned)level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_ERR;
	if (level > cur_level)
		goto out;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unprintable log message: %s)", fmt);
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	/* What comes from outside (a reply, a file name) must not drive the terminal or fake
	 * another log line. */
	for (char *p = msg; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n' || c == '\r')
			*p = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			*p = '?';
	}
	if (to_syslog)
		syslog(prio[level], "%s", msg);
	if (!to_stderr)
		goto out;
	n = snprintf(line, sizeof(line), "%s: %s%s%s\n", ident_buf,
	             level == LOG_LEVEL_INFO ? "" : log_level_names[level],
	             level == LOG_LEVEL_INFO ? "" : ": ", msg);
	if (n > 0)
		write_all(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
out:
	errno = saved;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOG_FN_(fn, lvl) \
	void fn(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_vmsg(lvl, fmt, ap); \
		va_end(ap); \
	}
LOG_FN_(log_err, LOG_LEVEL_ERR)
LOG_FN_(log_warn, LOG_LEVEL_WARN)
LOG_FN_(log_info, LOG_LEVEL_INFO)
LOG_FN_(log_debug, LOG_LEVEL_DEBUG)
