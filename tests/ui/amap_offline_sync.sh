#!/bin/sh
# "Fully offline on a laptop with a USB reader; sync later": the demo's chain (tools/demo.sh
# setup: ssa-caissed over mutual TLS on 127.0.0.1, ssa-cardsim and its food cards issued by
# ssa-admin).  At the shop, online, a sync brings the caisse's new list, which pays the Légumes
# contract of AMAP distributions from the card (category amap-legumes).  Then the laptop goes
# to the distribution: the caisse is out of reach (stopped) and no ssa-syncd runs; the real
# ssa-pos in tmux takes the pickups, the cards paying the vegetable baskets (Marie and Léa get
# this month's grant at their first tap), the eggs only recorded; F12, the till stopped.  Back
# online, ssa-syncd runs once against the caisse: every record is there byte for byte, the
# caisse's settlement counts the three baskets paid by card and each card's ledger is sound;
# running ssa-syncd again changes nothing at the caisse.  The month's statement is then written.
. tests/ui/lib.sh

D="$UI_TMP/demo"
B="$UI_TOP/$SSA_BUILD"
trap 'ui_demo_stop; ui_cleanup' EXIT
admin() { timeout 60 "$B/ssa-admin" -c "$D/caisse/ssa-admin.ini" "$@"; }
syncd_once() { SSA_LOG=stderr timeout 120 "$B/ssa-syncd" -f --once -c "$D/ssa-syncd.ini" >>"$UI_TMP/syncd.log" 2>&1; }
card() { # NAME | off
	ui_demo card "$1" >"$UI_TMP/card.out" 2>&1 || ui_fail "demo card $1: $(cat "$UI_TMP/card.out")"
}

ui_demo setup >"$UI_TMP/setup.log" 2>&1 || {
	cat "$UI_TMP/setup.log" >&2
	ui_fail "demo setup"
}
kill "$(cat "$D/syncd.pid")" 2>/dev/null
rm -f "$D/syncd.pid"

# At the shop: version 2 of the caisse's list pays the Légumes contract from the card.
{
	sed 's/^version,1$/version,2/' "$UI_TOP/config/demo/list-caisse-34.txt"
	echo "category,amap-legumes,100,,,,"
} >"$UI_TMP/list2.txt"
timeout 60 "$B/ssa-admin" list sign "$D/caisse/list.key" "$UI_TMP/list2.txt" "$UI_TMP/list2.signed" \
	>/dev/null 2>&1 || ui_fail "list sign"
admin list publish "$UI_TMP/list2.signed" >/dev/null 2>&1 || ui_fail "list publish"
syncd_once || ui_fail "sync at the shop: $(tail -5 "$UI_TMP/syncd.log")"

# The distribution: the caisse out of reach from now on.
kill "$(cat "$D/caissed.pid")"
rm -f "$D/caissed.pid"
csv="$UI_TMP/amap-$(date +%Y-%m-%d).csv"
cat >"$csv" <<-EOF
	userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;fees;total;paid;Carte SSA
	1;DUPONT Marie;Panier G;;Légumes;1;1;12,00;1;0;12,00;1;0000000000000001
	1;DUPONT Marie;Oeufs x6;;Oeufs;2;1;3,00;1;0;3,00;1;0000000000000001
	2;MARTIN Paul;Panier P;;Légumes;1;1;6,00;1;0;6,00;1;0000000000000002
	3;DURAND Léa;Panier M;;Légumes;1;1;9,00;1;0;9,00;1;0000000000000003
	4;PETIT Jean;Panier M;;Légumes;1;1;9,00;1;0;9,00;1;
