#!/bin/sh
# ssa-admin caisse: what the terminals sent, from the caisse's database after real syncs over
# mutual TLS.  The settlement of a month as CSV (lib/settlement.c) matches the terminals'
# journals and the outlet's statement the server gives (GET /v1/settlement); records of another
# month are not in it; a terminal's daily closing (pushed as a journal record) is listed with its
# totals; the cards both terminals sold from the same balances are listed as anomalies, and
# every card's ledger rebuilt with lib/ledger.c (from the server's opening, with the caisse's
# grant batches) flags them as spent twice, as the server did.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
mk_terminal t2 T-02
start_caissed
syncd_ini t1
syncd_ini t2
adm="$B/ssa-admin"
A() { timeout 30 "$adm" caisse "$@" --db "$T/caisse.db"; }
# both terminals belong to outlet "demo" (the settlement's key; the demo records name it too)
"$adm" outlet add demo "Épicerie démo" --db "$T/caisse.db" >/dev/null || fail "outlet add"
"$adm" outlet attach demo T-01 T-02 --db "$T/caisse.db" >/dev/null || fail "outlet attach"
# November 2026 (the demo sales' default start), and three sales of T-02 in December
"$adm" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales t1"
"$adm" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 5 || fail "demo-sales t2"
dec=$(( $(date -u -d 2026-12-05 +%s) * 1000 ))
"$adm" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 3 "$dec" || fail "demo-sales t2 dec"
"$adm" journal close --db "$T/t1.journal" --key "$T/t1.jkey" --kind z --period 20261118 \
	--establishment demo --terminal T-01 >/dev/null || fail "journal close"
syncd t1 --once || fail "sync t1"
syncd t2 --once || fail "sync t2"

A settlement --caisse caisse-test --period 202611 >"$T/nov.csv" || fail "settlement"
cat >"$T/want" <<'W'
period,establishment,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed
202611,demo,T-01,12,18.00,0,0.00,0,0.00,18.00
202611,demo,T-02,5,7.50,0,0.00,0,0.00,7.50
202611,demo,*,17,25.50,0,0.00,0,0.00,25.50
W
tr -d '\r' <"$T/nov.csv" | cmp -s - "$T/want" || fail "November: $(cat "$T/nov.csv")"
# the same as the journals hold and as the server tells the outlet
want=$(( $(sql "$T/t1.journal" "SELECT count(*) FROM journal WHERE kind = 'SALE'") * 150 + \
	5 * 150 ))
[ "$want" = 2550 ] || fail "journals: $want"
ccurl t1 "https://localhost:$PORT/v1/settlement?period=202611" | grep -q "\"owed\":$want,\"period\":202611" ||
	fail "the server's statement differs"
A settlement --caisse caisse-test --period 202612 | tr -d '\r' | grep -q '^202612,demo,\*,3,4.50,0,0.00,0,0.00,4.50$' ||
	fail "December"
A settlement --caisse caisse-test --period 202611 --separator ';' | tr -d '\r' | grep -q '^202611;demo;T-01;12;18.00;' ||
	fail "separator"
[ "$(A settlement --caisse caisse-test --period 202611 --outlet elsewhere | wc -l)" = 1 ] || fail "another outlet"
A settlement --caisse caisse-test --period 202610 | grep -q ',demo,' && fail "October has no sales"
A settlement --caisse caisse-test --period 2026 >/dev/null 2>&1 && fail "a bad period"
A settlement --caisse caisse-test --period 202611 --separator x >/dev/null 2>&1 && fail "a bad separator"

A closings >"$T/closings.csv" || fail "closings"
[ "$(wc -l <"$T/closings.csv")" = 2 ] || fail "closings: $(cat "$T/closings.csv")"
grep -q '^T-01,demo,13,CLOSING_Z,20261118,1,1,12,18.00,18.00,18.00$' "$T/closings.csv" ||
	fail "the Z: $(cat "$T/closings.csv")"
