#!/bin/sh
# cardsim_durable.sh — what the card files and tears promise, seen through libfreefare's tools:
#  1. a card that answered has persisted: kill -9 the simulator right after
#     mifare-desfire-create-ndef, start a new one on the same file, the application is there;
#  2. tears at every APDU of that tool: the tool fails cleanly (no hang, no abort), and tearing
#     "before APDU N" leaves the card exactly as tearing "after APDU N-1" does, as the full run
#     does when torn after its last APDU, and as the blank card when torn before the first.
set -eu

. tests/it/cardsim_common.inc
FAIL_LOGS="$T/status.log $T/ndef.log"

info() { # $1: output file; the card must be in the field
	timeout 60 mifare-desfire-info >"$1" 2>&1 || fail "mifare-desfire-info exit $? ($1)"
	grep -q '^Free memory: [0-9]* bytes$' "$1" || fail "no free memory in $1"
}

# Run the tool; it may fail (torn card) but must end by itself, without a signal.
create_ndef() {
	rc=0
	timeout 60 mifare-desfire-create-ndef -y >"$T/ndef.log" 2>&1 || rc=$?
	[ $rc -lt 124 ] || fail "mifare-desfire-create-ndef ended with status $rc"
}

"$SIM" new-card "$T/blank" --uid 04D0AB1E000001 >/dev/null || fail "new-card"

# 1. Persisted before answering: kill -9 right after the tool, restart on the same file.
cp "$T/blank" "$T/card"
cardsim_start "$T/card"
info "$T/info.blank.log"
cardsim_ctl remove >/dev/null
cardsim_ctl insert "$T/card" >/dev/null # the APDU counter starts again
create_ndef
[ $rc = 0 ] || fail "mifare-desfire-create-ndef on a blank card: exit $rc"
cardsim_ctl status >"$T/status.log"
K=$(sed -n 's/.* apdus \([0-9]*\) .*/\1/p' "$T/status.log")
[ -n "$K" ] && [ "$K" -gt 3 ] || fail "APDU count: $(cat "$T/status.log")"
info "$T/info.full.log"
cmp -s "$T/info.blank.log" "$T/info.full.log" && fail "create-ndef changed nothing"
cardsim_kill
cardsim_start "$T/card"
info "$T/info.restart.log"
cmp -s "$T/info.full.log" "$T/info.restart.log" || fail "state lost by kill -9"
cardsim_stop

# 2. A tear at every APDU, before and after it.
cardsim_start
n=1
while [ $n -le "$K" ]; do
	for mode in after before; do
		cp "$T/blank" "$T/torn.$mode.$n"
		cardsim_ctl insert "$T/torn.$mode.$n" >/dev/null || fail "insert $mode $n"
		if [ $mode = before ]; then cardsim_ctl tear $n before >/dev/null; else cardsim_ctl tear $n >/dev/null; fi
		create_ndef
		cardsim_ctl status >"$T/status.log"
		grep -q '^OK empty' "$T/status.log" || fail "tear $mode $n did not happen"
		cardsim_ctl insert "$T/torn.$mode.$n" >/dev/null || fail "reinsert $mode $n"
		info "$T/info.$mode.$n.log"
		cardsim_ctl remove >/dev/null
	done
	n=$((n + 1))
done
cmp -s "$T/info.before.1.log" "$T/info.blank.log" || fail "tear before APDU 1 changed the card"
cmp -s "$T/info.after.$K.log" "$T/info.full.log" || fail "tear after the last APDU lost work"
n=2
while [ $n -le "$K" ]; do
	cmp -s "$T/info.before.$n.log" "$T/info.after.$((n - 1)).log" ||
		fail "tear before APDU $n differs from tear after APDU $((n - 1))"
	n=$((n + 1))
done
cardsim_stop
echo "cardsim_durable: ok ($K APDUs, $((2 * K)) tears)"
