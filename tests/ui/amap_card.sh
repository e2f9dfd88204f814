#!/bin/sh
# AMAP check-in by tapping the food card (ssa-cardsim, libnfc's pn532_uart driver): the CAMAP
# export carries a "Carte SSA" column (the member id of each household's card).  The caisse's
# list covers the category of the Légumes contract (amap-legumes), not the Oeufs one: a tap
# debits the vegetable baskets from the card through the till's card payment (a SALE record),
# the eggs are only recorded; a card short of money pays what it holds, the rest is the member's
# part (other tender); a second tap, an unknown card, an empty card.  After a restart without the
# sign-in log (the till stopped between the sale and the log), a tap never debits twice.  The
# members' statement (F12) says which baskets the card paid and which the caisse reimburses.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
ui_new_card alice 00a1 50,00
ui_new_card paul 00b2 5,00
ui_new_card sami 00c3 20,00
ui_new_card zoe 00d4 20,00

# version 8 of caisse-34's list: the Légumes contract of AMAP distributions is paid by the card
{
	grep -v '^signature,' "$UI_TMP/list.txt" | sed 's/^version,7$/version,8/'
	echo "category,amap-legumes,100,,,,"
} >"$UI_TMP/list8.body"
openssl pkeyutl -sign -rawin -inkey "$UI_TMP/caisse.pem" -in "$UI_TMP/list8.body" \
	-out "$UI_TMP/list8.sig" || ui_fail "sign list 8"
{
	cat "$UI_TMP/list8.body"
	printf 'signature,ed25519,%s\n' "$(od -An -tx1 "$UI_TMP/list8.sig" | tr -d ' \n')"
} >"$UI_TMP/list8.txt"
ui_pos --import-list caisse-34 "$UI_TMP/caisse.pub" "$UI_TMP/list8.txt" >/dev/null ||
	ui_fail "import list 8"

csv="$UI_TOP/tests/ui/data/amap-camap-cards.csv"
ui_start -- --amap "$csv"
ui_sign_in 42
ui_wait_text "4 foyers, 0 venus, 4 attendus"

# alice: 12,00 of vegetables debited from the card, the eggs only recorded
ui_card_on alice
ui_wait_text "Vente 1 : 12,00 € payés par la carte. DUPONT Hélène : récupéré."
ui_wait_text "4 foyers, 1 venus, 3 attendus | carte 00000000000000a1 sur le lecteur"
ui_screen | grep -q "récupéré .*DUPONT Hélène" || ui_fail "DUPONT collected"
# still on the reader: nothing more happens; taken away and tapped again: collected already
ui_card_off
ui_wait_gone "sur le lecteur"
ui_card_on alice
ui_wait_text "DUPONT Hélène : déjà récupéré."
ui_card_off
ui_wait_gone "sur le lecteur"

# paul holds 5,00 for a 9,00 basket: the card pays 5,00, the rest is his part of the contract
ui_card_on paul
ui_wait_text "Vente 2 : 5,00 € payés par la carte. MARTIN Paul : récupéré."
ui_card_off
ui_wait_gone "sur le lecteur"
# sami's eggs: nothing for the card
ui_card_on sami
ui_wait_text "BERNARD Sami : récupéré (rien à payer par la carte)."
ui_card_off
ui_wait_gone "sur le lecteur"
# zoe is not in this distribution
ui_card_on zoe
ui_wait_text "Carte 00000000000000d4 : aucun foyer de cette distribution n'a cette carte."
ui_card_off
ui_wait_gone "sur le lecteur"
# paul's card is empty now: tapped for nobody new... Léa by name still works
ui_type "lea"
ui_keys Enter
ui_wait_text "DURAND Léa: récupéré."
ui_wait_text "4 foyers, 4 venus, 0 attendus"
# the members' statement: what the cards paid, what the caisse reimburses (Léa has no card)
ui_keys F12
ui_wait_text "Écrits :"
st="$UI_DATA/amap/amap-camap-cards-statement.csv"
day=$(date +%Y-%m-%d)
cat >"$UI_TMP/want-statement.csv" <<-EOS
	member;household;date;contract;product;quantity;amount;paid
	00000000000000a1;DUPONT Hélène;$day;Légumes;Panier G;1,000;12,00;card
	00000000000000a1;DUPONT Hélène;$day;Oeufs;Oeufs x6;1,000;3,00;reimburse
	00000000000000b2;MARTIN Paul;$day;Légumes;Panier M;1,000;9,00;card
	00000000000000c3;BERNARD Sami;$day;Oeufs;Oeufs x6;1,000;3,00;reimburse
EOS
diff -u "$UI_TMP/want-statement.csv" "$st" || ui_fail "statement"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 2 ] || { cat "$UI_TMP/show"; ui_fail "two sales"; }
# the baskets paid at pickup carry the volunteer who signed in, as counter sales do
[ "$(grep '"kind":"SALE"' "$UI_TMP/show" | grep -c '"op":"42"')" = 2 ] ||
	{ cat "$UI_TMP/show"; ui_fail "the operator of the AMAP sales"; }
grep '"card":"00000000000000a1"' "$UI_TMP/show" | grep -q '"cat":"amap-legumes"' ||
	ui_fail "alice's sale: the vegetable basket"
grep '"card":"00000000000000a1"' "$UI_TMP/show" | grep -q 'Oeufs' && ui_fail "eggs in a sale"
grep '"card":"00000000000000a1"' "$UI_TMP/show" | grep -q '"bal_after":3800' ||
	{ grep a1 "$UI_TMP/show"; ui_fail "alice's balance after"; }
grep '"card":"00000000000000b2"' "$UI_TMP/show" | grep -q '"bal_after":0,' ||
	ui_fail "paul's balance after"
grep '"card":"00000000000000b2"' "$UI_TMP/show" | grep -q '"amount":400,"change":0,"given":400,"kind":"OTHER"' ||
	ui_fail "paul's part of the contract"

# The till stopped after the sale and before the sign-in log had it: a tap does not debit again.
rm -f "$UI_DATA"/amap/*.log
ui_stop
ui_start -- --amap "$csv"
ui_sign_in 42
ui_wait_text "4 foyers, 0 venus, 4 attendus"
ui_card_on alice
ui_wait_text "DUPONT Hélène : récupéré (déjà payé par la carte)."
ui_card_off
ui_keys F12
ui_wait_text "Écrits :"
grep -qx "00000000000000a1;DUPONT Hélène;$day;Légumes;Panier G;1,000;12,00;card" "$st" ||
	ui_fail "statement after the restart"
ui_wait_gone "sur le lecteur"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 2 ] || ui_fail "debited twice"
exit 0
