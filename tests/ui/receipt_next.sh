#!/bin/sh
# The receipt screen starts the next sale with what is typed on it, exactly as on an empty
# basket: a quantity "3*" then a scan (the line keeps its quantity), a code typed by hand, a
# quick key "/N", a weight after F6; other keys keep their meaning (Up/Down scroll, Esc leaves
# for an empty sale).  Sales are paid in cash: no card reader here.
. tests/ui/lib.sh

# pay: pay the basket in cash, exact amount, and wait for the receipt of sale $1.
pay() {
	ui_keys F3
	ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
	ui_keys F7
	ui_wait_text "Vente $1 enregistrée."
	ui_wait_text "ssa-pos - Ticket"
	ui_wait_text "Vente suivante : scannez ou tapez (3*code, F6 poids) ; Échap. Haut/Bas défile."
}

ui_demo_data
ui_start
ui_sign_in 42
ui_scan 3760123456784
ui_wait_text "1 ligne(s)   Total 1,45 €"
pay 1

# 3*, then the scanner: three of them in the next sale (the line was lost before)
ui_type "3*"
ui_wait_text "Code : 3*"
ui_scan 3560070894222
ui_wait_text "ssa-pos - Vente"
ui_wait_text "1 ligne(s)   Total 7,05 €"
ui_screen | grep -Eq '^> ✓ Lentilles vertes 500 g +3 +7,05 €' || ui_fail "3 lentils"
ui_scan 3274080000121
ui_wait_text "2 ligne(s)   Total 7,60 €"
pay 2
n=$(sqlite3 "$UI_DATA/journal.db" "SELECT json_extract(record, '$.total') FROM journal WHERE kind = 'SALE' AND json_extract(record, '$.seq') = 2") ||
	ui_fail "journal"
[ "$n" = 760 ] || ui_fail "sale 2 total: $n"

# Up/Down still scroll the receipt; then a code typed by hand, with Enter
ui_keys Down
ui_wait_gone "Épicerie du Marché"
ui_keys Up
ui_wait_text "Épicerie du Marché"
ui_wait_text "ssa-pos - Ticket"
ui_type "3760123456784"
ui_keys Enter
ui_wait_text "ssa-pos - Vente"
ui_wait_text "1 ligne(s)   Total 1,45 €"
pay 3

# a quick key with a weight: 1,2 kg of bananas (quick key 1)
ui_type "1,2*/1"
ui_keys Enter
ui_wait_text "ssa-pos - Vente"
ui_wait_text "1 ligne(s)   Total 2,39 €"
ui_screen | grep -Eq '^> ✓ Bananes +1,200 kg +2,39 €' || ui_fail "bananas"
pay 4

# F6 on the receipt: the weight prompt of the next sale, then the item
ui_keys F6
ui_wait_text "ssa-pos - Vente"
ui_wait_text "Poids (kg) :"
ui_type "0,350"
ui_keys Enter
ui_wait_text "Poids 0,350 kg : scannez ou tapez l'article."
ui_type "2345678"
ui_keys Enter
ui_wait_text "1 ligne(s)   Total 8,72 €"
pay 5

# Esc: an empty sale, as before; F10 quits
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
n=$(sqlite3 "$UI_DATA/journal.db" "SELECT group_concat(json_extract(record, '$.total'), ' ') FROM journal WHERE kind = 'SALE'") ||
	ui_fail "journal"
[ "$n" = "145 760 145 239 872" ] || ui_fail "sale totals: $n"
ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
