#!/bin/sh
# Refund of lines of an earlier sale at the till, through ssa-cardsim and libnfc's real
# pn532_uart driver: a mixed sale (lentils by the food card, wine and the rest in cash); ^E, the
# sale number, two of the three lentils and the wine: the SSA part goes back to the card (the
# card must be tapped: another card is refused), the wine in cash; the refund's receipt; the same
# line cannot be refunded twice.  A refund torn away from the card, after and before the card
# took it, is recorded once or not at all when the card comes back.  The journal verifies and
# links each refund to its sale.  Last, a sale by a card that the month's grant (arriving in the
# spool after the sale) reloads at a balance inquiry: its SSA part no longer goes back to the card
# (docs/card.md, "Refunds after a reload"), nothing is recorded.
. tests/ui/lib.sh
. tests/ui/data/spool.sh

ui_demo_data
ui_card_setup
ui_new_card alice 5a01 50,00
ui_new_card bob 5b02 50,00
ui_new_card carol 5c03 50,00
spool_setup
ui_start
ui_sign_in 42

# sale 1: 3 lentils (7,05 by the card) and a wine (5,90) paid cash
ui_scan "3*3560070894222"
ui_scan 3176582033303
ui_keys F3
ui_card_on alice
ui_wait_text "Solde carte 50,00 € : la SSA paie 7,05 €, reste 5,90 € à payer."
ui_keys F7
ui_wait_text "Vente 1 enregistrée."
ui_keys Escape
ui_card_off

# ^T: sale 1, two lentils and the wine
ui_keys C-t
ui_wait_text "Tapez le numéro de la vente à rembourser, puis Entrée."
ui_type "9"
ui_keys Enter
ui_wait_text "Il n'y a pas de vente numéro 9 dans cette caisse."
ui_type "1"
ui_keys Enter
ui_wait_text "Vente 1 du "
ui_wait_text "carte 0000000000005a01"
ui_type "4"
ui_keys Enter
ui_wait_text "Au plus 3 de cette ligne peuvent être remboursés."
ui_type "2"
ui_keys Enter
ui_keys Down
ui_keys Enter
ui_wait_text "À rembourser : 10,60 €, dont sur la carte alimentaire : 4,70 €"
ui_keys F3
ui_wait_text "Posez la carte qui a payé la vente 1 sur le lecteur."
# another member's card: refused, nothing recorded
ui_card_on bob
ui_wait_text "Ce n'est pas la carte qui a payé la vente 1."
ui_card_off
ui_keys F3
ui_card_on alice
ui_wait_text "Remboursement 2 de la vente 1 enregistré : 10,60 €."
ui_wait_text "TOTAL REMBOURSÉ"
ui_wait_text "Rendu en Espèces"
ui_wait_text "Solde carte après                47,65 €"
[ -f "$UI_DATA/receipts/refund-000002.txt" ] || ui_fail "refund receipt file"
ui_keys Escape
ui_card_off

# the same lines again: refused; the last lentil's SSA part cannot go back a second time
ui_keys C-t
ui_type "1"
ui_keys Enter
ui_wait_text "Vente 1 du "
ui_keys Down
ui_keys Enter
ui_wait_text "Cette ligne a déjà été remboursée."
ui_keys Up
ui_keys Enter
ui_wait_text "À rembourser : 2,35 €, dont sur la carte alimentaire : 2,35 €"
ui_keys F3
ui_wait_text "La part SSA de la vente 1 est déjà revenue sur la carte"
ui_keys Escape
ui_wait_text "ssa-pos - Vente"

# sale 3 by bob's card, then its refund torn away after the card took it, and before
k=3
for mode in after before; do
	ui_scan "2*3560070894222"
	ui_keys F3
	ui_card_on bob
	ui_wait_text "Vente $k enregistrée."
	ui_keys Escape
	ui_card_off
	ui_keys C-t
	ui_type "$k"
	ui_keys Enter
	ui_wait_text "Vente $k du "
	ui_keys Enter
	ui_wait_text "À rembourser : 4,70 €, dont sur la carte alimentaire : 4,70 €"
	ui_card_on bob
	# the tap: select, identity (2), authenticate (2), read records, get value, then the
	# limited credit (8) and the commit (9)
	if [ $mode = after ]; then
		ui_ctl tear 9
	else
		ui_ctl tear 9 before
	fi
	ui_keys F3
	ui_wait_text "Remboursement interrompu : reposez la carte sur le lecteur."
	ui_card_on bob
	if [ $mode = after ]; then
		ui_wait_text "Remboursement $((k + 1)) de la vente $k enregistré : 4,70 €."
		ui_wait_text "TOTAL REMBOURSÉ"
		k=$((k + 2))
	else
		# the card did not take it: the intent is dropped and the refund made again (the
		# message says so for a moment), recorded once
		ui_wait_text "Remboursement $((k + 1)) de la vente $k enregistré : 4,70 €."
		k=$((k + 2))
	fi
	ui_keys Escape
	ui_card_off
done

# sale 7 by carol's card; then this month's grant (expire) reaches the spool and carol's balance
# inquiry applies it: the sale's SSA part cannot go back to the card any more
ui_scan "3560070894222"
ui_keys F3
ui_card_on carol
ui_wait_text "Vente 7 enregistrée."
ui_keys Escape
ui_card_off
printf 'ssa-grants,1\ncaisse,caisse-34\nperiod,%s\noutlet,*\npolicy,expire\ngrant,%016x,card,%016x,30.00\n' \
	"$(date +%Y%m)" 1 0x5c03 | spool_put "grants-$(date +%Y%m).txt"
ui_keys C-b
ui_card_on carol
ui_wait_text "Carte 0000000000005c03 (caisse caisse-34) : solde 30,00 €."
ui_card_off
ui_keys Escape
ui_keys C-t
ui_type "7"
ui_keys Enter
ui_wait_text "Vente 7 du "
ui_keys Enter
ui_wait_text "À rembourser : 2,35 €, dont sur la carte alimentaire : 2,35 €"
ui_keys F3
ui_card_on carol
ui_wait_text "La carte a été rechargée depuis la vente 7 : sa part SSA (2,35 €)"
ui_keys Escape
ui_card_off
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"REFUND"' "$UI_TMP/show")" = 3 ] || ui_fail "not 3 refunds"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 4 ] || ui_fail "not 4 sales"
[ "$(grep -c '"kind":"RELOAD"' "$UI_TMP/show")" = 1 ] || ui_fail "not 1 reload"
ui_card_on alice
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 47.65" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "alice's balance"; }
ui_card_on bob
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 50.00" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "bob's balance"; }
ui_card_on carol
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 30.00" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "carol's balance"; }
echo "refund ok"
