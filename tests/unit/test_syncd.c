/* test_syncd.c — ssa-syncd's backoff: doubling up to the ceiling, jitter within ±25 %, the
 * random source injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../sync/client.h"

static uint32_t
fixed(void *cls)
{
	return *(uint32_t *)cls;
}

static void
test_backoff(void **state)
{
	uint32_t r = 0;
	struct syncd_rng lo = { fixed, &r };

	(void)state;
	/* r = 0: the low end, 0.75 x */
	assert_int_equal(syncd_backoff(10, 3600, 1, &lo), 8);   /* 10 - 2 (integer quarter) */
	assert_int_equal(syncd_backoff(10, 3600, 2, &lo), 15);  /* 20 - 5 */
	assert_int_equal(syncd_backoff(10, 3600, 3, &lo), 30);  /* 40 - 10 */
	assert_int_equal(syncd_backoff(10, 100, 10, &lo), 75);  /* capped at 100 */
	assert_int_equal(syncd_backoff(10, 100, 4000000000u, &lo), 75);
	assert_int_equal(syncd_backoff(1, 1, 1, &lo), 1);       /* never 0 */
	assert_int_equal(syncd_backoff(0, 0, 1, NULL), 1);
	/* every random value stays within [0.75 d, 1.25 d] */
	for (uint32_t v = 0; v < 2000; v += 7) {
		uint64_t d;

		r = v * 2654435761u;
		d = syncd_backoff(40, 3600, 1, &lo);
		assert_in_range(d, 30, 50);
		d = syncd_backoff(40, 3600, 20, &lo);
		assert_in_range(d, 2700, 4500);
	}
	/* the jitter does use the random source */
	r = 0;
	{
		uint64_t a = syncd_backoff(40, 3600, 1, &lo);

		r = 20;
		assert_int_not_equal(a, syncd_backoff(40, 3600, 1, &lo));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_backoff) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
