#!/bin/sh
# sync_pull: ssa-syncd pulls what a real ssa-caissed serves (mutual TLS on 127.0.0.1) from what
# the caisse signed with ssa-admin: the convention list into the till's catalog (full, then a
# delta), the signed hot list and this and next month's grant batches (the terminal's outlet's,
# else the one for every outlet) into the spool, byte for byte as served; nothing new, nothing
# rewritten; documents tampered with in the caisse's database are refused and change nothing.
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
adm="$B/ssa-admin"
caisse_admin_ini
"$adm" list keygen "$T/other.key" "$T/other.pub" >/dev/null || fail "keygen 2"
A() { timeout 30 "$adm" -c "$T/admin.ini" "$@"; }
P0=$(date -u +%Y%m)
P1=$(date -u -d "$(date -u +%Y-%m-15) +1 month" +%Y%m)

SYNC_TILL_EXTRA="catalog = $T/t1.catalog" syncd_ini t1
sed -i "s|^batch = .*|&\nlist_key = $T/doc.pub|" "$T/t1.ini"
"$adm" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 4 || fail "demo-sales"
S=$T/t1.spool/status

# nothing published yet: the run succeeds, nothing in force, no document in the spool
syncd t1 --once || fail "first sync: exit $?: $(tail -5 "$T/syncd.log")"
[ "$(spool_status t1 list_version)" = 0 ] && [ "$(spool_status t1 hotlist_version)" = 0 ] &&
	[ "$(spool_status t1 rejections)" = 0 ] || fail "status: $(cat "$S")"
[ -z "$(ls "$T/t1.spool" | grep -v '^status$')" ] || fail "spool: $(ls "$T/t1.spool")"
grep -q 'convention list: the caisse has published none' "$T/syncd.log" || fail "log: no list"

# the caisse publishes a list, hot-lists a card, makes this month's grants for every outlet and
# next month's for the terminal's outlet
body() { # VERSION [BASE] RATE
	printf 'ssa-list,1\ncaisse,caisse-test\nversion,%s\n' "$1"
	[ -n "$2" ] && printf 'base,%s\n' "$2"
	printf 'valid,2026-01-01,\ncategory,fruits-legumes,100,%s,,,\ncode,3560070123452,50,,,,\n' "$3"
}
body 7 "" 4.00 >"$T/v7.body"
"$adm" list sign "$T/doc.key" "$T/v7.body" "$T/v7.list" 2>/dev/null || fail "sign v7"
A list publish "$T/v7.list" >/dev/null || fail "publish v7"
A hotlist add 1122334455667788 lost >/dev/null || fail "hotlist add"
A outlet add epi-1 "Épicerie" >/dev/null && A outlet attach epi-1 T-01 >/dev/null || fail "outlet"
A household add 00000000000000a1 >/dev/null &&
	A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 >/dev/null ||
	fail "household"
A grant make --period "$P0" >/dev/null || fail "grants $P0"
A grant make --period "$P1" --outlet epi-1 --policy rollover:20 >/dev/null || fail "grants $P1"
A grant show --period "$P0" >"$T/g0" && A grant show --period "$P1" --outlet epi-1 >"$T/g1" ||
	fail "grant show"
ccurl t1 -H 'Accept: text/plain' "https://localhost:$PORT/v1/hotlist" | sed '$d' | sed '$d' >"$T/h1"
grep -q '^card,1122334455667788,' "$T/h1" || fail "served hot list: $(cat "$T/h1")"

: >"$T/syncd.log"
syncd t1 --once || fail "sync: exit $?: $(tail -5 "$T/syncd.log")"
"$adm" list show "$T/t1.catalog" | grep -q "caisse-test *version 7 " ||
	fail "catalog: $("$adm" list show "$T/t1.catalog")"
cmp -s "$T/h1" "$T/t1.spool/hotlist.txt" || fail "spooled hot list differs from the served one"
cmp -s "$T/g0" "$T/t1.spool/grants-$P0.txt" || fail "spooled grants $P0"
cmp -s "$T/g1" "$T/t1.spool/grants-$P1.txt" || fail "spooled grants $P1 (the outlet's)"
grep -q '^policy,rollover,20.00$' "$T/t1.spool/grants-$P1.txt" || fail "the outlet's batch"
[ "$(spool_status t1 list_version)" = 7 ] || fail "list_version: $(cat "$S")"
hv=$(sed -n 's/^version,//p' "$T/h1")
[ "$(spool_status t1 hotlist_version)" = "$hv" ] || fail "hotlist_version: $(cat "$S")"
[ "$(spool_status t1 rejections)" = 0 ] || fail "rejections: $(cat "$S")"
"$adm" hotlist verify --key "$T/doc.pub" --caisse caisse-test <"$T/t1.spool/hotlist.txt" \
	>/dev/null || fail "the spooled hot list does not verify"

