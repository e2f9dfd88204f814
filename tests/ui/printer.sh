#!/bin/sh
# Tenders and the ESC/POS printer.  A basket paid part in local currency, part by another
# tender, the rest in cash with change: the screen, the receipt (every tender on it) and the
# journal record.  [receipt] printer is a file: the bytes written are exactly ESC @ and ESC t 19
# (code page 858), the receipt's text in CP858, then the feed and GS V 66 0 (partial cut); a
# reprint is printed with its DUPLICATA line.  Then the printer is a FIFO (a print spooler's
# pipe): the next receipt goes through it to its reader, byte for byte; with nobody reading, the
# sale is still recorded, the screen says the receipt was not printed, and the FIFO stays a FIFO.
. tests/ui/lib.sh

printer="$UI_TMP/printer.bin"
ui_config
sed -i "s|^\[receipt\]\$|[receipt]\nprinter = $printer|" "$UI_CONF"
grep -qx "printer = $printer" "$UI_CONF" || ui_fail "config: $(cat "$UI_CONF")"
ui_demo_data
ui_start
ui_sign_in 42

# 2,35 + 5,90 + 2,35 = 10,60: 4,00 local currency, 1,50 other, 10 cash given: 5,10 cash, 4,90 change
ui_scan "2*3560070894222"
ui_scan 3176582033303
ui_wait_text "2 ligne(s)   Total 10,60 €"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_type "4"
ui_keys F9
ui_wait_text "Reste 6,60 € à payer."
ui_screen | grep -Eq '^  Monnaie locale +4,00 €$' || ui_fail "local currency on the payment screen"
ui_type "1,50"
ui_keys F11
ui_wait_text "Reste 5,10 € à payer."
ui_screen | grep -Eq '^  Autre +1,50 €$' || ui_fail "other tender on the payment screen"
ui_type "10"
ui_keys F7
ui_wait_text "Vente 1 enregistrée. Rendu : 4,90 €."
ui_wait_text "ssa-pos - Ticket"
r="$UI_DATA/receipts/sale-000001.txt"
for l in "TOTAL *10,60 €" "Monnaie locale *4,00 €" "Autre *1,50 €" "Espèces *10,00 €" \
	"Rendu *4,90 €"; do
	sed 's/\xe2\x80\xaf/ /g; s/\xc2\xa0/ /g' "$r" | grep -Eq "^$l\$" || ui_fail "receipt: $l"
done

# the printer's bytes: init, the receipt's text in CP858, feed and cut
escpos() { # TEXT-FILE: what ssa-pos must send for it
	printf '\033@\033t\023'
	iconv -f UTF-8 -t CP858//TRANSLIT "$1"
	printf '\n\n\n\035VB\000'
}
escpos "$r" >"$UI_TMP/want.bin" || ui_fail "expected bytes"
cmp "$UI_TMP/want.bin" "$printer" || ui_fail "printer bytes differ from the receipt"
# and the text is really there, accents in code page 858 (É = 0x90, é = 0x82)
grep -aq "$(printf '\220picerie du March\202')" "$printer" || ui_fail "shop name in CP858"
grep -aq "Monnaie locale" "$printer" || ui_fail "tender on paper"
ui_keys Escape
ui_wait_text "Le panier est vide"

# a reprint is printed too, marked
ui_keys C-r
ui_wait_text "Ticket de la vente 1 réimprimé (copie 1)."
grep -aq "DUPLICATA 1" "$printer" || ui_fail "no DUPLICATA on paper"
[ "$(head -c 5 "$printer" | od -An -tx1 | tr -d ' \n')" = 1b401b7413 ] || ui_fail "reprint: no init"
[ "$(tail -c 4 "$printer" | od -An -tx1 | tr -d ' \n')" = 1d564200 ] || ui_fail "reprint: no cut"
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_journal show --db "$UI_DATA/journal.db" --json >"$UI_TMP/show" 2>&1 || ui_fail "journal show"
grep '"kind":"SALE"' "$UI_TMP/show" | grep -q '"amount":400,"change":0,"given":400,"kind":"LOCAL_CURRENCY"' ||
	{ cat "$UI_TMP/show"; ui_fail "local currency in the record"; }
grep '"kind":"SALE"' "$UI_TMP/show" | grep -q '"amount":150,"change":0,"given":150,"kind":"OTHER"' ||
	ui_fail "other tender in the record"
grep '"kind":"SALE"' "$UI_TMP/show" | grep -q '"amount":510,"change":490,"given":1000,"kind":"CASH"' ||
	ui_fail "cash in the record"

# the printer is a FIFO with a reader: the receipt goes through, byte for byte
rm -f "$printer"
mkfifo "$printer" || ui_fail "mkfifo"
ui_stop
ui_start
ui_sign_in 42
timeout 60 cat "$printer" >"$UI_TMP/fifo.bin" &
reader=$!
ui_scan 3560070894222
ui_wait_text "1 ligne(s)   Total 2,35 €"
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_keys F7
ui_wait_text "Vente 3 enregistrée."
wait "$reader" || ui_fail "the FIFO's reader"
escpos "$UI_DATA/receipts/sale-000003.txt" >"$UI_TMP/want3.bin"
cmp "$UI_TMP/want3.bin" "$UI_TMP/fifo.bin" || ui_fail "bytes through the FIFO"
ui_keys Escape
ui_wait_text "Le panier est vide"

# nobody reads the FIFO: the sale is recorded at once, the paper is a message
ui_scan 3560070894222
ui_keys F3
ui_wait_text "Posez la carte alimentaire, ou encaissez par d'autres moyens."
ui_keys F7
ui_wait_text "Imprimante $printer : le ticket n'a pas été imprimé."
ui_wait_text "Vente 4 "
[ "$(sqlite3 "$UI_DATA/journal.db" "SELECT kind FROM journal WHERE seq = 4")" = SALE ] ||
	ui_fail "sale 4 not recorded"
[ -p "$printer" ] || ui_fail "the FIFO was replaced"
ui_keys Escape
ui_wait_text "Le panier est vide"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
echo ok
