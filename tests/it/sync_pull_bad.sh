#!/bin/sh
# sync_pull_bad: a caisse that serves bad documents.  ssa-syncd pulls the convention list, the
# hot list and the grant batches; whatever comes that is not a document of this caisse signed
# with its key — another key's signature, another caisse's list, an older list, garbage, a
# reply over the size limit — changes nothing (the list in force stays, the spool's files stay
# as they were), is logged, and shows in <spool>/status as a rejection; --once exits 65.  The
# good documents are put in force or written to the spool.
#
# The misbehaving caisse is `openssl s_server -WWW` with mutual TLS serving files named after
# the request paths: a real ssa-caissed never serves such replies, so this is the one place a
# stand-in is needed (tests/it/sync_pull.sh runs the pulls against ssa-caissed).
. tests/it/sync_common.inc

sync_pki
mk_terminal t1 T-01
"$B/ssa-admin" list keygen "$T/doc.key" "$T/doc.pub" >/dev/null || fail "list keygen"
"$B/ssa-admin" list keygen "$T/other.key" "$T/other.pub" >/dev/null || fail "list keygen 2"
W=$T/www
mkdir -p "$W/v1"
printf '{"terminal":"T-01","caisse":"caisse-test","last_seq":0,"records":0}' >"$W/v1/status"

# sign_list KEY CAISSE VERSION OUT
sign_list() {
	cat >"$T/body" <<L
ssa-list,1
caisse,$2
version,$3
valid,2026-01-01,
code,3560070123452,100,,,,
category,fruits-legumes,100,4.00,,,
L
	rm -f "$4"
	"$B/ssa-admin" list sign "$1" "$T/body" "$4" >/dev/null 2>"$T/sign.err" || fail "list sign: $(cat "$T/sign.err")"
}

# start_www: the stand-in caisse on a free port (bounded retries), sets PORT
start_www() {
	for try in 1 2 3 4 5; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		(cd "$W" && exec timeout 120 openssl s_server -accept "127.0.0.1:$PORT" \
			-cert "$T/ca/server.crt" -key "$T/ca/server.key" -CAfile "$T/ca/ca.crt" \
			-Verify 1 -verify_return_error -WWW -quiet) >>"$T/www.log" 2>&1 &
		WWW_PID=$!
		CLEAN_PIDS="$CLEAN_PIDS $WWW_PID"
		i=0
		while [ $i -lt 50 ]; do
			kill -0 "$WWW_PID" 2>/dev/null || break
			if ccurl t1 "https://localhost:$PORT/v1/status" 2>/dev/null | grep -q caisse-test; then
				return 0
			fi
			i=$((i + 1))
			sleep 0.1
		done
		kill "$WWW_PID" 2>/dev/null
	done
	fail "the stand-in caisse did not start: $(tail -5 "$T/www.log")"
}

start_www
SYNC_TILL_EXTRA="catalog = $T/t1.catalog" syncd_ini t1
sed -i "s|^batch = .*|&\nlist_key = $T/doc.pub|" "$T/t1.ini"
S=$T/t1.spool/status

# a good list: put into the catalog, version in the status; the other documents are garbage
# (the stand-in answers a missing file with an error text): refused, nothing in the spool
sign_list "$T/doc.key" caisse-test 7 "$W/v1/list?caisse=caisse-test&since=0"
syncd t1 --once
st=$?
[ $st = 65 ] || fail "exit $st, want 65: $(tail -5 "$T/syncd.log")"
"$B/ssa-admin" list show "$T/t1.catalog" | grep -q 'caisse-test.*7' ||
	fail "list not in force: $("$B/ssa-admin" list show "$T/t1.catalog")"
[ "$(spool_status t1 list_version)" = 7 ] || fail "list_version: $(cat "$S")"
grep -q '^rejection=0 HOTLIST_FORMAT hot list refused' "$S" || fail "hot list garbage: $(cat "$S")"
grep -q '^rejection=0 GRANT_FORMAT grant batch [0-9]\{6\} refused' "$S" ||
	fail "grants garbage: $(cat "$S")"
[ -z "$(ls "$T/t1.spool" | grep -v '^status$')" ] || fail "spool: $(ls "$T/t1.spool")"

# check_refused WHAT ERROR: the run exits 65, the list in force is still version 7, and the
# status shows ERROR for WHAT first
check_refused() {
	: >"$T/syncd.log"
	syncd t1 --once
	st=$?
	[ $st = 65 ] || fail "$1: exit $st, want 65"
	"$B/ssa-admin" list show "$T/t1.catalog" | grep -q 'caisse-test.*7' ||
		fail "$1: the list in force changed"
	[ "$(spool_status t1 list_version)" = 7 ] || fail "$1: list_version $(cat "$S")"
	grep -q "^rejection=0 $2 convention list refused" "$S" || fail "$1: status $(cat "$S")"
	grep -q "convention list refused" "$T/syncd.log" || fail "$1: not logged"
}

