#!/bin/sh
# sync_settlement: after two terminals of one outlet synced, GET /v1/settlement gives the
# outlet's month as JSON and as CSV, matching what the terminals' journals hold; a terminal the
# caisse has no record of, and a bad period, get clear errors.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
mk_terminal t2 T-02
mk_terminal t3 T-03
start_caissed
syncd_ini t1
syncd_ini t2
# 2026-11-18 onwards, one sale a second, 1,50 EUR each by the card ("demo" outlet)
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales t1"
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 5 || fail "demo-sales t2"
syncd t1 --once || fail "sync t1"
syncd t2 --once || fail "sync t2"

# what the terminals' journals say the caisse owes
want=$(( $(sql "$T/t1.journal" "SELECT count(*) FROM journal WHERE kind = 'SALE'") * 150 + \
	$(sql "$T/t2.journal" "SELECT count(*) FROM journal WHERE kind = 'SALE'") * 150 ))
[ $want = 2550 ] || fail "journals: $want"

out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=202611")
echo "$out" | grep -q '^HTTP 200$' || fail "settlement: $out"
echo "$out" | grep -q '"outlet":"demo"' || fail "outlet: $out"
echo "$out" | grep -q "\"owed\":$want,\"period\":202611" || fail "total: $out"
echo "$out" | grep -q '"owed":1800,"refunds":0,"refunds_ssa":0,"sales":12,"sales_ssa":1800,"terminal":"T-01"' ||
	fail "T-01 line: $out"
echo "$out" | grep -q '"terminal":"T-02"' || fail "T-02 line: $out"
# the other terminal sees the same statement
[ "$(ccurl t2 "https://localhost:$PORT/v1/settlement?period=202611")" = "$out" ] ||
	fail "T-02 sees another statement"

out=$(ccurl t1 -H 'Accept: text/csv' "https://localhost:$PORT/v1/settlement?period=202611" | tr -d '\r')
printf '%s\n' "$out" | sed -n 1p | grep -q '^outlet,period,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed$' ||
	fail "csv header: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,T-01,12,18.00,0,0.00,0,0.00,18.00$' || fail "csv T-01: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,T-02,5,7.50,0,0.00,0,0.00,7.50$' || fail "csv T-02: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,total,,,,,,,25.50$' || fail "csv total: $out"

out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=202612")
echo "$out" | grep -q '"owed":0,"period":202612,"terminals":\[\]' || fail "empty month: $out"
out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=2026-11")
echo "$out" | grep -q '^HTTP 400$' || fail "bad period: $out"
echo "$out" | grep -q 'YYYYMM' || fail "bad period message: $out"
out=$(ccurl t3 "https://localhost:$PORT/v1/settlement?period=202611")
echo "$out" | grep -q '^HTTP 404$' || fail "unknown terminal: $out"
echo "$out" | grep -q 'no record of terminal T-03' || fail "unknown terminal message: $out"
echo ok
