#!/bin/sh
# ssa-admin list products takes the till's VAT rates from [vat] rates of ssa-admin.ini (the
# command line's RATES win): a product at another rate refuses the whole file, with its line and
# the configured rates, and the catalog is unchanged; a bad [vat] rates stops ssa-admin with the
# file and line before the command runs.
set -u
b=${SSA_BUILD:-build}
adm=$b/ssa-admin
tmp=$(mktemp -d /tmp/ssa-it.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
count() { timeout 30 "$adm" -c "$1" list show "$tmp/cat.db" | sed -n 's/^\([0-9]*\) products$/\1/p'; }

cat >"$tmp/fr.csv" <<'C'
code,name,price,unit,vat,category,quick_key
3560070123452,Lentilles vertes 500 g,2.35,piece,5.5,epicerie,1
2123450,"Tomates, grappe",5.90,kg,5.5,fruits-legumes,
C
cat >"$tmp/be.csv" <<'C'
code,name,price,unit,vat,category,quick_key
3760000000017,Jus de pomme 1 l,2.10,piece,6,boissons,
3560070123452,Lentilles vertes 500 g,2.35,piece,6,epicerie,1
C
: >"$tmp/empty.ini"
printf '[vat]\nrates = 6, 12, 21\n' >"$tmp/be.ini"

# the default rates are France's: French products import, a 6 % one is refused
timeout 30 "$adm" -c "$tmp/empty.ini" list products "$tmp/cat.db" "$tmp/fr.csv" >"$tmp/out" 2>&1 ||
	fail "French products refused: $(cat "$tmp/out")"
[ "$(count "$tmp/empty.ini")" = 2 ] || fail "not 2 products"
if timeout 30 "$adm" -c "$tmp/empty.ini" list products "$tmp/cat.db" "$tmp/be.csv" >"$tmp/out" 2>&1; then
	fail "a product at 6 % imported under the default rates"
fi
grep -q "be.csv:2: VAT rate is not a configured rate (configured rates: 2.1, 5.5, 10, 20)" "$tmp/out" ||
	fail "message: $(cat "$tmp/out")"
grep -q "nothing imported; the catalog is unchanged" "$tmp/out" || fail "no 'unchanged': $(cat "$tmp/out")"
[ "$(count "$tmp/empty.ini")" = 2 ] || fail "the catalog changed"

# Belgian rates from the file: now the French products are the ones refused
if timeout 30 "$adm" -c "$tmp/be.ini" list products "$tmp/cat.db" "$tmp/fr.csv" >"$tmp/out" 2>&1; then
	fail "a product at 5.5 % imported under Belgian rates"
fi
grep -q "fr.csv:2: VAT rate is not a configured rate (configured rates: 6, 12, 21)" "$tmp/out" ||
	fail "Belgian message: $(cat "$tmp/out")"
timeout 30 "$adm" -c "$tmp/be.ini" list products "$tmp/cat.db" "$tmp/be.csv" >"$tmp/out" 2>&1 ||
	fail "Belgian products refused: $(cat "$tmp/out")"
grep -q "^2 products imported" "$tmp/out" || fail "import output: $(cat "$tmp/out")"
# RATES on the command line win over the file
timeout 30 "$adm" -c "$tmp/be.ini" list products "$tmp/cat.db" "$tmp/fr.csv" "5.5,20" >"$tmp/out" 2>&1 ||
	fail "RATES argument ignored: $(cat "$tmp/out")"

# a bad [vat] rates in ssa-admin.ini: file and line, nothing runs
printf '[till]\n\n[vat]\nrates = 5,5, 10\n' >"$tmp/bad.ini"
if timeout 30 "$adm" -c "$tmp/bad.ini" list products "$tmp/cat.db" "$tmp/be.csv" >"$tmp/out" 2>&1; then
	fail "bad [vat] rates accepted"
fi
grep -q "bad.ini:4: bad value for 'rates' in \[vat\]: '5,5, 10' is not VAT rates" "$tmp/out" ||
	fail "bad rates message: $(cat "$tmp/out")"
[ "$(count "$tmp/empty.ini")" = 2 ] || fail "the catalog changed"
timeout 30 "$adm" -c "$tmp/empty.ini" list show "$tmp/cat.db" >/dev/null || fail "show"
echo ok
