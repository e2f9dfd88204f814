#!/bin/sh
# make demo, end to end: tools/demo.sh sets up the caisse (ssa-caissed on 127.0.0.1) with its
# members, grants, hot list and list, the emulated reader with the demo cards, ssa-syncd (whose
# first run brings the list, the hot list and the grants) and the till.  Jean's stolen card is
# refused; Marie's card gets this month's grant at its first tap, then pays the covered part of
# a sale of the demo products, cash the rest; leaving the till pushes the journal to the
# caisse, shows it and verifies it, and stops every process the demo started.
. tests/ui/lib.sh

UI_POLLS=300
DEMO="$UI_TMP/demo"
ui_tmux new-session -d -s pos -x 100 -y 40 \
	"env LANG=fr_FR.UTF-8 SSA_LOCALEDIR='$UI_TOP/$SSA_BUILD/locale' SSA_DEMO_DIR='$DEMO' \
	sh '$UI_TOP/tools/demo.sh' '$SSA_BUILD'; echo \$? >'$UI_TMP/exit-status'" ||
	ui_fail "tmux new-session"
ui_tmux set-option -t pos remain-on-exit on >/dev/null
demo_stop() { SSA_DEMO_DIR="$DEMO" sh tools/demo.sh "$SSA_BUILD" finish >/dev/null 2>&1; }
trap 'demo_stop; ui_cleanup' EXIT

ui_wait_text "Press Enter to start the till"
ui_wait_text "card marie"
ui_keys Enter
ui_sign_in 42
ui_scan 3760123400107
ui_wait_text "Lentilles vertes du Puy bio 500 g"
ui_scan 3760123400220
ui_wait_text "Pain de campagne 800 g"
ui_scan 3760123400237
ui_wait_text "Vin rouge Corbières 75 cl"
ui_type "1,5*4011"
ui_keys Enter
ui_wait_text "1,500 kg de Bananes bio."
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
demo_card() { # NAME, or off
	SSA_DEMO_DIR="$DEMO" sh tools/demo.sh "$SSA_BUILD" card "$1" >"$UI_TMP/card.out" ||
		ui_fail "demo card $1"
	[ "$1" = off ] || grep -q "card $1 is on the reader" "$UI_TMP/card.out" ||
		ui_fail "demo card $1: $(cat "$UI_TMP/card.out")"
}
# the hot list the caisse published reached the till: Jean's card is refused, nothing is paid
demo_card jean
ui_wait_text "Carte refusée : en opposition, carte déclarée volée le"
demo_card off
# Marie's first tap this month: the grant of her household (150 + 75 for the second adult
# + 40 for the child, the old balance expires), then the sale: lentils 3,45 + bread 3,90 +
# bananas 3,90 covered, the wine (7,50) is not: cash for the rest
demo_card marie
ui_wait_text "Solde carte 265,00 € : la SSA paie 11,25 €, reste 7,50 € à payer."
ui_type "10"
ui_keys F7
ui_wait_text "Vente 2 enregistrée. Rendu : 2,50 €."
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
ui_wait_text "OK"
[ "$(ui_wait_exit)" = 0 ] || ui_fail "demo exit status"
ui_screen >"$UI_TMP/end.txt"
grep -q "last push of the journal to the caisse" "$UI_TMP/end.txt" || ui_fail "no last push"
grep -q "^OK" "$UI_TMP/end.txt" || ui_fail "journal not verified: $(cat "$UI_TMP/end.txt")"
# the caisse holds the reload and the sale exactly as the till signed them
for seq_kind in 1:RELOAD 2:SALE; do
	seq=${seq_kind%%:*}
	till=$(sqlite3 "$DEMO/pos/journal.db" "SELECT hex(hash) FROM journal WHERE seq = $seq") ||
		ui_fail "till journal"
	caisse=$(sqlite3 "$DEMO/caisse/caisse.db" \
		"SELECT kind, hex(hash) FROM journal WHERE terminal = 'T01' AND seq = $seq") ||
		ui_fail "caisse database"
	[ -n "$till" ] && [ "$caisse" = "${seq_kind#*:}|$till" ] ||
		ui_fail "record $seq: caisse has '$caisse', till '$till'"
done
# nothing of the demo is left running
sleep 0.5
left=$(pgrep -af "ssa-(caissed|syncd|cardsim) .*$DEMO")
[ -z "$left" ] || ui_fail "demo processes left: $left"
echo ok
