#!/bin/sh
# Keys that mean nothing, bad entries, and a scan while another screen has focus.
. tests/ui/lib.sh

ui_start
ui_sign_in
ui_wait_text "Code :"
for k in F12 Tab x BTab C-a; do
	ui_keys "$k"
	ui_wait_text "Cette touche ne fait rien ici ; F1 pour l'aide."
	ui_keys Escape
	ui_wait_gone "Cette touche ne fait rien"
done
# a quantity without a code, a weight that is not one
ui_type "3*"
ui_keys Enter
ui_wait_text "Code illisible « 3* » : code vide."
ui_keys F6
ui_wait_text "Poids (kg) :"
ui_type "1,2345"
ui_keys Enter
ui_wait_text "Ce n'est pas un poids en kg : « 1,2345 »"
ui_wait_text "Code :"
ui_keys F6
ui_type "0,350"
ui_keys Enter
ui_wait_text "Poids 0,350 kg : scannez ou tapez l'article."
# a quick key is typed like a code; a free one is a message
ui_type "2*/9"
ui_keys Enter
ui_wait_text "Aucun article sur la touche rapide 9."
# Esc clears a half-typed entry
ui_type "4711"
ui_wait_text "Code : 4711"
ui_keys Escape
ui_wait_gone "Code : 4711"
# a scan on the help screen lands in the sale
ui_keys F1
ui_wait_text "Touches :"
ui_scan 3560070894222
ui_wait_text "ssa-pos - Vente"
ui_wait_text "Produit inconnu : 3560070894222."
# a scan while a Z waits for its Enter: the code goes to the sale, the Z is not recorded
ui_keys Escape
ui_keys C-z
ui_wait_text "Entrée l'enregistre, Échap annule"
ui_scan 3560070894222
ui_wait_text "ssa-pos - Vente"
ui_wait_text "Produit inconnu : 3560070894222."
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
n=$(sqlite3 "$UI_DATA/journal.db" "SELECT count(*) FROM journal WHERE kind = 'CLOSING_Z'" 2>&1) ||
	ui_fail "journal: $n"
[ "$n" = 0 ] || ui_fail "a scan recorded the Z ($n closings)"

# Without its signing key the till says so and takes no payment: nothing could be recorded.
ui_stop
rm -f "$UI_DATA/terminal.key"
ui_start
ui_wait_text "Clé de signature : $UI_DATA/terminal.key"
ui_sign_in
ui_scan 3560070894222
ui_wait_text "Produit inconnu"
ui_keys F3
ui_wait_text "Pas de journal : aucune vente ne peut être enregistrée ici."
ui_wait_text "ssa-pos - Vente"
