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
ui_stop

# One till per journal: a second ssa-pos on the same journal refuses to start and says why,
# whatever its terminal; ssa-admin still closes the day alongside; the first one stopped, the
# next starts.
ui_start LANG=en_GB.UTF-8
ui_sign_in 7
second=$(timeout 30 "$UI_BIN" -c "$UI_CONF" </dev/null 2>&1)
st=$?
[ "$st" = 1 ] || ui_fail "second till on the journal: exit status $st ($second)"
echo "$second" | grep -qF "ssa-pos: journal $UI_DATA/journal.db is in use by another ssa-pos (pid " ||
	ui_fail "second till: $second"
echo "$second" | grep -qF "one till per journal; stop the other till first." ||
	ui_fail "second till: $second"
timeout 30 "$UI_TOP/$SSA_BUILD/ssa-admin" journal close --db "$UI_DATA/journal.db" \
	--key "$UI_DATA/terminal.key" --kind z --period 20261123 --establishment epicerie-test \
	--terminal T01 >/dev/null || ui_fail "ssa-admin journal close beside the till"
ui_wait_text "Operator 7 | F1 help"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status of the first till"
ui_stop
ui_start LANG=en_GB.UTF-8
ui_sign_in 7
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status of the next till"
