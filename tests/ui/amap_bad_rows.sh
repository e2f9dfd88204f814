#!/bin/sh
# AMAP import: every bad row of the file is reported with its line number and reason (in the
# till's language: French here, the cell it names filled in), the good rows around them still
# import.  The message line gives the count; F3 lists the bad rows (a scrolled list: 25 of them
# do not fit on 24 lines), Esc goes back to the households; each bad row is in the log too, in
# English (SSA_LOG=stderr, stderr to a file).
. tests/ui/lib.sh

csv="$UI_TMP/distribution.csv"
{
	echo "userId;userName;productName;ref;catalogName;catalogId;vendorId;price;quantity;fees;total;paid"
	echo "12;DUPONT Hélène;Panier G;;Légumes;1;1;12,00;1;0;12,00;1"     # 2
	echo "13;MARTIN Paul;Panier M;;Légumes;1;1;9,00;deux;0;9,00;1"      # 3: quantity
	echo "14;DURAND Léa;;;Légumes;1;1;6,00;1;0;6,00;1"                  # 4: no product
	echo "15;BERNARD Sami;Oeufs x6;;Oeufs;2;1;3,00;1;0;3,00;1"          # 5
	echo "16;PETIT Jean;Oeufs x6;;Oeufs;2;1;3;1;0;trois;1"              # 6: total
	i=0
	while [ $i -lt 21 ]; do                                             # 7..27: quantity
		echo "$((100 + i));ROW $i;Oeufs x6;;Oeufs;2;1;3,00;q$i;0;;1"
		i=$((i + 1))
	done
	echo ";;Oeufs x6;;Oeufs;2;1;3,00;1;0;3,00;1"                        # 28: no name
	echo "17;FAURE Luc;Panier G;;Légumes;1;1;12,00;1;0;12,00;1"         # 29
} >"$csv"

ui_start SSA_LOG=stderr -- --amap "$csv" "2>'$UI_TMP/pos.err'"
ui_wait_text "3 ligne(s) importée(s), 25 en erreur : F3 les liste."
ui_sign_in 42
ui_wait_text "3 foyers, 0 venus, 3 attendus"
ui_screen | grep -q "FAURE Luc" || ui_fail "the good row after the bad ones"

ui_keys F3
ui_wait_text "25 ligne(s) en erreur, non importée(s) (Échap : retour)"
ui_wait_text "ligne 3 : quantité « deux » invalide"
ui_wait_text "ligne 4 : pas de nom de produit"
ui_wait_text "ligne 6 : total « trois » invalide"
ui_wait_text "ligne 7 : quantité « q0 » invalide"
ui_no_text "ligne 28 :"
ui_no_text "DUPONT Hélène"
# scrolled to the end: the last bad rows, the first ones gone
ui_keys NPage
ui_wait_text "ligne 28 : ni nom ni identifiant de membre"
ui_wait_text "ligne 27 : quantité « q20 » invalide"
ui_no_text "ligne 3 :"
ui_keys PPage
ui_wait_text "ligne 3 : quantité « deux » invalide"
# a key read while the list is shown records nothing: Enter only leaves the list
ui_keys Enter
ui_wait_text "DUPONT Hélène"
ui_wait_text "3 foyers, 0 venus, 3 attendus"
ui_keys F3
ui_wait_text "ligne 4 : pas de nom de produit"
ui_keys Escape
ui_wait_text "FAURE Luc"
ui_no_text "ligne 4 :"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# the log has every one of them, with the file and the line
for l in 3 4 6 $(seq 7 28); do
	grep -q "distribution.csv:$l: row left out: " "$UI_TMP/pos.err" ||
		{ cat "$UI_TMP/pos.err" >&2; ui_fail "line $l not in the log"; }
done
grep -q "distribution.csv:3: row left out: bad quantity 'deux'" "$UI_TMP/pos.err" ||
	ui_fail "the reason in the log"
[ "$(grep -c 'row left out' "$UI_TMP/pos.err")" = 25 ] || ui_fail "25 bad rows in the log"
grep -q "distribution.csv: 3 row(s) imported, 25 bad" "$UI_TMP/pos.err" || ui_fail "the count in the log"

# a file with no bad row: F3 says so
printf 'Nom;Prénom;Légumes\nDUPONT;Marie;1 x G\n' >"$UI_TMP/good.csv"
ui_stop
ui_start -- --amap "$UI_TMP/good.csv"
ui_sign_in 42
ui_keys F3
ui_wait_text "Toutes les lignes du fichier ont été importées."
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
exit 0
