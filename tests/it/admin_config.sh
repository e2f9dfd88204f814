#!/bin/sh
# ssa-admin's configuration: the example parses; an unknown key, a bad file or a missing -c file
# stops every command with the file and line, before the command runs.
set -u
b=${SSA_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$b/ssa-admin" -c config/ssa-admin.ini version >"$tmp/out" 2>&1 || fail "example config refused: $(cat "$tmp/out")"
grep -q '^ssa-admin ' "$tmp/out" || fail "version not printed"

printf '[till]\n# comment\njornal = /x\n' >"$tmp/bad.ini"
if "$b/ssa-admin" -c "$tmp/bad.ini" version >"$tmp/out" 2>&1; then fail "unknown key accepted"; fi
grep -q "bad.ini:3: unknown key 'jornal' in \[till\] (did you mean 'journal'?)" "$tmp/out" ||
	fail "message: $(cat "$tmp/out")"
grep -q '^ssa-admin [0-9]' "$tmp/out" && fail "the command ran despite the bad configuration"

printf '[nowhere]\nx = 1\n' >"$tmp/sec.ini"
if "$b/ssa-admin" -c "$tmp/sec.ini" version >"$tmp/out" 2>&1; then fail "unknown section accepted"; fi
grep -q "sec.ini:1:" "$tmp/out" || fail "section message: $(cat "$tmp/out")"

if "$b/ssa-admin" -c "$tmp/missing.ini" version >"$tmp/out" 2>&1; then fail "missing file accepted"; fi
grep -q "missing.ini: cannot read" "$tmp/out" || fail "missing file message: $(cat "$tmp/out")"
# [till] paths serve as defaults: verify a journal with no option at all
"$b/ssa-admin" journal init-key --key "$tmp/t.key" --pub "$tmp/t.pub" >/dev/null || fail "init-key"
"$b/ssa-admin" terminal demo-sales "$tmp/j.db" "$tmp/t.key" T01 3 >/dev/null || fail "demo-sales"
printf '[till]\njournal = %s\npubkey_file = %s\n' "$tmp/j.db" "$tmp/t.pub" >"$tmp/till.ini"
"$b/ssa-admin" -c "$tmp/till.ini" journal verify >"$tmp/out" 2>&1 || fail "verify: $(cat "$tmp/out")"
grep -q '^OK 3 records' "$tmp/out" || fail "verify output: $(cat "$tmp/out")"
# an option on the command line wins over the file
if "$b/ssa-admin" -c "$tmp/till.ini" journal verify --db "$tmp/typo.db" >"$tmp/out" 2>&1; then
	fail "a missing journal verified"
fi
grep -q "typo.db: no journal there" "$tmp/out" || fail "missing journal message: $(cat "$tmp/out")"
[ ! -e "$tmp/typo.db" ] || fail "verify created the missing journal"
echo ok
