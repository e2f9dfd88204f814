#!/bin/sh
# ssa-admin grant sign / hotlist sign: a batch and a hot list signed from CSV with the caisse's
# document key verify with its public key (and with no other key); a bad line is refused with its
# number and nothing is written; a public key file or a garbage file as --key is refused.
set -eu
b=${SSA_BUILD:-build}
adm="$b/ssa-admin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
must_fail() { if "$@" >"$tmp/out" 2>"$tmp/err"; then fail "should fail: $*"; fi; }

timeout 30 "$adm" list keygen "$tmp/doc.key" "$tmp/doc.pub" >/dev/null
timeout 30 "$adm" list keygen "$tmp/other.key" "$tmp/other.pub" >/dev/null

# --- grants ---
cat >"$tmp/grants.csv" <<'C'
# caisse-34, March 2026
card,1122334455667788,265.00
member,A1B2C3D4E5F60718,150
card,99aabbccddeeff00,0.05,1000
C
timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv" >"$tmp/batch.txt" 2>"$tmp/err" || fail "grant sign: $(cat "$tmp/err")"
grep -q "3 grants, 415.05 euros" "$tmp/err" || fail "summary: $(cat "$tmp/err")"
sed '$d' "$tmp/batch.txt" >"$tmp/body"
cat >"$tmp/want" <<'W'
ssa-grants,1
caisse,caisse-34
period,202603
outlet,*
policy,expire
grant,0000000000000001,card,1122334455667788,265.00
grant,0000000000000002,member,a1b2c3d4e5f60718,150.00
grant,00000000000003e8,card,99aabbccddeeff00,0.05
W
cmp -s "$tmp/body" "$tmp/want" || fail "batch text: $(cat "$tmp/batch.txt")"
timeout 30 "$adm" grant verify --key "$tmp/doc.pub" --caisse caisse-34 --period 202603 \
	<"$tmp/batch.txt" | grep -q "^signature ok: grants of caisse-34 for 202603, outlet \*, 3 grants, 415.05 euros, old balance expires$" ||
	fail "grant verify"
must_fail timeout 30 "$adm" grant verify --key "$tmp/other.pub" <"$tmp/batch.txt"
grep -q "does not verify" "$tmp/err" || fail "other key: $(cat "$tmp/err")"
must_fail timeout 30 "$adm" grant verify --key "$tmp/doc.pub" --caisse caisse-30 <"$tmp/batch.txt"
must_fail timeout 30 "$adm" grant verify --key "$tmp/doc.pub" --period 202604 <"$tmp/batch.txt"
sed 's/,265.00$/,266.00/' "$tmp/batch.txt" >"$tmp/edited.txt"
must_fail timeout 30 "$adm" grant verify --key "$tmp/doc.pub" <"$tmp/edited.txt"

# an outlet, and the same CSV gives the same bytes (canonical, deterministic Ed25519)
timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 --period 202603 \
	--outlet outlet-7 <"$tmp/grants.csv" >"$tmp/b7.txt" 2>/dev/null
grep -q '^outlet,outlet-7$' "$tmp/b7.txt" || fail "outlet line"
timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 --period 202603 \
	--policy rollover:50 <"$tmp/grants.csv" >"$tmp/roll.txt" 2>/dev/null
grep -q '^policy,rollover,50.00$' "$tmp/roll.txt" || fail "policy line: $(cat "$tmp/roll.txt")"
timeout 30 "$adm" grant verify --key "$tmp/doc.pub" <"$tmp/roll.txt" |
	grep -q "rollover up to 50.00 euros$" || fail "verify policy"
for p in rollover rollover:-1 rollover:10000.01 keep; do
	must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 \
		--period 202603 --policy "$p" <"$tmp/grants.csv"
	grep -q "policy '$p' is neither" "$tmp/err" || fail "policy $p: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "output with policy $p"
done
timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv" 2>/dev/null | cmp -s - "$tmp/batch.txt" || fail "not deterministic"

# bad lines: refused with their number, nothing on stdout
bad_grant() { # $1 = CSV text, $2 = expected pattern in the message
	printf '%b' "$1" >"$tmp/bad.csv"
	must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 \
		--period 202603 <"$tmp/bad.csv"
	grep -q "$2" "$tmp/err" || fail "message for '$1': $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "output written for '$1'"
}
bad_grant 'card,1122334455667788,10.00\ncard,112233445566778,10.00\n' "line 2: card id"
bad_grant 'card,1122334455667788,10.00\n\ncard,2122334455667788,10.001\n' "line 3: amount"
bad_grant 'card,1122334455667788,0\n' "line 1: amount"
bad_grant 'card,1122334455667788,10000.01\n' "line 1: amount"
bad_grant 'card,1122334455667788,-5\n' "line 1: amount"
bad_grant 'carte,1122334455667788,5\n' "line 1: 'carte' is neither"
bad_grant 'card,1122334455667788\n' "line 1: expected"
bad_grant 'card,1122334455667788,5\nmember,1122334455667788,5\ncard,1122334455667788,6\n' \
	"line 3: this card has a grant already on line 1"
