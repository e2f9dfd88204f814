#!/bin/sh
# sync_limits: ssa-caissed's request limits over real HTTPS mTLS (docs/protocol.md, "Requests and
# limits") — a POST /v1/journal announcing more than 8 MiB gets 413 TOO_LARGE with its JSON body
# before the body is read; a chunked body going over 8 MiB is cut (the connection closed, or
# 413) and the server serves the next request; a batch of 1,001 records and a record over 1 MiB
# get 400 PROTOCOL while a batch of exactly 1,000 records is stored; an expired client
# certificate of the caisse CA gets 403 CLIENT_CERT.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
url="https://localhost:$PORT/v1/journal"
healthy() {
	out=$(ccurl t1 "https://localhost:$PORT/v1/status")
	echo "$out" | grep -q '^HTTP 200$' || fail "server not serving after $1: $out"
	kill -0 "$CAISSED_PID" 2>/dev/null || fail "ssa-caissed died after $1"
}
# json_err BODY NAME: BODY is one line of the error object with error NAME and a message
json_err() {
	echo "$1" | grep -q "^{\"error\":\"$2\",\"message\":\"[^\"]\{1,300\}\"" ||
		fail "error body for $2: $1"
}

# 1. Content-Length over the limit: 8 MiB + 1 byte of a body (curl waits for 100-continue, the
# server answers 413 at the headers)
head -c $((8 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >"$T/big"
[ "$(wc -c <"$T/big")" = 8388609 ] || fail "big file"
out=$(ccurl t1 -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
	--data-binary "@$T/big" "$url")
echo "$out" | grep -q '^HTTP 413$' || fail "over Content-Length: $out"
json_err "$(echo "$out" | head -1)" TOO_LARGE
echo "$out" | grep -q 'limited to 8388608 bytes' || fail "413 message: $out"
healthy "the 413"
# just the header: the length announced is enough, whatever is sent
out=$(ccurl t1 -H 'Content-Type: application/json' -H 'Content-Length: 100000000000' \
	-H 'Expect: 100-continue' --data-binary '{}' "$url" 2>&1)
echo "$out" | grep -q '^HTTP 413$' || fail "announced length: $out"
echo "$out" | grep -q '"error":"TOO_LARGE"' || fail "announced length body: $out"
healthy "the announced length"

# 2. a chunked body over the limit: refused (closed, or 413), nothing kept, the server stays up
out=$(ccurl t1 -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary "@$T/big" "$url" 2>&1)
st=$?
echo "chunked over the limit: curl $st: $(echo "$out" | tail -2 | tr '\n' ' ')"
echo "$out" | grep -q '^HTTP 200$' && fail "chunked body over the limit accepted: $out"
echo "$out" | grep -q '^HTTP 413$' || [ $st != 0 ] || fail "chunked over the limit: $out"
grep -q 'body over 8388608 bytes without Content-Length; closing' "$T/caissed.log" ||
	fail "no log of the cut body"
healthy "the chunked body"
# a chunked body under the limit is read whole (a bad one here: 400, not a close)
out=$(ccurl t1 -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary '{"records": []}' "$url")
echo "$out" | grep -q '^HTTP 400$' || fail "empty batch: $out"
json_err "$(echo "$out" | head -1)" PROTOCOL

# 3. records: 1,001 in one batch is refused, 1,000 stored; a record over 1 MiB is refused
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 1001 || fail "demo-sales"
batch() { # FIRST LAST: the push body of records FIRST..LAST of t1
	sql "$T/t1.journal" "SELECT json_object('records', json_group_array(json_object('seq', seq,
		'data', CAST(record AS TEXT)))) FROM (SELECT seq, record FROM journal
		WHERE seq BETWEEN $1 AND $2 ORDER BY seq)" | tr -d '\n'
}
batch 1 1001 >"$T/b1001.json"
[ "$(wc -c <"$T/b1001.json")" -lt 8388608 ] || fail "1,001 records over 8 MiB"
out=$(ccurl t1 -H 'Content-Type: application/json' --data-binary "@$T/b1001.json" "$url")
echo "$out" | grep -q '^HTTP 400$' || fail "1,001 records: $(echo "$out" | tail -3)"
json_err "$(echo "$out" | head -1)" PROTOCOL
echo "$out" | grep -q '1001 records in one batch, the limit is 1000' || fail "1,001 message: $out"
out=$(status t1)
echo "$out" | grep -q '"last_seq":0,"records":0' || fail "1,001 records: something kept: $out"
# a record of 1 MiB + 1 byte (not a journal record at all: the size is checked first)
{
	printf '{"records": [{"seq": 1, "data": "'
	head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'x'
	printf '"}]}'
} >"$T/bigrec.json"
out=$(ccurl t1 -H 'Content-Type: application/json' --data-binary "@$T/bigrec.json" "$url")
echo "$out" | grep -q '^HTTP 400$' || fail "record over 1 MiB: $(echo "$out" | cut -c1-300)"
json_err "$(echo "$out" | head -1)" PROTOCOL
echo "$out" | grep -q 'record 1 is over 1048576 bytes' || fail "1 MiB message: $out"
# 1,000 records: the limit itself is allowed
batch 1 1000 >"$T/b1000.json"
out=$(ccurl t1 -H 'Content-Type: application/json' --data-binary "@$T/b1000.json" "$url")
echo "$out" | grep -q '^HTTP 200$' || fail "1,000 records: $(echo "$out" | tail -3 | cut -c1-300)"
[ "$(echo "$out" | grep -o '"outcome":"stored"' | wc -l)" = 1000 ] || fail "1,000 records stored"
status t1 | grep -q '"last_seq":1000,"records":1000' || fail "after 1,000: $(status t1)"

