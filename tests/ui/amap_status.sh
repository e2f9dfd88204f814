#!/bin/sh
# AMAP distribution: the statuses cancelled (F9) and given away (F11).  A cancelled household's
# baskets are not expected today (totals, baskets left at the end); baskets given away count as
# handed out (collected in the header and the totals, not left over).  Undo (F4) brings a
# household back to expected; the statuses are in the results CSV and survive a restart.
. tests/ui/lib.sh

sheet="$UI_TOP/tests/ui/data/amap-sheet.csv"
ui_start -- --amap "$sheet"
ui_wait_text "6 ligne(s) importée(s), 0 changement(s) repris."
ui_sign_in 42
ui_wait_text "6 foyers, 0 venus, 6 attendus"

# PETIT cancels this week (2 x P vegetables, 6 eggs); BERNARD Sami's basket is given away
ui_type "petit"
ui_keys F9
ui_wait_text "PETIT: annulé."
ui_wait_text "6 foyers, 0 venus, 6 attendus"
ui_type "sami"
ui_keys F11
ui_wait_text "BERNARD Sami: donné."
ui_wait_text "6 foyers, 1 venus, 5 attendus"
ui_screen | grep -q "annulé .*PETIT" || ui_fail "PETIT's row"
ui_screen | grep -q "donné .*BERNARD Sami" || ui_fail "BERNARD Sami's row"

# undo, then cancelled again
ui_type "petit"
ui_keys F4
ui_wait_text "PETIT: attendu."
ui_type "petit"
ui_keys F9
ui_wait_text "PETIT: annulé."

# totals: the cancelled baskets are not expected, the given one is handed out
ui_keys F2
ui_wait_text "Contrat"
ui_screen | grep -Eq '^  Légumes +G +1 +3$' || ui_fail "Légumes G: 1 handed out of 3"
ui_screen | grep -Eq '^  Légumes +P +0 +2$' || ui_fail "Légumes P: PETIT's 2 not expected"
ui_screen | grep -Eq '^  Oeufs +0 +18$' || ui_fail "Oeufs: PETIT's 6 not expected"
ui_keys F2
ui_wait_text "DUPONT Hélène et Marc"

# exports: both statuses in the results, neither household among the baskets left
ui_keys F12
ui_wait_text "Écrits :"
res="$UI_DATA/amap/amap-sheet-results.csv"
grep -q '^[^;]*;PETIT;Légumes;P;2;[^;]*;cancelled;' "$res" || { cat "$res"; ui_fail "results: PETIT"; }
grep -q '^[^;]*;BERNARD Sami;Légumes;G;1;[^;]*;given away;' "$res" ||
	{ cat "$res"; ui_fail "results: BERNARD Sami"; }
left="$UI_DATA/amap/amap-sheet-uncollected.txt"
grep -q "^Paniers non récupérés — 4 foyers sur 6" "$left" || { cat "$left"; ui_fail "uncollected count"; }
grep -q "PETIT\|BERNARD" "$left" && ui_fail "a cancelled or given basket is left over"

# the laptop restarts: both statuses are still there
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop
ui_start -- --amap "$sheet"
ui_wait_text "6 ligne(s) importée(s), 4 changement(s) repris."
ui_sign_in 42
ui_wait_text "6 foyers, 1 venus, 5 attendus"
ui_screen | grep -q "annulé .*PETIT" || ui_fail "PETIT's row after the restart"
ui_screen | grep -q "donné .*BERNARD Sami" || ui_fail "BERNARD Sami's row after the restart"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
echo ok
