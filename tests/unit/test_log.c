/* test_log.c — the stderr path of logging: format, levels, sanitising, truncation, and the
 * choice between stderr and syslog (a pty stands in for a terminal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ssa/log.h"

static char dir[] = "/tmp/ssa-test-log-XXXXXX";
static char path[128];
static int saved_stderr = -1;
static char captured[8192];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/stderr", dir);
	unsetenv("SSA_LOG");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

/* Send stderr to a fresh file. */
static void
capture_begin(void)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
}

/* Put stderr back and return what was written to it. */
static const char *
capture_end(void)
{
	FILE *f;
	size_t n;

	assert_true(dup2(saved_stderr, STDERR_FILENO) == STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	captured[n] = '\0';
	fclose(f);
	return captured;
}

static void
test_before_init(void **state)
{
	(void)state;
	capture_begin();
	log_warn("early %d", 1);
	assert_string_equal(capture_end(), "ssa: warning: early 1\n");
}

static void
test_stderr_format_and_levels(void **state)
{
	const char *out;
	(void)state;
	capture_begin();
	log_init("test-log", LOG_F_STDERR, LOG_LEVEL_INFO);
	log_err("disk full (%d)", 28);
	log_warn("list %s is older", "v3");
	log_info("started, %u cards", 2u);
	log_debug("not shown %d", 1);
	log_msg(LOG_LEVEL_WARN, "via %s", "log_msg");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("shown %d", 2);
	log_set_level(LOG_LEVEL_ERR);
	log_warn("dropped");
	log_info("dropped");
	log_err("kept");
	out = capture_end();
	assert_true(log_is_stderr());
	assert_int_equal(log_get_level(), LOG_LEVEL_ERR);
	assert_string_equal(out, "test-log: error: disk full (28)\n"
	                         "test-log: warning: list v3 is older\n"
	                         "test-log: started, 2 cards\n"
	                         "test-log: warning: via log_msg\n"
	                         "test-log: debug: shown 2\n"
	                         "test-log: error: kept\n");
	log_fini();
}

static void
test_sanitise_and_truncate(void **state)
{
	char big[3000];
	const char *out;
	int e;
	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_begin();
	log_init("t", LOG_F_STDERR, LOG_LEVEL_DEBUG);
	log_err("reply: %s", "a\nb\r\x1b[2Jc\td\x7f" "é");
	errno = EACCES;
	log_info("%s", big);
	e = errno;
	out = capture_end();
	log_fini();
	assert_int_equal(e, EACCES); /* logging leaves errno alone */
	{
		static const char want[] = "t: error: reply: a b ?[2Jc\td?é\n";
		assert_memory_equal(out, want, sizeof(want) - 1);
	}
	out = strchr(out, '\n') + 1;
	assert_int_equal(strlen(out), strlen("t: ") + LOG_LINE_MAX + 1);
	assert_memory_equal(out + strlen(out) - 5, "x...\n", 5);
}

static void
test_auto_not_a_terminal(void **state)
{
	const char *out;
	(void)state;
	/* stderr is a file: messages go to syslog, none to the file */
	capture_begin();
	log_init("test-log", 0, LOG_LEVEL_INFO);
	assert_false(log_is_stderr());
	log_info("to syslog, not to the file");
	out = capture_end();
	assert_string_equal(out, "");
	log_fini();
	assert_true(log_is_stderr());

	/* SSA_LOG=stderr wins over the automatic choice, a flag wins over SSA_LOG */
	setenv("SSA_LOG", "stderr", 1);
	capture_begin();
	log_init("test-log", 0, LOG_LEVEL_INFO);
	log_info("env");
	log_init("test-log", LOG_F_SYSLOG, LOG_LEVEL_INFO);
	log_info("flag");
	out = capture_end();
	assert_string_equal(out, "test-log: env\n");
	assert_false(log_is_stderr());
	setenv("SSA_LOG", "syslog", 1);
	log_init("test-log", LOG_F_STDERR, LOG_LEVEL_INFO);
	assert_true(log_is_stderr());
	log_init("test-log", 0, LOG_LEVEL_INFO);
	assert_false(log_is_stderr());
	unsetenv("SSA_LOG");
	log_fini();
}

/* A tool (ssa-admin, ssa-cardsim) run by a script: the message reaches stderr, and syslog too. */
static void
test_tool_not_a_terminal(void **state)
{
	const char *out;
	(void)state;
	capture_begin();
	log_init("test-tool", LOG_F_TOOL, LOG_LEVEL_INFO);
	assert_true(log_is_stderr());
	assert_true(log_is_syslog());
	log_err("cannot open %s", "x.db");
	log_info("done");
	log_debug("dropped");
	out = capture_end();
	assert_string_equal(out, "test-tool: error: cannot open x.db\ntest-tool: done\n");
	/* SSA_LOG=stderr: stderr only; SSA_LOG=syslog does not take stderr away from a tool */
	setenv("SSA_LOG", "stderr", 1);
	log_init("test-tool", LOG_F_TOOL, LOG_LEVEL_INFO);
	assert_true(log_is_stderr());
	assert_false(log_is_syslog());
	setenv("SSA_LOG", "syslog", 1);
	capture_begin();
	log_init("test-tool", LOG_F_TOOL, LOG_LEVEL_INFO);
	log_warn("still here");
	out = capture_end();
	assert_string_equal(out, "test-tool: warning: still here\n");
	assert_true(log_is_syslog());
	unsetenv("SSA_LOG");
	log_fini();
	assert_false(log_is_syslog());
}

static void
test_auto_terminal(void **state)
{
	int master, slave, saved;
	char buf[256];
	ssize_t n;
	size_t got = 0;
	(void)state;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(dup2(slave, STDERR_FILENO) == STDERR_FILENO);
	/* a tool in a terminal: stderr only */
	log_init("tty-log", LOG_F_TOOL, LOG_LEVEL_INFO);
	bool tool_syslog = log_is_syslog();
	log_init("tty-log", 0, LOG_LEVEL_INFO);
	bool is_stderr = log_is_stderr();
	log_warn("in a terminal");
	assert_true(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	close(slave);
	log_fini();
	assert_true(is_stderr);
	assert_false(tool_syslog);
	/* read what the terminal got (the pty turns \n into \r\n); poll's limit is a watchdog
	 * against a hang should nothing come, not a timing assertion */
	buf[0] = '\0';
	while (got < sizeof(buf) - 1 && strchr(buf, '\n') == NULL) {
		struct pollfd pfd = {.fd = master, .events = POLLIN};
		if (poll(&pfd, 1, 10000) != 1)
			break;
		n = read(master, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
	}
	close(master);
	assert_string_equal(buf, "tty-log: warning: in a terminal\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_init),
		cmocka_unit_test(test_stderr_format_and_levels),
		cmocka_unit_test(test_sanitise_and_truncate),
		cmocka_unit_test(test_auto_not_a_terminal),
		cmocka_unit_test(test_tool_not_a_terminal),
		cmocka_unit_test(test_auto_terminal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