# 4. an expired client certificate of the caisse CA (valid for a day, a year ago): 403
cat >"$T/ca.cnf" <<EOI
[ca]
default_ca = c
[c]
dir = $T/ca
database = $T/ca/index.txt
new_certs_dir = $T/ca
serial = $T/ca/serial.ca
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
EOI
: >"$T/ca/index.txt"
echo 1000 >"$T/ca/serial.ca"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca/old.key" \
	-out "$T/ca/old.csr" -subj "/CN=T-01" 2>/dev/null || fail "openssl: request old"
y=$(($(date -u +%Y) - 1))
openssl ca -batch -config "$T/ca.cnf" -cert "$T/ca/ca.crt" -keyfile "$T/ca/ca.key" \
	-in "$T/ca/old.csr" -out "$T/ca/old.crt" -extensions ext -notext \
	-startdate "${y}0101000000Z" -enddate "${y}0102000000Z" >"$T/ca.out" 2>&1 ||
	{ cat "$T/ca.out"; fail "openssl ca: expired certificate"; }
openssl x509 -in "$T/ca/old.crt" -noout -checkend 0 >/dev/null && fail "certificate not expired"
openssl verify -CAfile "$T/ca/ca.crt" -no_check_time "$T/ca/old.crt" >/dev/null ||
	fail "expired certificate not of the caisse CA"
out=$(ccurl old "https://localhost:$PORT/v1/status" 2>&1)
echo "$out" | grep -q '"terminal"' && fail "expired certificate served: $out"
echo "$out" | grep -q '^HTTP 403$' || fail "expired certificate: $out"
json_err "$(echo "$out" | head -1)" CLIENT_CERT
echo "$out" | grep -q 'expired' || fail "expired certificate message: $out"
# (one record, the next one: a large body could still be on its way when the server answers 403
# and closes, and curl then reports the broken pipe, not the answer)
batch 1001 1001 >"$T/next.json"
out=$(ccurl old -H 'Content-Type: application/json' --data-binary "@$T/next.json" "$url" 2>&1)
echo "$out" | grep -q '^HTTP 403$' || fail "expired certificate, push: $(echo "$out" | cut -c1-300)"
status t1 | grep -q '"last_seq":1000,"records":1000' || fail "after the expired push: $(status t1)"
healthy "the expired certificate"
stop_caissed
echo ok
