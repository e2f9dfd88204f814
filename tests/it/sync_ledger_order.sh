#!/bin/sh
# sync_ledger_order: the caisse's card ledger does not depend on the order terminals sync in.
# Card 0 goes 1000.00 -> 998.50 at T-01, then 998.50 -> 997.00 at T-02 (whose clock is a day
# behind); T-02 syncs first, then T-01: no anomaly.  Cards 1 and 2 are spent twice from 1000.00
# (T-03 and T-04, T-04 and T-05): a double spend whichever sale arrives first.
. tests/it/sync_common.inc

sync_pki
for n in 1 2 3 4 5; do mk_terminal t$n T-0$n; done
start_caissed
for n in 1 2 3 4 5; do syncd_ini t$n; done
D="$B/ssa-admin terminal demo-sales"
# demo sale number N: card N mod 100, balance 1000.00 - 1.50 * (N / 100)
$D "$T/t1.journal" "$T/t1.jkey" T-01 1 1795000000000 0 || fail "demo-sales t1"
$D "$T/t2.journal" "$T/t2.jkey" T-02 1 1794900000000 100 || fail "demo-sales t2"
$D "$T/t3.journal" "$T/t3.jkey" T-03 1 1795000000000 1 || fail "demo-sales t3"
$D "$T/t4.journal" "$T/t4.jkey" T-04 2 1795100000000 1 || fail "demo-sales t4"
$D "$T/t5.journal" "$T/t5.jkey" T-05 1 1794000000000 2 || fail "demo-sales t5"

anomalies() {
	"$B/ssa-caissed" -c "$T/caissed.ini" -a | tr -d '\r' | sed 1d >"$T/anomalies.csv" ||
		fail "ssa-caissed -a"
}
syncd t2 --once || fail "sync t2"
anomalies
[ ! -s "$T/anomalies.csv" ] || fail "after T-02: $(cat "$T/anomalies.csv")"
syncd t1 --once || fail "sync t1"
anomalies
[ ! -s "$T/anomalies.csv" ] || fail "card 0 spent in turn at T-01 then T-02: $(cat "$T/anomalies.csv")"
[ "$(sql "$T/caisse.db" "SELECT balance, terminal, seq FROM card_ledger WHERE card = 'demo-card-0'")" = "99700|T-02|1" ] ||
	fail "card 0 ledger: $(sql "$T/caisse.db" "SELECT * FROM card_ledger")"

# card 1: T-03 (earlier) syncs first; card 2: T-05 (earlier) syncs first; T-04 spends both again
syncd t3 --once && syncd t5 --once || fail "sync t3, t5"
anomalies
[ ! -s "$T/anomalies.csv" ] || fail "one spend each: $(cat "$T/anomalies.csv")"
syncd t4 --once || fail "sync t4"
anomalies
[ "$(wc -l <"$T/anomalies.csv")" = 2 ] || fail "double spends: $(cat "$T/anomalies.csv")"
grep -q '^demo-card-1,T-04,1,998.50,1000.00,1795100000000$' "$T/anomalies.csv" ||
	fail "card 1: $(cat "$T/anomalies.csv")"
grep -q '^demo-card-2,T-04,2,998.50,1000.00,1795100001000$' "$T/anomalies.csv" ||
	fail "card 2: $(cat "$T/anomalies.csv")"
# a second sync changes nothing; ssa-admin shows the same table
for n in 1 2 3 4 5; do syncd t$n --once || fail "second sync t$n"; done
anomalies
[ "$(wc -l <"$T/anomalies.csv")" = 2 ] || fail "anomalies after resync: $(cat "$T/anomalies.csv")"
[ "$("$B/ssa-admin" caisse anomalies --db "$T/caisse.db" | grep -c '^demo-card-')" = 2 ] ||
	fail "ssa-admin caisse anomalies"
echo ok
