#!/bin/sh
# Tap to pay on ssa-cardsim: on the sale screen a food card that arrives on the reader starts the
# payment and is read at once (no F3); a card left on the reader after a sale never pays the
# next basket (it waits until the card is lifted and tapped again, or F3); a scan on the payment
# screen before the debit goes back to the sale with the line added; a quick key /N adds its
# product; an empty basket does not look at the card; the reader unplugged and plugged back with a
# card already on it (ssa-cardsim stopped, then started behind the same link with the card in its
# field) was not seen empty in between: that card did not arrive and does not pay until lifted
# and tapped again.  The journal holds each sale once and the cards were debited once each.
. tests/ui/lib.sh

READY="Carte alimentaire : posez-la sur le lecteur pour payer (F3 : autres moyens)."
LEFT="Carte déjà sur le lecteur : retirez-la puis reposez-la pour payer, ou F3."

# total SEQ: the total of sale SEQ in the journal
total() {
	sqlite3 "$UI_DATA/journal.db" "SELECT json_extract(record, '$.total') FROM journal WHERE kind = 'SALE' AND json_extract(record, '$.seq') = $1" ||
		ui_fail "journal"
}

UI_SIM_LINK="$UI_TMP/reader"
ui_demo_data
ui_card_setup
ui_new_card alice 5a01 10,00
ui_new_card bob 5a02 10,00
ui_start
ui_sign_in 42

# an empty basket: a card put there starts nothing, the hint is not shown
ui_card_on alice
ui_wait_text "Le panier est vide"
ui_no_text "$READY"
ui_card_off

# sale 1: a quick key (bananas, per kg: the weight is asked), a wine; the card is tapped
ui_type "/1"
ui_keys Enter
ui_wait_text "Poids (kg) :"
ui_type "1,2"
ui_keys Enter
ui_wait_text "1 ligne(s)   Total 2,39 €"
ui_screen | grep -Eq '^> ✓ Bananes +1,200 kg +2,39 €' || ui_fail "bananas by quick key"
ui_scan 3176582033303
ui_wait_text "2 ligne(s)   Total 8,29 €   SSA 2,39 €   Reste 5,90 €"
ui_wait_text "$READY"
ui_card_on alice
ui_wait_text "ssa-pos - Encaissement"
ui_wait_text "Solde carte 10,00 € : la SSA paie 2,39 €, reste 5,90 € à payer."

# a scan before the debit: back to the sale, the line added, the card read again by a new tap
ui_scan 3760123456784
ui_wait_text "ssa-pos - Vente"
ui_wait_text "3 ligne(s)   Total 9,74 €   SSA 3,84 €   Reste 5,90 €"
ui_wait_text "Farine de blé T65 1 kg. Payez à nouveau : F3, ou retirez la carte et reposez-la."
# the card is still on the reader: it did not arrive again
ui_wait_text "$LEFT"
ui_no_text "ssa-pos - Encaissement"
ui_card_off
ui_wait_text "$READY"
ui_card_on alice
ui_wait_text "Solde carte 10,00 € : la SSA paie 3,84 €, reste 5,90 € à payer."
ui_keys F7
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "ssa-pos - Ticket"
[ "$(total 1)" = 974 ] || ui_fail "sale 1 total"

# sale 2, alice's card left on the reader: the next basket is not paid by it
ui_scan 3176582033303
ui_wait_text "ssa-pos - Vente"
ui_wait_text "1 ligne(s)   Total 5,90 €"
ui_wait_text "$LEFT"
ui_no_text "ssa-pos - Encaissement"
# the cashier may still take it with F3 (e.g. the member asks), but here bob taps his card:
# alice's is lifted first, then bob's arrives
ui_card_off
ui_wait_text "$READY"
ui_scan 3560070894222
ui_wait_text "2 ligne(s)   Total 8,25 €   SSA 2,35 €   Reste 5,90 €"
ui_wait_text "$READY"
ui_card_on bob
ui_wait_text "Solde carte 10,00 € : la SSA paie 2,35 €, reste 5,90 € à payer."
ui_wait_text "carte 0000000000005a02, caisse caisse-34"
ui_keys F7
ui_wait_text "Vente 2 enregistrée."
[ "$(total 2)" = 825 ] || ui_fail "sale 2 total"

# sale 3, bob's card left: F3 still pays with the card on the reader (fully covered: at once)
ui_scan 3760123456784
ui_wait_text "$LEFT"
ui_keys F3
ui_wait_text "Vente 3 enregistrée."
ui_wait_text "ssa-pos - Ticket"
[ "$(total 3)" = 145 ] || ui_fail "sale 3 total"
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"

# sale 4, the reader seen empty, then unplugged: what it saw is forgotten
ui_scan 3560070894222
ui_wait_text "1 ligne(s)   Total 2,35 €"
ui_wait_text "$READY"
ui_sim_stop
ui_wait_text "Le lecteur de carte ne répond pas (débranché ?)"
ui_wait_text "F3 pour payer."
# plugged back with alice's card lying on it: seen there, it did not arrive
ui_sim_start alice
ui_wait_text "Le lecteur de carte est revenu : la carte alimentaire marche de nouveau."
ui_wait_text "$LEFT"
ui_no_text "ssa-pos - Encaissement"
# lifted, then tapped again: it pays (fully covered: recorded at once)
ui_card_off
ui_wait_text "$READY"
ui_card_on alice
ui_wait_text "Vente 4 enregistrée."
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# each card was debited once per sale it paid: alice 3,84 then 2,35, bob 2,35 then 1,45 (the
# balances follow each other: no sale was paid twice, none by a card left on the reader)
n=$(sqlite3 "$UI_DATA/journal.db" "SELECT group_concat(json_extract(record, '$.seq') || ' ' || json_extract(record, '$.card') || ' ' || json_extract(record, '$.bal_before') || '-' || json_extract(record, '$.ssa') || '=' || json_extract(record, '$.bal_after'), ', ') FROM journal WHERE kind = 'SALE'") ||
	ui_fail "journal"
[ "$n" = "1 0000000000005a01 1000-384=616, 2 0000000000005a02 1000-235=765, 3 0000000000005a02 765-145=620, 4 0000000000005a01 616-235=381" ] ||
	ui_fail "sales in the journal: $n"
ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
