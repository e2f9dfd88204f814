#!/bin/sh
# The till is stopped while a card payment hangs between the card and the journal (the card
# was torn right after it took the debit): at the next start the till says so, and the card's
# next tap records the sale, once, without debiting it again.  Then the same with a card torn
# before its debit: nothing is recorded, nothing debited.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
ui_new_card carol 5c03 20,00

round() { # $1 tear mode ("" or before), $2 message after restart
	ui_start
	ui_sign_in 8
	ui_scan "2*3560070894222"
	ui_wait_text "Total 4,70 €   SSA 4,70 €"
	ui_card_on carol
	# the tap takes 6 APDUs, the debit 3: tear at the last one of the debit
	ui_ctl tear 9 $1
	ui_keys F3
	ui_wait_text "Paiement par carte interrompu"
	kill -s TERM "$(ui_pid)"
	[ "$(ui_wait_exit)" = 143 ] || ui_fail "exit status on SIGTERM"
	ui_stop
	ui_card_off
	ui_start
	ui_wait_text "Un paiement par carte a été interrompu : posez cette carte pour le régler."
	ui_card_on carol
	ui_wait_text "$2"
	ui_sign_in 8
	ui_keys F10
	[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
	ui_stop
}

round "" "Le paiement par carte interrompu a été enregistré."
round before "Le paiement par carte interrompu n'a pas eu lieu : rien n'est enregistré."

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/v" 2>&1 ||
	{ cat "$UI_TMP/v"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 1 ] || { cat "$UI_TMP/show"; ui_fail "one sale"; }
ui_card_on carol
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx 'balance: 15.30' "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "debited once"; }
