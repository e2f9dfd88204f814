#!/bin/sh
# ssa-admin on the caisse's database (a real SQLite file): households, members and their cards,
# outlets and terminals, a month's grants made with the household rule and signed, the hot list
# kept as signed full lists (version + 1 per change), convention lists published after checking
# them.  Every refused command changes nothing.
set -eu
b=${SSA_BUILD:-build}
adm="$b/ssa-admin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
must_fail() { if "$@" >"$tmp/out" 2>"$tmp/err"; then fail "should fail: $*"; fi; }
db="$tmp/caisse.db"
dump() { sqlite3 -batch "$db" .dump | grep -v '^INSERT INTO schema_version' | md5sum; }

timeout 30 "$adm" list keygen "$tmp/doc.key" "$tmp/doc.pub" >/dev/null
cat >"$tmp/rules.txt" <<'R'
ssa-household-rules,1
base,150.00
adult,75.00
child,40.00
child_age,14
R
cat >"$tmp/admin.ini" <<I
[caisse]
database = $db
id = caisse-34
document_key = $tmp/doc.key
list_key = $tmp/doc.pub
household_rules = $tmp/rules.txt
I
A() { timeout 30 "$adm" -c "$tmp/admin.ini" "$@"; }

# households and members: ids given or random; the first member is the holder
A household add 00000000000000a1 | grep -q '^household 00000000000000a1$' || fail "household add"
A household add | grep -q '^household [0-9a-f]\{16\}$' || fail "random household id"
A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 \
	--card 1122334455667788 >"$tmp/out" || fail "member add"
grep -q '^member 00000000000000b1 in household 00000000000000a1$' "$tmp/out" || fail "member out"
grep -q '^card 1122334455667788 of member 00000000000000b1$' "$tmp/out" || fail "card out"
A member add 00000000000000b2 --household 00000000000000A1 --birth 1984-11-30 >/dev/null
A member add 00000000000000b3 --household 00000000000000a1 --birth 2013-03-01 >/dev/null # 13 on 1 Feb 2026, 13 on 1 Mar
A member add 00000000000000b4 --household 00000000000000a1 --birth 2012-03-01 >/dev/null # 14 on 1 Mar 2026
A household add 00000000000000a2 >/dev/null
A member add 00000000000000c1 --household 00000000000000a2 --birth 1950-01-01 >/dev/null
A household list --period 202603 >"$tmp/hh"
grep -q '^00000000000000a1 holder 00000000000000b1 members 4 adults 3 children 1 amount 340.00$' "$tmp/hh" ||
	fail "household amount: $(cat "$tmp/hh")"
grep -q '^00000000000000a2 holder 00000000000000c1 members 1 adults 1 children 0 amount 150.00$' "$tmp/hh" ||
	fail "single: $(cat "$tmp/hh")"
A household list --period 202602 | grep -q '^00000000000000a1 .* adults 2 children 2 amount 305.00$' ||
	fail "a child is a child in February"
A household set 00000000000000a1 --holder 00000000000000b2 | grep -q "grants go to member 00000000000000b2" ||
	fail "set holder"

# refused, and nothing changes
before=$(dump)
must_fail A household add 00000000000000a1
grep -q "exists already" "$tmp/err" || fail "household twice: $(cat "$tmp/err")"
must_fail A household add 12345
must_fail A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02
grep -q "member 00000000000000b1 exists already" "$tmp/err" || fail "member twice"
must_fail A member add --household 00000000000000ff --birth 1980-04-02
grep -q "no household 00000000000000ff" "$tmp/err" || fail "no household: $(cat "$tmp/err")"
must_fail A member add --household 00000000000000a1 --birth 1980-02-30
grep -q "not a day" "$tmp/err" || fail "bad birth"
must_fail A member add --household 00000000000000a1 --birth 2999-01-01
must_fail A member add 00000000000000b9 --household 00000000000000a1 --birth 1990-01-01 --card 1122334455667788
grep -q "card 1122334455667788 is registered already" "$tmp/err" || fail "card twice: $(cat "$tmp/err")"
must_fail A member card 00000000000000ff 2122334455667788
grep -q "no member 00000000000000ff" "$tmp/err" || fail "card of nobody"
must_fail A household set 00000000000000a1 --holder 00000000000000c1
grep -q "no household 00000000000000a1 with a member 00000000000000c1" "$tmp/err" || fail "holder elsewhere"
must_fail A outlet attach nowhere T-01
grep -q "no outlet nowhere" "$tmp/err" || fail "attach to nothing"
must_fail A outlet add 'bad id' "Épicerie"
[ "$(dump)" = "$before" ] || fail "a refused command changed the database"
A member list --household 00000000000000a1 >"$tmp/m"
grep -q '^00000000000000b1 household 00000000000000a1 born 1980-04-02 cards 1122334455667788(active)$' "$tmp/m" ||
	fail "member list: $(cat "$tmp/m")"
