#!/bin/sh
# The VAT figures are the same on screen, on the receipts, in the journal and in the Z (issue #2):
# two sales of a mixed basket at 5.5, 10 and 20 % (counted and weighed lines), paid in cash;
# per rate, the X report on screen and the Z shown before it is recorded give the sums of the
# printed receipts' VAT tables; every recorded sale carries its receipt's figures and the
# recorded Z their sums, to the cent.
. tests/ui/lib.sh

ui_demo_data
cat >"$UI_TMP/products.csv" <<'EOF'
code,name,price,unit,vat,category,quick_key
3560070894222,Lentilles vertes 500 g,2.35,piece,5.5,legumineuses,
2345678,Comté au lait cru,24.90,kg,5.5,fromage,
3250390000457,Plat cuisiné,7.49,piece,10,traiteur,
4011,Salade composée,13.95,kg,10,traiteur,
3600523614622,Savon,3.33,piece,20,hygiene,
3760123400107,Vin rouge 75 cl,5.90,piece,20,alcool,
EOF
ui_pos --import-products "$UI_TMP/products.csv" >/dev/null || ui_fail "import products"

ui_start
ui_sign_in 42
sale() { # N ENTRIES...: sell the entries for cash, wait for record N
	_n=$1
	shift
	for _e in "$@"; do ui_scan "$_e"; done
	ui_keys F3
	ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
	ui_type "200"
	ui_keys Enter
	ui_wait_text "Vente $_n enregistrée."
	ui_keys Escape
	ui_wait_text "Le panier est vide"
}
sale 1 "3*3560070894222" "0,350*2345678" 3250390000457 "0,427*4011" 3600523614622 \
	3760123400107
sale 2 "0,125*2345678" "3*3250390000457" "2*3600523614622" "7*3560070894222"

# rate in basis points and amounts in cents, from "5,5" / "5,50" / "14,95"
norm='function bp(s,  a) { split(s, a, ","); return a[1] * 100 + substr(a[2] "00", 1, 2) }
function ct(s) { gsub(/[^0-9]/, "", s); return s + 0 }'
# receipts: "RATE % NET VAT GROSS" rows after the "TVA HT ... TTC" header, summed per rate
for n in 1 2; do
	sed 's/\xe2\x80\xaf/ /g; s/\xc2\xa0/ /g' "$UI_DATA/receipts/sale-00000$n.txt" |
		awk "$norm"'
		/^TVA +HT +TVA +TTC$/ { on = 1; next }
		on && /^-/ { on = 0 }
		on { printf "%d %d %d %d\n", bp($1), ct($3), ct($4), ct($5) }' >"$UI_TMP/r$n"
	[ "$(wc -l <"$UI_TMP/r$n")" = 3 ] || ui_fail "receipt $n: not 3 VAT rows: $(cat "$UI_TMP/r$n")"
done
sort -n "$UI_TMP/r1" "$UI_TMP/r2" |
	awk '{ net[$1] += $2; vat[$1] += $3; gross[$1] += $4 }
	END { for (r in net) printf "%d %d %d %d\n", r, net[r], vat[r], gross[r] }' |
	sort -n >"$UI_TMP/sum"

# the screen: "TVA 5,50 % : HT / TVA   <net> €" then a line with the VAT alone
screen_vat() {
	ui_screen | sed 's/\xe2\x80\xaf/ /g; s/\xc2\xa0/ /g' | awk "$norm"'
		/TVA [0-9]+,[0-9]+ % : HT \/ TVA/ { r = bp($2); net = ct($(NF - 1)); want = 1; next }
		want { printf "%d %d %d\n", r, net, ct($(NF - 1)); want = 0 }'
}
cut -d' ' -f1-3 "$UI_TMP/sum" >"$UI_TMP/want"
ui_keys C-x
ui_wait_text "Rapport X du "
ui_wait_text "Ventes 2, annulations 0"
screen_vat >"$UI_TMP/x"
cmp -s "$UI_TMP/x" "$UI_TMP/want" ||
	ui_fail "X report against the receipts: $(diff "$UI_TMP/want" "$UI_TMP/x")"
ui_keys Escape
ui_keys C-z
ui_wait_text ": Entrée l'enregistre, Échap annule"
screen_vat >"$UI_TMP/z"
cmp -s "$UI_TMP/z" "$UI_TMP/want" ||
	ui_fail "Z on screen against the receipts: $(diff "$UI_TMP/want" "$UI_TMP/z")"
ui_keys Enter
ui_wait_text "Clôture 1 enregistrée (enregistrement 3)."
ui_keys Escape
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# the journal: each sale's vat summary is its receipt's, the Z's is their sum
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
jvat() { # KIND NTH: the vat summary objects of the NTH record of KIND, as "rate net vat gross"
	grep "\"kind\":\"$1\"" "$UI_TMP/show" | sed -n "$2p" |
		grep -o '{"gross":[0-9]*,"net":[0-9]*,"rate":[0-9]*,"vat":[0-9]*}' |
		sed 's/[^0-9,]//g; s/,/ /g' | awk '{ print $3, $2, $4, $1 }' | sort -n
}
for n in 1 2; do
	jvat SALE $n >"$UI_TMP/j$n"
	sort -n "$UI_TMP/r$n" | cmp -s - "$UI_TMP/j$n" ||
		ui_fail "sale $n: journal against receipt: $(sort -n "$UI_TMP/r$n" | diff - "$UI_TMP/j$n")"
done
jvat CLOSING_Z 1 >"$UI_TMP/jz"
cmp -s "$UI_TMP/jz" "$UI_TMP/sum" || ui_fail "Z in the journal: $(diff "$UI_TMP/sum" "$UI_TMP/jz")"
echo ok
