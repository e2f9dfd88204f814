#!/bin/sh
# ssa-pos --amap-statement YYYY-MM: the members' monthly AMAP statement, for reimbursement, from
# the statement files the distributions' F12 left in data_dir/amap (here three distributions of
# November 2026 and one of October).  The month's CSV (sorted by member then date, a total row
# per member and one for the month), one printable statement per member; then bad input — a
# bad row, a sign-in log with check-ins not in its statement, a statement copied under another
# name, no pickup that month, a bad month — each a message naming the file (and line), and
# nothing written or changed.
. tests/ui/lib.sh

ui_config
A="$UI_DATA/amap"
mkdir -p "$A"
H="member;household;date;contract;product;quantity;amount;paid"
cat >"$A/distrib-2026-11-05-statement.csv" <<-EOF
	$H
	00000000000000b2;MARTIN Paul;2026-11-05;Légumes;Panier M;1,000;9,00;card
	00000000000000a1;DUPONT Hélène;2026-11-05;Légumes;Panier G;1,000;12,00;card
	00000000000000a1;DUPONT Hélène;2026-11-05;Oeufs;Oeufs x6;1,000;3,00;reimburse
EOF
cat >"$A/distrib-2026-11-12-statement.csv" <<-EOF
	$H
	00000000000000a1;DUPONT Hélène;2026-11-12;Légumes;Panier G;1,000;12,00;reimburse
	00000000000000c3;BERNARD Sami;2026-11-12;Oeufs;Oeufs x6;2,000;6,00;reimburse
EOF
cat >"$A/fromages-statement.csv" <<-EOF
	$H
	00000000000000a1;DUPONT Hélène;2026-11-19;"Fromage; chèvre";Crottin;0,500;4,50;reimburse
	00000000000000a1;DUPONT Hélène;2026-10-29;"Fromage; chèvre";Crottin;1,000;9,00;reimburse
EOF
# a distribution's sign-in log, its statement written after its last change (F12 at the end)
printf 'v1\tDUPONT Hélène\tCOLLECTED\t%s\t\n' "$(date -d '2026-11-19 18:30' +%s)" \
	>"$A/fromages.log"
touch -d '2026-11-19 18:30' "$A/fromages.log"
touch -d '2026-11-19 19:00' "$A/fromages-statement.csv"
# a log of October only: not this month's business
printf 'v1\tX\tCOLLECTED\t%s\t\n' "$(date -d '2026-10-01 18:00' +%s)" >"$A/old.log"

ui_pos --amap-statement 2026-11 >"$UI_TMP/out" 2>"$UI_TMP/err" ||
	{ cat "$UI_TMP/err" >&2; ui_fail "statement of 2026-11"; }
grep -qx "2026-11: 3 member(s), 6 basket(s) from 3 statement file(s): 46.50 in all, 21.00 paid by card, 25.50 to reimburse" \
	"$UI_TMP/out" || { cat "$UI_TMP/out" >&2; ui_fail "summary"; }
grep -qx "written: $A/statement-2026-11.csv and $A/statement-2026-11/ (one statement per member)" \
	"$UI_TMP/out" || { cat "$UI_TMP/out" >&2; ui_fail "paths"; }
cat >"$UI_TMP/want.csv" <<-EOF
	member;household;date;contract;product;quantity;amount;paid_by_card;to_reimburse
	00000000000000a1;DUPONT Hélène;2026-11-05;Légumes;Panier G;1,000;12,00;12,00;0,00
	00000000000000a1;DUPONT Hélène;2026-11-05;Oeufs;Oeufs x6;1,000;3,00;0,00;3,00
	00000000000000a1;DUPONT Hélène;2026-11-12;Légumes;Panier G;1,000;12,00;0,00;12,00
	00000000000000a1;DUPONT Hélène;2026-11-19;"Fromage; chèvre";Crottin;0,500;4,50;0,00;4,50
	00000000000000a1;DUPONT Hélène;total;;;;31,50;12,00;19,50
	00000000000000b2;MARTIN Paul;2026-11-05;Légumes;Panier M;1,000;9,00;9,00;0,00
	00000000000000b2;MARTIN Paul;total;;;;9,00;9,00;0,00
	00000000000000c3;BERNARD Sami;2026-11-12;Oeufs;Oeufs x6;2,000;6,00;0,00;6,00
	00000000000000c3;BERNARD Sami;total;;;;6,00;0,00;6,00
	total;;;;;;46,50;21,00;25,50
