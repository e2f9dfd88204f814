#!/bin/sh
# ssa-caissed serves what the caisse signed with ssa-admin, over mutual TLS on 127.0.0.1:
# GET /v1/list (full, delta since a version, 204, 404), GET /v1/hotlist (the signed full list,
# 204 when not newer; the old JSON for a client that asks for JSON), GET /v1/grants (the batch of
# the terminal's outlet, else the one for every outlet; 404).  Bad queries get 400, a body 413, a
# wrong method 405, no certificate 403; what is served verifies with the caisse's public key.
. tests/it/sync_common.inc

sync_pki
mk_cert "$T/ca" t1 T-01
mk_cert "$T/ca" t2 T-02
start_caissed
adm="$B/ssa-admin"
caisse_admin_ini
A() { timeout 30 "$adm" -c "$T/admin.ini" "$@"; }
U="https://localhost:$PORT/v1"
# get NAME PATH OUT [CURL ARGS...]: the body into OUT, prints the status code
get() {
	n=$1 p=$2 o=$3
	shift 3
	timeout 60 curl -sS --cacert "$T/ca/ca.crt" --cert "$T/ca/$n.crt" --key "$T/ca/$n.key" \
		-o "$o" -D "$T/headers" -w '%{http_code}' "$@" "$U$p"
}
ctype() { grep -i '^content-type:' "$T/headers" | tr -d '\r' | sed 's/^[^:]*: *//'; }

# nothing published yet; the first protocol's JSON hot list (ssa-caissed -b) for a client that
# asks for JSON only, as long as the caisse has signed no hot list
"$B/ssa-caissed" -c "$T/caissed.ini" -b demo-card-7 -r cloned >/dev/null || fail "-b"
[ "$(get t1 /hotlist "$T/b" -H 'Accept: application/json')" = 200 ] || fail "JSON hot list"
grep -q '^{"cards":\[{"card":"demo-card-7","reason":"cloned","version":1}\],"version":1}$' "$T/b" ||
	fail "JSON hot list: $(cat "$T/b")"
[ "$(get t1 /hotlist "$T/b" -H 'Accept: text/plain, application/json')" = 204 ] ||
	fail "text/plain wins: nothing signed yet"
[ "$(get t1 "/list?caisse=caisse-test" "$T/b")" = 404 ] || fail "list before any: $(cat "$T/b")"
grep -q '"error":"NOT_FOUND"' "$T/b" || fail "404 body: $(cat "$T/b")"
[ "$(get t1 /hotlist "$T/b")" = 204 ] || fail "hot list before any"
[ "$(get t1 "/grants?period=202603" "$T/b")" = 404 ] || fail "grants before any"

# --- grants: per outlet, else for every outlet ---
A outlet add epi-1 "Épicerie" >/dev/null && A outlet attach epi-1 T-01 >/dev/null || fail "outlet"
A household add 00000000000000a1 >/dev/null &&
	A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 >/dev/null &&
	A member add 00000000000000b2 --household 00000000000000a1 --birth 2015-06-01 >/dev/null ||
	fail "household"
A grant make --period 202603 >/dev/null || fail "grants *"
A grant make --period 202603 --outlet epi-1 --policy rollover:20 >/dev/null || fail "grants epi-1"
[ "$(get t1 "/grants?period=202603" "$T/g1")" = 200 ] || fail "grants T-01: $(cat "$T/g1")"
[ "$(ctype)" = "text/plain" ] || fail "grants content type: $(ctype)"
"$adm" grant verify --key "$T/doc.pub" --caisse caisse-test --period 202603 <"$T/g1" >/dev/null ||
	fail "served batch does not verify"
grep -q '^outlet,epi-1$' "$T/g1" && grep -q '^policy,rollover,20.00$' "$T/g1" || fail "T-01's outlet batch"
grep -q '^grant,0000000000000002,member,00000000000000b1,190.00$' "$T/g1" || fail "T-01 grant: $(cat "$T/g1")"
A grant show --period 202603 --outlet epi-1 | cmp -s - "$T/g1" || fail "served bytes differ from stored"
[ "$(get t2 "/grants?period=202603" "$T/g2")" = 200 ] || fail "grants T-02"
grep -q '^outlet,\*$' "$T/g2" || fail "T-02 (no outlet) gets the batch for every outlet"
[ "$(get t1 "/grants?period=202604" "$T/b")" = 404 ] || fail "another month"
grep -q "no grants of 202604 for T-01" "$T/b" || fail "404 grants body: $(cat "$T/b")"
for q in "" "?period=" "?period=202613" "?period=20260" "?period=2026030" "?period=+20603" \
	"?period=abcdef" "?period=000001"; do
	[ "$(get t1 "/grants$q" "$T/b")" = 400 ] || fail "grants$q: $(cat "$T/b")"
	grep -q '"error":"PROTOCOL"' "$T/b" || fail "grants$q body"
done

# --- the hot list ---
A hotlist add 1122334455667788 lost >/dev/null && A hotlist add 99aabbccddeeff00 cloned >/dev/null ||
	fail "hot-list two cards"
[ "$(get t1 /hotlist "$T/h")" = 200 ] || fail "hot list"
[ "$(ctype)" = "text/plain" ] || fail "hot list content type"
"$adm" hotlist verify --key "$T/doc.pub" --caisse caisse-test <"$T/h" | grep -q "version 2, 2 cards" ||
	fail "served hot list: $(cat "$T/h")"
