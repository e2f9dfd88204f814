#!/bin/sh
# sync_multi_caisse: a till of two caisses has one ssa-syncd per caisse, each with its own
# configuration, certificate, state database and spool, both on the till's one journal.  Every
# record goes to each caisse (the journal is one chain; docs/protocol.md, "Several caisses"):
# the further caisse's daemon keeps its acknowledgements in its own state database
# ([journal] acknowledge = state), so the main caisse's acknowledgement never stops the records
# going to the other, whichever syncs first; a second run sends nothing again.
# The journal holds both caisses' cards' sales (caisse-12's cards with the same ids and balances
# as caisse-test's: two caisses' cards): each caisse settles only its own cards' SSA part, as
# computed apart from the journal's records (the list that decided their lines), keeps ledgers
# of its own cards only and finds no anomaly in the other's (docs/caisse.md, "Whose records").
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
syncd_ini t1

# caisse-12: its own CA, server and the terminal's certificate there (same journal key)
mk_ca "$T/ca12"
mk_cert "$T/ca12" server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1"
uri=$("$B/ssa-admin" terminal journal-uri "$T/t1.jkey") || fail "journal-uri"
mk_cert "$T/ca12" t1 T-01 "subjectAltName=URI:$uri"
cat >"$T/caissed12.ini" <<EOI
[caisse]
id = caisse-12
[http]
listen = 127.0.0.1
port = 0
port_file = $T/port12
cert = $T/ca12/server.crt
key = $T/ca12/server.key
ca = $T/ca12/ca.crt
timeout = 20
[store]
database = $T/caisse12.db
EOI
timeout 300 "$B/ssa-caissed" -f -c "$T/caissed12.ini" >>"$T/caissed12.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
CLEAN_PIDS="$CLEAN_PIDS $!"
i=0
while [ ! -s "$T/port12" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "ssa-caissed of caisse-12 did not start"
	sleep 0.1
done
cat >"$T/t1b.ini" <<EOI
[caisse]
url = https://localhost:$(cat "$T/port12")
ca = $T/ca12/ca.crt
cert = $T/ca12/t1.crt
key = $T/ca12/t1.key
connect_timeout = 10
timeout = 60
batch = 5
[journal]
database = $T/t1.journal
acknowledge = state
[state]
database = $T/t1b.state
[till]
spool = $T/t1b.spool
[daemon]
interval = 3600
EOI

count() { sql "$1" "SELECT count(*) FROM journal"; }
# T-01 belongs to outlet demo at both caisses
for db in caisse caisse12; do
	A() { timeout 30 "$B/ssa-admin" "$@" --db "$T/$db.db"; }
	A outlet add demo "Epicerie demo" >/dev/null || fail "outlet add demo at $db"
	A outlet attach demo T-01 >/dev/null || fail "attach T-01 at $db"
done

"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales"
# the main caisse first: the journal says 12 acknowledged ...
syncd t1 --once || fail "sync caisse-test"
[ "$(count "$T/caisse.db")" = 12 ] || fail "caisse-test holds $(count "$T/caisse.db")"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 12 ] || fail "journal ack"
# ... and caisse-12 still gets all of them, its acknowledgement in its own state
syncd t1b --once || fail "sync caisse-12"
[ "$(count "$T/caisse12.db")" = 12 ] || fail "caisse-12 holds $(count "$T/caisse12.db")"
[ "$(sql "$T/t1b.state" "SELECT value FROM meta WHERE key = 'journal_acked'")" = 12 ] ||
	fail "caisse-12's acknowledgement"
[ "$(sed -n 's/^acked=//p' "$T/t1b.spool/status")" = 12 ] || fail "caisse-12's spool status"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 12 ] || fail "journal ack moved"

# more sales, of caisse-12's cards demo-card-0..6 (numbered from 0: the same ids and balances as
# caisse-test's first seven); this time caisse-12 first: the main caisse's acknowledgement did
# not move, it gets them too
"$B/ssa-admin" terminal demo-sales --caisse caisse-12 "$T/t1.journal" "$T/t1.jkey" T-01 7 \
	1795000100000 0 || fail "demo-sales 2"
