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

proxy_start "$T/proxy.log" -s 1 -r 1000 -n 1 -k delay -d 600 --dir c2s
SYNC_BATCH=400 syncd_ini t1 "https://localhost:$PPORT"
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
proxy_stop
grep -q 'stopped after [0-9]* connections' "$T/proxy.log" || fail "proxy log: $(tail -3 "$T/proxy.log")"
echo ok
