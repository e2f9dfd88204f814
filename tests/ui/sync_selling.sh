#!/bin/sh
# The till keeps selling while sync runs: the demo's chain (ssa-caissed over mutual TLS on
# 127.0.0.1, ssa-cardsim with the demo cards, tools/demo.sh setup), ssa-syncd as a daemon that
# syncs every second, and the cashier selling basket after basket: card + cash, cash only, bank
# card (its receipt reprinted: a REPRINT record), card only (a grant at a first tap), card + bank
# card.  Every step's screen comes within lib.sh's usual wait (the till never waits for the
# sync); at the end every record the till signed is at the caisse byte for byte (same hash),
# none twice, the caisse acknowledged them all (status line: 0 waiting), no card anomaly, and
# the journal verifies.
. tests/ui/lib.sh

D="$UI_TMP/demo"
trap 'ui_demo_stop; ui_cleanup' EXIT

ui_demo setup >"$UI_TMP/setup.log" 2>&1 || {
	cat "$UI_TMP/setup.log" >&2
	ui_fail "demo setup"
}
# the demo's daemon syncs every 30 s: this one every second, as long as the test lasts
kill "$(cat "$D/syncd.pid")" 2>/dev/null
sed -i 's/^interval = .*/interval = 1/; s/^retry_min = .*/retry_min = 1/; s/^retry_max = .*/retry_max = 2/' \
	"$D/ssa-syncd.ini"
SSA_LOG=stderr timeout 600 "$UI_TOP/$SSA_BUILD/ssa-syncd" -f -c "$D/ssa-syncd.ini" \
	>>"$UI_TMP/syncd.log" 2>&1 &
echo $! >"$D/syncd.pid"

card() { # NAME | off
	ui_demo card "$1" >"$UI_TMP/card.out" 2>&1 || ui_fail "demo card $1: $(cat "$UI_TMP/card.out")"
}
pushes() { grep -c "acknowledged by the caisse" "$UI_TMP/syncd.log" 2>/dev/null || true; }

UI_CONF="$D/ssa-pos.ini"
ui_start
ui_sign_in 42
p0=$(pushes)

# 1: lentils and wine, Marie's card (her first tap: the grant), the rest in cash
ui_scan 3760123400107
ui_scan 3760123400237
ui_wait_text "Vin rouge Corbières 75 cl"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
card marie
ui_wait_text "la SSA paie 3,45 €, reste 7,50 € à payer."
ui_type "10"
ui_keys F7
ui_wait_text "Vente 2 enregistrée. Rendu : 2,50 €."
card off
ui_keys Escape
ui_wait_text "Le panier est vide"

# 2: bread, cash only, no card
ui_scan 3760123400220
ui_wait_text "Pain de campagne 800 g"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_keys F7
ui_wait_text "Vente 3 enregistrée."
ui_keys Escape
ui_wait_text "Le panier est vide"

# 3: beer, bank card; its receipt reprinted (a REPRINT record, pushed like the others)
ui_scan 3760123400244
ui_wait_text "Bière blonde artisanale 33 cl"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
ui_keys F8
ui_wait_text "Vente 4 enregistrée."
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys C-r
ui_wait_text "DUPLICATA 1"
ui_keys Escape
ui_wait_text "Le panier est vide"

# 4: lentils and bread, Léa's card (her grant at her first tap) pays everything
ui_scan 3760123400107
ui_scan 3760123400220
ui_wait_text "Pain de campagne 800 g"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
card lea
ui_wait_text "Vente 7 enregistrée."
card off
ui_keys Escape
ui_wait_text "Le panier est vide"

# 5: pasta and soap, Marie's card again, the soap by bank card
ui_scan 3760123400145
ui_scan 3760123400268
ui_wait_text "Savon de Marseille 300 g"
ui_keys F3
ui_wait_text "Carte alimentaire : posez-la sur le lecteur."
card marie
ui_wait_text "la SSA paie 1,95 €, reste 3,40 € à payer."
ui_keys F8
ui_wait_text "Vente 8 enregistrée."
card off
ui_keys Escape
ui_wait_text "Le panier est vide"

# the daemon was pushing all along (it pushed at least once while the till sold)
[ "$(pushes)" -gt "$p0" ] || ui_fail "ssa-syncd did not push while the till sold: $(tail -5 "$UI_TMP/syncd.log")"
# every record reaches the caisse (bounded: the daemon pushes every second); only then is the
# status line's "0 waiting" news: it is refreshed every 2 s, and may still show the count from
# before the last sales
i=0
while [ "$(sqlite3 "$D/caisse/caisse.db" "SELECT count(*) FROM journal WHERE terminal = 'T01'")" != 8 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && ui_fail "the caisse holds $(sqlite3 "$D/caisse/caisse.db" \
		"SELECT count(*) FROM journal WHERE terminal = 'T01'") records of 8: $(tail -20 "$UI_TMP/syncd.log")"
	sleep 0.1
done
# everything acknowledged: the status line, read from the spool while the till runs
UI_POLLS=300 ui_wait_text "en ligne | sync "
UI_POLLS=300 ui_wait_text "| 0 en attente |"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_demo_stop

# 8 records (2 reloads, 5 sales, a reprint), each once at the caisse with the till's hash
n=$(sqlite3 "$D/pos/journal.db" "SELECT count(*) FROM journal")
[ "$n" = 8 ] || ui_fail "the till's journal has $n records, not 8"
kinds=$(sqlite3 "$D/pos/journal.db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM journal ORDER BY seq)")
[ "$kinds" = "RELOAD SALE SALE SALE REPRINT RELOAD SALE SALE" ] || ui_fail "the till's records: $kinds"
sqlite3 "$D/pos/journal.db" "SELECT seq, hex(hash) FROM journal ORDER BY seq" >"$UI_TMP/till.txt"
sqlite3 "$D/caisse/caisse.db" \
	"SELECT seq, hex(hash) FROM journal WHERE terminal = 'T01' ORDER BY seq" >"$UI_TMP/caisse.txt"
cmp -s "$UI_TMP/till.txt" "$UI_TMP/caisse.txt" || {
	diff "$UI_TMP/till.txt" "$UI_TMP/caisse.txt" >&2
	ui_fail "the caisse does not hold the till's records"
}
[ "$(sqlite3 "$D/pos/journal.db" "SELECT seq FROM sync_ack")" = 8 ] || ui_fail "not all acknowledged"
a=$(sqlite3 "$D/caisse/caisse.db" "SELECT count(*) FROM card_anomaly")
[ "$a" = 0 ] || ui_fail "$a card anomalies at the caisse"
ui_journal verify --db "$D/pos/journal.db" --pubkey "$D/pos/terminal.pub" >"$UI_TMP/verify.txt" 2>&1 ||
	ui_fail "journal verify: $(cat "$UI_TMP/verify.txt")"
echo ok
