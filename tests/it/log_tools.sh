#!/bin/sh
# ssa-admin and ssa-cardsim log through io/log.c as tools (LOG_F_TOOL): run from a script, with
# stderr a file (not a terminal), their messages still reach stderr — none is lost to a syslog
# that may be missing — in the log format "<program>: error: ...".
set -u
b=${SSA_BUILD:-build}
tmp=$(mktemp -d /tmp/ssa-it.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset SSA_LOG

# stderr is a file here: [ -t 2 ] is false
[ -t 2 ] 2>"$tmp/probe" && fail "stderr is a terminal"

timeout 30 "$b/ssa-admin" journal init-key --key "$tmp/t.key" --pub "$tmp/t.pub" >/dev/null ||
	fail "init-key"
if timeout 30 "$b/ssa-admin" journal verify --db "$tmp/none.db" --pubkey "$tmp/t.pub" \
	>"$tmp/out" 2>"$tmp/err"; then
	fail "verify of a missing journal succeeded"
fi
grep -q "^ssa-admin: error: $tmp/none.db: no journal there" "$tmp/err" ||
	fail "ssa-admin message lost: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "error on stdout: $(cat "$tmp/out")"

# a bad configuration file, reported through the log too
printf '[till]\njornal = /x\n' >"$tmp/bad.ini"
if timeout 30 "$b/ssa-admin" -c "$tmp/bad.ini" version >"$tmp/out" 2>"$tmp/err"; then
	fail "bad config accepted"
fi
grep -q "^ssa-admin: error: $tmp/bad.ini:2: unknown key 'jornal'" "$tmp/err" ||
	fail "config message lost: $(cat "$tmp/err")"

# SSA_LOG=syslog does not take a tool's stderr away
if SSA_LOG=syslog timeout 30 "$b/ssa-admin" journal frobnicate >/dev/null 2>"$tmp/err"; then
	fail "unknown verb accepted"
fi
grep -q "^ssa-admin: error: journal: unknown verb 'frobnicate'" "$tmp/err" ||
	fail "message lost with SSA_LOG=syslog: $(cat "$tmp/err")"

# the grant and hot-list commands log the same way: an error, and the summary of what was signed
printf 'card,0123456789abcdef,12.x\n' >"$tmp/bad.csv"
if timeout 30 "$b/ssa-admin" grant sign --key "$tmp/t.key" --caisse c1 --period 202611 \
	<"$tmp/bad.csv" >"$tmp/out" 2>"$tmp/err"; then
	fail "a bad grant amount was signed"
fi
grep -q "^ssa-admin: error: line 1: amount '12.x' is not" "$tmp/err" ||
	fail "grant message lost: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "a batch was written despite the error"
printf 'card,0123456789abcdef,12.50\n' >"$tmp/ok.csv"
timeout 30 "$b/ssa-admin" grant sign --key "$tmp/t.key" --caisse c1 --period 202611 \
	<"$tmp/ok.csv" >"$tmp/out" 2>"$tmp/err" || fail "grant sign: $(cat "$tmp/err")"
grep -q "^ssa-admin: signed grants of c1 for 202611, outlet \*: 1 grants, 12.50 euros" "$tmp/err" ||
	fail "grant summary lost: $(cat "$tmp/err")"
if timeout 30 "$b/ssa-admin" hotlist sign --key "$tmp/t.key" --caisse c1 --version x \
	</dev/null >"$tmp/out" 2>"$tmp/err"; then
	fail "a bad hot-list version was taken"
fi
grep -q "^ssa-admin: error: version 'x' is not a number" "$tmp/err" ||
	fail "hot-list message lost: $(cat "$tmp/err")"
if timeout 30 "$b/ssa-admin" grant verify --key "$tmp/none.pub" </dev/null >/dev/null 2>"$tmp/err"; then
	fail "verify with a missing key succeeded"
fi
grep -q "^ssa-admin: error: " "$tmp/err" || fail "key message lost: $(cat "$tmp/err")"

# ssa-cardsim: an error and a warning
timeout 30 "$b/ssa-cardsim" new-card "$tmp/card" --uid 04A1B2C3D4E5F6 >/dev/null 2>"$tmp/err" ||
	fail "new-card: $(cat "$tmp/err")"
if timeout 30 "$b/ssa-cardsim" new-card "$tmp/card" >/dev/null 2>"$tmp/err"; then
	fail "a card was overwritten"
fi
grep -q "^ssa-cardsim: error: $tmp/card already exists; not overwriting a card" "$tmp/err" ||
	fail "ssa-cardsim message lost: $(cat "$tmp/err")"
timeout 30 "$b/ssa-cardsim" new-card "$tmp/card2" --uid 01A1B2C3D4E5F6 >/dev/null 2>"$tmp/err" ||
	fail "new-card 01..."
grep -q "^ssa-cardsim: warning: libfreefare takes a 7-byte UID" "$tmp/err" ||
	fail "ssa-cardsim warning lost: $(cat "$tmp/err")"
if timeout 30 "$b/ssa-cardsim" ctl "$tmp/no.sock" status >/dev/null 2>"$tmp/err"; then
	fail "ctl without a simulator succeeded"
fi
grep -q "^ssa-cardsim: error: $tmp/no.sock: " "$tmp/err" || fail "ctl message lost: $(cat "$tmp/err")"
echo ok
