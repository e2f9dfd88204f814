#!/bin/sh
# sync_tls: ssa-caissed's mutual TLS — a terminal of the caisse CA is served and identified by
# its certificate's CN; no certificate, another CA's certificate, a bad CN are refused with
# 403 CLIENT_CERT; unknown paths, wrong methods and bodies over the limit get their error bodies.
. tests/it/sync_common.inc

sync_pki
mk_cert "$T/ca" t1 T-01
mk_cert "$T/ca" bad "T 01"
mk_ca "$T/other"
mk_cert "$T/other" t1 T-01
start_caissed

out=$(ccurl t1 "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '"terminal":"T-01"' || fail "status: $out"
echo "$out" | grep -q '"caisse":"caisse-test"' || fail "status caisse: $out"
echo "$out" | grep -q '"last_seq":0' || fail "status last_seq: $out"
echo "$out" | grep -q '^HTTP 200$' || fail "status code: $out"

# no client certificate
out=$(timeout 60 curl -sS --cacert "$T/ca/ca.crt" -w '\nHTTP %{http_code}\n' \
	"https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 403$' || fail "no certificate: $out"
echo "$out" | grep -q '"error":"CLIENT_CERT"' || fail "no certificate body: $out"
echo "$out" | grep -q 'no client certificate' || fail "no certificate message: $out"

# a certificate of another CA, same CN: refused (at the handshake or with 403)
out=$(timeout 60 curl -sS --cacert "$T/ca/ca.crt" --cert "$T/other/t1.crt" \
	--key "$T/other/t1.key" -w '\nHTTP %{http_code}\n' "https://localhost:$PORT/v1/status" 2>&1)
echo "$out" | grep -q '"terminal"' && fail "other CA served: $out"
echo "$out" | grep -q '^HTTP 403$' || echo "$out" | grep -qi 'ssl\|tls\|certificate' ||
	fail "other CA: $out"

# the client pins the caisse CA: a server certificate of another CA is refused by curl
out=$(timeout 60 curl -sS --cacert "$T/other/ca.crt" --cert "$T/ca/t1.crt" --key "$T/ca/t1.key" \
	"https://localhost:$PORT/v1/status" 2>&1) && fail "client accepted a server of another CA"

# a CN that is not a valid terminal id
out=$(ccurl bad "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 403$' || fail "bad CN: $out"
echo "$out" | grep -q 'not a valid terminal id' || fail "bad CN message: $out"

out=$(ccurl t1 "https://localhost:$PORT/v1/nothing")
echo "$out" | grep -q '^HTTP 404$' || fail "404: $out"
echo "$out" | grep -q '"error":"NOT_FOUND"' || fail "404 body: $out"
out=$(ccurl t1 -X DELETE "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 405$' || fail "405: $out"
echo "$out" | grep -q '"error":"METHOD"' || fail "405 body: $out"
out=$(ccurl t1 -X GET --data-binary 'x' "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 413$' || fail "413: $out"
echo "$out" | grep -q '"error":"TOO_LARGE"' || fail "413 body: $out"

# the server is still healthy after all that
out=$(ccurl t1 "https://localhost:$PORT/v1/status")
echo "$out" | grep -q '^HTTP 200$' || fail "status after errors: $out"
stop_caissed
grep -q 'listening on 127.0.0.1' "$T/caissed.log" || fail "log"
echo ok
