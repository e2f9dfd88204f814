#!/bin/sh
# Cards the till must refuse, through the real till, ssa-cardsim and libnfc's real pn532_uart
# driver: a clone (the original's UID and identity file, copied onto a card keyed by its maker:
# the signature verifies, the AES authentication with the caisse's diversified key fails), a
# forged card (issued with another caisse key pair: its identity signature does not verify) and
# an expired card.  Each is refused with its reason at payment and at a balance inquiry; nothing
# is debited or recorded; the real card still pays afterwards.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
ui_new_card alice 5a01 20,00
# a "magic" card with alice's UID, issued with the forger's own keys, then alice's identity
# file (free to read) copied onto it
timeout 30 "$UI_ADMIN" card keygen "$UI_TMP/forger.keys" --caisse caisse-34 >/dev/null 2>&1 ||
	ui_fail "forger keygen"
forge() { # NAME SERIAL UID [FROM TO]
	"$UI_SIM" new-card "$UI_TMP/$1" --uid "$3" >/dev/null || ui_fail "new-card $1"
	ui_card_on "$1"
	timeout 60 "$UI_ADMIN" card issue --keys "$UI_TMP/${6:-forger}.keys" --device "$UI_DEV" \
		--serial "$2" --member "$2" --household 1 --from "${4:-2020-01-01}" \
		--to "${5:-2099-12-31}" --balance 500,00 >"$UI_TMP/issue-$1.log" 2>&1 || {
		cat "$UI_TMP/issue-$1.log" >&2
		ui_fail "card issue $1"
	}
	ui_card_off
}
forge clone 5a01 04C0FFEE005a01
"$UI_SIM" copy-file "$UI_TMP/alice" "$UI_TMP/clone" 535341 1 || ui_fail "copy the identity"
forge forged 5f01 04C0FFEE005f01
# expired: the caisse's own keys, valid until the end of 2021
forge old 5e01 04C0FFEE005e01 2020-01-01 2021-12-31 card
ui_start
ui_sign_in 42

ui_scan "2*3560070894222"
ui_wait_text "1 ligne(s)   Total 4,70 €   SSA 4,70 €"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_card_on clone
ui_wait_text "Carte refusée : la carte a échoué à l'authentification"
ui_no_text "Solde carte"
ui_card_off
ui_card_on forged
ui_wait_text "Carte refusée : la signature de la carte ne se vérifie pas."
ui_no_text "Solde carte"
ui_card_off
ui_card_on old
ui_wait_text "Carte refusée : carte expirée."
ui_no_text "Solde carte"
ui_card_off
# the real card pays (the clone's debit would have shown on its own balance, checked below)
ui_card_on alice
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "Solde carte après                15,30 €"
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_card_off

# the balance inquiry refuses them too
for c in clone:"Carte refusée : la carte a échoué à l'authentification" \
	forged:"Carte refusée : la signature de la carte ne se vérifie pas." \
	old:"Carte refusée : carte expirée."; do
	ui_keys C-b
	ui_wait_text "Posez la carte alimentaire sur le lecteur."
	ui_card_on "${c%%:*}"
	ui_wait_text "${c#*:}"
	ui_keys Escape
	ui_card_off
done
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":' "$UI_TMP/show")" = 1 ] || { cat "$UI_TMP/show"; ui_fail "not 1 record"; }
ui_card_on clone
timeout 60 "$UI_ADMIN" card info --keys "$UI_TMP/forger.keys" --device "$UI_DEV" >"$UI_TMP/info" 2>&1
grep -qx "balance: 500.00" "$UI_TMP/info" || { cat "$UI_TMP/info"; ui_fail "the clone's balance"; }
echo "card_refused ok"
