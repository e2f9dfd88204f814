#!/bin/sh
# sync_ledger: cards spent at two outlets offline.  T-01 and T-02 sell the same demo cards from
# the same balances without talking to each other; when both have synced, the caisse's card
# ledger finds every sale of T-02 whose balance before is not what T-01 left on the card, and
# `ssa-caissed -a` lists them for the caisse.  A terminal alone raises none.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
mk_terminal t2 T-02
start_caissed
syncd_ini t1
syncd_ini t2
# T-01: 130 sales, cards demo-card-0..99, cards 0..29 twice; T-02: 5 sales, cards 0..4
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 100 || fail "demo-sales t1"
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 30 || fail "demo-sales t1 b"
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 5 1795500000000 ||
	fail "demo-sales t2"
syncd t1 --once || fail "sync t1"
"$B/ssa-caissed" -c "$T/caissed.ini" -a >"$T/anomalies.csv" || fail "ssa-caissed -a"
[ "$(wc -l <"$T/anomalies.csv")" = 1 ] || fail "anomalies after one terminal: $(cat "$T/anomalies.csv")"
syncd t2 --once || fail "sync t2"
"$B/ssa-caissed" -c "$T/caissed.ini" -a | tr -d '\r' >"$T/anomalies.csv" || fail "ssa-caissed -a"
[ "$(sed -n 1p "$T/anomalies.csv")" = "card,terminal,seq,ledger_balance,record_balance_before,time_ms" ] ||
	fail "header: $(sed -n 1p "$T/anomalies.csv")"
[ "$(wc -l <"$T/anomalies.csv")" = 6 ] || fail "anomalies: $(cat "$T/anomalies.csv")"
# card 0: T-01 took it from 1000.00 to 998.50 then 997.00; T-02 started again from 1000.00
grep -q '^demo-card-0,T-02,1,997.00,1000.00,1795500000000$' "$T/anomalies.csv" ||
	fail "card 0: $(cat "$T/anomalies.csv")"
grep -q '^demo-card-4,T-02,5,997.00,1000.00,' "$T/anomalies.csv" || fail "card 4"
[ "$(grep -c ',T-01,' "$T/anomalies.csv")" = 0 ] || fail "T-01 flagged"
# a sync again changes nothing
syncd t1 --once && syncd t2 --once || fail "second syncs"
[ "$("$B/ssa-caissed" -c "$T/caissed.ini" -a | wc -l)" = 6 ] || fail "anomalies doubled"
echo ok
