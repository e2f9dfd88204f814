#!/bin/sh
# VAT rates are configuration ([vat] rates of ssa-pos.ini): an import refuses a product at a
# rate not configured and changes nothing; a bad [vat] rates stops ssa-pos with file and line;
# a catalog whose rates are no longer all configured is flagged on screen at start-up.
. tests/ui/lib.sh

# France (the default): the demo products (5.5 and 20 %) import.
ui_config "[vat]" "rates = 5.5, 10, 20"
ui_demo_data

# A product at 6 % (a Belgian rate) is refused, with the line and the configured rates.
cp "$UI_TOP/tests/ui/data/products.csv" "$UI_TMP/p.csv"
printf '3760000000017,Jus de pomme 1 l,2.10,piece,6,boissons,\n' >>"$UI_TMP/p.csv"
n=$(wc -l <"$UI_TMP/p.csv")
if ui_pos --import-products "$UI_TMP/p.csv" >"$UI_TMP/out" 2>&1; then
	ui_fail "a product at 6 % was imported"
fi
grep -q "p.csv:$n: VAT rate is not a configured rate (\[vat\] rates of the configuration: 5.5, 10, 20)" \
	"$UI_TMP/out" || ui_fail "message: $(cat "$UI_TMP/out")"

# A bad value: "5,5" with a decimal comma reads as 5 and 5.
ui_config "[vat]" "rates = 5,5, 10, 20"
if ui_pos --import-products "$UI_TOP/tests/ui/data/products.csv" >"$UI_TMP/out" 2>&1; then
	ui_fail "ssa-pos started with a bad [vat] rates"
fi
line=$(grep -n '^rates' "$UI_CONF" | cut -d: -f1)
grep -q "ssa-pos.ini:$line: bad value for 'rates' in \[vat\]: '5,5, 10, 20' is not VAT rates" \
	"$UI_TMP/out" || ui_fail "bad rates message: $(cat "$UI_TMP/out")"

# Belgium: the French catalog (5.5 and 20 %) is now wrong; the till says so at start-up, and
# still starts.
ui_config "[vat]" "rates = 6, 12, 21"
ui_start
ui_wait_text "TVA : 10 produit(s) à un taux absent de [vat] rates (5.5, 20 %"
ui_sign_in 42
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop

# ... and the Belgian product imports there, the French ones are refused at their first line.
printf 'code,name,price,unit,vat,category,quick_key\n3760000000017,Jus de pomme 1 l,2.10,piece,6,boissons,\n' \
	>"$UI_TMP/be.csv"
ui_pos --import-products "$UI_TMP/be.csv" | grep -q "^1 products imported" ||
	ui_fail "Belgian product refused"
if ui_pos --import-products "$UI_TOP/tests/ui/data/products.csv" >"$UI_TMP/out" 2>&1; then
	ui_fail "French products imported under Belgian rates"
fi
grep -q "products.csv:2: VAT rate is not a configured rate (\[vat\] rates of the configuration: 6, 12, 21)" \
	"$UI_TMP/out" || ui_fail "message: $(cat "$UI_TMP/out")"
ui_start
ui_sign_in 42
ui_no_text "TVA :"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
echo ok
