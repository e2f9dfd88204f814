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
echo ok
