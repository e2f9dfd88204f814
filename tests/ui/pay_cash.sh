#!/bin/sh
# Paying without the food card: a mixed basket paid part by bank card and the rest in cash
# with change; the receipt (same layout as with the card); reprints counted; the X report and
# the Z closing; the journal verifies and holds the sale and the Z once.
. tests/ui/lib.sh

ui_demo_data
ui_start
ui_sign_in 42
ui_scan "3*3560070894222"
ui_scan 3176582033303
ui_scan "0,350*2345678"
ui_wait_text "3 ligne(s)   Total 21,67 €   SSA 11,41 €   Reste 10,26 €"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
# more than is due by bank card is refused; an amount that is none too
ui_type "30"
ui_keys F8
ui_wait_text "Il ne reste que 21,67 € à payer : Carte bancaire ne peut pas prendre plus."
ui_type "1,234"
ui_keys F8
ui_wait_text "Ce n'est pas un montant : « 1,234 »"
ui_type "10"
ui_keys F8
ui_wait_text "Reste 11,67 € à payer."
ui_type "20"
ui_keys Enter
ui_wait_text "Vente 1 enregistrée. Rendu : 8,33 €."
ui_wait_text "ssa-pos - Ticket"
ui_wait_text "hors ligne | sync jamais | 1 en attente"
r="$UI_DATA/receipts/sale-000001.txt"
for l in "TOTAL *21,67 €" "dont pris en charge SSA *0,00 €" "Carte bancaire *10,00 €" \
	"Espèces *20,00 €" "Rendu *8,33 €" "Caisse T01 *Opérateur 42"; do
	sed 's/\xe2\x80\xaf/ /g; s/\xc2\xa0/ /g' "$r" | grep -Eq "^$l\$" || ui_fail "receipt: $l"
done
grep -q "Solde carte" "$r" && ui_fail "no card, no balance line"
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
ui_keys Escape
[ "$(sqlite3 "$UI_DATA/journal.db" "SELECT count(*) FROM journal WHERE kind = 'REPRINT' AND json_extract(record, '$.link') = 1")" = 2 ] || ui_fail "reprints in the journal"

# X report (nothing recorded), then the Z closing, confirmed
ui_keys C-x
ui_wait_text "Rapport X du "
ui_wait_text "Ventes 1, annulations 0, remboursements 0, rechargements 0"
ui_screen | grep -Eq '^  Total +21,67 €$' || ui_fail "X: total"
ui_screen | grep -Eq '^  Espèces +11,67 €$' || ui_fail "X: cash"
ui_screen | grep -Eq '^  Carte bancaire +10,00 €$' || ui_fail "X: bank card"
# the day's reprints, counted from the journal's REPRINT records
ui_wait_text "Tickets réimprimés (duplicata) : 2"
ui_keys C-z
ui_wait_text ": Entrée l'enregistre, Échap annule"
ui_wait_text "Tickets réimprimés (duplicata) : 2"
ui_keys Enter
ui_wait_text "Clôture 1 enregistrée (enregistrement 4)."
ui_wait_text "Tickets réimprimés (duplicata) : 2"
ui_keys Escape
ui_keys C-x
ui_wait_text "Ventes 0, annulations 0"
ui_wait_text "Tickets réimprimés (duplicata) : 0"
ui_keys Escape
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 1 ] || { cat "$UI_TMP/show"; ui_fail "one sale"; }
[ "$(grep -c '"kind":"CLOSING_Z"' "$UI_TMP/show")" = 1 ] || ui_fail "one Z"
# the reprints, as ssa-admin shows them: records 2 and 3, of sale 1, by operator 42
ui_journal show --db "$UI_DATA/journal.db" >"$UI_TMP/show.txt" 2>&1 || ui_fail "journal show"
[ "$(grep -Ec '^ +[23]  REPRINT .* op=42  of=1$' "$UI_TMP/show.txt")" = 2 ] ||
	{ cat "$UI_TMP/show.txt"; ui_fail "reprints shown"; }
grep -q '"op":"42"' "$UI_TMP/show" || ui_fail "operator in the record"
