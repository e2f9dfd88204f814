#!/bin/sh
# sync_server_cert: ssa-syncd pins the caisse CA and checks the server's name.  A server whose
# certificate comes from another CA (an impostor), even with the environment pointing OpenSSL
# at that CA, and a server certificate of the caisse CA for another host name are refused at
# the handshake: exit 75, a clear message, nothing sent, the journal's acknowledged seq, the
# spool and the state unchanged; the real caisse afterwards gets everything.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
cp "$T/ca/server.crt" "$T/ca/server.key" "$T/"
start_caissed
syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 5 1795000000000 >/dev/null ||
	fail "demo-sales"
syncd t1 --once || fail "first sync: exit $?"
acked() { sql "$T/t1.journal" "SELECT coalesce(max(seq), 0) FROM sync_ack"; }
[ "$(acked)" = 5 ] || fail "first sync: acked $(acked)"
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 4 1795100000000 >/dev/null ||
	fail "demo-sales 2"
stop_caissed

# serve SERVER_CERT SERVER_KEY DB: ssa-caissed (still trusting the terminals' CA) presenting
# that certificate, on a database of its own; sets PORT and rewrites t1's configuration
serve() {
	cp "$1" "$T/ca/server.crt"
	cp "$2" "$T/ca/server.key"
	start_caissed "$3"
	syncd_ini t1
}

# refused WHAT DB [ENV...]: one run of ssa-syncd against the server up now is refused at the
# handshake and changes nothing
refused() {
	what=$1
	db=$2
	shift 2
	: >"$T/syncd.log"
	env "$@" timeout 120 "$B/ssa-syncd" -f -c "$T/t1.ini" --once >>"$T/syncd.log" 2>&1
	st=$?
	[ $st = 75 ] || fail "$what: exit $st, want 75: $(cat "$T/syncd.log")"
	grep -q "the server is not the caisse: its certificate is refused" "$T/syncd.log" ||
		fail "$what: message: $(cat "$T/syncd.log")"
	grep -q "it must be issued by the caisse CA $T/ca/ca.crt and name the host of https://localhost:$PORT" \
		"$T/syncd.log" || fail "$what: message: $(cat "$T/syncd.log")"
	grep -q 'sync incomplete' "$T/syncd.log" || fail "$what: $(cat "$T/syncd.log")"
	[ "$(acked)" = 5 ] || fail "$what: acked moved to $(acked)"
	[ "$(spool_status t1 online)" = 0 ] || fail "$what: online: $(cat "$T/t1.spool/status")"
	[ "$(spool_status t1 acked)" = 5 ] || fail "$what: status acked: $(cat "$T/t1.spool/status")"
	[ "$(spool_status t1 rejections)" = 0 ] || fail "$what: a rejection was stored"
	n=$(sql "$db" "SELECT count(*) FROM journal" 2>/dev/null || echo 0)
	[ "$n" = 0 ] || fail "$what: the server got $n records"
	grep -q 'T-01: [0-9]* records' "$T/caissed.log" &&
		fail "$what: the server saw a push: $(cat "$T/caissed.log")"
	: >"$T/caissed.log"
}

# 1. another CA: a server certificate for the right name, signed by a CA the terminal does not
# pin; refused even when OpenSSL's environment names that CA (the pin is the only anchor)
mk_ca "$T/other"
mk_cert "$T/other" server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1"
: >"$T/caissed.log"
serve "$T/other/server.crt" "$T/other/server.key" "$T/impostor.db"
refused "another CA" "$T/impostor.db"
grep -q 'unable to get local issuer certificate\|certificate verify failed' "$T/syncd.log" ||
	fail "another CA: cause: $(cat "$T/syncd.log")"
refused "another CA, SSL_CERT_FILE" "$T/impostor.db" SSL_CERT_FILE="$T/other/ca.crt" SSL_CERT_DIR="$T/other" \
	CURL_CA_BUNDLE="$T/other/ca.crt"
stop_caissed

# 2. the caisse CA, but a certificate for another host name
mk_cert "$T/ca" wrongname caisse.example.org "subjectAltName=DNS:caisse.example.org"
serve "$T/ca/wrongname.crt" "$T/ca/wrongname.key" "$T/impostor2.db"
refused "wrong host name" "$T/impostor2.db"
grep -q "subject name matches target host name 'localhost'\|host name mismatch" "$T/syncd.log" ||
	fail "wrong host name: cause: $(cat "$T/syncd.log")"
stop_caissed

# 3. the real caisse again: the four records wait in the journal and go now
serve "$T/server.crt" "$T/server.key" "$T/caisse.db"
syncd t1 --once || fail "sync after the refusals: exit $?: $(tail -3 "$T/syncd.log")"
[ "$(acked)" = 9 ] || fail "after: acked $(acked)"
[ "$(sql "$T/caisse.db" "SELECT count(*), count(DISTINCT seq) FROM journal")" = "9|9" ] ||
	fail "the caisse's records"
stop_caissed
echo ok
