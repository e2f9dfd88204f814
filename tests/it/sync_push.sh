#!/bin/sh
# sync_push: ssa-syncd pushes a terminal's journal to ssa-caissed over mutual TLS in batches;
# the caisse holds each record once with the same bytes, the terminal marks them acknowledged,
# a second run sends nothing, new sales go next time; a terminal of another CA is refused.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 50 || fail "demo-sales"

syncd t1 --once || fail "first sync: exit $?"
out=$(status t1)
echo "$out" | grep -q '"last_seq":50,"records":50' || fail "after the first sync: $out"
grep -q 'acknowledged up to 50' "$T/syncd.log" || fail "log: acknowledged"
grep -q 'records 1-7 acknowledged' "$T/syncd.log" || fail "log: batches of 7"
# the caisse holds the exact bytes the terminal signed
for s in 1 17 50; do
	a=$(sql "$T/t1.journal" "SELECT hex(record) FROM journal WHERE seq = $s")
	b=$(sql "$T/caisse.db" "SELECT hex(data) FROM journal WHERE terminal = 'T-01' AND seq = $s")
	[ -n "$b" ] || fail "record $s missing at the caisse"
	[ "$a" = "$b" ] || fail "record $s differs"
done
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM terminal_key WHERE terminal = 'T-01'")" = 1 ] ||
	fail "journal key not registered"

: >"$T/syncd.log"
syncd t1 --once || fail "second sync: exit $?"
grep -q '0 records sent' "$T/syncd.log" || fail "second sync sent something: $(cat "$T/syncd.log")"

"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 5 || fail "demo-sales 2"
syncd t1 --once || fail "third sync: exit $?"
out=$(status t1)
echo "$out" | grep -q '"last_seq":55,"records":55' || fail "after the third sync: $out"
[ "$(sql "$T/caisse.db" "SELECT count(*), count(DISTINCT seq) FROM journal")" = "55|55" ] ||
	fail "duplicates at the caisse"

# the caisse unreachable: exit 75 (try later), nothing acknowledged wrongly
stop_caissed
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 1 || fail "demo-sales 3"
syncd t1 --once
st=$?
[ $st = 75 ] || fail "unreachable caisse: exit $st, want 75"
start_caissed
syncd_ini t1
syncd t1 --once || fail "sync after restart: exit $?"
status t1 | grep -q '"last_seq":56,"records":56' || fail "after restart"

# a terminal certificate of another CA: no reply, exit 75, nothing stored
mk_ca "$T/other"
cp "$T/t1.jkey" "$T/t9.jkey"
mk_cert "$T/other" t9 T-09
cp "$T/other/t9.crt" "$T/other/t9.key" "$T/ca/"
syncd_ini t9
"$B/ssa-admin" terminal demo-sales "$T/t9.journal" "$T/t9.jkey" T-09 3 || fail "demo-sales t9"
syncd t9 --once
st=$?
[ $st = 75 ] || [ $st = 65 ] || fail "other CA: exit $st"
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM journal WHERE terminal = 'T-09'")" = 0 ] ||
	fail "records of a terminal of another CA stored"
echo ok
