/* test_err.c — every error code has a message and a distinct name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ssa/err.h"

static void
test_every_code_has_message_and_name(void **state)
{
	(void)state;
	for (int i = 0; i < SSA_ERR__COUNT; i++) {
		assert_non_null(ssa_strerror(i));
		assert_true(strlen(ssa_strerror(i)) > 1);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ssa_errname(i), ssa_errname(j));
	}
	assert_string_equal(ssa_errname(SSA_ERR_BARCODE_CHECK), "BARCODE_CHECK");
	assert_string_equal(ssa_strerror(SSA_ERR__COUNT), "unknown error");
	assert_string_equal(ssa_strerror(-1), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_message_and_name),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