[ "$(wc -l <"$tmp/m")" = 4 ] || fail "members of a1"

# outlets and terminals
A outlet add epi-1 "Épicerie du Plan Cabanes" | grep -q "^outlet epi-1: " || fail "outlet add"
A outlet add amap-2 "AMAP des Beaux-Arts" >/dev/null
A outlet attach epi-1 T-01 T-02 >/dev/null
A outlet attach amap-2 T-03 >/dev/null
A outlet attach amap-2 T-02 >/dev/null # a terminal moves
A outlet list >"$tmp/o"
grep -q '^amap-2 terminals T-02,T-03 name AMAP des Beaux-Arts$' "$tmp/o" || fail "outlet list: $(cat "$tmp/o")"
grep -q '^epi-1 terminals T-01 name ' "$tmp/o" || fail "outlet list: $(cat "$tmp/o")"

# grants of a month: one member grant per household, to its holder, signed
A grant make --period 202603 >"$tmp/g" || fail "grant make"
grep -q '^grants of caisse-34 for 202603, outlet \*: 2 households, 490.00 euros, grant ids 1 to 2 (1 without members: no grant)$' "$tmp/g" ||
	fail "grant make: $(cat "$tmp/g")"
A grant show --period 202603 >"$tmp/batch.txt"
timeout 30 "$adm" grant verify --key "$tmp/doc.pub" --caisse caisse-34 --period 202603 <"$tmp/batch.txt" |
	grep -q "2 grants, 490.00 euros" || fail "stored batch does not verify"
grep -q '^grant,0000000000000001,member,00000000000000b2,340.00$' "$tmp/batch.txt" || fail "holder grant: $(cat "$tmp/batch.txt")"
grep -q '^grant,0000000000000002,member,00000000000000c1,150.00$' "$tmp/batch.txt" || fail "second grant"
before=$(dump)
must_fail A grant make --period 202603
grep -q "were made already" "$tmp/err" || fail "twice a month: $(cat "$tmp/err")"
must_fail A grant make --period 202603 --key "$tmp/doc.pub"
grep -q "not a private key file" "$tmp/err" || fail "public key for grants"
must_fail A member add --household 00000000000000a2 --birth 2999-01-01
[ "$(dump)" = "$before" ] || fail "a refused grant make changed the database"
# a member born after the first day of the month: that month's grants are refused
A household add 00000000000000a3 >/dev/null
A member add 00000000000000d1 --household 00000000000000a3 --birth 2026-04-15 >/dev/null
before=$(dump)
must_fail A grant make --period 202604
grep -q "household 00000000000000a3: .*born after the first day of 202604" "$tmp/err" ||
	fail "born after: $(cat "$tmp/err")"
[ "$(dump)" = "$before" ] || fail "a refused grant make changed the database"
A grant make --period 202605 --outlet epi-1 --policy rollover:50 >"$tmp/g"
grep -q "3 households, 640.00 euros, grant ids 3 to 5" "$tmp/g" || fail "ids go on: $(cat "$tmp/g")"
A grant show --period 202605 --outlet epi-1 | grep -q '^policy,rollover,50.00$' || fail "policy"
A grant list >"$tmp/gl"
grep -q '^202603 outlet \* grants 2 total 490.00$' "$tmp/gl" && grep -q '^202605 outlet epi-1 grants 3 total 640.00$' "$tmp/gl" ||
	fail "grant list: $(cat "$tmp/gl")"
must_fail A grant show --period 202605
grep -q "no grants of 202605" "$tmp/err" || fail "no batch message"

# the hot list: each change a new signed full list, the card's state follows
A hotlist list | grep -q '^no hot list yet$' || fail "empty hot list"
A hotlist add 1122334455667788 lost --date 2026-03-02 | grep -q 'added to the hot list: version 1, 1 cards' ||
	fail "hotlist add"
A hotlist add 99aabbccddeeff00 cloned | grep -q 'version 2, 2 cards' || fail "second card"
A member list | grep -q '1122334455667788(blocked)' || fail "card state blocked"
before=$(dump)
must_fail A hotlist add 1122334455667788 stolen
grep -q "on already" "$tmp/err" || fail "twice on the list"
must_fail A hotlist add 2122334455667788 misplaced
must_fail A hotlist remove 3122334455667788
grep -q "not on the hot list" "$tmp/err" || fail "remove absent"
[ "$(dump)" = "$before" ] || fail "a refused hot list change changed the database"
A hotlist remove 1122334455667788 | grep -q 'removed from the hot list: version 3, 1 cards' || fail "remove"
A member list | grep -q '1122334455667788(active)' || fail "card state active again"
A hotlist list >"$tmp/h"
grep -q '^hot list of caisse-34, version 3, 1 cards$' "$tmp/h" && grep -q '^99aabbccddeeff00 .* cloned$' "$tmp/h" ||
	fail "hotlist list: $(cat "$tmp/h")"
