#!/bin/sh
# sync_proxy: three terminals push their journals to ssa-caissed, and pull what it signed (the
# convention list, the hot list, the grants), through ssa-faultproxy, which drops, resets,
# delays and duplicates connections (seeded, bounded), in a bounded loop of `ssa-syncd --once`
# runs until every terminal is acknowledged and has pulled everything.  Then the caisse holds
# exactly the records of each terminal's journal (same bytes, none lost, none twice), each
# terminal holds the caisse's documents byte for byte (never a cut one), and the same is true
# again from scratch with another seed, and once more with the proxy cutting raw TLS bytes (no
# TLS termination): the three final states are identical.  The caisse's card ledgers (balances,
# anomalies: the cards are spent at the three terminals from the same balances) and the
# settlement are those the terminals' journals imply, and identical in the three runs.
. tests/it/sync_common.inc

PROXY_PID=""
TOTAL_FAILS=0
NAMES="t1 t2 t3"

sync_pki
mk_terminal t1 T-01
mk_terminal t2 T-02
mk_terminal t3 T-03
"$B/ssa-admin" list keygen "$T/doc.key" "$T/doc.pub" >/dev/null || fail "keygen"
printf 'ssa-list,1\ncaisse,caisse-test\nversion,3\nvalid,2026-01-01,\ncategory,fruits-legumes,100,4.00,,,\n' \
	>"$T/v3.body"
"$B/ssa-admin" list sign "$T/doc.key" "$T/v3.body" "$T/v3.list" 2>/dev/null || fail "list sign"
P0=$(date -u +%Y%m)
printf 'ssa-household-rules,1\nbase,150.00\nadult,75.00\nchild,40.00\nchild_age,14\n' >"$T/rules.txt"

# publish: what the caisse signs for the terminals, in its fresh database
publish() {
	A() { timeout 30 "$B/ssa-admin" "$@" --db "$T/caisse.db"; }
	A list publish "$T/v3.list" --caisse caisse-test --key "$T/doc.pub" >/dev/null || fail "publish"
	A hotlist add 1122334455667788 lost --caisse caisse-test --key "$T/doc.key" >/dev/null &&
		A hotlist add 99aabbccddeeff00 cloned --caisse caisse-test --key "$T/doc.key" \
			>/dev/null || fail "hot list"
	A household add 00000000000000a1 >/dev/null &&
		A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 \
			>/dev/null &&
		A grant make --period "$P0" --rules "$T/rules.txt" --caisse caisse-test \
			--key "$T/doc.key" >/dev/null || fail "grants"
	A grant show --period "$P0" >"$T/grants.txt" || fail "grant show"
	# the three terminals sell for one outlet (the settlement's key)
	A outlet add demo "Épicerie" >/dev/null && A outlet attach demo T-01 T-02 T-03 >/dev/null ||
		fail "outlet"
}

# sales SPEC...: append demo sales to the terminals' journals, each SPEC "name count start_ms"
# (deterministic: the same calls give the same signed records)
sales() {
	for spec in "$@"; do
		set -- $spec
		"$B/ssa-admin" terminal demo-sales "$T/$1.journal" "$T/$1.jkey" \
			"$(echo "$1" | sed 's/t/T-0/')" "$2" "$3" >/dev/null || fail "demo-sales $spec"
	done
}

# start_proxy SEED MODE: the proxy in front of the caisse; MODE tls (terminates TLS, so that a
# duplicated request reaches the server twice) or raw (cuts the TLS bytes); sets PPORT
start_proxy() {
	if [ "$2" = tls ]; then
		proxy_start "$T/proxy.log" -r 700 -n 14 -d 300 -s "$1" -k drop,reset,delay,dup \
			--cert "$T/ca/server.crt" --key "$T/ca/server.key" --ca "$T/ca/ca.crt" \
			--client "$T/ca/t1.crt,$T/ca/t1.key" --client "$T/ca/t2.crt,$T/ca/t2.key" \
			--client "$T/ca/t3.crt,$T/ca/t3.key"
	else
		proxy_start "$T/proxy.log" -r 700 -n 14 -d 300 -s "$1" -k drop,reset,delay -b 6000
	fi
}

# dump_caisse FILE: every stored record, terminal by terminal, in sequence order; every card's
# ledger balance and anomalies as the caisse kept them
dump_caisse() {
	sql "$T/caisse.db" "SELECT terminal, seq, hex(data) FROM journal ORDER BY terminal, seq;
		SELECT * FROM card_ledger ORDER BY card;
		SELECT card, terminal, seq, expected, found, time_ms FROM card_anomaly
		ORDER BY card, terminal, seq" >"$1"
}