# version 8 signed with another key
sign_list "$T/other.key" caisse-test 8 "$W/v1/list?caisse=caisse-test&since=7"
check_refused "another key" LIST_SIGNATURE
# version 8 of another caisse, signed with the right key
sign_list "$T/doc.key" caisse-other 8 "$W/v1/list?caisse=caisse-test&since=7"
check_refused "another caisse" LIST_CAISSE
# an older version
sign_list "$T/doc.key" caisse-test 6 "$W/v1/list?caisse=caisse-test&since=7"
check_refused "older" LIST_OLDER
# a byte changed after signing
sign_list "$T/doc.key" caisse-test 8 "$T/v8.list"
sed '/^category,/s/4\.00/9\.00/' "$T/v8.list" >"$W/v1/list?caisse=caisse-test&since=7"
check_refused "edited" LIST_SIGNATURE
# garbage
head -c 3000 /dev/urandom >"$W/v1/list?caisse=caisse-test&since=7"
check_refused "garbage" LIST_FORMAT
# over the 64 MiB limit of a reply: refused before it is all read
truncate -s 65M "$W/v1/list?caisse=caisse-test&since=7"
: >"$T/syncd.log"
syncd t1 --once
st=$?
[ $st = 75 ] || [ $st = 65 ] || fail "too large: exit $st"
grep -q 'reply over 67108864 bytes refused' "$T/syncd.log" || fail "too large: $(cat "$T/syncd.log")"
"$B/ssa-admin" list show "$T/t1.catalog" | grep -q 'caisse-test.*7' || fail "too large: list changed"

# and the right version 8 at last
rm -f "$W/v1/list?caisse=caisse-test&since=7"
cp "$T/v8.list" "$W/v1/list?caisse=caisse-test&since=7"
syncd t1 --once
"$B/ssa-admin" list show "$T/t1.catalog" | grep -q 'caisse-test.*8' || fail "version 8 not in force"
[ "$(spool_status t1 list_version)" = 8 ] || fail "list_version 8: $(cat "$S")"
# the stand-in cannot answer 204 (nothing new): the same list again is accepted as a no-op
cp "$T/v8.list" "$W/v1/list?caisse=caisse-test&since=8"

# --- the hot list -------------------------------------------------------------------------
# sign_hot KEY CAISSE VERSION OUT: a hot list of two cards
sign_hot() {
	printf '1122334455667788,lost\n99aabbccddeeff00,cloned\n' |
		"$B/ssa-admin" hotlist sign --key "$1" --caisse "$2" --version "$3" --date 2026-03-01 \
			>"$4" 2>"$T/sign.err" || fail "hotlist sign: $(cat "$T/sign.err")"
}
sign_hot "$T/doc.key" caisse-test 3 "$W/v1/hotlist?since=0"
: >"$T/syncd.log"
syncd t1 --once
cmp -s "$W/v1/hotlist?since=0" "$T/t1.spool/hotlist.txt" || fail "hot list not in the spool"
[ "$(spool_status t1 hotlist_version)" = 3 ] || fail "hotlist_version: $(cat "$S")"
grep -q 'hot list: version 3, 2 cards (was version 0)' "$T/syncd.log" || fail "hot list log"
cp "$T/t1.spool/hotlist.txt" "$T/hot3"

# check_hot WHAT ERROR MESSAGE: refused (logged with MESSAGE), hotlist.txt unchanged, the
# status shows ERROR
check_hot() {
	: >"$T/syncd.log"
	syncd t1 --once
	st=$?
	[ $st = 65 ] || fail "hot list $1: exit $st, want 65"
	cmp -s "$T/hot3" "$T/t1.spool/hotlist.txt" || fail "hot list $1: the spool's file changed"
	[ "$(spool_status t1 hotlist_version)" = 3 ] || fail "hot list $1: $(cat "$S")"
	grep -q "^rejection=0 $2 hot list" "$S" || fail "hot list $1: status $(cat "$S")"
	grep -q "hot list refused: $3" "$T/syncd.log" || fail "hot list $1: log $(cat "$T/syncd.log")"
}
sign_hot "$T/other.key" caisse-test 4 "$W/v1/hotlist?since=3"
check_hot "another key" HOTLIST_SIGNATURE "hot list signature does not verify"
sign_hot "$T/doc.key" caisse-other 4 "$W/v1/hotlist?since=3"
check_hot "another caisse" HOTLIST_CAISSE "hot list belongs to another caisse"
sign_hot "$T/doc.key" caisse-test 2 "$W/v1/hotlist?since=3"
check_hot "older" HOTLIST_OLDER "hot list is not newer"
cp "$T/hot3" "$W/v1/hotlist?since=3"
check_hot "the same again" HOTLIST_OLDER "hot list is not newer"
sign_hot "$T/doc.key" caisse-test 4 "$T/hot4"
sed 's/,lost$/,stolen/' "$T/hot4" >"$W/v1/hotlist?since=3"
check_hot "edited" HOTLIST_SIGNATURE "hot list signature does not verify"
head -c 100 "$T/hot4" >"$W/v1/hotlist?since=3"
check_hot "truncated" HOTLIST_FORMAT "hot list is malformed"
cp "$T/hot4" "$W/v1/hotlist?since=3"
syncd t1 --once
cmp -s "$T/hot4" "$T/t1.spool/hotlist.txt" || fail "hot list 4 not in the spool"
[ "$(spool_status t1 hotlist_version)" = 4 ] || fail "hotlist_version 4: $(cat "$S")"
# a spool file edited behind ssa-syncd's back no longer verifies: asked again from 0
sed -i 's/,lost$/,stolen/' "$T/t1.spool/hotlist.txt"
: >"$T/syncd.log"
syncd t1 --once
grep -q 'hotlist.txt does not verify' "$T/syncd.log" || fail "tampered spool file not noticed"
cmp -s "$T/hot3" "$T/t1.spool/hotlist.txt" || fail "hot list from 0 not in the spool"

