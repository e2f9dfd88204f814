#!/bin/sh
# sync_chain: a broken chain and a replayed batch over real processes (docs/protocol.md,
# "Consequences, which the tests check") — a terminal journal with a record deleted (triggers
# dropped, as an attacker would) is refused with 422 JOURNAL_SEQ, ssa-syncd exits 65 and the
# caisse holds only the records before the gap; a record re-chained (a validly signed record of
# the same terminal and key, seq and terminal right, but whose prev is the hash of another
# record) is refused with 422 JOURNAL_CHAIN; a batch posted again with the same bytes (curl)
# comes back 200 with every result "duplicate" and nothing is stored twice.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
mk_terminal t2 T-02
mk_terminal t3 T-03
start_caissed
# the caisse's count of T's records (whatever the status says)
held() { sql "$T/caisse.db" "SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM journal WHERE terminal = '$1'"; }
sql "$T/caisse.db" "SELECT count(*) FROM journal" >/dev/null || fail "caisse database"

# 1. a record deleted at the terminal: seq 15 of 30
SYNC_BATCH=10 syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 30 || fail "demo-sales t1"
sql "$T/t1.journal" "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 15;" ||
	fail "delete"
[ "$(sql "$T/t1.journal" "SELECT count(*) FROM journal")" = 29 ] || fail "record 15 not deleted"
syncd t1 --once
st=$?
[ $st = 65 ] || fail "deleted record: exit $st, want 65"
[ "$(sql "$T/t1.state" "SELECT seq || ' ' || error FROM rejection")" = "16 JOURNAL_SEQ" ] ||
	fail "rejection: $(sql "$T/t1.state" "SELECT * FROM rejection")"
[ "$(held T-01)" = "14 14" ] || fail "caisse holds $(held T-01), want 14 up to 14"
status t1 | grep -q '"last_seq":14,"records":14' || fail "status: $(status t1)"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 14 ] || fail "records before 15 not acknowledged"
grep -q '^rejection=16 JOURNAL_SEQ ' "$T/t1.spool/status" || fail "status line: $(cat "$T/t1.spool/status")"
# the next run starts at the missing record itself: ssa-syncd sees the gap in its own journal
# and stops before sending anything (exit 1, a local problem); the refusal stays for the till
# and nothing after the gap is stored
syncd t1 --once
st=$?
[ $st = 1 ] || { cat "$T/syncd.log"; fail "deleted record, second run: exit $st, want 1"; }
grep -q 'record 15 is missing locally' "$T/syncd.log" || fail "second run: no local gap logged"
grep -q '^rejection=16 JOURNAL_SEQ ' "$T/t1.spool/status" || fail "rejection dropped: $(cat "$T/t1.spool/status")"
[ "$(held T-01)" = "14 14" ] || fail "caisse holds $(held T-01) after the second run"

# 2. a record re-chained: record 15 replaced by another record 15 of the same terminal, signed
# with its key (another journal, other times): its signature verifies, its prev does not chain
SYNC_BATCH=10 syncd_ini t2
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 30 || fail "demo-sales t2"
"$B/ssa-admin" terminal demo-sales "$T/t2b.journal" "$T/t2.jkey" T-02 15 1796000000000 ||
	fail "demo-sales t2b"
sql "$T/t2.journal" "ATTACH '$T/t2b.journal' AS b; DROP TRIGGER journal_no_update;
	UPDATE journal SET record = (SELECT record FROM b.journal WHERE seq = 15),
		hash = (SELECT hash FROM b.journal WHERE seq = 15) WHERE seq = 15;" ||
	fail "re-chain"
[ "$(sql "$T/t2.journal" "ATTACH '$T/t2b.journal' AS b; SELECT count(*) FROM journal j, b.journal k
	WHERE j.seq = k.seq AND j.record = k.record")" = 1 ] || fail "record 15 not replaced"
syncd t2 --once
st=$?
[ $st = 65 ] || fail "re-chained record: exit $st, want 65"
[ "$(sql "$T/t2.state" "SELECT seq || ' ' || error FROM rejection")" = "15 JOURNAL_CHAIN" ] ||
	fail "rejection: $(sql "$T/t2.state" "SELECT * FROM rejection")"
