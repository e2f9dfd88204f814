#!/bin/sh
# Paying at the till with a food card on ssa-cardsim through libnfc's real pn532_uart driver:
# a mixed basket (covered, alcohol, a weighed item half covered) paid by the card up to its
# balance and the rest in cash with change; the receipt; the journal verifies and holds the sale
# once; the card's balance went down once; balance inquiry; X report and Z closing.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
ui_new_card alice 5a01 10,00
ui_start
ui_sign_in 42
ui_scan "3*3560070894222"
ui_scan 3176582033303
ui_scan "0,350*2345678"
ui_wait_text "3 ligne(s)   Total 21,67 €   SSA 11,41 €   Reste 10,26 €"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on alice
ui_wait_text "Solde carte 10,00 € : la SSA paie 10,00 €, reste 11,67 € à payer."
ui_wait_text "carte 0000000000005a01, caisse caisse-34"
ui_type "20"
ui_keys F7
ui_wait_text "Vente 1 enregistrée. Rendu : 8,33 €."
ui_wait_text "ssa-pos - Ticket"
ui_wait_text "Vente 1 "
# the status line counts the records the caisse has not acknowledged yet
ui_wait_text "hors ligne | sync jamais | 1 en attente"
# the receipt, as on screen and in its file: the card is one tender among the others
r="$UI_DATA/receipts/sale-000001.txt"
for l in "dont pris en charge SSA *10,00 €" "Carte SSA *10,00 €" "Espèces *20,00 €" \
	"Rendu *8,33 €" "Solde carte après *0,00 €" "Caisse T01 *Opérateur 42"; do
	sed 's/\xe2\x80\xaf/ /g; s/\xc2\xa0/ /g' "$r" | grep -Eq "^$l\$" || ui_fail "receipt: $l"
done
ui_wait_text "Carte SSA                        10,00 €"
ui_keys Escape
ui_wait_text "Le panier est vide"

# reprints are counted and marked
ui_keys C-r
ui_wait_text "Ticket de la vente 1 réimprimé (copie 1)."
ui_wait_text "DUPLICATA 1"
ui_keys Escape
ui_wait_gone "DUPLICATA"
ui_keys C-r
ui_wait_text "Ticket de la vente 1 réimprimé (copie 2)."
ui_wait_text "DUPLICATA 2"
ui_keys Escape
[ "$(sqlite3 "$UI_DATA/journal.db" "SELECT count(*) FROM journal WHERE kind = 'REPRINT' AND json_extract(record, '$.link') = 1")" = 2 ] || ui_fail "reprints in the journal"

# balance inquiry: the card, no sale
ui_card_off
ui_keys C-b
ui_wait_text "Posez la carte alimentaire sur le lecteur."
ui_card_on alice
ui_wait_text "Carte 0000000000005a01 (caisse caisse-34) : solde 0,00 €."
ui_keys Escape
ui_card_off

# X report (nothing recorded), then the Z closing, confirmed
ui_keys C-x
ui_wait_text "Rapport X du "
ui_wait_text "Ventes 1, annulations 0, remboursements 0, rechargements 0"
ui_screen | grep -Eq '^  Total +21,67 €$' || ui_fail "X: total"
ui_screen | grep -Eq '^  dont pris en charge SSA +10,00 €$' || ui_fail "X: SSA"
ui_screen | grep -Eq '^  Espèces +11,67 €$' || ui_fail "X: cash"
ui_keys C-z
ui_wait_text ": Entrée l'enregistre, Échap annule"
ui_keys Enter
ui_wait_text "Clôture 1 enregistrée (enregistrement 4)."
ui_keys Escape
ui_keys C-x
ui_wait_text "Ventes 0, annulations 0"
ui_keys Escape
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 1 ] || { cat "$UI_TMP/show"; ui_fail "one sale"; }
[ "$(grep -c '"kind":"CLOSING_Z"' "$UI_TMP/show")" = 1 ] || ui_fail "one Z"
grep -q '"op":"42"' "$UI_TMP/show" || ui_fail "operator in the record"
ui_card_on alice
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx 'balance: 0.00' "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "card balance"; }