bad_grant 'card,1122334455667788,5,2\ncard,2122334455667788,5\n' "line 2: grant id 2 already given on line 1"
bad_grant 'card,1122334455667788,5,0\n' "line 1: grant id '0'"
bad_grant 'card,0000000000000000,5\n' "line 1: card id"
bad_grant '# nothing\n' "no grant lines"
must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 --period 202613 \
	<"$tmp/grants.csv"
grep -q "not a month" "$tmp/err" || fail "period message"
must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse 'caisse 34' --period 202603 \
	<"$tmp/grants.csv"
[ ! -s "$tmp/out" ] || fail "output for a bad caisse id"

# wrong key files: the public half (same hex form, but readable by all), garbage, none
must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.pub" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv"
grep -q "not a private key file" "$tmp/err" || fail "public key as --key: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output with a public key"
printf 'not a key\n' >"$tmp/garbage.key" && chmod 600 "$tmp/garbage.key"
must_fail timeout 30 "$adm" grant sign --key "$tmp/garbage.key" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv"
grep -q "not an Ed25519 private key" "$tmp/err" || fail "garbage key: $(cat "$tmp/err")"
must_fail timeout 30 "$adm" grant sign --key "$tmp/none.key" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv"
# a PEM key from openssl works the same way
openssl genpkey -algorithm ed25519 -out "$tmp/doc.pem" 2>/dev/null && chmod 600 "$tmp/doc.pem"
openssl pkey -in "$tmp/doc.pem" -pubout -out "$tmp/docpub.pem" 2>/dev/null
timeout 30 "$adm" grant sign --key "$tmp/doc.pem" --caisse caisse-34 --period 202603 \
	<"$tmp/grants.csv" 2>/dev/null >"$tmp/pem.txt"
timeout 30 "$adm" grant verify --key "$tmp/docpub.pem" <"$tmp/pem.txt" >/dev/null || fail "PEM key"
must_fail timeout 30 "$adm" grant verify --key "$tmp/doc.pub" <"$tmp/pem.txt"
must_fail timeout 30 "$adm" grant sign --key "$tmp/doc.key" --caisse caisse-34 <"$tmp/grants.csv"
grep -q "usage" "$tmp/err" || fail "usage without --period"

# --- hot list ---
cat >"$tmp/cards.csv" <<'C'
99aabbccddeeff00,cloned,2026-03-04
1122334455667788,lost
C
timeout 30 "$adm" hotlist sign --key "$tmp/doc.key" --caisse caisse-34 --version 12 \
	--date 2026-03-01 <"$tmp/cards.csv" >"$tmp/hot.txt" 2>"$tmp/err" ||
	fail "hotlist sign: $(cat "$tmp/err")"
sed '$d' "$tmp/hot.txt" >"$tmp/body"
printf 'ssa-hotlist,1\ncaisse,caisse-34\nversion,12\ncard,1122334455667788,2026-03-01,lost\ncard,99aabbccddeeff00,2026-03-04,cloned\n' \
	>"$tmp/want"
cmp -s "$tmp/body" "$tmp/want" || fail "hot list text: $(cat "$tmp/hot.txt")"
timeout 30 "$adm" hotlist verify --key "$tmp/doc.pub" --caisse caisse-34 <"$tmp/hot.txt" |
	grep -q "^signature ok: hot list of caisse-34, version 12, 2 cards$" || fail "hotlist verify"
must_fail timeout 30 "$adm" hotlist verify --key "$tmp/other.pub" <"$tmp/hot.txt"
must_fail timeout 30 "$adm" grant verify --key "$tmp/doc.pub" <"$tmp/hot.txt" # not a batch
# an empty full list (every card unblocked) is a list
printf '' | timeout 30 "$adm" hotlist sign --key "$tmp/doc.key" --caisse caisse-34 --version 13 \
	2>/dev/null >"$tmp/empty.txt"
timeout 30 "$adm" hotlist verify --key "$tmp/doc.pub" <"$tmp/empty.txt" | grep -q "version 13, 0 cards"

bad_hot() {
	printf '%b' "$1" >"$tmp/bad.csv"
	must_fail timeout 30 "$adm" hotlist sign --key "$tmp/doc.key" --caisse caisse-34 \
		--version 3 <"$tmp/bad.csv"
	grep -q "$2" "$tmp/err" || fail "message for '$1': $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "output written for '$1'"
}
bad_hot '1122334455667788,lost\n1122334455667788,stolen\n' "line 2: card 1122334455667788 already on line 1"
bad_hot '1122334455667788,lost\n2122334455667788,gone\n' "line 2: unknown reason 'gone'"
bad_hot '1122334455667788,lost,2026-02-30\n' "line 1: '2026-02-30' is not a day"
bad_hot '1122334455667788\n' "line 1: expected"
bad_hot 'xx22334455667788,lost\n' "line 1: card serial"
must_fail timeout 30 "$adm" hotlist sign --key "$tmp/doc.key" --caisse caisse-34 --version 0 \
	<"$tmp/cards.csv"
grep -q "version '0'" "$tmp/err" || fail "version 0"
must_fail timeout 30 "$adm" hotlist sign --key "$tmp/doc.pub" --caisse caisse-34 --version 3 \
	<"$tmp/cards.csv"
grep -q "not a private key file" "$tmp/err" || fail "public key as hot list --key"
[ ! -s "$tmp/out" ] || fail "hot list output with a public key"
echo ok
