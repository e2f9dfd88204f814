#!/bin/sh
# sync_books: three terminals of two outlets sell offline to the same member cards, which travel
# from one to the other (`ssa-admin terminal demo-books`: reloads of the caisse's grant batches,
# November's expiring the old balance, December's rolling it over up to 50 EUR; sales partly paid
# by the card; voids; refunds of card-paid lines), then push with ssa-syncd over mutual TLS to a
# real ssa-caissed.  Computed here from the terminals' journals alone (sqlite3 over their
# records), independently of lib/ledger.c and lib/settlement.c:
#   (a) every card's books at the caisse (ssa-admin caisse ledger, with the stored grant
#       batches) and the balance it held are the balance after the card's last record;
#   (b) these honest histories raise no anomaly, neither in the ledger nor at the pushes;
#   (c) the settlement of each month, per terminal and per outlet, is the SSA parts of the sales
#       minus those of the voids and of the refunds;
#   (d) then a card cloned and spent at two terminals, and a reload of a grant the caisse never
#       issued, are reported (DOUBLE_SPEND, GRANT_UNKNOWN), and only those cards are flagged.
. tests/it/sync_common.inc

sync_pki
for n in 1 2 3; do mk_terminal t$n T-0$n; done
start_caissed
for n in 1 2 3; do syncd_ini t$n; done
adm="$B/ssa-admin"
A() { timeout 30 "$adm" "$@" --db "$T/caisse.db"; }
A outlet add demo "Épicerie démo" >/dev/null || fail "outlet add demo"
A outlet add port "Épicerie du port" >/dev/null || fail "outlet add port"
A outlet attach demo T-01 T-02 >/dev/null || fail "attach demo"
A outlet attach port T-03 >/dev/null || fail "attach port"

# the caisse's members and their grants (household rules: 150 EUR, 75 per adult past the first,
# 40 per child)
caisse_admin_ini
G() { timeout 30 "$adm" -c "$T/admin.ini" "$@"; }
for i in 1 2 3 4; do
	G household add 00000000000000a$i >/dev/null &&
		G member add 00000000000000b$i --household 00000000000000a$i --birth 1980-04-02 \
			--card 11223344556677$i$i >/dev/null || fail "member b$i"
done
G member add 00000000000000c1 --household 00000000000000a1 --birth 2020-01-01 >/dev/null ||
	fail "child"
G grant make --period 202610 --policy expire >/dev/null || fail "grant make 202610"
G grant show --period 202610 >"$T/g10" || fail "grant show 202610"
G grant make --period 202611 --policy expire >/dev/null || fail "grant make 202611"
G grant show --period 202611 >"$T/g11" || fail "grant show 202611"
G grant make --period 202612 --policy rollover:50 >/dev/null || fail "grant make 202612"
G grant show --period 202612 >"$T/g12" || fail "grant show 202612"

# October from the 20th, November, December from the 3rd: the cards go from terminal to
# terminal (their state in $T/cards), T-01 and T-02 push once in November
ms() { echo $(($(date -u -d "$1" +%s) * 1000)); }
D() { timeout 60 "$adm" terminal demo-books "$T/$1.journal" "$T/$1.jkey" "$2" "$T/cards" "$3" "$4" "$5" $6 >/dev/null; }
D t1 T-01 "$T/g10" 1 20 "$(ms 2026-10-20)" || fail "demo-books t1 october"
D t2 T-02 "$T/g10" 2 20 || fail "demo-books t2 october"
D t3 T-03 "$T/g11" 11 30 "$(ms 2026-11-02)" || fail "demo-books t3"
syncd t1 --once || fail "sync t1"
syncd t2 --once || fail "sync t2"
D t1 T-01 "$T/g11" 12 30 || fail "demo-books t1"
D t2 T-02 "$T/g12" 21 30 "$(ms 2026-12-03)" || fail "demo-books t2 december"
D t3 T-03 "$T/g12" 22 30 || fail "demo-books t3 december"
D t1 T-01 "$T/g12" 23 20 || fail "demo-books t1 december"
for n in 1 2 3; do syncd t$n --once || fail "sync t$n"; done

# every record of the journals: terminal|seq|time|kind|card|before|after|ssa|policy expired
for n in 1 2 3; do
	sql "$T/t$n.journal" "SELECT json_extract(r,'\$.term'), seq, time_ms, kind,
		json_extract(r,'\$.card'), json_extract(r,'\$.bal_before'),
		json_extract(r,'\$.bal_after'), json_extract(r,'\$.ssa'),
		json_extract(r,'\$.reload.expired'), json_extract(r,'\$.reload.period')
		FROM (SELECT seq, time_ms, kind, CAST(record AS TEXT) AS r FROM journal)"
