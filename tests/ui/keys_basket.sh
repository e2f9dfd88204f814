#!/bin/sh
# Keys pressed beyond scans, measured through the real till: a mixed 10-item basket (a quantity
# 3*code, a GS1 weight label, a GS1 price label, an ineligible item, an excluded one) paid by the
# food card on ssa-cardsim and the rest in cash, until the next sale starts.  The scanner sends
# digits and Enter (ui_scan, not counted); every other key goes through k (counted).  The card
# tapped on the reader starts the payment (no F3), and the next sale's first input is typed on
# the receipt screen (no Esc): the second basket's "3*" is typed there.  Prints
#   keys beyond scans: N (goal <= 3)               the cash given is the exact amount
#   keys beyond scans, cash typed: N (goal <= 3)   the cash given must be typed
# and asserts the sales are recorded with the right totals.  bench/run.sh prints these lines.
. tests/ui/lib.sh

KEYS=0
# k KEY...: keys the cashier presses (tmux key names), counted one each.
k() {
	for _k; do
		ui_keys "$_k"
		KEYS=$((KEYS + 1))
	done
}
# kt TEXT: text the cashier types, counted one key per character.
kt() {
	ui_type "$1"
	KEYS=$((KEYS + ${#1}))
}

basket() {
	kt "3*"
	ui_scan 3560070894222 # covered, quantity 3
	ui_wait_text "Lentilles vertes 500 g."
	ui_scan 3250390000457 # covered up to the category's ceiling
	ui_scan 3017620422003 # not listed: ineligible
	ui_scan 3176582033303 # alcohol: excluded
	ui_scan 2112345003504 # GS1 weight label: 0,350 kg of tomatoes
	ui_scan 2354321012500 # GS1 price label: a cheese platter at 12,50 EUR
	ui_scan 3760123456784
	ui_scan 3274080000121
	ui_scan 2112345012001 # GS1 weight label: 1,200 kg of tomatoes
	ui_scan 3017620422003
	ui_wait_text "Total 54,18 €"
}

# tap: the member taps card $1 once the till says it is ready for it (the reader seen empty
# since the last sale), and the card is read.
tap() {
	ui_wait_text "Carte alimentaire : posez-la sur le lecteur pour payer (F3 : autres moyens)."
	ui_card_on "$1"
	ui_wait_text "ssa-pos - Encaissement"
}

ui_demo_data
ui_card_setup
ui_new_card alice 5a01 10,00
ui_new_card bob 5a02 10,00
ui_start
ui_sign_in 42

# sale 1: the cash given is the exact rest
KEYS=0
basket
tap alice
ui_wait_text "la SSA paie 10,00 €, reste 44,18 € à payer."
k F7
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "ssa-pos - Ticket"
ui_card_off
sale1=$KEYS

# sale 2, started on the receipt of sale 1: the cash given is typed (a 50 EUR note)
KEYS=0
basket
tap bob
ui_wait_text "la SSA paie 10,00 €, reste 44,18 € à payer."
kt 50
k F7
ui_wait_text "Vente 2 enregistrée. Rendu : 5,82 €."
ui_wait_text "ssa-pos - Ticket"
ui_card_off
sale2=$KEYS
# the next sale starts with a scan on the receipt
ui_scan 3760123456784
ui_wait_text "1 ligne(s)   Total 1,45 €"

for s in 1 2; do
	t=$(sqlite3 "$UI_DATA/journal.db" "SELECT json_extract(record, '$.total') FROM journal WHERE kind = 'SALE' AND json_extract(record, '$.seq') = $s") ||
		ui_fail "sale $s"
	[ "$t" = 5418 ] || { sqlite3 "$UI_DATA/journal.db" "SELECT record FROM journal"; ui_fail "sale $s total: $t"; }
done
ui_stop
ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }

echo "keys beyond scans: $sale1 (goal <= 3) — mixed 10-item basket, food card + exact cash"
echo "keys beyond scans, cash typed: $sale2 (goal <= 3) — same basket, 50 EUR typed"
