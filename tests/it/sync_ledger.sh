#!/bin/sh
# sync_ledger: cards spent at two outlets offline.  T-01 and T-02 sell the same demo cards from
# the same balances without talking to each other; when both have synced, the caisse's card
# ledger finds every sale of T-02 whose balance before is not what T-01 left on the card, and
# `ssa-caissed -a` lists them for the caisse.  A terminal alone raises none.  The push's reply
# tells the terminal the card anomalies of the cards it brought records of (ssa-syncd keeps them
# in the spool's status for the till, and drops those the caisse cleared).
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
# the push reply told T-02 (docs/protocol.md): ssa-syncd keeps them in the spool's status for
# the till; T-01, which synced before T-02's sales arrived, has none
[ "$(spool_status t2 anomalies)" = 5 ] || fail "t2 status: $(cat "$T/t2.spool/status")"
grep -qx 'anomaly=demo-card-0 T-02 1 DOUBLE_SPEND 99700 100000 1795500000' "$T/t2.spool/status" ||
	fail "t2 status, card 0: $(cat "$T/t2.spool/status")"
[ "$(grep -c '^anomaly=demo-card-[0-4] T-02 [1-5] DOUBLE_SPEND 99700 100000 ' "$T/t2.spool/status")" = 5 ] ||
	fail "t2 status lines: $(cat "$T/t2.spool/status")"
[ "$(spool_status t1 anomalies)" = 0 ] || fail "t1 status: $(cat "$T/t1.spool/status")"
# a sync again changes nothing
syncd t1 --once && syncd t2 --once || fail "second syncs"
[ "$("$B/ssa-caissed" -c "$T/caissed.ini" -a | wc -l)" = 6 ] || fail "anomalies doubled"
[ "$(spool_status t2 anomalies)" = 5 ] || fail "t2 status after a second sync"

# Card 60 (demo sale N: card N mod 100, balance 1000.00 - 1.50 * (N / 100)): T-01 took it from
# 1000.00 to 998.50; T-02, whose clock is behind, sells it from 997.00: a card holding more than
# its story at T-01's record (EXCESS), which T-02 is told of, though the record is T-01's
D="$B/ssa-admin terminal demo-sales"
$D "$T/t2.journal" "$T/t2.jkey" T-02 1 1794000000000 260 || fail "demo-sales t2 card 60"
syncd t2 --once || fail "sync t2 card 60"
[ "$(spool_status t2 anomalies)" = 6 ] || fail "t2 status, card 60: $(cat "$T/t2.spool/status")"
grep -qx 'anomaly=demo-card-60 T-01 61 EXCESS 99550 100000 1795000060' "$T/t2.spool/status" ||
	fail "t2 status, card 60 line: $(cat "$T/t2.spool/status")"
# T-03's sale 998.50 -> 997.00 completes the card's story: the caisse clears the anomaly, and
# T-02 learns it at its next push of a record of that card
mk_terminal t3 T-03
syncd_ini t3
$D "$T/t3.journal" "$T/t3.jkey" T-03 1 1795200000000 160 || fail "demo-sales t3"
syncd t3 --once || fail "sync t3"
[ "$("$B/ssa-caissed" -c "$T/caissed.ini" -a | grep -c '^demo-card-60,')" = 0 ] ||
	fail "card 60 not cleared at the caisse"
[ "$(spool_status t3 anomalies)" = 0 ] || fail "t3 status: $(cat "$T/t3.spool/status")"
$D "$T/t2.journal" "$T/t2.jkey" T-02 1 1795600000000 360 || fail "demo-sales t2 card 60 again"
syncd t2 --once || fail "sync t2 card 60 again"
[ "$(spool_status t2 anomalies)" = 5 ] || fail "t2 status, card 60 cleared: $(cat "$T/t2.spool/status")"
grep -q '^anomaly=demo-card-60 ' "$T/t2.spool/status" && fail "card 60 still at T-02"
echo ok
