#!/bin/sh
# sync_multi_caisse: a till of two caisses has one ssa-syncd per caisse, each with its own
# configuration, certificate, state database and spool, both on the till's one journal.  Every
# record goes to each caisse (the journal is one chain; docs/protocol.md, "Several caisses"):
# the further caisse's daemon keeps its acknowledgements in its own state database
# ([journal] acknowledge = state), so the main caisse's acknowledgement never stops the records
# going to the other, whichever syncs first; a second run sends nothing again.
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

# more sales; this time caisse-12 first: the main caisse's acknowledgement did not move, it
# gets them too
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 7 1795000100000 || fail "demo-sales 2"
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
# a bad value of the new key is refused with its line
sed 's/^acknowledge = state/acknowledge = both/' "$T/t1b.ini" >"$T/bad.ini"
out=$(timeout 30 "$B/ssa-syncd" -f -c "$T/bad.ini" --once 2>&1) && fail "bad acknowledge accepted"
echo "$out" | grep -q "bad.ini:11: bad value for 'acknowledge' in \[journal\]" || fail "message: $out"
echo ok
