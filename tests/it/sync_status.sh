#!/bin/sh
# sync_status: after every run ssa-syncd leaves <spool>/status for the till (docs/protocol.md,
# "The spool"): last attempt and success, whether the caisse was reached, how far the journal
# is acknowledged, versions, and the caisse's latest rejections, newest first.  The file is
# replaced atomically: a run stopped before the rename leaves the previous status whole.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
SYNC_BATCH=10 syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales"

before=$(date +%s)
syncd t1 --once || fail "first sync: exit $?"
after=$(date +%s)
S=$T/t1.spool/status
[ -f "$S" ] || fail "no status in the spool"
# the keys, in this order
[ "$(cut -d= -f1 "$S" | tr '\n' ' ')" = "last_attempt last_success online acked list_version hotlist_version rejections anomalies " ] ||
	fail "keys: $(cat "$S")"
a=$(spool_status t1 last_attempt)
[ "$a" -ge "$before" ] && [ "$a" -le "$after" ] || fail "last_attempt $a not in [$before, $after]"
[ "$(spool_status t1 last_success)" = "$a" ] || fail "last_success: $(cat "$S")"
[ "$(spool_status t1 online)" = 1 ] || fail "online: $(cat "$S")"
[ "$(spool_status t1 acked)" = 12 ] || fail "acked: $(cat "$S")"
[ "$(spool_status t1 rejections)" = 0 ] || fail "rejections: $(cat "$S")"
[ -z "$(ls -A "$T/t1.spool" | grep -v '^status$')" ] || fail "spool holds more: $(ls -A "$T/t1.spool")"

# the caisse down: attempted, not reached, the last success stays, acked stays
stop_caissed
sleep 1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 3 || fail "demo-sales 2"
syncd t1 --once
[ $? = 75 ] || fail "caisse down: want exit 75"
[ "$(spool_status t1 online)" = 0 ] || fail "online while the caisse is down: $(cat "$S")"
[ "$(spool_status t1 last_success)" = "$a" ] || fail "last_success moved: $(cat "$S")"
[ "$(spool_status t1 last_attempt)" -gt "$a" ] || fail "last_attempt did not move: $(cat "$S")"
[ "$(spool_status t1 acked)" = 12 ] || fail "acked while down: $(cat "$S")"

# a run stopped after writing the new status but before renaming it (SSA_CRASH_AFTER counts
# durable steps: the acknowledgement is 1, the status file 2): the old status is whole
start_caissed
SYNC_BATCH=10 syncd_ini t1
cp "$S" "$T/status.before"
SSA_CRASH_AFTER=2 syncd t1 --once
[ $? = 100 ] || fail "crash injection did not stop the run"
cmp -s "$S" "$T/status.before" || fail "status changed by a stopped run: $(cat "$S")"
syncd t1 --once || fail "sync after the stop"
[ "$(spool_status t1 acked)" = 15 ] || fail "acked after the stop: $(cat "$S")"
[ "$(spool_status t1 online)" = 1 ] || fail "online after the stop"
a=$(spool_status t1 last_success)
[ "$a" = "$(spool_status t1 last_attempt)" ] || fail "success after the stop: $(cat "$S")"
[ -z "$(ls -A "$T/t1.spool" | grep -v '^status$')" ] || fail "temporary file left: $(ls -A "$T/t1.spool")"

# rejections: a tampered record, then more refusals; newest first, at most 20 lines
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 2 || fail "demo-sales 3"
sql "$T/t1.journal" "DROP TRIGGER journal_no_update;
	UPDATE journal SET record = CAST(replace(CAST(record AS TEXT), '\"op\":\"demo\"',
	'\"op\":\"dem0\"') AS BLOB) WHERE seq = 16;" || fail "tamper"
syncd t1 --once
[ $? = 65 ] || fail "tampered: want exit 65"
[ "$(spool_status t1 rejections)" = 1 ] || fail "rejections: $(cat "$S")"
grep -q '^rejection=16 JOURNAL_SIGNATURE [^ ]' "$S" || fail "rejection line: $(cat "$S")"
[ "$(spool_status t1 online)" = 1 ] || fail "online after a refusal"
[ "$(spool_status t1 last_success)" = "$a" ] || fail "a refused run counted as a success"
# 25 older rejections of the last hour stored directly (the state database is ssa-syncd's
# own), and a run that cannot reach the caisse (it forgets no rejection it did not renew): the
# status shows 26 in all and the 20 newest, the real one first
now=$(($(date +%s) * 1000))
i=1
while [ $i -le 25 ]; do
	sql "$T/t1.state" "INSERT INTO rejection VALUES ($((100 + i)), 'JOURNAL_CHAIN', 'old
line $i', 1000, $((now - 3600000 + i)), 1)" || fail "insert"
	i=$((i + 1))
done
stop_caissed
syncd t1 --once
[ $? = 75 ] || fail "caisse down again: want exit 75"
[ "$(spool_status t1 rejections)" = 26 ] || fail "rejections: $(cat "$S")"
[ "$(grep -c '^rejection=' "$S")" = 20 ] || fail "rejection lines: $(cat "$S")"
[ "$(grep '^rejection=' "$S" | head -1 | cut -d' ' -f1,2)" = "rejection=16 JOURNAL_SIGNATURE" ] ||
	fail "newest first: $(cat "$S")"
[ "$(grep '^rejection=' "$S" | sed -n 2p)" = "rejection=125 JOURNAL_CHAIN old line 25" ] ||
	fail "a message on one line: $(cat "$S")"
[ "$(grep '^rejection=' "$S" | tail -1 | cut -d' ' -f1)" = "rejection=107" ] ||
	fail "oldest kept: $(cat "$S")"
# a run that reaches the caisse renews the refusal that still holds and forgets the others
start_caissed
SYNC_BATCH=10 syncd_ini t1
syncd t1 --once
[ $? = 65 ] || fail "tampered again: want exit 65"
[ "$(spool_status t1 rejections)" = 1 ] || fail "rejections after a complete run: $(cat "$S")"
grep -q '^rejection=16 JOURNAL_SIGNATURE [^ ]' "$S" || fail "the refusal that holds: $(cat "$S")"

# a spool that cannot be made: logged, the sync itself still done
SYNC_BATCH=10 syncd_ini t1
sed -i "s|^spool = .*|spool = $T/no/such/dir|" "$T/t1.ini"
: >"$T/syncd.log"
syncd t1 --once
[ $? = 65 ] || fail "with a bad spool"
grep -q "spool $T/no/such/dir: cannot create it" "$T/syncd.log" || fail "no message: $(cat "$T/syncd.log")"
echo ok
