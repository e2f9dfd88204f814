/* crash.c — SSA_CRASH_AFTER fault injection (see ssa/crash.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ssa/crash.h"

static int loaded;
static uint64_t limit; /* 0: never */
static int trace;
static uint64_t count;

static void
load(void)
{
	const char *v = getenv("SSA_CRASH_AFTER");
	const char *t = getenv("SSA_CRASH_TRACE");
	char *end = NULL;
	unsigned long long n;

	limit = 0;
	if (v != NULL && *v != '\0') {
		n = strtoull(v, &end, 10);
		if (end != NULL && *end == '\0')
			limit = n;
	}
	trace = t != NULL && t[0] == '1';
	loaded = 1;
}

void
crash_step(const char *what)
{
	if (!loaded)
		load();
	count++;
	if (trace)
		fprintf(stderr, "crash step %llu: %s\n", (unsigned long long)count, what);
	if (limit != 0 && count == limit) {
		if (trace)
			fprintf(stderr, "crash injected at step %llu (%s)\n",
				(unsigned long long)count, what);
		/* _exit: no atexit handlers, no stdio flush, no SQLite close — like a power cut
		 * for what is on disk. */
		_exit(CRASH_EXIT_STATUS);
	}
}

uint64_t
crash_steps(void)
{
	return count;
}

void
crash_reset(void)
{
	count = 0;
	load();
}
