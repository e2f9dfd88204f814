#!/bin/sh
# A card torn away mid-payment, at every APDU of the tap and the debit (ten APDUs: more than a
# sale takes, so the last rounds are not torn at all) (after the card answered,
# and before it did): the till says so, refuses to drop the sale, and when the card comes back
# the sale settles exactly once.  At the end the journal verifies and holds one sale per round,
# and the card was debited once per round.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
ui_new_card bob 5b02 150,00
ui_start
ui_sign_in 7
k=0
for n in 1 2 3 4 5 6 7 8 9 10; do
	for mode in after before; do
		k=$((k + 1))
		ui_scan "2*3560070894222"
		ui_wait_text "1 ligne(s)   Total 4,70 €   SSA 4,70 €"
		# the card lies on the reader (read only once paying starts), the tear armed
		ui_card_on bob
		if [ $mode = before ]; then
			ui_ctl tear "$n" before
		else
			ui_ctl tear "$n"
		fi
		ui_keys F3
		tries=0
		while :; do
			got=$(ui_wait_any "Vente $k enregistrée." "Paiement par carte interrompu" \
				"Carte refusée" "Carte :") || exit 1
			[ "$got" = "Vente $k enregistrée." ] && break
			tries=$((tries + 1))
			[ $tries -le 5 ] || ui_fail "round $k: never settled"
			if [ "$got" = "Paiement par carte interrompu" ]; then
				# the sale cannot be dropped while its debit may have happened
				ui_keys F5
				ui_wait_text "Un paiement par carte est en suspens"
			fi
			ui_card_on bob
			ui_wait_gone "$got"
		done
		ui_wait_text "ssa-pos - Ticket"
		ui_keys Escape
		ui_wait_text "Le panier est vide"
		ui_card_off
	done
done
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = $k ] || ui_fail "not $k sales"
ui_card_on bob
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
want=$(( 15000 - 470 * k ))
grep -qx "balance: $((want / 100)).$(printf %02d $((want % 100)))" "$UI_TMP/info" ||
	{ cat "$UI_TMP/info"; ui_fail "card balance, want $want cents"; }