done | sort -t'|' -k3,3n >"$T/all" || fail "read the journals"
# the histories are mixed: every kind of record, several terminals per card
for k in SALE VOID REFUND RELOAD; do
	[ "$(grep -c "|$k|" "$T/all")" -ge 2 ] || fail "few $k records: $(cut -d'|' -f4 "$T/all" | sort | uniq -c)"
done
[ "$(grep -c '|RELOAD|' "$T/all")" = 12 ] || fail "reloads: $(grep '|RELOAD|' "$T/all")"
for c in 1 2 3 4; do
	[ "$(grep "|00000000000000b$c|" "$T/all" | cut -d'|' -f1 | sort -u | wc -l)" = 3 ] ||
		fail "card b$c did not travel"
done
# a card's balances chain from record to record, in time order, across the terminals; a reload
# expires or keeps what the month's policy says (checked again below by the ledger)
awk -F'|' '{ if (($5 in last) && last[$5] != $6) { print "chain " $0; bad = 1 } last[$5] = $7 }
	$4 == "RELOAD" { want = $6; if ($10 == 202612) want = $6 > 5000 ? $6 - 5000 : 0
		if ($9 != want) { print "policy " $0; bad = 1 }
		if ($10 == 202611 && $6 > 0) expired++; if ($10 == 202612 && $6 > 5000) capped++ }
	END { if (!expired || !capped) print "no reload expired or capped a balance"; exit bad || !expired || !capped }' \
	"$T/all" >&2 || fail "the generator's cards do not chain, or miss a case"

# (a) and (b): the caisse's ledgers
A caisse ledger --caisse caisse-test >"$T/ledger.csv" 2>"$T/ledger.err" || fail "ledger: $(cat "$T/ledger.err")"
[ "$(wc -l <"$T/ledger.csv")" = 5 ] || fail "ledger: $(cat "$T/ledger.csv")"
for c in 1 2 3 4; do
	card=00000000000000b$c
	n=$(grep -c "|$card|" "$T/all")
	last=$(grep "|$card|" "$T/all" | tail -1 | cut -d'|' -f7)
	eur=$(printf '%d.%02d' $((last / 100)) $((last % 100)))
	grep -q "^$card,$n,$eur,$eur,ok,\$" "$T/ledger.csv" ||
		fail "card $card: $n records ending at $eur; ledger: $(grep "^$card," "$T/ledger.csv")"
done
A caisse anomalies >"$T/anomalies.csv" || fail "anomalies"
[ "$(wc -l <"$T/anomalies.csv")" = 1 ] || fail "anomalies at the pushes: $(cat "$T/anomalies.csv")"

# (c): the settlement, month by month, terminal by terminal, outlet by outlet
eur() { awk -v c="$1" 'BEGIN { s = c < 0 ? "-" : ""; if (c < 0) c = -c; printf "%s%d.%02d", s, int(c / 100), c % 100 }'; }
want() { # PERIOD FROM_MS TO_MS: the settlement's CSV as the journals give it
	awk -F'|' -v p="$1" -v from="$2" -v to="$3" '
	$3 >= from && $3 < to && $8 > 0 && ($4 == "SALE" || $4 == "VOID" || $4 == "REFUND") {
		o = $1 == "T-03" ? "port" : "demo"
		n[o "," $1 "," $4]++; s[o "," $1 "," $4] += $8; seen[o "," $1] = 1; outl[o] = 1 }
	function line(key, term,   a, b, c, x, y, z) {
		a = n[key ",SALE"] + 0; x = s[key ",SALE"] + 0
		b = n[key ",VOID"] + 0; y = s[key ",VOID"] + 0
		c = n[key ",REFUND"] + 0; z = s[key ",REFUND"] + 0
		printf "%s,%s,%s,%d,%.2f,%d,%.2f,%d,%.2f,%.2f\n", p, substr(key, 1, index(key, ",") - 1),
			term, a, x / 100, b, y / 100, c, z / 100, (x - y - z) / 100 }
	END {
		print "period,establishment,terminal,sales,sales_ssa,voids,voids_ssa,refunds,refunds_ssa,owed"
		split("demo port", os, " ")
		for (i = 1; i <= 2; i++) {
			o = os[i]; if (!(o in outl)) continue
			for (t = 1; t <= 3; t++) if ((o ",T-0" t) in seen) {
				k = o ",T-0" t
				line(k, "T-0" t)
				for (w in n) if (index(w, k ",") == 1) { split(w, f, ","); N[o "," f[3]] += n[w]; S[o "," f[3]] += s[w] }
			}
			for (w in N) if (index(w, o ",") == 1) { split(w, f, ","); n[o ",*," f[2]] = N[w]; s[o ",*," f[2]] = S[w] }
			line(o ",*", "*")
		}
	}' "$T/all"
}
want 202610 "$(ms 2026-10-01)" "$(ms 2026-11-01)" >"$T/want10"
want 202611 "$(ms 2026-11-01)" "$(ms 2026-12-01)" >"$T/want11"
want 202612 "$(ms 2026-12-01)" "$(ms 2027-01-01)" >"$T/want12"
[ "$(wc -l <"$T/want10")" = 4 ] && [ "$(wc -l <"$T/want11")" = 5 ] && [ "$(wc -l <"$T/want12")" = 6 ] ||
	fail "journals' settlement: $(cat "$T/want10" "$T/want11" "$T/want12")"
