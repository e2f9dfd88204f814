#!/bin/sh
# sync_daemon: ssa-syncd as a daemon — the caisse down at first (retries with backoff, logged),
# then up: the journal arrives; new sales arrive at the next period; SIGTERM stops it with status
# 0.  A configured proxy is used (an unreachable one makes --once fail with 75).
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 9 || fail "demo-sales"

# the proxy setting is honoured: through a proxy that does not exist, nothing goes
start_caissed
SYNC_PROXY=http://127.0.0.1:9 syncd_ini t1
syncd t1 --once
st=$?
[ $st = 75 ] || fail "through a dead proxy: exit $st, want 75"
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM journal")" = 0 ] || fail "went around the proxy"
stop_caissed

# daemon, caisse down: it retries (retry_min 1 s, retry_max 2 s)
SYNC_INTERVAL=1 syncd_ini t1 "https://localhost:$PORT"
: >"$T/syncd.log"
timeout 300 "$B/ssa-syncd" -f -c "$T/t1.ini" >>"$T/syncd.log" 2>&1 &
dpid=$!
CLEAN_PIDS=$dpid
i=0
until grep -q 'next try in' "$T/syncd.log"; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "no retry logged"
	kill -0 $dpid 2>/dev/null || fail "daemon exited: $(cat "$T/syncd.log")"
	sleep 0.1
done
# the caisse comes up on the same port
sed -i "s/^port = 0$/port = $PORT/" "$T/caissed.ini" 2>/dev/null
rm -f "$T/port"
"$B/ssa-caissed" -f -c "$T/caissed.ini" >>"$T/caissed.log" 2>&1 &
CAISSED_PID=$!
i=0
until status t1 2>/dev/null | grep -q '"last_seq":9'; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "daemon did not push after the caisse came up: $(tail -5 "$T/syncd.log")"
	kill -0 $dpid 2>/dev/null || fail "daemon exited"
	sleep 0.1
done
# new sales go at a next period
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 2 1796000000000 ||
	fail "demo-sales 2"
i=0
until status t1 2>/dev/null | grep -q '"last_seq":11'; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "daemon did not push new sales"
	sleep 0.1
done
kill -TERM $dpid
wait $dpid
st=$?
[ $st = 0 ] || fail "daemon exit status after SIGTERM: $st"
grep -q 'signal 15: stopping' "$T/syncd.log" || fail "no stop logged"
echo ok