[ "$(A closings --terminal T-02 | wc -l)" = 1 ] || fail "T-02 has no closing"
A closings --terminal 'T 01' >/dev/null 2>&1 && fail "a bad terminal id"
# T-02 sold demo cards 0..7 from the balance T-01 had already spent them from
A anomalies >"$T/anomalies.csv" || fail "anomalies"
[ "$(wc -l <"$T/anomalies.csv")" = 9 ] || fail "anomalies: $(cat "$T/anomalies.csv")"
grep -q '^demo-card-0,T-02,1,998.50,1000.00,1795000000000$' "$T/anomalies.csv" || fail "card 0"
grep -q ',T-01,' "$T/anomalies.csv" && fail "T-01 flagged"
# every card's ledger rebuilt by lib/ledger.c, from the balance the card's story starts at as
# the server does (the demo cards were issued with 1 000 EUR: the same as --opening 1000)
A ledger --caisse caisse-test >"$T/ledger.csv" || fail "ledger"
[ "$(wc -l <"$T/ledger.csv")" = 13 ] || fail "ledger: $(cat "$T/ledger.csv")"
grep -q '^demo-card-0,2,997.00,998.50,flagged,DOUBLE_SPEND T-02/1$' "$T/ledger.csv" || fail "card 0 ledger"
grep -q '^demo-card-9,1,998.50,998.50,ok,$' "$T/ledger.csv" || fail "card 9 ledger"
[ "$(grep -c ',flagged,DOUBLE_SPEND T-02/' "$T/ledger.csv")" = 8 ] || fail "double spends"
A ledger --caisse caisse-test --opening 1000 | cmp -s - "$T/ledger.csv" || fail "--opening 1000 differs"
# the balance anomalies it prints are the ones the server stored at the pushes, one for one
sed 1d "$T/anomalies.csv" | tr -d '\r' | while IFS=, read -r card term seq rest; do
	grep -q "^$card,.*[A-Z_]* $term/$seq\( \|\$\)" "$T/ledger.csv" || fail "server's $card $term/$seq"
done || exit 1
[ "$(grep -o '\(GAP\|EXCESS\|DOUBLE_SPEND\) [^ ,]*' "$T/ledger.csv" | wc -l)" = \
	"$(sed 1d "$T/anomalies.csv" | wc -l)" ] || fail "ledger and anomalies differ"
# a card issued empty that spends: more than the caisse granted
A ledger --caisse caisse-test --card demo-card-8 --opening 0 |
	grep -q '^demo-card-8,1,-1.50,998.50,flagged,EXCESS T-01/9 OVERDRAWN T-01/9$' ||
	fail "card 8 issued empty"
# with the caisse's grant batches stored (household rules, grant make): loaded, the same
# ledgers for cards without reloads; a stored batch that does not parse is an error, not an
# empty book
caisse_admin_ini
G() { timeout 30 "$adm" -c "$T/admin.ini" "$@"; }
G household add 00000000000000a1 >/dev/null && G member add 00000000000000b1 --household 00000000000000a1 \
	--birth 1980-04-02 --card 1122334455667788 >/dev/null || fail "member"
G grant make --period 202611 --policy rollover:50 >/dev/null || fail "grant make"
A ledger --caisse caisse-test | cmp -s - "$T/ledger.csv" || fail "ledger with a grant batch: $(A ledger --caisse caisse-test)"
sql "$T/caisse.db" "UPDATE grant_batch SET text = 'garbage'" || fail "break the batch"
A ledger --caisse caisse-test >"$T/out" 2>"$T/err" && fail "a broken batch was read"
grep -q 'grant batch' "$T/err" || fail "broken batch: $(cat "$T/err")"
A ledger --caisse caisse-test --opening -5 >/dev/null 2>&1 && fail "a negative opening"
A ledger --caisse caisse-test --policy keep >/dev/null 2>&1 && fail "a bad policy"
echo ok