printf '%s\n' "$(sqlite3 -batch "$db" "SELECT text FROM hotlist_doc WHERE version = 3")" >"$tmp/hot.txt"
timeout 30 "$adm" hotlist verify --key "$tmp/doc.pub" --caisse caisse-34 <"$tmp/hot.txt" |
	grep -q "version 3, 1 cards" || fail "stored hot list does not verify"

# publishing convention lists: verified, newer, deltas beside their full lists
cat >"$tmp/v7.body" <<'L'
ssa-list,1
caisse,caisse-34
version,7
valid,2026-01-01,
category,fruits-legumes,100,4.00,,,
L
timeout 30 "$adm" list sign "$tmp/doc.key" "$tmp/v7.body" "$tmp/v7.list" 2>/dev/null
sed 's/^version,7$/version,8/; s/4\.00/5.00/' "$tmp/v7.body" >"$tmp/v8.body"
timeout 30 "$adm" list sign "$tmp/doc.key" "$tmp/v8.body" "$tmp/v8.list" 2>/dev/null
printf 'ssa-list,1\ncaisse,caisse-34\nversion,8\nbase,7\nvalid,2026-01-01,\ncategory,fruits-legumes,100,5.00,,,\n' >"$tmp/d8.body"
timeout 30 "$adm" list sign "$tmp/doc.key" "$tmp/d8.body" "$tmp/d8.list" 2>/dev/null
must_fail A list publish "$tmp/d8.list"
grep -q "publish the full list of version 8 before this delta" "$tmp/err" || fail "delta first: $(cat "$tmp/err")"
A list publish "$tmp/v7.list" | grep -q "^published list of caisse-34: version 7, 1 entries$" || fail "publish 7"
A list publish "$tmp/v8.list" >/dev/null || fail "publish 8"
A list publish "$tmp/d8.list" | grep -q "delta 7 to 8" || fail "publish delta"
before=$(dump)
must_fail A list publish "$tmp/v7.list"
grep -q "not above the latest published, 8" "$tmp/err" || fail "older list: $(cat "$tmp/err")"
sed 's/^category,fruits-legumes,100,5\.00,/category,fruits-legumes,100,6.00,/' "$tmp/v8.list" | sed 's/^version,8$/version,9/' >"$tmp/forged.list"
must_fail A list publish "$tmp/forged.list"
grep -q "does not verify" "$tmp/err" || fail "forged list: $(cat "$tmp/err")"
sed 's/^caisse,caisse-34$/caisse,caisse-30/; s/^version,7$/version,9/' "$tmp/v7.body" >"$tmp/c30.body"
timeout 30 "$adm" list sign "$tmp/doc.key" "$tmp/c30.body" "$tmp/c30.list" 2>/dev/null
must_fail A list publish "$tmp/c30.list"
grep -q "list of caisse caisse-30, not of caisse-34" "$tmp/err" || fail "other caisse"
[ "$(dump)" = "$before" ] || fail "a refused publish changed the database"
A list published >"$tmp/lp"
[ "$(wc -l <"$tmp/lp")" = 3 ] && grep -q '^caisse-34 version 8 delta from 7, ' "$tmp/lp" || fail "published: $(cat "$tmp/lp")"

# no database configured: a clear message
: >"$tmp/empty.ini"
must_fail timeout 30 "$adm" -c "$tmp/empty.ini" household list
grep -q "give --db or set \[caisse\] database" "$tmp/err" || fail "no db message: $(cat "$tmp/err")"

# a schema-1 database (ssa-caissed before these tables) is migrated, its rows kept; a newer
# schema is refused untouched
old="$tmp/old.db"
sqlite3 -batch "$old" "CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE hotlist (version INTEGER PRIMARY KEY AUTOINCREMENT, card TEXT NOT NULL UNIQUE,
  reason TEXT NOT NULL, time_ms INTEGER NOT NULL);
INSERT INTO hotlist (card, reason, time_ms) VALUES ('demo-card-7', 'cloned', 1);"
timeout 30 "$adm" -c "$tmp/empty.ini" outlet add epi-1 "Épicerie" --db "$old" >/dev/null 2>&1 ||
	fail "schema 1 not migrated"
[ "$(sqlite3 -batch "$old" "SELECT version FROM schema_version")" = 2 ] || fail "schema version"
[ "$(sqlite3 -batch "$old" "SELECT card FROM hotlist")" = demo-card-7 ] || fail "old rows lost"
sqlite3 -batch "$old" "UPDATE schema_version SET version = 3"
must_fail timeout 30 "$adm" -c "$tmp/empty.ini" outlet list --db "$old"
grep -q "schema version 3" "$tmp/err" || fail "newer schema: $(cat "$tmp/err")"
echo ok
