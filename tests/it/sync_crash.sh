#!/bin/sh
# sync_crash: ssa-syncd stopped at every durable step of a sync (SSA_CRASH_AFTER=N, isync's
# way) and restarted, then the caisse killed -9 in the middle of batches: in the end the caisse
# holds every record exactly once, the terminal has them all acknowledged, and one more run
# changes nothing.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
SYNC_BATCH=7 syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 20 || fail "demo-sales"

check_once() { # the caisse never holds a record twice, and holds what is acknowledged
	r=$(sql "$T/caisse.db" "SELECT count(*) || '|' || count(DISTINCT seq) || '|' || ifnull(max(seq), 0) FROM journal WHERE terminal = 'T-01'")
	n=${r%%|*}
	[ "$r" = "$n|$n|$n" ] || fail "caisse holds $r (count|distinct|max)"
	a=$(sql "$T/t1.journal" "SELECT ifnull(max(seq), 0) FROM sync_ack")
	[ "${a:-0}" -le "$n" ] || fail "acknowledged $a but the caisse holds $n"
}

cp "$T/t1.journal" "$T/t1.journal.orig"
n=1
while :; do
	[ $n -gt 100 ] && fail "no complete run in 100 steps"
	# the same starting point for every N: a fresh caisse and the original journal
	stop_caissed
	rm -f "$T/caisse.db" "$T/caisse.db-wal" "$T/caisse.db-shm" "$T/t1.journal-wal" \
		"$T/t1.journal-shm" "$T/t1.state"
	cp "$T/t1.journal.orig" "$T/t1.journal"
	start_caissed
	syncd_ini t1
	SSA_CRASH_AFTER=$n syncd t1 --once
	st=$?
	check_once
	[ $st = 0 ] && break
	[ $st = 100 ] || fail "step $n: exit $st"
	syncd t1 --once || fail "resumed run after a crash at step $n: exit $?"
	check_once
	[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 20 ] ||
		fail "crash at step $n: not all acknowledged after resuming"
	status t1 | grep -q '"last_seq":20,"records":20' || fail "crash at step $n: status"
	n=$((n + 1))
done
[ $n -gt 6 ] || fail "only $((n - 1)) crash points"
echo "crash points: $((n - 1))"
: >"$T/syncd.log"
syncd t1 --once || fail "run after the crash loop"
grep -q '0 records sent' "$T/syncd.log" || fail "run after the crash loop sent records"

# the caisse killed -9 while batches arrive, in a bounded loop; whatever the moment, once it
# is back a sync completes and nothing is doubled
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 300 || fail "demo-sales 2"
SYNC_BATCH=10 syncd_ini t1
for i in 1 2 3 4 5; do
	syncd t1 --once &
	spid=$!
	sleep 0.$i
	kill -9 "$CAISSED_PID"
	wait "$CAISSED_PID" 2>/dev/null
	CAISSED_PID=""
	wait $spid
	st=$?
	[ $st = 0 ] || [ $st = 75 ] || fail "sync with the caisse killed: exit $st"
	start_caissed
	syncd_ini t1
	check_once
done
syncd t1 --once || fail "final sync"
check_once
status t1 | grep -q '"last_seq":320,"records":320' || fail "final status: $(status t1)"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 320 ] || fail "not all acknowledged"
echo ok
