#!/bin/sh
# sync_admin: the PKI made by ssa-admin alone — `ca init` and `ca server` at the caisse,
# `terminal enroll` at the outlet, `terminal sign` at the caisse — carries a real sync; sign
# refuses a request without a journal key, with a bad id, or altered after signing; nothing is
# overwritten.
. tests/it/sync_common.inc

A="$B/ssa-admin"
$A ca init "$T/ca" >/dev/null || fail "ca init"
[ "$(stat -c %a "$T/ca/ca.key")" = 600 ] || fail "ca.key mode"
$A ca init "$T/ca" 2>"$T/err" && fail "ca init overwrote the CA"
grep -q 'exists' "$T/err" || fail "ca init again: $(cat "$T/err")"
$A ca server "$T/ca" localhost "$T/ca/server.key" "$T/ca/server.crt" || fail "ca server"

openssl genpkey -algorithm ed25519 -out "$T/t1.jkey" 2>/dev/null && chmod 600 "$T/t1.jkey"
$A terminal enroll T-01 "$T/t1.jkey" "$T/ca/t1.key" "$T/t1.csr" >"$T/out" || fail "enroll"
[ "$(stat -c %a "$T/ca/t1.key")" = 600 ] || fail "terminal key mode"
$A terminal sign "$T/ca" "$T/t1.csr" "$T/ca/t1.crt" >"$T/out" || fail "sign"
grep -q "terminal T-01: certificate" "$T/out" || fail "sign output: $(cat "$T/out")"
uri=$($A terminal journal-uri "$T/t1.jkey")
grep -q "${uri#urn:x-ssa:journal-key:ed25519:}" "$T/out" || fail "sign does not show the journal key"
openssl verify -CAfile "$T/ca/ca.crt" "$T/ca/t1.crt" >/dev/null || fail "openssl verify"

# refusals
$A terminal enroll "T 01" "$T/t1.jkey" "$T/x.key" "$T/x.csr" 2>/dev/null && fail "enroll bad id"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/y.key" -out "$T/y.csr" \
	-subj "/CN=T-02" 2>/dev/null
$A terminal sign "$T/ca" "$T/y.csr" "$T/y.crt" 2>"$T/err" && fail "signed without a journal key"
grep -q 'no journal key' "$T/err" || fail "no journal key message: $(cat "$T/err")"
sed 's/^MI/MJ/' "$T/t1.csr" >"$T/bad.csr"
$A terminal sign "$T/ca" "$T/bad.csr" "$T/bad.crt" 2>/dev/null && fail "signed an altered request"
[ -e "$T/bad.crt" ] && fail "a certificate was written for an altered request"
$A terminal sign "$T/ca" "$T/t1.csr" "$T/ca/t1.crt" 2>/dev/null && fail "sign overwrote a certificate"

# the real thing: the server and the terminal with these certificates
start_caissed
syncd_ini t1
$A terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 12 || fail "demo-sales"
syncd t1 --once || fail "sync: exit $?"
status t1 | grep -q '"last_seq":12,"records":12,"terminal":"T-01"' || fail "status: $(status t1)"
echo ok
