#!/bin/sh
# Start-up: the start-of-shift screen, then the empty sale; French by default, English with
# LANG=en_*, English source strings when the catalog is not installed; screens compared whole.
. tests/ui/lib.sh

ui_start
ui_expect_screen login_fr
# not a code: refused, still on the sign-in screen
ui_keys F2
ui_wait_text "Identifiez-vous d'abord : tapez votre code opérateur."
ui_type "123456789"
ui_keys Enter
ui_wait_text "Un code opérateur a de 1 à 8 chiffres."
ui_sign_in 42
ui_expect_screen startup_fr
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop

UI_SIGN_IN_PROMPT="Operator code:"
UI_SIGNED_IN="Operator 7 | F1 help"
ui_start LANG=en_GB.UTF-8
ui_sign_in 7
ui_expect_screen startup_en
ui_keys F10
ui_wait_exit >/dev/null
ui_stop

# No .mo installed: the source strings (English) are shown, nothing breaks.
ui_start SSA_LOCALEDIR=/nonexistent
ui_sign_in 7
ui_expect_screen startup_en
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status without catalog"
