#!/bin/sh
# AMAP distribution: import a sign-in sheet, find households by a few letters (accents and case
# ignored, co-members found), check in, "collected by", absent, undo, totals, export; kill -9
# mid-distribution and start again: every check-in is still there.
. tests/ui/lib.sh

sheet="$UI_TOP/tests/ui/data/amap-sheet.csv"
ui_start -- --amap "$sheet"
ui_wait_text "6 ligne(s) importée(s), 0 changement(s) repris."
# the volunteer signs in first, as at the counter
ui_sign_in 42
ui_wait_text "6 foyers, 0 venus, 6 attendus"
# "marc" finds the co-member of DUPONT Hélène
ui_type "marc"
ui_wait_text "Recherche : marc"
ui_wait_gone "BERNARD Sami"
ui_keys Enter
ui_wait_text "DUPONT Hélène et Marc: récupéré."
ui_wait_text "6 foyers, 1 venus, 5 attendus"
# someone collects for Sami
ui_type "SAMI"
ui_keys F6
ui_wait_text "Qui récupère pour BERNARD Sami ? Tapez le nom, Entrée."
ui_wait_text "Récupéré par :"
ui_type "Julie (voisine)"
ui_keys Enter
ui_wait_text "BERNARD Sami (Julie (voisine))"
# accents ignored: "lea" finds Léa, marked absent, then undone, then moved
ui_type "lea"
ui_keys F7
ui_wait_text "DURAND Léa: absent."
ui_type "lea"
ui_keys F4
ui_wait_text "DURAND Léa: attendu."
ui_type "lea"
ui_keys F8
ui_wait_text "DURAND Léa: reporté."
ui_type "zzz"
ui_wait_text "Aucun foyer ne correspond."
ui_keys Enter
ui_wait_text "6 foyers, 2 venus, 4 attendus"
ui_keys Escape
# totals per contract and size
ui_keys F2
ui_wait_text "Contrat"
ui_screen | grep -Eq '^  Légumes +G +3 +3$' || ui_fail "Légumes G: 3 collected of 3"
# a moved household's baskets are not expected today
ui_screen | grep -Eq '^  Oeufs +6 +12$' || ui_fail "Oeufs: 6 collected of 12"
ui_keys F2
ui_wait_text "DUPONT Hélène et Marc"
ui_keys F12
ui_wait_text "Écrits :"
grep -q "Julie (voisine)" "$UI_DATA"/amap/amap-sheet-results.csv || ui_fail "results CSV"
[ -s "$UI_DATA/amap/amap-sheet-sheet.txt" ] || ui_fail "printable sheet"
grep -q "^Paniers non récupérés" "$UI_DATA/amap/amap-sheet-uncollected.txt" ||
	ui_fail "no list of the baskets left"

# The laptop dies: nothing typed so far is lost.
kill -9 "$(ui_pid)"
ui_wait_exit >/dev/null
ui_stop
ui_start -- --amap "$sheet"
ui_wait_text "6 ligne(s) importée(s), 5 changement(s) repris."
ui_sign_in 42
ui_wait_text "6 foyers, 2 venus, 4 attendus"
ui_wait_text "BERNARD Sami (Julie (voisine))"
ui_screen | grep -q "reporté .*DURAND Léa" || ui_fail "DURAND Léa moved"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# A file that is no distribution is refused with a message, before the screen.
printf 'a;b;c\n1;2;3\n' >"$UI_TMP/bad.csv"
ui_pos --amap "$UI_TMP/bad.csv" 2>"$UI_TMP/err" && ui_fail "bad CSV accepted"
grep -q "bad.csv" "$UI_TMP/err" || ui_fail "no message for a bad CSV"
