#!/bin/sh
# sync_settlement: the settlement is keyed by the outlet each terminal is attached to at the
# caisse (ssa-admin outlet attach) when it pushes, never by the establishment its records name.
# After two terminals of outlet "demo" synced, GET /v1/settlement gives the outlet's month as
# JSON and as CSV, matching what the terminals' journals hold and ssa-admin caisse settlement
# (one implementation, io/caisse_books.c).  A terminal attached to another outlet whose records
# still say "demo" is settled for its own outlet (and the caisse is told); a terminal moved to
# another outlet keeps its earlier records where they were pushed; a terminal attached to no
# outlet gets no statement and its records are reported unsettled; a bad period is refused.
. tests/it/sync_common.inc

sync_pki
for n in 1 2 3 4; do mk_terminal t$n T-0$n; done
start_caissed
for n in 1 2 3 4; do syncd_ini t$n; done
A() { timeout 30 "$B/ssa-admin" "$@" --db "$T/caisse.db"; }
A outlet add demo "Épicerie démo" >/dev/null || fail "outlet add demo"
A outlet add epicerie-2 "Épicerie du port" >/dev/null || fail "outlet add epicerie-2"
A outlet attach demo T-01 T-02 >/dev/null || fail "attach demo"
A outlet attach epicerie-2 T-03 >/dev/null || fail "attach epicerie-2"
# 2026-11-18 onwards, one sale a second, 1,50 EUR each by the card, every record naming "demo"
D="$B/ssa-admin terminal demo-sales"
$D "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales t1"
$D "$T/t2.journal" "$T/t2.jkey" T-02 5 || fail "demo-sales t2"
$D "$T/t3.journal" "$T/t3.jkey" T-03 4 || fail "demo-sales t3"
$D "$T/t4.journal" "$T/t4.jkey" T-04 2 || fail "demo-sales t4"
for n in 1 2 3 4; do syncd t$n --once || fail "sync t$n"; done

# what the terminals' journals say the caisse owes outlet demo (T-01 and T-02)
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
echo "$out" | grep -q '"terminal":"T-03"' && fail "T-03 claims demo's money: $out"
# the other terminal sees the same statement
[ "$(ccurl t2 "https://localhost:$PORT/v1/settlement?period=202611")" = "$out" ] ||
	fail "T-02 sees another statement"
# T-03's records name "demo": settled for epicerie-2, where it is attached, and the caisse is told
out3=$(ccurl t3 "https://localhost:$PORT/v1/settlement?period=202611")
echo "$out3" | grep -q '"outlet":"epicerie-2"' || fail "T-03's outlet: $out3"
echo "$out3" | grep -q '"owed":600,"period":202611' || fail "T-03's total: $out3"
grep -q 'T-03: 4 records name another establishment than its outlet epicerie-2' "$T/caissed.log" ||
	fail "no warning at the push"

out=$(ccurl t1 -H 'Accept: text/csv' "https://localhost:$PORT/v1/settlement?period=202611" | tr -d '\r')
printf '%s\n' "$out" | sed -n 1p | grep -q '^outlet,period,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed$' ||
	fail "csv header: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,T-01,12,18.00,0,0.00,0,0.00,18.00$' || fail "csv T-01: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,T-02,5,7.50,0,0.00,0,0.00,7.50$' || fail "csv T-02: $out"
printf '%s\n' "$out" | grep -q '^demo,202611,total,,,,,,,25.50$' || fail "csv total: $out"

# ssa-admin caisse settlement is the same settlement: every outlet, T-03 under its own, T-04
# (attached to none) not settled and reported
A caisse settlement --caisse caisse-test --period 202611 >"$T/adm.csv" 2>"$T/adm.err" || fail "ssa-admin settlement"
cat >"$T/want.csv" <<'W'
period,establishment,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed
202611,demo,T-01,12,18.00,0,0.00,0,0.00,18.00
202611,demo,T-02,5,7.50,0,0.00,0,0.00,7.50
202611,demo,*,17,25.50,0,0.00,0,0.00,25.50
202611,epicerie-2,T-03,4,6.00,0,0.00,0,0.00,6.00
202611,epicerie-2,*,4,6.00,0,0.00,0,0.00,6.00
W
tr -d '\r' <"$T/adm.csv" | cmp -s - "$T/want.csv" || fail "ssa-admin: $(cat "$T/adm.csv")"
grep -q "terminal T-03: 4 records (1 to 4) name establishment 'demo' but were pushed while it was attached to outlet epicerie-2" "$T/adm.err" ||
	fail "ssa-admin does not tell: $(cat "$T/adm.err")"
grep -q '2 records with an SSA tender are not settled' "$T/adm.err" || fail "T-04: $(cat "$T/adm.err")"
out=$(ccurl t4 "https://localhost:$PORT/v1/settlement?period=202611")
echo "$out" | grep -q '^HTTP 404$' || fail "unattached terminal: $out"
echo "$out" | grep -q 'T-04 is attached to no outlet' || fail "unattached terminal message: $out"

# T-02 moves to epicerie-2: its 5 pushed sales stay demo's, the 3 it pushes now are epicerie-2's
A outlet attach epicerie-2 T-02 >/dev/null || fail "move T-02"
$D "$T/t2.journal" "$T/t2.jkey" T-02 3 || fail "demo-sales t2 after the move"
syncd t2 --once || fail "sync t2 after the move"
A caisse settlement --caisse caisse-test --period 202611 2>/dev/null | tr -d '\r' >"$T/adm.csv" || fail "settlement after the move"
grep -q '^202611,demo,T-02,5,7.50,0,0.00,0,0.00,7.50$' "$T/adm.csv" || fail "T-02 at demo: $(cat "$T/adm.csv")"
grep -q '^202611,epicerie-2,T-02,3,4.50,0,0.00,0,0.00,4.50$' "$T/adm.csv" || fail "T-02 moved: $(cat "$T/adm.csv")"
ccurl t2 "https://localhost:$PORT/v1/settlement?period=202611" | grep -q '"outlet":"epicerie-2","owed":1050,' ||
	fail "T-02's statement after the move: $(ccurl t2 "https://localhost:$PORT/v1/settlement?period=202611")"
# T-04 attached after its push: its records go to the outlet it has now
A outlet attach demo T-04 >/dev/null || fail "attach T-04"
A caisse settlement --caisse caisse-test --period 202611 --outlet demo 2>"$T/adm.err" | tr -d '\r' | grep -q '^202611,demo,\*,19,28.50,' ||
	fail "T-04 attached later: $(A caisse settlement --caisse caisse-test --period 202611 --outlet demo)"
[ ! -s "$T/adm.err" ] || fail "messages: $(cat "$T/adm.err")"

out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=202612")
echo "$out" | grep -q '"owed":0,"period":202612,"terminals":\[\]' || fail "empty month: $out"
out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=2026-11")
echo "$out" | grep -q '^HTTP 400$' || fail "bad period: $out"
echo "$out" | grep -q 'YYYYMM' || fail "bad period message: $out"
echo ok
