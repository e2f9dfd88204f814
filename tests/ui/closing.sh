#!/bin/sh
# Monthly and annual closings from the till: refused while a sale is under way and while the
# day is not closed (they sum the Zs); a sale, the Z, the monthly closing of the local month and
# the annual one of the local year, each shown, confirmed with Enter, copied to the receipt
# directory; Esc leaves a closing unrecorded.  The journal verifies and holds each once, with
# the periods of the local date.
. tests/ui/lib.sh

ui_demo_data
ui_start
ui_sign_in 42
ui_scan "3*3560070894222"
ui_scan 3176582033303
ui_wait_text "2 ligne(s)   Total"
# a sale under way: no closing
ui_keys C-n
ui_wait_text "Terminez ou annulez d'abord la vente."
ui_no_text "Clôture mensuelle"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_keys F7
ui_wait_text "Vente 1 enregistrée."
ui_keys Escape
ui_wait_text "Le panier est vide"

# the day is not closed: no monthly or annual closing yet
ui_keys C-n
ui_wait_text "1 enregistrement(s) depuis le dernier Z : faites d'abord la clôture du jour (Z)."
ui_no_text "Clôture mensuelle"
ui_keys C-y
ui_wait_text "1 enregistrement(s) depuis le dernier Z"
ui_no_text "Clôture annuelle"

ui_keys C-z
ui_wait_text ": Entrée l'enregistre, Échap annule"
ui_keys Enter
ui_wait_text "Clôture 1 enregistrée (enregistrement 2)."
total=$(ui_screen | sed -n 's/^  Total  *\([0-9,]* €\)$/\1/p')
[ -n "$total" ] || ui_fail "Z total"

month=$(date +%m/%Y)
year=$(date +%Y)
ui_keys C-n
ui_wait_text "Clôture mensuelle 1 de $month : Entrée l'enregistre, Échap annule"
ui_wait_text "Clôtures journalières 1 (enregistrements 2 à 2)"
ui_wait_text "Ventes 1, annulations 0, remboursements 0, rechargements 0"
ui_screen | grep -Eq "^  Total +$total\$" || ui_fail "month: total $total"
ui_screen | grep -Eq "^  Espèces +$total\$" || ui_fail "month: cash $total"
ui_wait_text "^X rapport X  ^Z clôture du jour  ^N mensuelle  ^Y annuelle  Échap retour"
# Esc: not recorded
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys C-n
ui_wait_text "Clôture mensuelle 1 de $month : Entrée l'enregistre"
ui_keys Enter
ui_wait_text "Clôture mensuelle 1 enregistrée (enregistrement 3)."
ui_wait_text "Clôture mensuelle 1 de $month, enregistrée (enregistrement 3)"
# Enter again records nothing more
ui_keys Enter
ui_keys C-x
ui_wait_text "Rapport X du "
ui_wait_text "Ventes 0, annulations 0"

ui_keys C-y
ui_wait_text "Clôture annuelle 1 de $year : Entrée l'enregistre, Échap annule"
ui_wait_text "Clôtures journalières 1 (enregistrements 2 à 2)"
ui_screen | grep -Eq "^  Grand total perpétuel +$total\$" || ui_fail "year: perpetual"
ui_keys Enter
ui_wait_text "Clôture annuelle 1 enregistrée (enregistrement 4)."
# the next monthly closing starts after the first one: no Z in it
ui_keys C-n
ui_wait_text "Clôture mensuelle 2 de $month : Entrée l'enregistre"
ui_wait_text "Clôtures journalières 0"
ui_keys Escape
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

grep -q "Clôture mensuelle 1 de $month, enregistrée" "$UI_DATA/receipts/closing-month-000001.txt" ||
	ui_fail "monthly closing copy"
grep -q "Clôture annuelle 1 de $year" "$UI_DATA/receipts/closing-year-000001.txt" ||
	ui_fail "annual closing copy"
[ -f "$UI_DATA/receipts/closing-Z-000001.txt" ] || ui_fail "Z copy"
[ -f "$UI_DATA/receipts/closing-month-000002.txt" ] && ui_fail "unconfirmed closing copied"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 1 ] || { cat "$UI_TMP/show"; ui_fail "one sale"; }
[ "$(grep -c '"kind":"CLOSING_Z"' "$UI_TMP/show")" = 1 ] || ui_fail "one Z"
[ "$(grep -c '"kind":"CLOSING_MONTH"' "$UI_TMP/show")" = 1 ] || ui_fail "one monthly closing"
[ "$(grep -c '"kind":"CLOSING_YEAR"' "$UI_TMP/show")" = 1 ] || ui_fail "one annual closing"
grep '"kind":"CLOSING_MONTH"' "$UI_TMP/show" | grep -q "\"period\":$(date +%Y%m)[,}]" ||
	ui_fail "monthly closing period"
grep '"kind":"CLOSING_YEAR"' "$UI_TMP/show" | grep -q "\"period\":$year[,}]" ||
	ui_fail "annual closing period"
exit 0