[ "$(held T-02)" = "14 14" ] || fail "caisse holds $(held T-02), want 14 up to 14"
[ "$(sql "$T/t2.journal" "SELECT seq FROM sync_ack")" = 14 ] || fail "t2: records before 15 not acknowledged"
# the same record 15 posted by hand, alone, after 14: the same refusal, with its seq
sql "$T/t2.journal" "SELECT json_object('records', json_array(json_object('seq', seq,
	'data', CAST(record AS TEXT)))) FROM journal WHERE seq = 15" | tr -d '\n' >"$T/b15.json"
out=$(ccurl t2 -H 'Content-Type: application/json' --data-binary "@$T/b15.json" \
	"https://localhost:$PORT/v1/journal")
echo "$out" | grep -q '^HTTP 422$' || fail "re-chained by hand: $out"
echo "$out" | grep -q '"error":"JOURNAL_CHAIN"' || fail "re-chained body: $out"
echo "$out" | grep -q '"seq":15' || fail "re-chained seq: $out"
[ "$(held T-02)" = "14 14" ] || fail "caisse holds $(held T-02) after the hand post"

# 3. a replayed batch: records 1..12 of T-03 posted with curl, then the same bytes again
"$B/ssa-admin" terminal demo-sales "$T/t3.journal" "$T/t3.jkey" T-03 12 || fail "demo-sales t3"
sql "$T/t3.journal" "SELECT json_object('records', json_group_array(json_object('seq', seq,
	'data', CAST(record AS TEXT)))) FROM (SELECT seq, record FROM journal ORDER BY seq)" |
	tr -d '\n' >"$T/batch.json"
out=$(ccurl t3 -H 'Content-Type: application/json' --data-binary "@$T/batch.json" \
	"https://localhost:$PORT/v1/journal")
echo "$out" | grep -q '^HTTP 200$' || fail "first post: $out"
[ "$(echo "$out" | grep -o '"outcome":"stored"' | wc -l)" = 12 ] || fail "first post: $out"
[ "$(held T-03)" = "12 12" ] || fail "caisse holds $(held T-03) after the first post"
before=$(sql "$T/caisse.db" "SELECT count(*) FROM journal")
out=$(ccurl t3 -H 'Content-Type: application/json' --data-binary "@$T/batch.json" \
	"https://localhost:$PORT/v1/journal")
echo "$out" | grep -q '^HTTP 200$' || fail "replay: $out"
[ "$(echo "$out" | grep -o '"outcome":"duplicate"' | wc -l)" = 12 ] || fail "replay outcomes: $out"
echo "$out" | grep -q '"outcome":"stored"' && fail "replay stored something: $out"
echo "$out" | grep -q '"last_seq":12' || fail "replay last_seq: $out"
[ "$(held T-03)" = "12 12" ] || fail "caisse holds $(held T-03) after the replay"
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM journal")" = "$before" ] || fail "replay doubled records"
# with the card checks asked for: all duplicate, and the lists empty (docs/protocol.md)
out=$(ccurl t3 -H 'Content-Type: application/json' --data-binary "@$T/batch.json" \
	"https://localhost:$PORT/v1/journal?anomalies=1")
echo "$out" | grep -q '^HTTP 200$' || fail "replay with anomalies: $out"
[ "$(echo "$out" | grep -o '"outcome":"duplicate"' | wc -l)" = 12 ] || fail "replay 2 outcomes: $out"
echo "$out" | grep -q '"cards":\[\]' || fail "replay 2 cards: $out"
# ssa-syncd then pushes the same records (never acknowledged): all duplicate, acknowledged, exit 0
SYNC_BATCH=5 syncd_ini t3
syncd t3 --once || fail "t3 sync after the replays: exit $?"
[ "$(sql "$T/t3.journal" "SELECT seq FROM sync_ack")" = 12 ] || fail "t3 not acknowledged"
[ "$(held T-03)" = "12 12" ] || fail "caisse holds $(held T-03) after ssa-syncd"
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM journal")" = "$before" ] || fail "ssa-syncd doubled records"
# the caisse's copies are the terminal's bytes
[ "$(sql "$T/caisse.db" "ATTACH '$T/t3.journal' AS t; SELECT count(*) FROM journal c, t.journal j
	WHERE c.terminal = 'T-03' AND c.seq = j.seq AND c.data = CAST(j.record AS TEXT)")" = 12 ] ||
	fail "stored records differ from the terminal's"
echo ok
