/* ssa/crash.h — fault injection for crash-safety tests (isync's way).
 *
 * When the environment variable SSA_CRASH_AFTER is set to N >= 1, the Nth call of crash_step()
 * in the process makes it exit(100) at once, without cleanup — as a power cut would, from the
 * durable state's point of view: what was committed stays, nothing else.  Every adapter calls
 * crash_step() at each durability-relevant point ("journal step"): before BEGIN, after an
 * INSERT, before and after COMMIT, ...  A test runs the program for N = 1, 2, ... until it
 * completes without crashing, restarts it after each crash, and checks the state.
 *
 * SSA_CRASH_TRACE=1 prints each step's name to stderr ("crash step 3: journal commit").
 */
#ifndef SSA_CRASH_H
#define SSA_CRASH_H

#include <stdint.h>

/* The exit status of an injected crash. */
#define CRASH_EXIT_STATUS 100

/* Count one journal step named @p what (static string, for the trace); exit(100) when it is
 * the Nth of SSA_CRASH_AFTER. */
void crash_step(const char *what);

/* Steps counted so far in this process (since the last crash_reset). */
uint64_t crash_steps(void);

/* Read SSA_CRASH_AFTER again and restart the count (a forked child after setenv). */
void crash_reset(void);

#endif
