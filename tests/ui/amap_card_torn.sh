#!/bin/sh
# AMAP pickup paid by the card, the card torn away at APDUs 2, 5 ... 23 of the tap, the
# payment's read and the debit (after the card answered, and before): the till says so, a payment whose debit
# may have happened cannot be dropped, and when the card comes back the baskets are paid exactly
# once and the household collected.  At the end the journal verifies and holds one sale per
# household, and the card was debited once per household.
. tests/ui/lib.sh

ui_demo_data
ui_card_setup
# one card and one household per round: tear after (odd rounds) or before the card answered
rounds="2 5 8 11 14 17 20 23"
for n in $rounds; do
	ui_new_card "c$n" "00$(printf %02x "$n")" 50,00
done
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

csv="$UI_TMP/torn.csv"
echo 'userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;fees;total;paid;Carte SSA' >"$csv"
for n in $rounds; do
	echo "$n;FOYER $n;Panier G;;Légumes;1;1;7,00;1;0;7,00;1;$(printf %x "$n")" >>"$csv"
done

ui_start -- --amap "$csv"
ui_sign_in 42
ui_wait_text "8 foyers, 0 venus, 8 attendus"
k=0
for n in $rounds; do
	k=$((k + 1))
	ui_card_on "c$n"
	if [ $((k % 2)) = 0 ]; then
		ui_ctl tear "$n" before
	else
		ui_ctl tear "$n"
	fi
	tries=0
	while :; do
		got=$(ui_wait_any "Vente $k : 7,00 € payés par la carte. FOYER $n : récupéré." \
			"Paiement par carte interrompu" "Carte refusée" "Carte :" \
			"FOYER $n : récupéré (" "8 foyers, $k venus") || exit 1
		case "$got" in
		Vente* | "8 foyers, $k venus") break ;;
		"FOYER $n : récupéré (") ui_fail "round $k: no sale" ;;
		esac
		# the message may be an old one: the sale went through since (its own message
		# replaced already); the journal's checks at the end say whether it was paid once
		ui_screen | grep -qF "8 foyers, $k venus" && break
		tries=$((tries + 1))
		[ $tries -le 6 ] || ui_fail "round $k: never settled"
		if [ "$got" = "Paiement par carte interrompu" ]; then
			# a debit that may have happened cannot be dropped
			ui_keys Escape
			ui_wait_text "Un paiement par carte est en suspens"
		fi
		ui_card_off
		ui_card_on "c$n"
		# the same message may come back (the card read again too early): then the loop
		# takes the card off and on once more, at most 6 times in all.  Wait as long as any
		# step may (UI_POLLS): under load the till takes seconds to read the card again, and
		# taking it off meanwhile tears it once more (this waited 5 s and failed under load)
		_w=0
		while [ $_w -lt "$UI_POLLS" ] && ui_screen >"$UI_TMP/torn.txt" &&
			grep -qF "$got" "$UI_TMP/torn.txt" && ! grep -qF "8 foyers, $k venus" "$UI_TMP/torn.txt"; do
			sleep 0.1
			_w=$((_w + 1))
		done
	done
	ui_wait_text "8 foyers, $k venus, $((8 - k)) attendus"
	ui_card_off
	ui_wait_gone "sur le lecteur"
done
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/verify" 2>&1 ||
	{ cat "$UI_TMP/verify"; ui_fail "journal does not verify"; }
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
[ "$(grep -c '"kind":"SALE"' "$UI_TMP/show")" = 8 ] || ui_fail "not 8 sales"
for n in $rounds; do
	id=$(printf %016x "$n")
	[ "$(grep -c "\"card\":\"$id\"" "$UI_TMP/show")" = 1 ] || ui_fail "card $id: not one sale"
	grep "\"card\":\"$id\"" "$UI_TMP/show" | grep -q '"bal_after":4300,"bal_before":5000' ||
		ui_fail "card $id: not debited once"
done
exit 0