[ "$(get t1 "/hotlist?since=1" "$T/b")" = 200 ] || fail "since 1"
cmp -s "$T/b" "$T/h" || fail "since 1 is the full list"
[ "$(get t1 "/hotlist?since=2" "$T/b")" = 204 ] || fail "since 2: nothing new"
[ "$(get t1 "/hotlist?since=9" "$T/b")" = 204 ] || fail "since 9"
A hotlist remove 1122334455667788 >/dev/null || fail "unblock"
[ "$(get t1 "/hotlist?since=2" "$T/h3")" = 200 ] || fail "since 2 after a removal"
"$adm" hotlist verify --key "$T/doc.pub" <"$T/h3" | grep -q "version 3, 1 cards" || fail "v3"
for q in "?since=x" "?since=-1" "?since=4294967296" "?since=" "?since=1%202" \
	"?since=99999999999999999999999"; do
	[ "$(get t1 "/hotlist$q" "$T/b")" = 400 ] || fail "hotlist$q: $(cat "$T/b")"
done
# once the caisse signs, a client asking for JSON gets the signed list too
[ "$(get t1 /hotlist "$T/b" -H 'Accept: application/json')" = 200 ] && cmp -s "$T/b" "$T/h3" ||
	fail "signed list for a JSON client"

# --- convention lists ---
cat >"$T/v7.body" <<'L'
ssa-list,1
caisse,caisse-test
version,7
valid,2026-01-01,
category,fruits-legumes,100,4.00,,,
L
"$adm" list sign "$T/doc.key" "$T/v7.body" "$T/v7.list" 2>/dev/null
sed 's/^version,7$/version,8/; s/4.00/5.00/' "$T/v7.body" >"$T/v8.body"
"$adm" list sign "$T/doc.key" "$T/v8.body" "$T/v8.list" 2>/dev/null
printf 'ssa-list,1\ncaisse,caisse-test\nversion,8\nbase,7\nvalid,2026-01-01,\ncategory,fruits-legumes,100,5.00,,,\n' >"$T/d8.body"
"$adm" list sign "$T/doc.key" "$T/d8.body" "$T/d8.list" 2>/dev/null
A list publish "$T/v7.list" >/dev/null || fail "publish 7"
[ "$(get t1 "/list?caisse=caisse-test" "$T/b")" = 200 ] && cmp -s "$T/b" "$T/v7.list" || fail "full 7"
[ "$(ctype)" = "text/plain" ] || fail "list content type"
[ "$(get t1 "/list" "$T/b")" = 200 ] && cmp -s "$T/b" "$T/v7.list" || fail "caisse defaults to the server's"
A list publish "$T/v8.list" >/dev/null && A list publish "$T/d8.list" >/dev/null || fail "publish 8"
[ "$(get t1 "/list?caisse=caisse-test&since=7" "$T/b")" = 200 ] && cmp -s "$T/b" "$T/d8.list" ||
	fail "delta from 7: $(cat "$T/b")"
[ "$(get t1 "/list?caisse=caisse-test&since=5" "$T/b")" = 200 ] && cmp -s "$T/b" "$T/v8.list" ||
	fail "no delta from 5: the full list"
[ "$(get t1 "/list?caisse=caisse-test&since=0" "$T/b")" = 200 ] && cmp -s "$T/b" "$T/v8.list" || fail "since 0"
[ "$(get t1 "/list?caisse=caisse-test&since=8" "$T/b")" = 204 ] || fail "since 8"
[ ! -s "$T/b" ] || fail "204 with a body"
"$adm" list verify "$T/doc.pub" "$T/v8.list" >/dev/null || fail "served list does not verify"
[ "$(get t1 "/list?caisse=caisse-30" "$T/b")" = 404 ] || fail "another caisse"
for q in "?caisse=bad%20id" "?caisse=" "?since=x" "?since=-3" "?since=4294967296"; do
	[ "$(get t1 "/list$q" "$T/b")" = 400 ] || fail "list$q: $(cat "$T/b")"
done

# --- limits and methods ---
[ "$(get t1 /list "$T/b" -X GET --data-binary 'x')" = 413 ] || fail "GET with a body"
grep -q '"error":"TOO_LARGE"' "$T/b" || fail "413 body: $(cat "$T/b")"
[ "$(get t1 "/grants?period=202603" "$T/b" -X POST --data-binary '')" = 405 ] || fail "POST grants"
[ "$(get t1 /hotlist "$T/b" -X DELETE)" = 405 ] || fail "DELETE hotlist"
long=$(head -c 6000 /dev/zero | tr '\0' 'a')
code=$(get t1 "/list?caisse=$long" "$T/b")
[ "$code" = 400 ] || [ "$code" = 414 ] || [ "$code" = 431 ] || fail "a long query: $code"
out=$(timeout 60 curl -sS --cacert "$T/ca/ca.crt" -w '\nHTTP %{http_code}\n' "$U/grants?period=202603")
echo "$out" | grep -q '^HTTP 403$' || fail "grants without a certificate: $out"
echo "$out" | grep -q 'grant,' && fail "grants given without a certificate"
kill -0 "$CAISSED_PID" || fail "server died"
echo ok
