#!/bin/sh
# The hot list at the till, through ssa-cardsim and libnfc's real pn532_uart driver: the caisse's
# signed hot list in the spool blocks a card at payment and at a balance inquiry, with the
# reason and the date; nothing is debited.  A hot list signed with another key, or truncated, is
# refused with a warning and the one in force stays; a newer list without the card unblocks it.
. tests/ui/lib.sh
. tests/ui/data/spool.sh

ui_demo_data
ui_card_setup
ui_new_card alice 5a01 20,00
ui_new_card bob 5b02 150,00
spool_setup
spool_put hotlist.txt <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,3
	card,0000000000005b02,2026-11-01,lost
	EOF
ui_start
ui_sign_in 42

# bob's card is blocked: the reason and date, no debit, the sale still open
ui_scan "2*3560070894222"
ui_wait_text "1 ligne(s)   Total 4,70 €   SSA 4,70 €"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on bob
ui_wait_text "Carte refusée : en opposition, carte déclarée perdue le 01/11/2026."
ui_no_text "Solde carte"
ui_card_off
# alice pays
ui_card_on alice
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "Solde carte après                15,30 €"
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_card_off

# the inquiry refuses bob too
ui_keys C-b
ui_wait_text "Posez la carte alimentaire sur le lecteur."
ui_card_on bob
ui_wait_text "Carte refusée : en opposition, carte déclarée perdue le 01/11/2026."
ui_keys Escape
ui_card_off

# a forged list (another key) that would unblock bob: refused, the list in force stays
openssl genpkey -algorithm ed25519 -out "$UI_TMP/forger.pem" 2>/dev/null || ui_fail "forger key"
spool_put hotlist.txt "$UI_TMP/forger.pem" <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,4
	EOF
ui_scan "3560070894222"
ui_wait_text "1 ligne(s)   Total 2,35 €"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_card_on bob
ui_wait_text "Carte refusée : en opposition, carte déclarée perdue le 01/11/2026."
ui_no_text "Solde carte"
ui_card_off
# a truncated one likewise (the warnings go to the log, and to the message line until the card
# read's own message replaces it)
printf 'ssa-hotlist,1\ncaisse,caisse-34\nversion,5\n' >"$SPOOL/hotlist.txt"
ui_keys Escape
ui_wait_text "Retour à la vente : l'encaissement est abandonné."
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_card_on bob
ui_wait_text "Carte refusée : en opposition, carte déclarée perdue le 01/11/2026."
ui_card_off
ui_keys Escape
ui_wait_text "Retour à la vente : l'encaissement est abandonné."
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."

# the caisse unblocks bob with a newer full list: he pays
spool_put hotlist.txt <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,6
	card,0000000000005a99,2026-11-02,stolen
	EOF
ui_card_on bob
ui_wait_text "Vente 2 enregistrée."
ui_wait_text "Solde carte après               147,65 €"
ui_keys Escape
ui_card_off
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 2 ] || ui_fail "not 2 sales"
ui_card_on bob
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 147.65" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "bob's balance"; }
echo "hotlist ok"
