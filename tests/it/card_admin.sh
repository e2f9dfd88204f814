#!/bin/sh
# card_admin.sh — `ssa-admin card keygen/issue/info` through libnfc's pn532_uart driver against
# ssa-cardsim: a key file made 600 and refused when others can read it, a factory card issued
# and read back (identity, signature, balance, no debit, period), issued again with the caisse's
# PICC key, info's verdicts for an expired card, a hot-listed card and a terminal key file with a
# wrong debit key, and a card without the SSA application.  Every client runs under timeout.
set -eu

B=${SSA_BUILD:-build}
SIM=$B/ssa-cardsim
ADMIN=$B/ssa-admin
T=$(mktemp -d)
pid=""

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log "$T/sim.err"; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}

ctl() { timeout 10 "$SIM" ctl "$T/ctl" "$@"; }
admin() { timeout 60 "$ADMIN" "$@"; }

"$SIM" new-card "$T/card" --uid 04C0FFEE000001 >/dev/null || fail "new-card"
"$SIM" new-card "$T/blank" --uid 04C0FFEE000002 >/dev/null || fail "new-card"
timeout 300 "$SIM" --control "$T/ctl" --card "$T/card" >"$T/sim.out" 2>"$T/sim.err" &
pid=$!
i=0
until grep -q '^connstring pn532_uart:' "$T/sim.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "simulator did not start"; sleep 0.1
done
DEV=$(sed -n 's/^connstring //p' "$T/sim.out")
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false

# Key file: created 600; refused once group-readable; keygen never overwrites.
admin card keygen "$T/keys" --caisse caisse-34 >"$T/keygen.log" 2>&1 || fail "keygen"
[ "$(stat -c %a "$T/keys")" = 600 ] || fail "key file mode $(stat -c %a "$T/keys")"
grep -q '^master,[0-9a-f]\{32\}$' "$T/keys" || fail "no master key line"
grep -q '^verify,[0-9a-f]\{64\}$' "$T/keys" || fail "no verify line"
admin card keygen "$T/keys" --caisse caisse-34 >"$T/keygen2.log" 2>&1 && fail "keygen overwrote"
chmod 640 "$T/keys"
rc=0; admin card info --keys "$T/keys" --device "$DEV" >"$T/perm.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "group-readable key file: exit $rc"
grep -q 'readable only by you' "$T/perm.log" || fail "no reason for the refused key file"
chmod 600 "$T/keys"

# Issue a factory card and read it back.
admin card issue --keys "$T/keys" --device "$DEV" --serial 5a01 --member 0123456789abcdef \
	--household 42 --from 2026-01-01 --to 2026-12-31 --balance 150,00 >"$T/issue.log" 2>&1 ||
	fail "issue"
grep -q '^issued card 0000000000005a01$' "$T/issue.log" || fail "issue output"
admin card info --keys "$T/keys" --device "$DEV" --today 2026-06-15 >"$T/info.log" 2>&1 ||
	fail "info exit $?"
for want in 'uid: 04c0ffee000001' 'serial: 0000000000005a01' 'member: 0123456789abcdef' \
	'household: 0000000000000042' 'caisse: caisse-34' 'valid: 2026-01-01 to 2026-12-31' \
	'check: ok' 'balance: 150.00' 'period: 0 grant 0000000000000000'; do
	grep -qx "$want" "$T/info.log" || fail "info: no line '$want'"
done
grep -q '^debit:' "$T/info.log" && fail "a new card has debits"

# Issued again: the PICC key is now the caisse's; the new identity replaces the old.
admin card issue --keys "$T/keys" --device "$DEV" --serial 5a02 --member 1 --from 2026-01-01 \
	--to 2026-12-31 >"$T/reissue.log" 2>&1 || fail "reissue"
admin card info --keys "$T/keys" --device "$DEV" --today 2026-06-15 >"$T/info2.log" 2>&1 ||
	fail "info after reissue"
grep -qx 'serial: 0000000000005a02' "$T/info2.log" || fail "reissued serial"
grep -qx 'balance: 0.00' "$T/info2.log" || fail "reissued balance"

# Verdicts: expired, hot-listed.
rc=0; admin card info --keys "$T/keys" --device "$DEV" --today 2027-01-01 >"$T/exp.log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -qx 'check: card has expired' "$T/exp.log" || fail "expired card: exit $rc"
rc=0; admin card info --keys "$T/keys" --device "$DEV" --today 2026-06-15 --hot 77,5a02 \
	>"$T/hot.log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -qx 'check: card is blocked (hot list)' "$T/hot.log" || fail "hot list: exit $rc"

# A terminal's key file with a wrong debit key: the identity reads, authentication fails.
{ grep -v '^debit,\|^master,\|^sign,' "$T/keys"; echo "debit,00112233445566778899aabbccddeeff"; } >"$T/term"
chmod 600 "$T/term"
rc=0; admin card info --keys "$T/term" --device "$DEV" --today 2026-06-15 >"$T/wrong.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "wrong key: exit $rc"
grep -qx 'check: ok' "$T/wrong.log" || fail "wrong key: identity should still verify"
grep -q 'card failed authentication: not an authentic card' "$T/wrong.log" || fail "wrong key: no authentication error"

# A DESFire card without the SSA application.
ctl remove >/dev/null
ctl insert "$T/blank" >/dev/null || fail "insert blank"
rc=0; admin card info --keys "$T/keys" --device "$DEV" >"$T/blank.log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q 'not an SSA food card' "$T/blank.log" || fail "blank card: exit $rc"

# No card.
ctl remove >/dev/null
rc=0; admin card info --keys "$T/keys" --device "$DEV" --wait 1 >"$T/none.log" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q 'no card on the reader' "$T/none.log" || fail "no card: exit $rc"

ctl quit >/dev/null || fail "quit"
wait "$pid" || fail "simulator exit status"
pid=""
echo "card_admin: ok"