syncd t1b --once || fail "sync caisse-12 again"
[ "$(count "$T/caisse12.db")" = 19 ] || fail "caisse-12 holds $(count "$T/caisse12.db")"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 12 ] || fail "caisse-12 acknowledged in the journal"
syncd t1 --once || fail "sync caisse-test again"
[ "$(count "$T/caisse.db")" = 19 ] || fail "caisse-test holds $(count "$T/caisse.db")"
[ "$(sql "$T/t1.journal" "SELECT seq FROM sync_ack")" = 19 ] || fail "journal ack 19"
# nothing is sent again
: >"$T/syncd.log"
syncd t1b --once || fail "sync caisse-12 a third time"
grep -q "records to push" "$T/syncd.log" && fail "caisse-12 was sent records again"
[ "$(count "$T/caisse12.db")" = 19 ] || fail "caisse-12 holds $(count "$T/caisse12.db")"
# the two caisses hold the same chain, byte for byte
a=$(sql "$T/caisse.db" "SELECT data FROM journal ORDER BY seq" | sha256sum)
b=$(sql "$T/caisse12.db" "SELECT data FROM journal ORDER BY seq" | sha256sum)
[ "$a" = "$b" ] || fail "the caisses hold different records"

# each caisse's ledgers are its own cards' (demo-card-0..6 once each at each caisse), and the
# other caisse's cards of the same ids, spent from the same balances, are no double spend
[ "$(sql "$T/caisse.db" "SELECT count(*) FROM card_ledger")" = 12 ] || fail "caisse-test's ledgers"
[ "$(sql "$T/caisse12.db" "SELECT count(*) FROM card_ledger")" = 7 ] || fail "caisse-12's ledgers"
for db in caisse caisse12; do
	[ "$(sql "$T/$db.db" "SELECT count(*) FROM card_anomaly")" = 0 ] ||
		fail "$db finds anomalies: $(sql "$T/$db.db" "SELECT * FROM card_anomaly")"
done
timeout 30 "$B/ssa-admin" caisse ledger --caisse caisse-12 --db "$T/caisse12.db" |
	grep -q '^demo-card-0,1,998.50,998.50,ok,$' || fail "caisse-12's ledger of demo-card-0"

# what the journal says each caisse owes outlet demo: its cards' sales, by the list that decided
# their lines (computed from the records, not by the caisse)
owes() {
	sql "$T/t1.journal" "SELECT count(*) || ' ' || coalesce(sum(json_extract(r,'\$.ssa')), 0)
		FROM (SELECT CAST(record AS TEXT) AS r FROM journal WHERE kind = 'SALE')
		WHERE json_extract(r,'\$.ssa') > 0 AND json_extract(r,'\$.lines[0].list') = '$1'
		AND NOT EXISTS (SELECT 1 FROM json_each(r,'\$.lines') WHERE
				json_extract(value,'\$.list') <> '$1')"
}
set -- $(owes caisse-test)
[ "$1 $2" = "12 1800" ] || fail "the journal's caisse-test sales: $*"
w_test=$2
set -- $(owes caisse-12)
[ "$1 $2" = "7 1050" ] || fail "the journal's caisse-12 sales: $*"
w_12=$2
out=$(ccurl t1 "https://localhost:$PORT/v1/settlement?period=202611")
echo "$out" | grep -q "\"owed\":$w_test,\"period\":202611" || fail "caisse-test's settlement: $out"
echo "$out" | grep -q '"sales":12,"sales_ssa":1800,"terminal":"T-01"' || fail "caisse-test's T-01: $out"
out=$(timeout 60 curl -sS --cacert "$T/ca12/ca.crt" --cert "$T/ca12/t1.crt" --key "$T/ca12/t1.key" \
	-w '\nHTTP %{http_code}\n' "https://localhost:$(cat "$T/port12")/v1/settlement?period=202611")
echo "$out" | grep -q '^HTTP 200$' || fail "caisse-12's settlement: $out"
echo "$out" | grep -q "\"owed\":$w_12,\"period\":202611" || fail "caisse-12's settlement: $out"
echo "$out" | grep -q '"sales":7,"sales_ssa":1050,"terminal":"T-01"' || fail "caisse-12's T-01: $out"
# ssa-admin says the same, each caisse by its id
timeout 30 "$B/ssa-admin" caisse settlement --caisse caisse-12 --period 202611 \
	--db "$T/caisse12.db" | tr -d '\r' | grep -q '^202611,demo,\*,7,10.50,0,0.00,0,0.00,10.50$' ||
	fail "ssa-admin caisse-12 settlement"
timeout 30 "$B/ssa-admin" caisse settlement --caisse caisse-test --period 202611 \
	--db "$T/caisse.db" | tr -d '\r' | grep -q '^202611,demo,\*,12,18.00,0,0.00,0,0.00,18.00$' ||
	fail "ssa-admin caisse-test settlement"
# a bad value of the new key is refused with its line
sed 's/^acknowledge = state/acknowledge = both/' "$T/t1b.ini" >"$T/bad.ini"
out=$(timeout 30 "$B/ssa-syncd" -f -c "$T/bad.ini" --once 2>&1) && fail "bad acknowledge accepted"
echo "$out" | grep -q "bad.ini:11: bad value for 'acknowledge' in \[journal\]" || fail "message: $out"
echo ok