# check_books: the card ledgers the caisse kept batch by batch, in whatever order the faults let
# the batches in, are the ones the terminals' journals imply, and so is the settlement
check_books() {
	A() { timeout 30 "$B/ssa-admin" "$@" --db "$T/caisse.db"; }
	# every card of the journals has a ledger, and no other card
	for n in $NAMES; do
		sql "$T/$n.journal" "SELECT json_extract(record, '$.card') FROM journal
			WHERE json_extract(record, '$.card') <> ''"
	done | sort -u >"$T/cards.want"
	sql "$T/caisse.db" "SELECT card FROM card_ledger ORDER BY card" | sort >"$T/cards.got"
	cmp -s "$T/cards.want" "$T/cards.got" || fail "seed $seed: cards: $(diff "$T/cards.want" "$T/cards.got")"
	# each card's balance and anomalies are those of its ledger rebuilt at once from all the
	# records (lib/ledger.c over the stored records, which are the journals' bytes: see above)
	A caisse ledger --caisse caisse-test | tr -d '\r' | sed 1d >"$T/ledger.csv" || fail "seed $seed: caisse ledger"
	cut -d, -f1,4 "$T/ledger.csv" | tr , '|' >"$T/bal.want"
	sql "$T/caisse.db" "SELECT card, printf('%d.%02d', balance / 100, balance % 100)
		FROM card_ledger ORDER BY card" >"$T/bal.got"
	cmp -s "$T/bal.want" "$T/bal.got" || fail "seed $seed: balances: $(diff "$T/bal.want" "$T/bal.got")"
	awk -F, '{ n = split($6, w, " "); for (i = 1; i < n; i += 2)
		if (w[i] == "GAP" || w[i] == "EXCESS" || w[i] == "DOUBLE_SPEND") {
			split(w[i + 1], r, "/"); print $1 "|" r[1] "|" r[2] } }' "$T/ledger.csv" |
		sort >"$T/anom.want"
	sql "$T/caisse.db" "SELECT card, terminal, seq FROM card_anomaly" | sort >"$T/anom.got"
	[ -s "$T/anom.want" ] || fail "seed $seed: the sales double-spend cards: no anomaly"
	cmp -s "$T/anom.want" "$T/anom.got" || fail "seed $seed: anomalies: $(diff "$T/anom.want" "$T/anom.got")"
	# the settlement: per terminal, the SSA tender of its journal's sales less voids and refunds
	for n in $NAMES; do
		id=$(echo "$n" | sed 's/t/T-0/')
		sql "$T/$n.journal" "SELECT '$id', printf('%d.%02d', o / 100, o % 100) FROM (SELECT
			sum(CASE kind WHEN 'SALE' THEN 1 WHEN 'VOID' THEN -1 WHEN 'REFUND' THEN -1
			ELSE 0 END * json_extract(record, '$.ssa')) AS o FROM journal)"
	done >"$T/owed.want"
	A caisse settlement --caisse caisse-test --period 202611 2>"$T/settle.err" | tr -d '\r' | sed 1d | grep -v ',\*,' |
		cut -d, -f3,10 | tr , '|' >"$T/owed.got"
	cmp -s "$T/owed.want" "$T/owed.got" || fail "seed $seed: settlement: $(diff "$T/owed.want" "$T/owed.got")"
	[ ! -s "$T/settle.err" ] || fail "seed $seed: settlement: $(cat "$T/settle.err")"
	total=$(awk -F'|' '{ split($2, a, "."); t += a[1] * 100 + a[2] } END { print t }' "$T/owed.want")
	ccurl t1 "https://localhost:$PORT/v1/settlement?period=202611" |
		grep -q "\"outlet\":\"demo\",\"owed\":$total," || fail "seed $seed: the server's statement"
}

# sync_all: ssa-syncd --once for every terminal not acknowledged yet, in bounded rounds
sync_all() {
	pending=$NAMES
	round=0
	while [ -n "$pending" ]; do
		round=$((round + 1))
		[ $round -gt 30 ] && fail "seed $seed: $pending not acknowledged after 30 rounds"
		left=""
		for n in $pending; do
			runs=$((runs + 1))
			syncd "$n" --once
			st=$?
			case $st in
			0) ;;
			75) fails=$((fails + 1)); left="$left $n" ;;
			*) fail "seed $seed: $n: ssa-syncd --once exit $st: $(tail -5 "$T/syncd.log")" ;;
			esac
		done
		pending=$left
	done
}

