/* test_hex.c — hex digits and decoding, lowercase-only and either case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ssa/hex.h"

static void
test_digits(void **state)
{
	(void)state;
	assert_int_equal(hex_digit('0', HEX_LOWER), 0);
	assert_int_equal(hex_digit('9', HEX_LOWER), 9);
	assert_int_equal(hex_digit('a', HEX_LOWER), 10);
	assert_int_equal(hex_digit('f', HEX_LOWER), 15);
	assert_int_equal(hex_digit('F', HEX_LOWER), -1);
	assert_int_equal(hex_digit('F', HEX_ANY), 15);
	assert_int_equal(hex_digit('A', HEX_ANY), 10);
	for (int c = 0; c < 256; c++) {
		int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		assert_int_equal(hex_digit(c, HEX_ANY) >= 0, want);
	}
	assert_int_equal(hex_digit('g', HEX_ANY), -1);
	assert_int_equal(hex_digit('/', HEX_ANY), -1);
	assert_int_equal(hex_digit(':', HEX_ANY), -1);
	assert_int_equal(hex_digit('\0', HEX_ANY), -1);
}

static void
test_decode(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_true(hex_decode("00ff7a10", 4, out, HEX_LOWER));
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0x7a);
	assert_int_equal(out[3], 0x10);
	assert_false(hex_decode("00FF7a10", 4, out, HEX_LOWER));
	assert_true(hex_decode("00FF7A10", 4, out, HEX_ANY));
	assert_int_equal(out[1], 0xff);
	assert_false(hex_decode("00ff7a1g", 4, out, HEX_ANY));
	assert_false(hex_decode("0 ff7a10", 4, out, HEX_ANY));
	assert_true(hex_decode("", 0, out, HEX_LOWER));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
