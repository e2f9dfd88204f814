#!/bin/sh
# ssa-admin list: a caisse's key pair, signing, verifying (an edited byte and another key fail),
# importing into a real catalog database (older list, other caisse and bad signature refused,
# the list in force kept), a delta, showing, and the product CSV import (all or nothing).
set -eu
b=${SSA_BUILD:-build}
adm="$b/ssa-admin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
must_fail() { if "$@" >"$tmp/out" 2>&1; then fail "should fail: $*"; fi; }

timeout 30 "$adm" list keygen "$tmp/c34.key" "$tmp/c34.pub" >/dev/null
timeout 30 "$adm" list keygen "$tmp/other.key" "$tmp/other.pub" >/dev/null
[ "$(stat -c %a "$tmp/c34.key")" = 600 ] || fail "private key not 0600"
must_fail timeout 30 "$adm" list keygen "$tmp/c34.key" "$tmp/x.pub" # never overwrites a key

cat >"$tmp/v7.body" <<'L'
ssa-list,1
caisse,caisse-34
version,7
valid,2026-01-01,
code,3560070123452,100,,,,
category,fruits-legumes,100,4.00,,,
category,epicerie,50,,30.00,,
exclude,alcool,,,,,
L
timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v7.body" "$tmp/v7.list" 2>/dev/null
tail -1 "$tmp/v7.list" | grep -q '^signature,ed25519,[0-9a-f]\{128\}$' || fail "signature line"
timeout 30 "$adm" list verify "$tmp/c34.pub" "$tmp/v7.list" | grep -q "caisse caisse-34, version 7"
must_fail timeout 30 "$adm" list verify "$tmp/other.pub" "$tmp/v7.list"
grep -q "does not verify" "$tmp/out" || fail "wrong key message: $(cat "$tmp/out")"
sed 's/epicerie,50/epicerie,90/' "$tmp/v7.list" >"$tmp/edited.list"
must_fail timeout 30 "$adm" list verify "$tmp/c34.pub" "$tmp/edited.list"
head -c 200 "$tmp/v7.list" >"$tmp/truncated.list"
must_fail timeout 30 "$adm" list verify "$tmp/c34.pub" "$tmp/truncated.list"
# a body that would not parse is never signed, and the message names the line
printf 'ssa-list,1\ncaisse,caisse-34\nversion,8\nvalid,2026-01-01,\ncode,3560070123456,100,,,,\n' \
	>"$tmp/bad.body"
must_fail timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/bad.body" "$tmp/bad.list"
grep -q "bad.body:5: .*check digit" "$tmp/out" || fail "bad body message: $(cat "$tmp/out")"
[ ! -e "$tmp/bad.list" ] || fail "a bad body was signed"

db="$tmp/catalog.db"
timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/v7.list" | grep -q "version 7 in force"
must_fail timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/edited.list"
must_fail timeout 30 "$adm" list import "$db" caisse-30 "$tmp/c34.pub" "$tmp/v7.list"
sed 's/^version,7$/version,6/' "$tmp/v7.body" >"$tmp/v6.body"
timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v6.body" "$tmp/v6.list" 2>/dev/null
must_fail timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/v6.list"
grep -q "older" "$tmp/out" || fail "older message: $(cat "$tmp/out")"
timeout 30 "$adm" list show "$db" | grep -q "caisse-34 *version 7 " || fail "show"

printf 'ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\n-exclude,alcool,,,,,\ncode,036000291452,80,,,,\n' \
	>"$tmp/d8.body"
timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/d8.body" "$tmp/d8.list" 2>/dev/null
timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/d8.list" | grep -q "version 8 in force"
timeout 30 "$adm" list show "$db" caisse-34 >"$tmp/show"
grep -q '^code,0036000291452,80,,,,$' "$tmp/show" || fail "delta entry: $(cat "$tmp/show")"
! grep -q '^exclude,alcool' "$tmp/show" || fail "delta removal"
grep -q '^version,8$' "$tmp/show" || fail "delta version"

cat >"$tmp/p.csv" <<'C'
code,name,price,unit,vat,category,quick_key
3560070123452,Lentilles vertes 500 g,2.35,piece,5.5,epicerie,1
2123450,"Tomates, grappe",5.90,kg,5.5,fruits-legumes,
C
timeout 30 "$adm" list products "$db" "$tmp/p.csv" "2.1,5.5,10,20" | grep -q "^2 products imported"
printf '3760000000017,Vin,8.99,piece,6,alcool,\n' >>"$tmp/p.csv"
must_fail timeout 30 "$adm" list products "$db" "$tmp/p.csv" "2.1,5.5,10,20"
grep -q "p.csv:4: VAT rate" "$tmp/out" || fail "VAT message: $(cat "$tmp/out")"
timeout 30 "$adm" list show "$db" | grep -q "^2 products" || fail "catalog changed"
must_fail timeout 30 "$adm" list frobnicate
echo ok