EOF
diff -u "$UI_TMP/want.csv" "$A/statement-2026-11.csv" || ui_fail "the month's CSV"
[ "$(ls "$A/statement-2026-11")" = "00000000000000a1.txt
00000000000000b2.txt
00000000000000c3.txt" ] || ui_fail "one statement per member: $(ls "$A/statement-2026-11")"
t="$A/statement-2026-11/00000000000000a1.txt"
sed 's/\xc2\xa0/ /g' "$t" >"$UI_TMP/a1.txt"
grep -qx "Relevé AMAP — novembre 2026" "$UI_TMP/a1.txt" || ui_fail "title: $(cat "$t")"
grep -qx "Membre SSA : 00000000000000a1" "$UI_TMP/a1.txt" || ui_fail "member"
grep -qx "Foyer : DUPONT Hélène" "$UI_TMP/a1.txt" || ui_fail "household"
grep -Eq "^2026-11-05 Légumes +Panier G +1 +12,00 €  carte$" "$UI_TMP/a1.txt" || ui_fail "by card"
grep -Eq "^2026-11-19 Fromage; chèvre +Crottin +0,5 +4,50 €  à rembourser$" "$UI_TMP/a1.txt" ||
	ui_fail "to reimburse"
grep -qx "3 distribution(s), 4 panier(s)" "$UI_TMP/a1.txt" || ui_fail "pickups"
grep -Eq "^Total des paniers : +31,50 €$" "$UI_TMP/a1.txt" || ui_fail "total"
grep -Eq "^Déjà payé par la carte : +12,00 €$" "$UI_TMP/a1.txt" || ui_fail "paid by card"
grep -Eq "^À rembourser : +19,50 €$" "$UI_TMP/a1.txt" || ui_fail "to reimburse in all"
grep -q "2026-10-29" "$t" && ui_fail "October in November's statement"
# October: old.log has check-ins of October and no statement (F12 never pressed): refused
ui_pos --amap-statement 2026-10 >"$UI_TMP/out" 2>&1 && ui_fail "October without old's statement"
grep -q "old.log: check-ins of 2026-10 are not all in $A/old-statement.csv" "$UI_TMP/out" ||
	ui_fail "October: $(cat "$UI_TMP/out")"
[ -e "$A/statement-2026-10.csv" ] && ui_fail "October written all the same"
rm "$A/old.log"
ui_pos --amap-statement 2026-10 >"$UI_TMP/out" 2>&1 || ui_fail "statement of 2026-10"
grep -q "^2026-10: 1 member(s), 1 basket(s) from 3 statement file(s): 9.00 in all, 0.00 paid by card, 9.00 to reimburse$" \
	"$UI_TMP/out" || ui_fail "October: $(cat "$UI_TMP/out")"

# Bad input: a message naming the file and line, nothing written.
snapshot() { (cd "$A" && find . -type f | sort | xargs md5sum) >"$UI_TMP/$1"; }
refused() { # WHAT GREP-PATTERN ARGS...
	_what=$1 _pat=$2
	shift 2
	snapshot before
	if ui_pos --amap-statement "$@" >"$UI_TMP/out" 2>"$UI_TMP/err"; then
		ui_fail "$_what: accepted"
	fi
	grep -q -- "$_pat" "$UI_TMP/err" || { cat "$UI_TMP/err" >&2; ui_fail "$_what: message"; }
	[ -s "$UI_TMP/out" ] && ui_fail "$_what: something on stdout"
	snapshot after
	cmp -s "$UI_TMP/before" "$UI_TMP/after" || ui_fail "$_what: files changed"
}
cp "$A/distrib-2026-11-12-statement.csv" "$UI_TMP/keep.csv"
echo "00000000000000c3;BERNARD Sami;2026-11-26;Oeufs;Oeufs x6;deux;6,00;reimburse" \
	>>"$A/distrib-2026-11-12-statement.csv"
refused "bad quantity" "^ssa-pos: $A/distrib-2026-11-12-statement.csv:4: bad quantity 'deux'$" 2026-11
printf '%s\n00000000000000c3;BERNARD Sami;2026-11-26;Oeufs;Oeufs x6;1,000;3,00;cash\n' "$H" \
	>"$A/distrib-2026-11-12-statement.csv"
refused "bad paid" "distrib-2026-11-12-statement.csv:2: bad paid 'cash'" 2026-11
printf 'household;name;contract\n' >"$A/distrib-2026-11-12-statement.csv"
refused "not a statement" "distrib-2026-11-12-statement.csv:1: not a statement file" 2026-11
cp "$UI_TMP/keep.csv" "$A/distrib-2026-11-12-statement.csv"
# F12 not pressed after the last check-ins of a distribution
touch -d '2026-11-19 19:30' "$A/fromages.log"
refused "stale statement" "fromages.log: check-ins of 2026-11 are not all in $A/fromages-statement.csv: open that distribution (ssa-pos --amap fromages.csv), press F12" 2026-11
touch -d '2026-11-19 18:30' "$A/fromages.log"
printf 'v1\tMARTIN Paul\tCOLLECTED\t%s\t\n' "$(date -d '2026-11-26 18:30' +%s)" >"$A/nofile.log"
refused "no statement" "nofile.log: check-ins of 2026-11 are not all in $A/nofile-statement.csv" 2026-11
rm "$A/nofile.log"
# a statement copied under another name would be paid twice
cp "$A/distrib-2026-11-12-statement.csv" "$A/copy-statement.csv"
refused "copy" "the same pickup in two statement files" 2026-11
grep -q "copy-statement.csv:[23] and $A/distrib-2026-11-12-statement.csv:[23]" "$UI_TMP/err" ||
	ui_fail "the two rows: $(cat "$UI_TMP/err")"
rm "$A/copy-statement.csv"
refused "no pickup" "no AMAP pickup by a household with an SSA card in 2026-09" 2026-09
refused "bad month" "bad month '2026-13'" 2026-13
refused "bad month" "bad month 'novembre'" novembre
# everything sound again: the same statement as before
ui_pos --amap-statement 2026-11 >/dev/null 2>&1 || ui_fail "statement again"
diff -u "$UI_TMP/want.csv" "$A/statement-2026-11.csv" || ui_fail "the month's CSV again"
# no AMAP directory at all on a till
rm -rf "$A"
ui_pos --amap-statement 2026-11 >"$UI_TMP/out" 2>"$UI_TMP/err" && ui_fail "no directory accepted"
grep -q "^ssa-pos: $A: .*(no AMAP distribution on this till yet?)$" "$UI_TMP/err" || ui_fail "no directory: $(cat "$UI_TMP/err")"
[ -e "$A" ] && ui_fail "the directory was made"
exit 0
