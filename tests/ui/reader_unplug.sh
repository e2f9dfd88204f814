#!/bin/sh
# An unplugged reader is a message, not a crash: the till's reader is ssa-cardsim's pty through
# a stable symbolic link (--link).  A card pays; the simulator is stopped (the pty goes away):
# the next payment says the reader is gone, the sale is paid in cash, and the next one too;
# the simulator is started again (a new pty behind the same link): the till opens the reader
# again by itself and the card pays.  The journal verifies and holds every sale once.
. tests/ui/lib.sh

UI_SIM_LINK="$UI_TMP/reader"
ui_demo_data
ui_card_setup
ui_new_card alice 5a01 20,00
ui_start
ui_sign_in 42

# 1: the card pays, the reader is there
ui_scan 3560070894222
ui_wait_text "Lentilles vertes 500 g"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on alice
ui_wait_text "Vente 1 enregistrée."
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"

# the reader is unplugged
ui_sim_stop
[ -e "$UI_SIM_LINK" ] && ui_fail "the link outlived the simulator"

# 2: the till notices when it asks for the card, says so, and cash goes on
ui_scan 3560070894222
ui_wait_text "Lentilles vertes 500 g"
ui_keys F3
ui_wait_text "Le lecteur de carte ne répond pas (débranché ?)"
ui_wait_text "Lecteur de carte absent : réessayé seul ; espèces et autres moyens marchent."
ui_type "5"
ui_keys F7
ui_wait_text "Vente 2 enregistrée. Rendu : 2,65 €."
ui_keys Escape
ui_wait_text "Le panier est vide"

# 3: still gone: the till does not block, cash again
ui_scan 3176582033303
ui_wait_text "Vin rouge 75 cl"
ui_keys F3
ui_wait_text "Lecteur de carte absent : réessayé seul ; espèces et autres moyens marchent."
ui_keys F7
ui_wait_text "Vente 3 enregistrée."
ui_keys Escape
ui_wait_text "Le panier est vide"
pid=$(ui_pid)
[ -n "$pid" ] || ui_fail "ssa-pos is gone"

# the reader is plugged in again (a new pty behind the same link)
ui_sim_start
ui_scan 3560070894222
ui_wait_text "Lentilles vertes 500 g"
ui_keys F3
ui_wait_text "Le lecteur de carte est revenu : la carte alimentaire marche de nouveau."
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on alice
ui_wait_text "Vente 4 enregistrée."
ui_card_off
ui_keys Escape
ui_wait_text "Le panier est vide"
[ "$(ui_pid)" = "$pid" ] || ui_fail "ssa-pos was restarted"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" \
	>"$UI_TMP/verify.txt" 2>&1 || ui_fail "journal verify: $(cat "$UI_TMP/verify.txt")"
[ "$(sqlite3 "$UI_DATA/journal.db" "SELECT count(*) FROM journal WHERE kind = 'SALE'")" = 4 ] ||
	ui_fail "4 sales"
# the card paid sales 1 and 4 only: 20,00 - 2 x 2,35
ui_card_on alice
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/card.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx 'balance: 15.30' "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "debited twice"; }
echo ok