# again: nothing new, no spool file rewritten (the till re-reads on a changed mtime)
stamp() { stat -c '%i %Y %s' "$T/t1.spool/hotlist.txt" "$T/t1.spool/grants-$P0.txt" \
	"$T/t1.spool/grants-$P1.txt"; }
before=$(stamp)
sleep 1
: >"$T/syncd.log"
syncd t1 --once || fail "sync again: exit $?"
[ "$(stamp)" = "$before" ] || fail "spool files rewritten"
grep -q 'convention list: nothing new (version 7 in force)' "$T/syncd.log" || fail "log: nothing new"

# version 8 as a delta from 7; a card hot-listed, another removed: new full hot list
body 8 7 5.00 >"$T/d8.body"
body 8 "" 5.00 >"$T/v8.body"
"$adm" list sign "$T/doc.key" "$T/d8.body" "$T/d8.list" 2>/dev/null || fail "sign d8"
"$adm" list sign "$T/doc.key" "$T/v8.body" "$T/v8.list" 2>/dev/null || fail "sign v8"
A list publish "$T/v8.list" >/dev/null && A list publish "$T/d8.list" >/dev/null || fail "publish 8"
A hotlist add 99aabbccddeeff00 cloned >/dev/null && A hotlist remove 1122334455667788 >/dev/null ||
	fail "hot list changes"
: >"$T/syncd.log"
syncd t1 --once || fail "sync v8: exit $?: $(tail -5 "$T/syncd.log")"
"$adm" list show "$T/t1.catalog" caisse-test | grep -q '^version,8$' ||
	fail "delta not applied: $("$adm" list show "$T/t1.catalog" caisse-test)"
"$adm" list show "$T/t1.catalog" caisse-test | grep -q 'fruits-legumes,100,5.00' || fail "delta content"
[ "$(spool_status t1 list_version)" = 8 ] || fail "list_version 8"
grep -q '^card,99aabbccddeeff00,' "$T/t1.spool/hotlist.txt" &&
	! grep -q '^card,1122334455667788,' "$T/t1.spool/hotlist.txt" || fail "new hot list"
[ "$(spool_status t1 hotlist_version)" -gt "$hv" ] || fail "hotlist_version did not grow"

# documents tampered with in the caisse's database: refused, nothing changes, exit 65
cp "$T/t1.spool/hotlist.txt" "$T/hot.before"
cp "$T/t1.spool/grants-$P0.txt" "$T/g0.before"
sql "$T/caisse.db" "UPDATE hotlist_doc SET text = replace(text, ',cloned', ',stolen')
	WHERE version = (SELECT max(version) FROM hotlist_doc)" || fail "tamper hot list"
A hotlist add 0102030405060708 lost >/dev/null || fail "hotlist add 3" # a newer version
sql "$T/caisse.db" "UPDATE hotlist_doc SET text = replace(text, ',lost', ',revoked')
	WHERE version = (SELECT max(version) FROM hotlist_doc)" || fail "tamper hot list"
sql "$T/caisse.db" "UPDATE grant_batch SET text = replace(text, '.00', '.01') WHERE period = $P0" ||
	fail "tamper grants"
body 9 "" 6.00 | sed 's/^caisse,caisse-test$/caisse,caisse-other/' >"$T/v9.body"
"$adm" list sign "$T/doc.key" "$T/v9.body" "$T/v9.list" 2>/dev/null || fail "sign v9"
sql "$T/caisse.db" "INSERT INTO conv_list VALUES ('caisse-test', 9, 0, CAST(readfile('$T/v9.list') AS TEXT), 0)" ||
	fail "insert another caisse's list"
: >"$T/syncd.log"
syncd t1 --once
st=$?
[ $st = 65 ] || fail "tampered documents: exit $st, want 65: $(tail -5 "$T/syncd.log")"
cmp -s "$T/hot.before" "$T/t1.spool/hotlist.txt" || fail "tampered hot list written"
cmp -s "$T/g0.before" "$T/t1.spool/grants-$P0.txt" || fail "tampered grants written"
"$adm" list show "$T/t1.catalog" caisse-test | grep -q '^version,8$' || fail "list changed"
grep -q '^rejection=0 HOTLIST_SIGNATURE hot list refused' "$S" || fail "status: $(cat "$S")"
grep -q "^rejection=0 GRANT_SIGNATURE grant batch $P0 refused" "$S" || fail "status: $(cat "$S")"
grep -q '^rejection=0 LIST_CAISSE convention list refused' "$S" || fail "status: $(cat "$S")"
[ "$(spool_status t1 list_version)" = 8 ] || fail "list_version after refusal"
echo ok
