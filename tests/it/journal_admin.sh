#!/bin/sh
# ssa-admin journal: terminal keys (0600, never overwritten, refused when readable by others),
# closings appended to a real SQLite journal, show, and verify against an edited, a deleted, a
# reordered and a re-signed record — the file edited with the sqlite3 CLI after dropping the
# triggers, as an attacker would.
set -u
A="${SSA_BUILD:-build}/ssa-admin"
t=$(mktemp -d /tmp/ssa-journal-it.XXXXXX)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { # expected-status command...; output in $t/out
	want=$1; shift
	timeout 60 "$@" >"$t/out" 2>&1; rc=$?
	[ "$rc" = "$want" ] || { cat "$t/out"; fail "exit $rc, expected $want: $*"; }
}
has() { grep -q -- "$1" "$t/out" || { cat "$t/out"; fail "output lacks '$1'"; }; }

run 0 "$A" journal init-key --key "$t/k.pem" --pub "$t/p.pem"
[ "$(stat -c %a "$t/k.pem")" = 600 ] || fail "private key mode is $(stat -c %a "$t/k.pem")"
cp "$t/k.pem" "$t/k.orig"
run 1 "$A" journal init-key --key "$t/k.pem"
has "exists already"
cmp -s "$t/k.pem" "$t/k.orig" || fail "key overwritten"
run 0 "$A" journal init-key --key "$t/k2.pem" --pub "$t/p2.pem"

close() { # db key period kind
	run 0 "$A" journal close --db "$1" --key "$2" --kind "$4" --period "$3" \
		--establishment epicerie-34 --terminal T1 --operator op1 --time-ms "$3"000
}
for d in 21 22 23 24 25; do close "$t/j.db" "$t/k.pem" 202611$d z; done
close "$t/j.db" "$t/k.pem" 202611 month
run 0 "$A" journal verify --db "$t/j.db" --pubkey "$t/p.pem"
has "^OK 6 records, last seq 6, last hash [0-9a-f]\{64\}$"
run 0 "$A" journal show --db "$t/j.db"
[ "$(wc -l <"$t/out")" = 6 ] || { cat "$t/out"; fail "show: not 6 lines"; }
has "CLOSING_MONTH"
run 0 "$A" journal show --db "$t/j.db" --json --from 2 --count 1
[ "$(wc -l <"$t/out")" = 1 ] || fail "show --count 1"
has '"seq":2,'
has '"kind":"CLOSING_Z"'

# The same closings signed with another key: the attacker's source of a re-signed record.
for d in 21 22 23 24 25; do close "$t/o.db" "$t/k2.pem" 202611$d z; done

# A wrong public key: the very first record names another key.
run 1 "$A" journal verify --db "$t/j.db" --pubkey "$t/p2.pem"
has "BAD record 1: .*signed by another key"

drop="DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; DROP TRIGGER journal_next_seq;"
attack() { # name sql expected-record expected-code
	cp "$t/j.db" "$t/$1.db"
	sqlite3 "$t/$1.db" "$drop $2" || fail "sqlite3 $1"
	run 1 "$A" journal verify --db "$t/$1.db" --pubkey "$t/p.pem"
	has "^BAD record $3: "
	has "\[$4\]"
	echo "$1: $(cat "$t/out")"
}
attack edited "UPDATE journal SET record = CAST(replace(CAST(record AS TEXT), '\"period\":20261123', '\"period\":20261129') AS BLOB) WHERE seq = 3;" 3 JOURNAL_SIGNATURE
attack deleted "DELETE FROM journal WHERE seq = 3;" 4 JOURNAL_SEQ
attack reordered "UPDATE journal SET seq = 100 WHERE seq = 2; UPDATE journal SET seq = 2 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 100;" 2 JOURNAL_ORDER
attack resigned "ATTACH '$t/o.db' AS o; UPDATE journal SET record = (SELECT record FROM o.journal WHERE seq = 3) WHERE seq = 3;" 3 JOURNAL_KEY
attack truncated "INSERT INTO sync_ack VALUES (1, 6); DELETE FROM journal WHERE seq = 6;" 6 JOURNAL_SEQ
attack garbage "UPDATE journal SET record = x'7b7d' WHERE seq = 5;" 5 JOURNAL_FORMAT

# Without dropping the triggers, the file refuses the edit itself.
sqlite3 "$t/j.db" "DELETE FROM journal WHERE seq = 6;" 2>/dev/null && fail "delete not refused"
sqlite3 "$t/j.db" "UPDATE journal SET time_ms = 0 WHERE seq = 6;" 2>/dev/null && fail "update not refused"

# A private key readable by others is refused, and nothing is appended.
chmod 644 "$t/k.pem"
run 1 "$A" journal close --db "$t/j.db" --key "$t/k.pem" --kind z --period 20261126 \
	--establishment epicerie-34 --terminal T1
has "chmod 600"
run 0 "$A" journal verify --db "$t/j.db" --pubkey "$t/p.pem"
has "^OK 6 records"

run 2 "$A" journal frobnicate
run 2 "$A" journal verify --db "$t/j.db"
run 2 "$A" journal close --db "$t/j.db" --key "$t/k2.pem" --kind week --period 1 \
	--establishment e --terminal T1
echo "journal_admin: ok"
