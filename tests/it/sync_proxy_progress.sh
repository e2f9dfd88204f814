#!/bin/sh
# sync_proxy_progress: a long transfer logs its progress, at most once a second.  ssa-faultproxy
# slows every chunk of the terminal's upload (300..600 ms each, deterministic lower bound of
# several seconds); ssa-syncd logs "sent X of Y bytes" lines while the batch is under way, a
# "done in" line at the end, and never more lines than seconds elapsed.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 400 || fail "demo-sales"

# --foreground: the stop is one SIGTERM to the proxy alone (see sync_proxy.sh)
timeout --foreground 120 "$B/ssa-faultproxy" -l 0 -P "$T/pport" -u "$PORT" -s 1 -r 1000 -n 1 -k delay \
	-d 600 --dir c2s >>"$T/proxy.log" 2>&1 &
PROXY_PID=$!
CLEAN_PIDS=$PROXY_PID
i=0
while [ ! -s "$T/pport" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "ssa-faultproxy did not start: $(cat "$T/proxy.log")"
	sleep 0.1
done
SYNC_BATCH=400 syncd_ini t1 "https://localhost:$(cat "$T/pport")"
t0=$(date +%s)
syncd t1 --once || fail "sync through the slow proxy: exit $?"
t1=$(date +%s)
grep -q 'fault delay' "$T/proxy.log" || fail "the proxy did not slow the connection: $(cat "$T/proxy.log")"
n=$(grep -c '/v1/journal[^:]*: sent [0-9]* of [0-9]* bytes, received' "$T/syncd.log")
[ "$n" -ge 1 ] || fail "no progress line for a transfer of $((t1 - t0)) s: $(cat "$T/syncd.log")"
[ "$n" -le $((t1 - t0 + 1)) ] || fail "$n progress lines in $((t1 - t0)) s"
grep -q '/v1/journal[^:]*: done in [0-9]* s' "$T/syncd.log" || fail "no final line"
grep -q 'acknowledged up to 400' "$T/syncd.log" || fail "not all acknowledged"
echo "$n progress lines in $((t1 - t0)) s"

# the proxy stops (bounded), its threads joined, with no leak under ASan (LeakSanitizer would
# make the exit status non-zero)
kill "$PROXY_PID"
i=0
while kill -0 "$PROXY_PID" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "ssa-faultproxy did not stop in 30 s: $(tail -5 "$T/proxy.log")"
	sleep 0.1
done
wait "$PROXY_PID"
st=$?
[ $st = 0 ] || fail "ssa-faultproxy exit $st: $(tail -20 "$T/proxy.log")"
grep -q 'stopped after [0-9]* connections' "$T/proxy.log" || fail "proxy log: $(tail -3 "$T/proxy.log")"
echo ok
