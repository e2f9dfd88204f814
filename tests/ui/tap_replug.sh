#!/bin/sh
# Tap to pay across a reader unplugged and plugged back (ssa-cardsim stopped, then started again
# behind the same link with a card already in its field): the reader was not seen empty in
# between, so that card did not arrive and does not pay; lifted and tapped again, it pays.  The
# journal holds the one sale, the card was debited once.
. tests/ui/lib.sh

READY="Carte alimentaire : posez-la sur le lecteur pour payer (F3 : autres moyens)."
LEFT="Carte déjà sur le lecteur : retirez-la puis reposez-la pour payer, ou F3."

UI_SIM_LINK="$UI_TMP/reader"
ui_demo_data
ui_card_setup
ui_new_card alice 5a01 20,00
ui_start
ui_sign_in 42

# the basket, the reader seen empty: tap to pay is ready
ui_scan 3560070894222
ui_wait_text "1 ligne(s)   Total 2,35 €"
ui_wait_text "$READY"

# unplugged: the till notices at its next look; what it saw is forgotten
ui_sim_stop
ui_wait_text "Le lecteur de carte ne répond pas (débranché ?)"
ui_wait_text "F3 pour payer."
ui_no_text "$READY"

# plugged back with alice's card lying on it: seen there, it did not arrive
ui_sim_start alice
ui_wait_text "Le lecteur de carte est revenu : la carte alimentaire marche de nouveau."
ui_wait_text "$LEFT"
ui_no_text "ssa-pos - Encaissement"
ui_no_text "Solde carte"
ui_no_text "$READY"

# lifted, then tapped again: it pays (fully covered: recorded at once)
ui_card_off
ui_wait_text "$READY"
ui_card_on alice
ui_wait_text "Vente 1 enregistrée."
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

n=$(sqlite3 "$UI_DATA/journal.db" "SELECT group_concat(json_extract(record, '$.seq') || ' ' || json_extract(record, '$.bal_before') || '-' || json_extract(record, '$.ssa') || '=' || json_extract(record, '$.bal_after'), ', ') FROM journal WHERE kind = 'SALE'") ||
	ui_fail "journal"
[ "$n" = "1 2000-235=1765" ] || ui_fail "sales in the journal: $n"
ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