EOF
UI_CONF="$D/ssa-pos.ini"
ui_start -- --amap "$csv"
ui_sign_in 42
ui_wait_text "4 foyers, 0 venus, 4 attendus"
card marie
ui_wait_text "12,00 € payés par la carte. DUPONT Marie : récupéré."
card off
ui_wait_gone "sur le lecteur"
card paul
ui_wait_text "6,00 € payés par la carte. MARTIN Paul : récupéré."
card off
ui_wait_gone "sur le lecteur"
card lea
ui_wait_text "9,00 € payés par la carte. DURAND Léa : récupéré."
card off
ui_wait_gone "sur le lecteur"
# a household without a card, by name: only recorded
ui_type "petit"
ui_keys Enter
ui_wait_text "PETIT Jean: récupéré."
ui_wait_text "4 foyers, 4 venus, 0 attendus"
ui_keys F12
ui_wait_text "Écrits :"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop

# Offline, nothing reached the caisse: its journal has none of the till's records.
n=$(sqlite3 "$D/caisse/caisse.db" "SELECT count(*) FROM journal WHERE terminal = 'T01'")
[ "$n" = 0 ] || ui_fail "$n records at the caisse before the sync"
kinds=$(sqlite3 "$D/pos/journal.db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM journal ORDER BY seq)")
[ "$kinds" = "RELOAD SALE SALE RELOAD SALE" ] || ui_fail "the till's records: $kinds"

# Back online, later: the caisse again (another port), one run of ssa-syncd.
rm -f "$D/caisse/port"
SSA_LOG=stderr "$B/ssa-caissed" -f -c "$D/caisse/ssa-caissed.ini" >>"$UI_TMP/caissed.log" 2>&1 &
echo $! >"$D/caissed.pid"
i=0
until [ -s "$D/caisse/port" ]; do
	i=$((i + 1))
	[ $i -le 150 ] || ui_fail "ssa-caissed did not start again: $(tail -5 "$UI_TMP/caissed.log")"
	sleep 0.1
done
sed -i "s|^url = .*|url = https://127.0.0.1:$(cat "$D/caisse/port")|" "$D/ssa-syncd.ini"
syncd_once || ui_fail "sync after the distribution: $(tail -5 "$UI_TMP/syncd.log")"

# every record of the till at the caisse, with the till's hash, acknowledged
sqlite3 "$D/pos/journal.db" "SELECT seq, hex(hash) FROM journal ORDER BY seq" >"$UI_TMP/till.txt"
sqlite3 "$D/caisse/caisse.db" \
	"SELECT seq, hex(hash) FROM journal WHERE terminal = 'T01' ORDER BY seq" >"$UI_TMP/caisse.txt"
[ "$(wc -l <"$UI_TMP/till.txt")" = 5 ] || ui_fail "5 records at the till"
cmp -s "$UI_TMP/till.txt" "$UI_TMP/caisse.txt" || {
	diff "$UI_TMP/till.txt" "$UI_TMP/caisse.txt" >&2
	ui_fail "the caisse does not hold the till's records"
}
[ "$(sqlite3 "$D/pos/journal.db" "SELECT seq FROM sync_ack")" = 5 ] || ui_fail "not all acknowledged"
[ "$(sqlite3 "$D/caisse/caisse.db" "SELECT count(*) FROM card_anomaly")" = 0 ] ||
	ui_fail "card anomalies at the caisse"

# The caisse's settlement: three sales, the baskets paid by the cards (12 + 6 + 9 = 27,00).
period=$(date -u +%Y%m)
admin caisse settlement --period "$period" >"$UI_TMP/settle.csv" 2>"$UI_TMP/settle.err" ||
	ui_fail "settlement: $(cat "$UI_TMP/settle.err")"
tr -d '\r' <"$UI_TMP/settle.csv" >"$UI_TMP/settle1.csv"
grep -q "^$period,epicerie-demo,T01,3,27.00,0,0.00,0,0.00,27.00$" "$UI_TMP/settle1.csv" ||
	{ cat "$UI_TMP/settle1.csv" >&2; ui_fail "the settlement of T01"; }
# the SALE records the caisse holds are the AMAP baskets the cards paid: the vegetables only
sqlite3 "$D/caisse/caisse.db" "SELECT json_extract(data, '$.card'), json_array_length(data, '$.lines'),
	json_extract(data, '$.lines[0].cat'), json_extract(data, '$.lines[0].name'),
	json_extract(data, '$.lines[0].paid_ssa'), json_extract(data, '$.op')
	FROM journal WHERE terminal = 'T01' AND kind = 'SALE' ORDER BY seq" >"$UI_TMP/sales.txt"
