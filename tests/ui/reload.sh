#!/bin/sh
# The monthly reload at the till, through ssa-cardsim and libnfc's real pn532_uart driver: the
# caisse's signed grant batch of this month in the spool (policy rollover, cap 5,00 €); the
# first tap of a card in the month applies its grant once (at payment and at a balance inquiry)
# and says so; the next taps do not.  Then the card is torn away at every APDU of the tap, the
# reload and the debit (22 APDUs: after the card answered, and before): the RELOAD and the sale are each
# recorded exactly once and every card holds its grant once.  The journal verifies.
. tests/ui/lib.sh
. tests/ui/data/spool.sh

PERIOD=$(date +%Y%m)
MONTH=$(spool_month_fr)
ROUNDS="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23"

ui_demo_data
ui_card_setup
ui_new_card carol 5c01 20,00
ui_new_card dave 5d01 20,00
ui_new_card erin 5e01 20,00
# a fresh card per torn round
for n in $ROUNDS; do
	for mode in a b; do
		ui_new_card "t$n$mode" "$(printf '6%02d%s' "$n" "$([ $mode = a ] && echo 1 || echo 2)")" 20,00
	done
done
spool_setup
{
	printf 'ssa-grants,1\ncaisse,caisse-34\nperiod,%s\noutlet,*\npolicy,rollover,5.00\n' "$PERIOD"
	i=0
	for s in 5c01 5d01 $(for n in $ROUNDS; do printf '6%02d1 6%02d2 ' "$n" "$n"; done); do
		i=$((i + 1))
		case $s in
		5d01) printf 'grant,%016x,member,%016x,150.00\n' $i 0x$s ;;
		*) printf 'grant,%016x,card,%016x,150.00\n' $i 0x$s ;;
		esac
	done
} >"$UI_TMP/grants.txt"
# grant lines must be sorted by grant id (they are) and the batch signed
spool_put "grants-$PERIOD.txt" <"$UI_TMP/grants.txt"
ui_start
ui_sign_in 42

# carol's first tap of the month: 20,00 kept up to 5,00, plus 150,00; lentils and wine
ui_scan "2*3560070894222"
ui_scan 3176582033303
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on carol
ui_wait_text "Allocation $MONTH créditée : 150,00 €."
ui_wait_text "Solde de la carte                           155,00 €"
ui_type "20"
ui_keys F7
ui_wait_text "Vente 2 enregistrée."
ui_wait_text "Solde carte après               150,30 €"
ui_keys Escape
ui_card_off
# the next tap: no second allocation
ui_scan "3560070894222"
ui_keys F3
ui_card_on carol
ui_wait_text "Vente 3 enregistrée."
ui_wait_text "Solde carte après               147,95 €"
ui_no_text "Allocation"
ui_keys Escape
ui_card_off
# dave (a grant to the member) at a balance inquiry; erin has no grant this month
ui_keys C-b
ui_wait_text "Posez la carte alimentaire sur le lecteur."
ui_card_on dave
ui_wait_text "Carte 0000000000005d01 (caisse caisse-34) : solde 155,00 €."
ui_wait_text "Allocation $MONTH créditée : 150,00 €."
ui_card_off
ui_keys Escape
ui_keys C-b
ui_card_on erin
ui_wait_text "Carte 0000000000005e01 (caisse caisse-34) : solde 20,00 €."
ui_no_text "Allocation"
ui_card_off
ui_keys Escape
ui_keys C-b
ui_card_on dave
ui_wait_text "Carte 0000000000005d01 (caisse caisse-34) : solde 155,00 €."
ui_no_text "Allocation"
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"

# torn at every APDU: reload k-1 and sale k (records so far: 2 sales, 2 reloads)
k=6
torn=""
for n in $ROUNDS; do
	for mode in a b; do
		card="t$n$mode"
		ui_scan "2*3560070894222"
		ui_wait_text "1 ligne(s)   Total 4,70 €   SSA 4,70 €"
		ui_card_on "$card"
		if [ $mode = b ]; then
			ui_ctl tear "$n" before
		else
			ui_ctl tear "$n"
		fi
		ui_keys F3
		tries=0
		while :; do
			got=$(ui_wait_any "Vente $k enregistrée." "Rechargement mensuel interrompu" \
				"Paiement par carte interrompu" "Carte refusée" "Carte :") || exit 1
			[ "$got" = "Vente $k enregistrée." ] && break
			[ $tries = 0 ] && torn="$torn $n$mode"
			tries=$((tries + 1))
			[ $tries -le 5 ] || ui_fail "round $n$mode: never settled"
			ui_card_on "$card"
			ui_wait_gone "$got"
		done
		ui_wait_text "Solde carte après               150,30 €"
		ui_keys Escape
		ui_wait_text "Le panier est vide"
		ui_card_off
		# a reload settled from the card takes a record of its own
		k=$((k + 2))
	done
done
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
echo "rounds interrupted:$torn"
# the tap, the reload and the debit take 22 APDUs: every round up to 22 was torn, 23 was not
[ "$(echo $torn | wc -w)" = 44 ] && [ "${torn%22b}" != "$torn" ] ||
	ui_fail "tears did not land as expected: $torn"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
rounds=$(( $(echo $ROUNDS | wc -w) * 2 ))
[ "$(grep -c '"kind":"RELOAD"' "$UI_TMP/show")" = $((rounds + 2)) ] || ui_fail "reloads"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = $((rounds + 2)) ] || ui_fail "sales"
# one RELOAD per grant id
[ "$(grep -o '"grant_id":"[0-9a-f]*"' "$UI_TMP/show" | sort | uniq -d | wc -l)" = 0 ] ||
	ui_fail "a grant recorded twice"
for n in $ROUNDS; do
	for mode in a b; do
		ui_card_on "t$n$mode"
		timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" \
			>"$UI_TMP/info" 2>&1
		grep -qx "balance: 150.30" "$UI_TMP/info" ||
			{ cat "$UI_TMP/info"; ui_fail "card t$n$mode: balance"; }
		grep -q "$PERIOD" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "card t$n$mode: period"; }
	done
done
echo "reload ok"
