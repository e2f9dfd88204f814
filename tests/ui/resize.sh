#!/bin/sh
# Resize: larger, smaller than 80x24 (a message, and keys still leave a sane state), and back.
. tests/ui/lib.sh

ui_start
ui_sign_in
ui_expect_screen startup_fr
ui_size 100 30
# the title bar spans the new width: its right part moves to end at column 99
i=0
until ui_screen | sed -n 1p | grep -qE '^ ssa-pos - Vente {61}Opérateur 42 \| F1 aide$'; do
	i=$((i + 1))
	[ $i -lt "$UI_POLLS" ] || ui_fail "title not redrawn at 100 columns"
	sleep 0.1
done
ui_screen | sed -n 30p | grep -q "hors ligne" || ui_fail "status line not on row 30"
ui_size 70 20
ui_wait_text "Terminal trop petit : 70x20, ssa-pos demande 80x24."
# typing while too small still goes to the entry line, other keys do nothing
ui_type "123"
ui_keys F1 Up Escape
ui_size 80 24
ui_wait_text "Code : 123"
ui_keys Escape
ui_expect_screen sale_empty_fr
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
