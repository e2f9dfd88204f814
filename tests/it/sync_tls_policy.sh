#!/bin/sh
# sync_tls_policy: the TLS policy of both sides — TLS 1.2 at least, 1.3 preferred, and under
# TLS 1.2 only ECDHE with AEAD ciphers.
#
# ssa-caissed (GnuTLS, MHD_OPTION_HTTPS_PRIORITIES): a client offering only TLS 1.1 or 1.0, or
# TLS 1.2 with a CBC cipher, is refused at the handshake; TLS 1.3 is what a client offering
# everything gets; TLS 1.2 with an AEAD cipher is served.  Debian 12's OpenSSL refuses TLS 1.1
# and 1.0 itself at its default security level (their signatures need SHA-1), so the old clients
# are made with `-cipher DEFAULT@SECLEVEL=0`: the handshake then fails only because of the
# server's policy.  That the probe can succeed is checked too: the same TLS 1.1 client gets
# through to an `openssl s_server` that allows TLS 1.1, and GnuTLS's NORMAL, the default
# without our priority string, serves TLS 1.1 and 1.0 on Debian 12.
#
# ssa-syncd (libcurl, OpenSSL): a server offering only TLS 1.1, or TLS 1.2 with a CBC cipher
# only, is refused at the handshake (nothing sent); a server of TLS 1.2 AEAD is accepted.
. tests/it/sync_common.inc

sync_pki
mk_cert "$T/ca" t1 T-01
start_caissed

# sc ARGS...: openssl s_client as terminal t1 to the caisse; prints the negotiated protocol
# and cipher ("TLSv1.3 TLS_AES_256_GCM_SHA384") or "refused"
sc() {
	port=$1
	shift
	out=$(timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$T/ca/ca.crt" -cert "$T/ca/t1.crt" -key "$T/ca/t1.key" -verify_return_error \
		"$@" </dev/null 2>&1)
	echo "$out" >"$T/sc.out"
	# the session's protocol (TLS 1.3 prints no session here: the "New" line then says it)
	proto=$(echo "$out" | sed -n 's/^ *Protocol *: *//p' | head -1)
	[ -n "$proto" ] || proto=$(echo "$out" | sed -n 's/^New, \(TLSv1\.3\), .*/\1/p' | head -1)
	cipher=$(echo "$out" | sed -n 's/^New, [^,]*, Cipher is //p' | head -1)
	if [ -n "$proto" ] && [ -n "$cipher" ] && [ "$cipher" != "(NONE)" ]; then
		echo "$proto $cipher"
	else
		echo refused
	fi
}

# the probe works: an OpenSSL server allowing TLS 1.1 is reached by the TLS 1.1 client
openssl s_server -accept 127.0.0.1:0 -cert "$T/ca/server.crt" -key "$T/ca/server.key" \
	-tls1_1 -cipher DEFAULT@SECLEVEL=0 -www -naccept 1 </dev/null >"$T/s_server.log" 2>&1 &
SPID=$!
CLEAN_PIDS="$CLEAN_PIDS $SPID"
i=0
until SPORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/s_server.log") && [ -n "$SPORT" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "openssl s_server did not start: $(cat "$T/s_server.log")"
	sleep 0.1
done
got=$(sc "$SPORT" -tls1_1 -cipher DEFAULT@SECLEVEL=0)
case $got in TLSv1.1\ *) ;; *) fail "the TLS 1.1 probe does not work here: $got $(cat "$T/sc.out" "$T/s_server.log")" ;; esac
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null

