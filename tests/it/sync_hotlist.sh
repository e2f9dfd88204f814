#!/bin/sh
# sync_hotlist: the caisse hot-lists cards (`ssa-caissed -b`), GET /v1/hotlist gives what was
# added since a version, and ssa-syncd brings it down into its state database for the till,
# version after version, without doubles.  This is the first protocol's unsigned JSON hot list,
# which ssa-caissed keeps for clients that ask for JSON (Accept: application/json, as today's
# ssa-syncd does); the signed list of GET /v1/hotlist is tests/it/caisse_serve.sh's (the syncd
# helper's follow-up: switch the client to it, then retire this test).
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
start_caissed
syncd_ini t1
"$B/ssa-admin" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 3 || fail "demo-sales"
syncd t1 --once || fail "first sync"
[ "$(sql "$T/t1.state" "SELECT count(*) FROM hotlist")" = 0 ] || fail "hot list not empty"

C="$B/ssa-caissed -c $T/caissed.ini"
$C -b demo-card-7 -r "cloned card" | grep -q '^demo-card-7 added in hot list version 1$' ||
	fail "hot-list a card"
$C -b demo-card-7 -r "again" | grep -q '^demo-card-7 already in hot list version 1$' ||
	fail "hot-list it again"
$C -b "bad card" 2>"$T/err" && fail "a card id with a blank was hot-listed"
grep -q 'card id' "$T/err" || fail "message: $(cat "$T/err")"

out=$(ccurl t1 -H "Accept: application/json" "https://localhost:$PORT/v1/hotlist")
echo "$out" | grep -q '^{"cards":\[{"card":"demo-card-7","reason":"cloned card","version":1}\],"version":1}$' ||
	fail "hot list: $out"
out=$(ccurl t1 -H "Accept: application/json" "https://localhost:$PORT/v1/hotlist?since=1")
echo "$out" | grep -q '^{"cards":\[\],"version":1}$' || fail "hot list since 1: $out"
out=$(ccurl t1 -H "Accept: application/json" "https://localhost:$PORT/v1/hotlist?since=x")
echo "$out" | grep -q '^HTTP 400$' || fail "bad since: $out"

syncd t1 --once || fail "sync with a hot list"
[ "$(sql "$T/t1.state" "SELECT card || '|' || version || '|' || reason FROM hotlist")" = "demo-card-7|1|cloned card" ] ||
	fail "state: $(sql "$T/t1.state" "SELECT * FROM hotlist")"
$C -b demo-card-8 >/dev/null && $C -b demo-card-9 -r "lost" >/dev/null || fail "two more"
syncd t1 --once || fail "sync with three"
[ "$(sql "$T/t1.state" "SELECT count(*) || '|' || max(version) FROM hotlist")" = "3|3" ] ||
	fail "three cards: $(sql "$T/t1.state" "SELECT * FROM hotlist")"
[ "$(sql "$T/t1.state" "SELECT value FROM meta WHERE key = 'hotlist_version'")" = 3 ] ||
	fail "version not kept"
grep -q 'hot list: 2 cards added, version 3' "$T/syncd.log" || fail "log: only what is new"
syncd t1 --once || fail "sync again"
[ "$(sql "$T/t1.state" "SELECT count(*) FROM hotlist")" = 3 ] || fail "doubles"
echo ok