cat >"$UI_TMP/want-sales.txt" <<-EOF
	0000000000000001|1|amap-legumes|Légumes Panier G|1200|42
	0000000000000002|1|amap-legumes|Légumes Panier P|600|42
	0000000000000003|1|amap-legumes|Légumes Panier M|900|42
EOF
diff -u "$UI_TMP/want-sales.txt" "$UI_TMP/sales.txt" || ui_fail "the AMAP sales at the caisse"
# each card's ledger at the caisse: its books agree with what the card said after its basket
admin caisse ledger >"$UI_TMP/ledger1.txt" 2>&1 || ui_fail "ledger: $(cat "$UI_TMP/ledger1.txt")"
sqlite3 "$D/caisse/caisse.db" "SELECT json_extract(data, '$.card'), count(*),
	(SELECT json_extract(j2.data, '$.bal_after') FROM journal j2 WHERE j2.terminal = 'T01'
	 AND json_extract(j2.data, '$.card') = json_extract(j.data, '$.card') ORDER BY seq DESC LIMIT 1)
	FROM journal j WHERE terminal = 'T01' GROUP BY 1 ORDER BY 1" |
	awk -F'|' '{ b = sprintf("%d.%02d", $3 / 100, $3 % 100); print $1 "," $2 "," b "," b ",ok," }' \
	>"$UI_TMP/want-ledger.txt"
[ "$(wc -l <"$UI_TMP/want-ledger.txt")" = 3 ] || ui_fail "three cards"
grep -q "^0000000000000002,1,6.50,6.50,ok,$" "$UI_TMP/want-ledger.txt" || ui_fail "Paul: 12,50 - 6,00"
while read -r l; do
	grep -qx "$l" "$UI_TMP/ledger1.txt" || { cat "$UI_TMP/ledger1.txt" >&2; ui_fail "ledger line $l"; }
done <"$UI_TMP/want-ledger.txt"

# ssa-syncd again: nothing changes at the caisse
dump() {
	sqlite3 "$D/caisse/caisse.db" .dump >"$UI_TMP/$1"
}
dump caisse1.sql
syncd_once || ui_fail "second sync: $(tail -5 "$UI_TMP/syncd.log")"
dump caisse2.sql
cmp -s "$UI_TMP/caisse1.sql" "$UI_TMP/caisse2.sql" || {
	diff "$UI_TMP/caisse1.sql" "$UI_TMP/caisse2.sql" | head -20 >&2
	ui_fail "the second sync changed the caisse"
}
admin caisse settlement --period "$period" 2>/dev/null | tr -d '\r' >"$UI_TMP/settle2.csv"
cmp -s "$UI_TMP/settle1.csv" "$UI_TMP/settle2.csv" || ui_fail "the settlement changed"
admin caisse ledger >"$UI_TMP/ledger2.txt" 2>&1
cmp -s "$UI_TMP/ledger1.txt" "$UI_TMP/ledger2.txt" || ui_fail "the ledger changed"

# the month's statement: what the cards paid, what the caisse reimburses (Marie's eggs)
SSA_LOG=stderr "$B/ssa-pos" -c "$D/ssa-pos.ini" --amap-statement "$(date +%Y-%m)" \
	>"$UI_TMP/stmt.out" 2>&1 || ui_fail "monthly statement: $(cat "$UI_TMP/stmt.out")"
grep -q "3 member(s), 4 basket(s) from 1 statement file(s): 30.00 in all, 27.00 paid by card, 3.00 to reimburse" \
	"$UI_TMP/stmt.out" || ui_fail "monthly statement: $(cat "$UI_TMP/stmt.out")"
ui_journal verify --db "$D/pos/journal.db" --pubkey "$D/pos/terminal.pub" >"$UI_TMP/verify.txt" 2>&1 ||
	ui_fail "journal verify: $(cat "$UI_TMP/verify.txt")"
ui_demo_stop
exit 0