# --- grants ---------------------------------------------------------------------------------
P0=$(date -u +%Y%m)
P1=$(date -u -d "$(date -u +%Y-%m-15) +1 month" +%Y%m)
# sign_grants KEY CAISSE PERIOD OUT
sign_grants() {
	printf 'card,1122334455667788,265.00\nmember,a1b2c3d4e5f60718,150.00\n' |
		"$B/ssa-admin" grant sign --key "$1" --caisse "$2" --period "$3" >"$4" 2>"$T/sign.err" ||
		fail "grant sign: $(cat "$T/sign.err")"
}
sign_grants "$T/doc.key" caisse-test "$P0" "$W/v1/grants?period=$P0"
sign_grants "$T/doc.key" caisse-test "$P1" "$W/v1/grants?period=$P1"
syncd t1 --once # the stand-in's hot list is refused each time now (no 204): exit 65
cmp -s "$W/v1/grants?period=$P0" "$T/t1.spool/grants-$P0.txt" || fail "grants $P0 not in the spool"
cmp -s "$W/v1/grants?period=$P1" "$T/t1.spool/grants-$P1.txt" || fail "grants $P1 not in the spool"
cp "$T/t1.spool/grants-$P1.txt" "$T/g1"
# check_grants WHAT ERROR MESSAGE: refused (logged), the spool's batch unchanged
check_grants() {
	: >"$T/syncd.log"
	syncd t1 --once
	st=$?
	[ $st = 65 ] || fail "grants $1: exit $st, want 65"
	cmp -s "$T/g1" "$T/t1.spool/grants-$P1.txt" || fail "grants $1: the spool's batch changed"
	grep -q "^rejection=0 $2 grant batch $P1 refused" "$S" || fail "grants $1: status $(cat "$S")"
	grep -q "grant batch $P1 refused: $3" "$T/syncd.log" || fail "grants $1: log $(cat "$T/syncd.log")"
}
sign_grants "$T/other.key" caisse-test "$P1" "$W/v1/grants?period=$P1"
check_grants "another key" GRANT_SIGNATURE "grant batch signature does not verify"
sign_grants "$T/doc.key" caisse-other "$P1" "$W/v1/grants?period=$P1"
check_grants "another caisse" GRANT_CAISSE "grant batch belongs to another caisse"
cp "$W/v1/grants?period=$P0" "$W/v1/grants?period=$P1"
check_grants "another period" GRANT_PERIOD "grant batch is for another period"
sed 's/,265.00$/,965.00/' "$T/g1" >"$W/v1/grants?period=$P1"
check_grants "edited" GRANT_SIGNATURE "grant batch signature does not verify"

# a list_key that is not a key: a clear message, nothing done
printf 'not a key\n' >"$T/bad.pub"
sed -i "s|^list_key = .*|list_key = $T/bad.pub|" "$T/t1.ini"
: >"$T/syncd.log"
syncd t1 --once
[ $? = 1 ] || fail "bad list_key: want exit 1"
grep -q "list_key: $T/bad.pub: not an Ed25519 public key (64 hex digits or PEM)" "$T/syncd.log" ||
	fail "bad list_key message: $(cat "$T/syncd.log")"

# without list_key nothing is pulled (said in the log), nothing is written, the run succeeds
sed -i '/^list_key = /d' "$T/t1.ini"
rm -f "$T/t1.spool/hotlist.txt"
: >"$T/syncd.log"
syncd t1 --once || fail "without list_key: exit $?: $(tail -3 "$T/syncd.log")"
grep -q 'no \[caisse\] list_key: the convention list, the hot list and the grants are not pulled' \
	"$T/syncd.log" || fail "without list_key: $(cat "$T/syncd.log")"
[ ! -e "$T/t1.spool/hotlist.txt" ] || fail "without list_key: a hot list was written"
echo ok
