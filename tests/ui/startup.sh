#!/bin/sh
# Start-up: French by default, English with LANG=en_*, English source strings when the catalog
# is not installed; the screen is compared whole.
. tests/ui/lib.sh

ui_start
ui_expect_screen startup_fr
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop

ui_start LANG=en_GB.UTF-8
ui_expect_screen startup_en
ui_keys F10
ui_wait_exit >/dev/null
ui_stop

# No .mo installed: the source strings (English) are shown, nothing breaks.
ui_start SSA_LOCALEDIR=/nonexistent
ui_expect_screen startup_en
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status without catalog"