# one_run SEED MODE: from a fresh caisse and the original journals, sync through the proxy
# until every terminal is acknowledged (bounded), and check the caisse against the journals
one_run() {
	seed=$1
	mode=$2
	[ -n "$CAISSED_PID" ] && stop_caissed
	rm -f "$T/caisse.db" "$T/caisse.db-wal" "$T/caisse.db-shm"
	for n in $NAMES; do rm -f "$T/$n.journal"* "$T/$n.state"*; done
	start_caissed
	publish
	: >"$T/proxy.log"
	: >"$T/syncd.log"
	start_proxy "$seed" "$mode"
	for n in $NAMES; do
		SYNC_TILL_EXTRA="catalog = $T/$n.catalog" syncd_ini "$n" "https://localhost:$PPORT"
		sed -i "s|^batch = .*|&\nlist_key = $T/doc.pub|" "$T/$n.ini"
	done
	runs=0
	fails=0
	# three waves of sales, each synced until every terminal is acknowledged
	sales "t1 17 1795000000000" "t2 9 1795100000000" "t3 12 1795200000000"
	sync_all
	sales "t1 15 1795010000000" "t2 1 1795110000000" "t3 12 1795210000000"
	sync_all
	sales "t1 8 1795020000000" "t2 13 1795120000000" "t3 7 1795220000000"
	sync_all
	proxy_stop
	faults=$(grep -c 'accepted, fault' "$T/proxy.log")
	echo "seed $seed ($mode): $runs runs of ssa-syncd, $fails failed, $faults faults injected"
	[ "$faults" -ge 5 ] || fail "seed $seed: only $faults faults: $(cat "$T/proxy.log")"
	TOTAL_FAILS=$((TOTAL_FAILS + fails))
	# the caisse holds each terminal's journal exactly: same seqs, same bytes, nothing more
	for n in $NAMES; do
		id=$(echo "$n" | sed 's/t/T-0/')
		sql "$T/$n.journal" "SELECT seq, hex(record) FROM journal ORDER BY seq" >"$T/$n.want"
		sql "$T/caisse.db" "SELECT seq, hex(data) FROM journal WHERE terminal = '$id' ORDER BY seq" \
			>"$T/$n.got"
		[ -s "$T/$n.want" ] || fail "empty journal $n"
		cmp -s "$T/$n.want" "$T/$n.got" ||
			fail "seed $seed: the caisse's records of $id differ from its journal" \
				"($(wc -l <"$T/$n.want") in the journal, $(wc -l <"$T/$n.got") at the caisse)"
		last=$(sql "$T/$n.journal" "SELECT max(seq) FROM journal")
		[ "$(sql "$T/$n.journal" "SELECT seq FROM sync_ack")" = "$last" ] ||
			fail "seed $seed: $n not acknowledged up to $last"
	done
	[ "$(sql "$T/caisse.db" "SELECT count(*) FROM journal")" = $((40 + 23 + 31)) ] ||
		fail "seed $seed: the caisse holds other records"
	# and each terminal pulled the caisse's documents whole
	ccurl t1 -H 'Accept: text/plain' "https://localhost:$PORT/v1/hotlist" | sed '$d' | sed '$d' \
		>"$T/hot.served"
	for n in $NAMES; do
		cmp -s "$T/hot.served" "$T/$n.spool/hotlist.txt" || fail "seed $seed: $n's hot list"
		"$B/ssa-admin" list show "$T/$n.catalog" | grep -q "caisse-test *version 3 " ||
			fail "seed $seed: $n's catalog"
		[ "$(spool_status "$n" rejections)" = 0 ] || fail "seed $seed: $n: $(cat "$T/$n.spool/status")"
		cmp -s "$T/grants.txt" "$T/$n.spool/grants-$P0.txt" || fail "seed $seed: $n's grants"
	done
	check_books
}

one_run 7 tls
dump_caisse "$T/state-a"
cp "$T/proxy.log" "$T/proxy-a.log"
one_run 1234 tls
dump_caisse "$T/state-b"
cp "$T/proxy.log" "$T/proxy-b.log"
one_run 99 raw
dump_caisse "$T/state-c"
cmp -s "$T/state-a" "$T/state-b" || fail "seeds 7 and 1234 end in different states"
cmp -s "$T/state-a" "$T/state-c" || fail "seeds 7 (tls) and 99 (raw) end in different states"

# the faults did make runs fail (libcurl retries some of them on a fresh connection itself)
[ "$TOTAL_FAILS" -ge 2 ] || fail "only $TOTAL_FAILS runs failed: the faults did nothing"
# every kind of fault happened, and a duplicated request did reach the caisse twice and was
# accepted the second time too (idempotent push)
cat "$T/proxy-a.log" "$T/proxy-b.log" "$T/proxy.log" >"$T/proxy-all.log"
for k in 'drop after' 'reset after' 'fault delay' 'fault dup'; do
	grep -q "$k" "$T/proxy-all.log" || fail "no '$k' in the proxy's logs"
done
grep -Eq 'dup: [0-9]+ bytes copied, [0-9]+ replies to the copy, [1-9][0-9]* of them 2xx' \
	"$T/proxy-all.log" || fail "no duplicated request was answered: $(grep dup "$T/proxy-all.log")"
echo ok