for p in 10 11 12; do
	A caisse settlement --caisse caisse-test --period 2026$p 2>"$T/settle.err" | tr -d '\r' >"$T/got$p" ||
		fail "settlement 2026$p: $(cat "$T/settle.err")"
	cmp -s "$T/got$p" "$T/want$p" ||
		fail "settlement 2026$p: $(cat "$T/got$p") -- the journals say: $(cat "$T/want$p")"
	# the generator's records all name establishment demo: T-03's are told of, settled for port
	grep -v "^ssa-admin: terminal T-03: [0-9]* records ([0-9]* to [0-9]*) name establishment 'demo' but were pushed while it was attached to outlet port: counted for port\$" \
		"$T/settle.err" && fail "settlement 2026$p says: $(cat "$T/settle.err")"
done
# the outlets' statements over HTTPS say the same
owed=$(grep '^202611,port,\*,' "$T/want11" | awk -F, '{ split($10, e, "."); print e[1] * 100 + e[2] }')
ccurl t3 "https://localhost:$PORT/v1/settlement?period=202611" | grep -q "\"outlet\":\"port\",\"owed\":$owed," ||
	fail "port's statement: $(ccurl t3 "https://localhost:$PORT/v1/settlement?period=202611") want $owed"

# (d): card b1 cloned in December (a copy of its state spent at T-03 after T-02 spent the card
# itself), and card b4 reloaded at T-01 from a batch the caisse never stored
grep -v '^00000000000000' "$T/cards" >"$T/cards.b1"
grep '^00000000000000b1 ' "$T/cards" >>"$T/cards.b1"
cp "$T/cards.b1" "$T/clone"
printf 'member,00000000000000b1,1.00,0000000000000063\n' >"$T/g1only.csv"
# a batch with b1 alone, which was reloaded in 202612 already: only b1 is used
timeout 30 "$adm" grant sign --key "$T/doc.key" --caisse caisse-test --period 202612 \
	--policy rollover:50 <"$T/g1only.csv" >"$T/g12b1" 2>/dev/null || fail "grant sign b1"
timeout 60 "$adm" terminal demo-books "$T/t2.journal" "$T/t2.jkey" T-02 "$T/cards.b1" "$T/g12b1" 31 6 \
	>/dev/null || fail "b1 at T-02"
timeout 60 "$adm" terminal demo-books "$T/t3.journal" "$T/t3.jkey" T-03 "$T/clone" "$T/g12b1" 32 6 \
	>/dev/null || fail "the clone"
printf 'member,00000000000000b4,300.00,0000000000000099\n' >"$T/forged.csv"
timeout 30 "$adm" grant sign --key "$T/doc.key" --caisse caisse-test --period 202701 \
	--policy expire <"$T/forged.csv" >"$T/forged" 2>/dev/null || fail "grant sign forged"
grep -v '^00000000000000' "$T/cards" >"$T/cards.b4"
grep '^00000000000000b4 ' "$T/cards" >>"$T/cards.b4"
timeout 60 "$adm" terminal demo-books "$T/t1.journal" "$T/t1.jkey" T-01 "$T/cards.b4" "$T/forged" 33 3 \
	>/dev/null || fail "the forged reload"
for n in 1 2 3; do syncd t$n --once || fail "sync t$n again"; done
A caisse ledger --caisse caisse-test >"$T/ledger2.csv" || fail "ledger again"
grep -q '^00000000000000b1,[0-9]*,[-0-9.]*,[0-9.]*,flagged,.*DOUBLE_SPEND T-0[23]/' "$T/ledger2.csv" ||
	fail "the clone is not reported: $(cat "$T/ledger2.csv")"
grep -q '^00000000000000b4,[0-9]*,[-0-9.]*,[0-9.]*,flagged,GRANT_UNKNOWN T-01/[0-9]*$' "$T/ledger2.csv" ||
	fail "the forged reload is not reported: $(cat "$T/ledger2.csv")"
grep -q '^00000000000000b2,[0-9]*,[0-9.]*,[0-9.]*,ok,$' "$T/ledger2.csv" || fail "b2: $(cat "$T/ledger2.csv")"
grep -q '^00000000000000b3,[0-9]*,[0-9.]*,[0-9.]*,ok,$' "$T/ledger2.csv" || fail "b3: $(cat "$T/ledger2.csv")"
A caisse anomalies | grep -q "^00000000000000b1,T-0[23]," || fail "the push did not report the clone"
A caisse anomalies | grep -q '^00000000000000b[234],' && fail "honest cards reported at the pushes"
echo ok
