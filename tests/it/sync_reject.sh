#!/bin/sh
# sync_reject: what the caisse refuses — a record edited after signing (tampered), a journal
# that restarted under the same terminal (same key, different content: conflict) — is refused
# with its error, stored at the terminal for the till, the records before it are pushed and
# acknowledged, and nothing of the refused batch is kept at the caisse.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
SYNC_BATCH=10 syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 30 || fail "demo-sales"
# tamper with record 15 at the terminal (bypassing the journal's triggers, as an attacker would)
sql "$T/t1.journal" "DROP TRIGGER journal_no_update;
	UPDATE journal SET record = CAST(replace(CAST(record AS TEXT), '\"op\":\"demo\"',
	'\"op\":\"dem0\"') AS BLOB) WHERE seq = 15;" || fail "tamper"
[ "$(sql "$T/t1.journal" "SELECT instr(CAST(record AS TEXT), 'dem0') > 0 FROM journal WHERE seq = 15")" = 1 ] ||
	fail "tampering did not change the record"

syncd t1 --once
st=$?
[ $st = 65 ] || fail "tampered journal: exit $st, want 65"
[ "$(sql "$T/t1.state" "SELECT seq || ' ' || error FROM rejection")" = "15 JOURNAL_SIGNATURE" ] ||
	fail "rejection not stored: $(sql "$T/t1.state" "SELECT * FROM rejection")"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 14 ] || fail "records before 15 not acknowledged"
status t1 | grep -q '"last_seq":14,"records":14' || fail "caisse holds: $(status t1)"
# again: refused again, counted, nothing more stored
syncd t1 --once
[ $? = 65 ] || fail "second run"
[ "$(sql "$T/t1.state" "SELECT count FROM rejection WHERE seq = 15")" = 2 ] || fail "count"
status t1 | grep -q '"last_seq":14,"records":14' || fail "caisse holds after the second run"
[ "$(spool_status t1 rejections)" = 1 ] || fail "status: $(cat "$T/t1.spool/status")"
grep -q '^rejection=15 JOURNAL_SIGNATURE ' "$T/t1.spool/status" || fail "status line"
# resolved (here: the record as it was signed, put back): the next run pushes it and the rest,
# and the rejection is over — the till no longer shows it (docs/protocol.md: which rejections
# the till sees)
sql "$T/t1.journal" "UPDATE journal SET record = CAST(replace(CAST(record AS TEXT), '\"op\":\"dem0\"',
	'\"op\":\"demo\"') AS BLOB) WHERE seq = 15;" || fail "untamper"
syncd t1 --once || fail "run after the fix: exit $?"
status t1 | grep -q '"last_seq":30,"records":30' || fail "caisse holds after the fix: $(status t1)"
[ "$(sql "$T/t1.state" "SELECT count(*) FROM rejection")" = 0 ] ||
	fail "rejection kept: $(sql "$T/t1.state" "SELECT * FROM rejection")"
[ "$(spool_status t1 rejections)" = 0 ] || fail "status after the fix: $(cat "$T/t1.spool/status")"
grep -q '^rejection=' "$T/t1.spool/status" && fail "a rejection line after the fix"

# conflict: a new journal for the same terminal and key (a reinstalled till): record 1 differs
mk_terminal t2 T-02
SYNC_BATCH=10 syncd_ini t2
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 3 || fail "demo-sales t2"
syncd t2 --once || fail "t2 first sync"
mv "$T/t2.journal" "$T/t2.journal.old"
rm -f "$T/t2.journal-wal" "$T/t2.journal-shm"
# other times in the records, so that record 1 differs
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 2 1796000000000 ||
	fail "demo-sales t2 again"
syncd t2 --once
st=$?
echo "conflict run: exit $st"
grep -q 'CONFLICT\|JOURNAL' "$T/syncd.log" || fail "no refusal logged"
[ $st = 65 ] || fail "conflict: exit $st, want 65"
sql "$T/t2.state" "SELECT error FROM rejection" | grep -q '^CONFLICT$' ||
	fail "conflict not stored: $(sql "$T/t2.state" "SELECT * FROM rejection")"
status t2 | grep -q '"last_seq":3,"records":3' || fail "t2 at the caisse: $(status t2)"
# a refusal that still holds is renewed at every run, never dropped
syncd t2 --once
[ $? = 65 ] || fail "conflict, second run"
[ "$(sql "$T/t2.state" "SELECT count FROM rejection WHERE error = 'CONFLICT'")" = 2 ] ||
	fail "conflict dropped: $(sql "$T/t2.state" "SELECT * FROM rejection")"
[ "$(spool_status t2 rejections)" = 1 ] || fail "t2 status: $(cat "$T/t2.spool/status")"
# one not renewed for 30 days is dropped, whatever else the runs did: the caisse unreachable
# since (the run is not complete, so only the age counts)
sql "$T/t2.state" "UPDATE rejection SET first_ms = first_ms - 31 * 86400000, last_ms = last_ms - 31 * 86400000" ||
	fail "age"
sed -i "s|^url = .*|url = https://localhost:1|" "$T/t2.ini"
syncd t2 --once
[ $? = 75 ] || fail "unreachable: exit"
[ "$(spool_status t2 rejections)" = 0 ] || fail "old rejection kept: $(cat "$T/t2.spool/status")"
echo ok
