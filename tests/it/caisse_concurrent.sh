#!/bin/sh
# ssa-caissed serves several terminals at once (a pool of threads, one database connection
# each): four ssa-syncd push their journals at the same time, in small batches, and pull what the
# caisse signed with ssa-admin (the convention list into their catalogs, the hot list and this
# month's grants into their spools), while a fifth client reads the grants and the hot list again
# and again.  Every record is stored once with its bytes, every terminal is acknowledged to its
# last record, every terminal holds the caisse's documents byte for byte, every read is whole,
# and a second round sends nothing.
. tests/it/sync_common.inc

sync_pki
N=4
for i in $(seq 1 $N); do mk_terminal "t$i" "T-0$i"; done
mk_cert "$T/ca" reader T-09
start_caissed
adm="$B/ssa-admin"
"$adm" list keygen "$T/doc.key" "$T/doc.pub" >/dev/null || fail "keygen"
printf 'ssa-household-rules,1\nbase,150.00\nadult,75.00\nchild,40.00\nchild_age,14\n' >"$T/rules.txt"
A() { timeout 30 "$adm" "$@" --db "$T/caisse.db"; }
month=$(date -u +%Y%m) # ssa-syncd pulls the grants of this month and the next
A household add 00000000000000a1 >/dev/null &&
	A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 >/dev/null &&
	A grant make --period "$month" --rules "$T/rules.txt" --caisse caisse-test --key "$T/doc.key" \
		>/dev/null || fail "grants"
A hotlist add 1122334455667788 lost --caisse caisse-test --key "$T/doc.key" >/dev/null ||
	fail "hot list"
A grant show --period "$month" >"$T/grants.txt"
printf 'ssa-list,1\ncaisse,caisse-test\nversion,3\nvalid,2026-01-01,\ncategory,fruits-legumes,100,4.00,,,\n' >"$T/v3.body"
"$adm" list sign "$T/doc.key" "$T/v3.body" "$T/v3.list" 2>/dev/null || fail "list sign"
A list publish "$T/v3.list" --caisse caisse-test --key "$T/doc.pub" >/dev/null || fail "publish"

for i in $(seq 1 $N); do
	SYNC_BATCH=5 SYNC_TILL_EXTRA="catalog = $T/t$i.catalog" syncd_ini "t$i"
	sed -i "s|^batch = .*|&\nlist_key = $T/doc.pub|" "$T/t$i.ini"
	"$adm" terminal demo-sales "$T/t$i.journal" "$T/t$i.jkey" "T-0$i" 120 || fail "demo-sales $i"
done
pids=""
for i in $(seq 1 $N); do
	syncd "t$i" --once &
	pids="$pids $!"
done
# reads in parallel with the pushes (bounded)
reads_ok=0
for k in $(seq 1 15); do
	code=$(timeout 60 curl -sS --cacert "$T/ca/ca.crt" --cert "$T/ca/reader.crt" \
		--key "$T/ca/reader.key" -o "$T/g.$k" -w '%{http_code}' \
		"https://localhost:$PORT/v1/grants?period=$month") || fail "read $k"
	[ "$code" = 200 ] && cmp -s "$T/g.$k" "$T/grants.txt" || fail "read $k: $code"
	code=$(timeout 60 curl -sS --cacert "$T/ca/ca.crt" --cert "$T/ca/reader.crt" \
		--key "$T/ca/reader.key" -o "$T/h.$k" -w '%{http_code}' \
		"https://localhost:$PORT/v1/hotlist") || fail "read hot list $k"
	[ "$code" = 200 ] && grep -q '^card,1122334455667788,' "$T/h.$k" || fail "hot list $k: $code"
	reads_ok=$((reads_ok + 1))
done
for p in $pids; do wait "$p" || fail "a concurrent sync failed: $(tail -20 "$T/syncd.log")"; done
[ "$reads_ok" = 15 ] || fail "reads"

for i in $(seq 1 $N); do
	out=$(status "t$i")
	echo "$out" | grep -q '"last_seq":120,"records":120' || fail "T-0$i after the sync: $out"
	a=$(sql "$T/t$i.journal" "SELECT hex(record) FROM journal WHERE seq = 77")
	b=$(sql "$T/caisse.db" "SELECT hex(data) FROM journal WHERE terminal = 'T-0$i' AND seq = 77")
	[ -n "$b" ] && [ "$a" = "$b" ] || fail "T-0$i record 77"
done
for i in $(seq 1 $N); do
	cmp -s "$T/t$i.spool/hotlist.txt" "$T/h.1" || fail "T-0$i's spooled hot list"
	cmp -s "$T/t$i.spool/grants-$month.txt" "$T/grants.txt" || fail "T-0$i's spooled grants"
	"$adm" list show "$T/t$i.catalog" | grep -q "caisse-test *version 3 " || fail "T-0$i's catalog"
done
[ "$(sql "$T/caisse.db" "SELECT count(*), count(DISTINCT terminal || '/' || seq) FROM journal")" = "480|480" ] ||
	fail "records at the caisse: $(sql "$T/caisse.db" "SELECT terminal, count(*) FROM journal GROUP BY 1")"

: >"$T/syncd.log"
pids=""
for i in $(seq 1 $N); do
	syncd "t$i" --once &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "second round failed"; done
[ "$(grep -c '0 records sent' "$T/syncd.log")" = "$N" ] || fail "second round sent: $(cat "$T/syncd.log")"
kill -0 "$CAISSED_PID" || fail "server died"
echo ok
