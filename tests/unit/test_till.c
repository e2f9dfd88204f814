/* test_till.c — the till's entry line: codes, quantities, weights, scans; the status line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../pos/till.h"
#include "../../pos/ui.h"

static void
test_parse_entry(void **state)
{
	struct till_entry e;

	(void)state;
	assert_int_equal(till_parse_entry("3560070894222", &e), SSA_ERR_OK);
	assert_int_equal(e.qty, 1);
	assert_int_equal(e.grams, 0);
	assert_string_equal(e.code, "3560070894222");

	assert_int_equal(till_parse_entry("3*4011", &e), SSA_ERR_OK);
	assert_int_equal(e.qty, 3);
	assert_string_equal(e.code, "4011");

	assert_int_equal(till_parse_entry("0,350*2000000000017", &e), SSA_ERR_OK);
	assert_int_equal(e.qty, 1);
	assert_int_equal(e.grams, 350);
	assert_int_equal(till_parse_entry("1.2*4011", &e), SSA_ERR_OK);
	assert_int_equal(e.grams, 1200);
	assert_int_equal(till_parse_entry("100,000*4011", &e), SSA_ERR_OK);
	assert_int_equal(e.grams, TILL_GRAMS_MAX);
}

static void
test_parse_entry_refuses(void **state)
{
	struct till_entry e = { .qty = 42 };

	(void)state;
	assert_int_equal(till_parse_entry("", &e), SSA_ERR_BARCODE_EMPTY);
	assert_int_equal(till_parse_entry("3*", &e), SSA_ERR_BARCODE_EMPTY);
	assert_int_equal(till_parse_entry("*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("0*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("1000*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("2*3*123", &e), SSA_ERR_BARCODE_CHARS);
	assert_int_equal(till_parse_entry("12a4", &e), SSA_ERR_BARCODE_CHARS);
	assert_int_equal(till_parse_entry("0,0*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("1,2345*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("100,001*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("1,,2*123", &e), SSA_ERR_INVAL);
	assert_int_equal(till_parse_entry("123456789012345678901234567890123", &e),
			 SSA_ERR_TOO_LONG);
	/* nothing was written on failure */
	assert_int_equal(e.qty, 42);
}

static void
test_entry_typing(void **state)
{
	struct till t;

	(void)state;
	till_init(&t, 20261123);
	assert_true(till_entry_type(&t, '3'));
	assert_true(till_entry_type(&t, '*'));
	assert_false(till_entry_type(&t, 'a'));
	assert_false(till_entry_type(&t, '\n'));
	assert_false(till_entry_type(&t, 0x1b));
	assert_true(till_entry_type(&t, '7'));
	assert_string_equal(t.entry, "3*7");
	assert_true(till_entry_backspace(&t));
	assert_true(till_entry_backspace(&t));
	assert_true(till_entry_backspace(&t));
	assert_false(till_entry_backspace(&t));
	for (int i = 0; i < TILL_ENTRY_MAX; i++)
		assert_true(till_entry_type(&t, '1'));
	assert_false(till_entry_type(&t, '1'));
	assert_int_equal(strlen(t.entry), TILL_ENTRY_MAX);
	till_fini(&t);
}

static void
test_is_scan(void **state)
{
	(void)state;
	assert_true(till_entry_is_scan("12345678"));
	assert_true(till_entry_is_scan("3560070894222"));
	assert_true(till_entry_is_scan("2*3560070894222"));
	assert_false(till_entry_is_scan("1234567"));
	assert_false(till_entry_is_scan("4011"));
	assert_false(till_entry_is_scan("12,50"));
	assert_false(till_entry_is_scan(""));
}

static void
test_weight_prompt(void **state)
{
	struct till t;

	(void)state;
	till_init(&t, 20261123);
	till_weight_prompt(&t);
	assert_true(t.weight_prompt);
	strcpy(t.entry, "1,2345");
	assert_int_equal(till_enter(&t), SSA_ERR_INVAL);
	assert_int_equal(t.msg_level, TILL_MSG_ERROR);
	assert_int_equal(t.pending_grams, 0);
	assert_false(t.weight_prompt);
	assert_string_equal(t.entry, "");

	till_weight_prompt(&t);
	strcpy(t.entry, "0,350");
	assert_int_equal(till_enter(&t), SSA_ERR_OK);
	assert_int_equal(t.pending_grams, 350);
	assert_non_null(strstr(t.msg, "0,350 kg"));
	/* the weight goes with the next item and is used once */
	strcpy(t.entry, "4011");
	till_enter(&t);
	assert_int_equal(t.pending_grams, 0);
	till_fini(&t);
}

static void
test_enter_empty_and_bad(void **state)
{
	struct till t;

	(void)state;
	till_init(&t, 20261123);
	assert_int_equal(till_enter(&t), SSA_ERR_OK);
	assert_int_equal(t.msg_level, TILL_MSG_NONE);
	strcpy(t.entry, "3*");
	assert_int_equal(till_enter(&t), SSA_ERR_BARCODE_EMPTY);
	assert_int_equal(t.msg_level, TILL_MSG_ERROR);
	assert_non_null(strstr(t.msg, "3*"));
	assert_string_equal(t.entry, "");
	till_fini(&t);
}

static void
test_status_text(void **state)
{
	struct till_status st = { 0 };
	char buf[256];
	bool warn;

	(void)state;
	ui_status_text(&st, 1000000, buf, sizeof(buf), &warn);
	assert_string_equal(buf, "offline | sync: never | 0 waiting | list: none | hot list: none");
	assert_true(warn);

	st.online = true;
	st.last_sync = 1000000 - 120;
	st.records_waiting = 7;
	st.list_version = 7;
	st.list_time = 1000000 - 3 * 86400;
	st.hotlist_time = 1000000 - 5 * 3600;
	st.max_age = 2 * 86400;
	ui_status_text(&st, 1000000, buf, sizeof(buf), &warn);
	assert_string_equal(buf, "online | sync: 2 min | 7 waiting | list: v7, 3 d ! | hot list: 5 h");
	assert_true(warn);
	st.max_age = 4 * 86400;
	ui_status_text(&st, 1000000, buf, sizeof(buf), &warn);
	assert_string_equal(buf, "online | sync: 2 min | 7 waiting | list: v7, 3 d | hot list: 5 h");
	assert_false(warn);
	st.list_time = 0;
	ui_status_text(&st, 1000000, buf, sizeof(buf), &warn);
	assert_string_equal(buf, "online | sync: 2 min | 7 waiting | list: v7 | hot list: 5 h");
	assert_false(warn);
	/* records the caisse refused: counted, with the key that lists them, and a warning */
	st.rejections = 3;
	ui_status_text(&st, 1000000, buf, sizeof(buf), &warn);
	assert_string_equal(buf, "online | 3 refused ^E | sync 2 min | 7 wait. | list v7 | hot 5 h");
	assert_true(warn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_entry),
		cmocka_unit_test(test_parse_entry_refuses),
		cmocka_unit_test(test_entry_typing),
		cmocka_unit_test(test_is_scan),
		cmocka_unit_test(test_weight_prompt),
		cmocka_unit_test(test_enter_empty_and_bad),
		cmocka_unit_test(test_status_text),
	};
	return cmocka_run_group_tests_name("till", tests, NULL, NULL);
}
