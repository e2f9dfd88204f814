#!/bin/sh
# One till, two caisses, through ssa-cardsim and libnfc's real pn532_uart driver: caisse-34 (the
# main caisse) and caisse-12 ([caisse.caisse-12]) each issue a card with their own keys
# (ssa-admin card keygen / issue); both pay at the till, each with its own caisse's list deciding
# the basket and its own keys debiting it; a card of caisse-99, unknown to the till, is refused
# with the message and nothing changes; a key file of another caisse is left out at start-up.
# The journal verifies and says which list decided each line.
. tests/ui/lib.sh
. tests/ui/data/spool.sh

ui_demo_data
# caisse-12's list: half of the lentils, all of the spread (sucre); signed with its own key
openssl genpkey -algorithm ed25519 -out "$UI_TMP/caisse12.pem" 2>/dev/null || ui_fail "genpkey"
openssl pkey -in "$UI_TMP/caisse12.pem" -pubout -outform DER 2>/dev/null | tail -c 32 |
	od -An -tx1 | tr -d ' \n' >"$UI_TMP/caisse12.pub"
printf 'ssa-list,1\ncaisse,caisse-12\nversion,3\nvalid,2020-01-01,\ncode,3560070894222,50,,,,\ncategory,sucre,100,,,,\nexclude,alcool,,,,,\n' \
	>"$UI_TMP/list12.txt"
openssl pkeyutl -sign -rawin -inkey "$UI_TMP/caisse12.pem" -in "$UI_TMP/list12.txt" \
	-out "$UI_TMP/list12.sig" || ui_fail "sign list"
printf 'signature,ed25519,%s\n' "$(od -An -tx1 "$UI_TMP/list12.sig" | tr -d ' \n')" \
	>>"$UI_TMP/list12.txt"
ui_pos --import-list caisse-12 "$UI_TMP/caisse12.pub" "$UI_TMP/list12.txt" >/dev/null ||
	ui_fail "import list 12"

ui_card_setup
ui_new_card alice 5a01 20,00
# caisse-12's and caisse-99's card keys, and a card of each (the same serial as alice's: serials
# are each caisse's own)
for c in 12 99; do
	timeout 30 "$UI_ADMIN" card keygen "$UI_TMP/card$c.keys" --caisse "caisse-$c" >/dev/null 2>&1 ||
		ui_fail "card keygen $c"
done
ui_issue() { # NAME KEYS SERIAL BALANCE UID
	"$UI_SIM" new-card "$UI_TMP/$1" --uid "$5" >/dev/null || ui_fail "new-card $1"
	ui_card_on "$1"
	timeout 60 "$UI_ADMIN" card issue --keys "$2" --device "$UI_DEV" --serial "$3" \
		--member "$3" --household 1 --from 2020-01-01 --to 2099-12-31 --balance "$4" \
		>"$UI_TMP/issue-$1.log" 2>&1 || { cat "$UI_TMP/issue-$1.log" >&2; ui_fail "issue $1"; }
	ui_card_off
}
ui_issue carol "$UI_TMP/card12.keys" 5a01 30,00 04C0FFEE00CA12
ui_issue dave "$UI_TMP/card99.keys" 5d04 30,00 04C0FFEE00DA99
# a further caisse whose key file is another caisse's: left out, its cards refused
ui_config "[card]" "reader = $UI_DEV" "keys = $UI_TMP/card.keys" "terminal_number = 3" \
	"[caisse.caisse-12]" "card_keys = $UI_TMP/card12.keys" \
	"[caisse.caisse-77]" "card_keys = $UI_TMP/card99.keys"
ui_start
ui_wait_text "Caisse caisse-77 : les clés de carte $UI_TMP/card99.keys sont celles"
ui_sign_in 42

# Before a card, the main caisse's list shows: the lentils covered, the spread not.
ui_scan "2*3560070894222"
ui_scan 3017620422003
ui_wait_text "2 ligne(s)   Total 8,59 €   SSA 4,70 €   Reste 3,89 €"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
# dave's caisse is not this till's: refused, nothing changes
ui_card_on dave
ui_wait_text "Carte de la caisse caisse-99 : refusée ici (seulement caisse-34, caisse-12)."
ui_no_text "Solde carte"
ui_card_off
# carol's caisse-12 decides: half the lentils and all the spread, debited with caisse-12's keys
ui_card_on carol
ui_wait_text "Solde carte 30,00 € : la SSA paie 6,24 €, reste 2,35 € à payer."
ui_wait_text "carte 0000000000005a01, caisse caisse-12"
ui_keys F7
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "Solde carte après                23,76 €"
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_card_off

# alice, caisse-34: its list and keys again
ui_scan "2*3560070894222"
ui_scan 3017620422003
ui_wait_text "2 ligne(s)   Total 8,59 €   SSA 4,70 €   Reste 3,89 €"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on alice
ui_wait_text "Solde carte 20,00 € : la SSA paie 4,70 €, reste 3,89 € à payer."
ui_wait_text "carte 0000000000005a01, caisse caisse-34"
ui_keys F7
ui_wait_text "Vente 2 enregistrée."
ui_wait_text "Solde carte après                15,30 €"
ui_keys Escape
ui_card_off

# the balance inquiry reads each with its own keys, and refuses dave
ui_keys C-b
ui_wait_text "Posez la carte alimentaire sur le lecteur."
ui_card_on carol
ui_wait_text "Carte 0000000000005a01 (caisse caisse-12) : solde 23,76 €."
ui_keys Escape
ui_card_off
ui_keys C-b
ui_wait_text "Posez la carte alimentaire sur le lecteur."
ui_card_on dave
ui_wait_text "Carte de la caisse caisse-99 : refusée ici"
ui_keys Escape
ui_card_off
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 2 ] || { cat "$UI_TMP/show"; ui_fail "not 2 sales"; }
# each card's balance, read back with its own caisse's keys
ui_card_on carol
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card12.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 23.76" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "carol's balance"; }
ui_card_on dave
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card99.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 30.00" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "dave's balance"; }
echo "multi_caisse ok"
