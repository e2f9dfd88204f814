#!/bin/sh
# ssa-admin list: a caisse's key pair, signing, verifying (an edited byte and another key fail),
# importing into a real catalog database (older list, other caisse and bad signature refused,
# the list in force kept), a delta, showing, the caisse's age limit (max_age: --max-age,
# [caisse] list_max_age), and the product CSV import (all or nothing).
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

# the caisse's age limit (docs/lists.md, max_age): --max-age, else the body's own line, else
# [caisse] list_max_age of ssa-admin.ini; the till's catalog keeps it with the list in force
sed 's/^version,7$/version,9/' "$tmp/v7.body" >"$tmp/v9.body"
timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v9.body" "$tmp/v9.list" --max-age 3 2>"$tmp/err" ||
	fail "sign --max-age: $(cat "$tmp/err")"
grep -q "max age 3 days" "$tmp/err" || fail "sign message: $(cat "$tmp/err")"
[ "$(head -5 "$tmp/v9.list" | tr '\n' ' ')" = "ssa-list,2 caisse,caisse-34 version,9 max_age,3 valid,2026-01-01, " ] ||
	fail "max_age line: $(head -5 "$tmp/v9.list")"
timeout 30 "$adm" list verify "$tmp/c34.pub" "$tmp/v9.list" | grep -q "entries, max age 3 days$" ||
	fail "verify max age"
# signed: an edited limit does not verify
sed 's/^max_age,3$/max_age,30/' "$tmp/v9.list" >"$tmp/edited9.list"
must_fail timeout 30 "$adm" list verify "$tmp/c34.pub" "$tmp/edited9.list"
grep -q "does not verify" "$tmp/out" || fail "edited max_age: $(cat "$tmp/out")"
timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/v9.list" | grep -q "version 9 in force"
timeout 30 "$adm" list show "$db" caisse-34 | grep -q '^max_age,3$' || fail "show max_age"
# a delta without the line, signed with [caisse] list_max_age = 5: the caisse's limit is written
printf '[caisse]\nlist_max_age = 5\n' >"$tmp/admin.ini"
printf 'ssa-list,1\ncaisse,caisse-34\nversion,10\nbase,9\nvalid,2026-01-01,\ncode,3560070123452,90,,,,\n' \
	>"$tmp/d10.body"
timeout 30 "$adm" -c "$tmp/admin.ini" list sign "$tmp/c34.key" "$tmp/d10.body" "$tmp/d10.list" 2>/dev/null ||
	fail "sign with [caisse] list_max_age"
grep -q '^max_age,5$' "$tmp/d10.list" || fail "config max_age: $(cat "$tmp/d10.list")"
grep -q '^base,9$' "$tmp/d10.list" || fail "delta base kept"
timeout 30 "$adm" list import "$db" caisse-34 "$tmp/c34.pub" "$tmp/d10.list" | grep -q "version 10 in force"
timeout 30 "$adm" list show "$db" caisse-34 >"$tmp/show"
grep -q '^max_age,5$' "$tmp/show" || fail "delta max_age in force: $(cat "$tmp/show")"
grep -q '^code,3560070123452,90,,,,$' "$tmp/show" || fail "delta entry"
# the caisse publishes it; a limit other than its configured one is published with a warning
timeout 30 "$adm" -c "$tmp/admin.ini" list publish "$tmp/v9.list" --key "$tmp/c34.pub" \
	--caisse caisse-34 --db "$tmp/caisse.db" >"$tmp/pub" 2>"$tmp/err" || fail "publish: $(cat "$tmp/err")"
grep -q "^published list of caisse-34: version 9, 4 entries, max age 3 days$" "$tmp/pub" ||
	fail "publish message: $(cat "$tmp/pub")"
grep -q "warning: .*v9.list says max_age 3 days, \[caisse\] list_max_age 5" "$tmp/err" ||
	fail "publish warning: $(cat "$tmp/err")"
sed 's/^version,7$/version,12/' "$tmp/v7.body" >"$tmp/v12.body"
timeout 30 "$adm" -c "$tmp/admin.ini" list sign --max-age 0 "$tmp/c34.key" "$tmp/v12.body" \
	"$tmp/v12.list" 2>/dev/null
timeout 30 "$adm" -c "$tmp/admin.ini" list publish "$tmp/v12.list" --key "$tmp/c34.pub" \
	--caisse caisse-34 --db "$tmp/caisse.db" >"$tmp/pub" 2>"$tmp/err" || fail "publish 12"
grep -q "^published list of caisse-34: version 12, 4 entries$" "$tmp/pub" || fail "publish 12"
grep -q "warning: .*v12.list has no max_age: tills use their own \[till\] list_max_age" "$tmp/err" ||
	fail "publish warning without max_age: $(cat "$tmp/err")"
# the body's own line beats the configuration; --max-age beats both; 0 takes it out (format 1)
sed 's/^version,7$/version,11/; s/^valid,/max_age,10\nvalid,/; s/^ssa-list,1$/ssa-list,2/' \
	"$tmp/v7.body" >"$tmp/v11.body"
timeout 30 "$adm" -c "$tmp/admin.ini" list sign "$tmp/c34.key" "$tmp/v11.body" >"$tmp/v11.list" 2>/dev/null
grep -q '^max_age,10$' "$tmp/v11.list" && ! grep -q '^max_age,5$' "$tmp/v11.list" ||
	fail "body's max_age"
timeout 30 "$adm" -c "$tmp/admin.ini" list sign --max-age 0 "$tmp/c34.key" "$tmp/v11.body" \
	>"$tmp/v11.list" 2>/dev/null
! grep -q '^max_age' "$tmp/v11.list" && head -1 "$tmp/v11.list" | grep -q '^ssa-list,1$' ||
	fail "--max-age 0: $(head -5 "$tmp/v11.list")"
# refused: a limit out of range, not a number; a format 1 body with the line (named by its line)
must_fail timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v9.body" --max-age 366
grep -q "0..365" "$tmp/out" || fail "--max-age 366: $(cat "$tmp/out")"
must_fail timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v9.body" --max-age 7d
printf '[caisse]\nlist_max_age = 400\n' >"$tmp/bad.ini"
must_fail timeout 30 "$adm" -c "$tmp/bad.ini" list sign "$tmp/c34.key" "$tmp/v9.body"
grep -q "list_max_age" "$tmp/out" || fail "bad [caisse] list_max_age: $(cat "$tmp/out")"
sed 's/^valid,/max_age,7\nvalid,/' "$tmp/v9.body" >"$tmp/v1age.body"
must_fail timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/v1age.body" "$tmp/v1age.list"
grep -q "v1age.body:4: max_age needs list format 2" "$tmp/out" || fail "format 1 max_age: $(cat "$tmp/out")"
[ ! -e "$tmp/v1age.list" ] || fail "a bad body was signed"
printf 'ssa-list,2\ncaisse,caisse-34\nversion,12\nmax_age,0\nvalid,2026-01-01,\n' >"$tmp/zero.body"
must_fail timeout 30 "$adm" list sign "$tmp/c34.key" "$tmp/zero.body"
grep -q "zero.body:4: max_age '0' is not a number of days in 1..365" "$tmp/out" ||
	fail "max_age 0: $(cat "$tmp/out")"

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