# ssa-caissed's policy
got=$(sc "$PORT")
case $got in TLSv1.3\ *) ;; *) fail "a client offering everything: $got, want TLS 1.3" ;; esac
got=$(sc "$PORT" -tls1_2)
case $got in "TLSv1.2 ECDHE-ECDSA-"*GCM*|"TLSv1.2 ECDHE-ECDSA-CHACHA20"*) ;;
*) fail "TLS 1.2: $got" ;; esac
got=$(sc "$PORT" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305)
[ "$got" = "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305" ] || fail "TLS 1.2 ChaCha20: $got"
got=$(sc "$PORT" -tls1_1 -cipher DEFAULT@SECLEVEL=0)
[ "$got" = refused ] || fail "a TLS 1.1 client was served: $got"
got=$(sc "$PORT" -tls1 -cipher DEFAULT@SECLEVEL=0)
[ "$got" = refused ] || fail "a TLS 1.0 client was served: $got"
for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 ECDHE-ECDSA-AES128-SHA256; do
	got=$(sc "$PORT" -tls1_2 -cipher "$c")
	[ "$got" = refused ] || fail "TLS 1.2 with $c (CBC) was served: $got"
done
# a TLS 1.3 client is served a real request
out=$(ccurl t1 --tlsv1.3 "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 200$' || fail "TLS 1.3 request: $out"
# and curl limited to TLS 1.1 is refused (curl's own floor is not in the way: --tls-max only)
out=$(ccurl t1 --tlsv1.0 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0 \
	"https://localhost:$PORT/v1/status" 2>&1) && fail "curl with TLS 1.1 at most: $out"
echo "$out" | grep -q '"terminal"' && fail "curl with TLS 1.1 at most was served: $out"

# ssa-syncd's policy, against openssl s_server with the caisse's certificate (the handshake is
# all that matters: a refused one sends nothing)
mk_terminal t2 T-02
"$B/ssa-admin" terminal demo-sales "$T/t2.journal" "$T/t2.jkey" T-02 2 1795000000000 >/dev/null ||
	fail "demo-sales"
# fake_server ARGS...: openssl s_server answering one connection; sets SPORT
fake_server() {
	: >"$T/s_server.log"
	openssl s_server -accept 127.0.0.1:0 -cert "$T/ca/server.crt" -key "$T/ca/server.key" \
		-CAfile "$T/ca/ca.crt" -verify 1 -www -naccept 1 "$@" </dev/null >"$T/s_server.log" 2>&1 &
	SPID=$!
	CLEAN_PIDS="$CLEAN_PIDS $SPID"
	i=0
	until SPORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/s_server.log") && [ -n "$SPORT" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "openssl s_server did not start: $(cat "$T/s_server.log")"
		sleep 0.1
	done
}
# end_server: wait (bounded) for s_server to end after its one connection, so that its
# statistics are in its log
end_server() {
	i=0
	while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
}
for srv in "-tls1_1 -cipher DEFAULT@SECLEVEL=0" "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA"; do
	fake_server $srv
	syncd_ini t2 "https://localhost:$SPORT"
	: >"$T/syncd.log"
	syncd t2 --once
	st=$?
	[ $st = 75 ] || fail "syncd against a server of '$srv': exit $st, want 75"
	grep -q 'sync incomplete (TLS error)' "$T/syncd.log" ||
		fail "syncd against '$srv': $(cat "$T/syncd.log")"
	[ "$(sql "$T/t2.journal" "SELECT coalesce(max(seq), 0) FROM sync_ack")" = 0 ] ||
		fail "acknowledged by a server of '$srv'"
	end_server
	grep -q ' 1 server accepts that finished' "$T/s_server.log" &&
		fail "a handshake with the server of '$srv' finished"
done
# the same server with TLS 1.2 and an AEAD cipher: the handshake finishes (s_server then never
# answers the POST: a short timeout, exit 75 too, but not a TLS error)
fake_server -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
syncd_ini t2 "https://localhost:$SPORT"
sed -i 's/^timeout = .*/timeout = 3/' "$T/t2.ini"
: >"$T/syncd.log"
syncd t2 --once
grep -q 'sync incomplete (TLS error)' "$T/syncd.log" &&
	fail "syncd refused a TLS 1.2 AEAD server: $(cat "$T/syncd.log")"
end_server
grep -q ' 1 server accepts that finished' "$T/s_server.log" ||
	fail "no handshake with the TLS 1.2 AEAD server: $(cat "$T/s_server.log") $(cat "$T/syncd.log")"
stop_caissed
echo ok
