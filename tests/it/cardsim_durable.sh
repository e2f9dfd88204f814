#!/bin/sh
# cardsim_durable.sh — what the card files and tears promise, seen through libfreefare's tools:
#  1. a card that answered has persisted: kill -9 the simulator right after
#     mifare-desfire-create-ndef, start a new one on the same file, the application is there;
#  2. tears at every APDU of that tool: the tool fails cleanly (no hang, no abort), and tearing
#     "before APDU N" leaves the card exactly as tearing "after APDU N-1" does, as the full run
#     does when torn after its last APDU, and as the blank card when torn before the first.
set -eu

B=${SSA_BUILD:-build}
SIM=$B/ssa-cardsim
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
	for f in "$T/status.log" "$T/ndef.log" "$T/sim.err"; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}

wait_for() {
	i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "timed out waiting for '$2' in $1"
		sleep 0.1
	done
}

ctl() {
	timeout 10 "$SIM" ctl "$T/ctl" "$@"
}

start() { # [$1: card file]
	: >"$T/sim.out"
	timeout 600 "$SIM" -v --control "$T/ctl" ${1:+--card "$1"} >"$T/sim.out" 2>>"$T/sim.err" &
	pid=$!
	wait_for "$T/sim.out" '^connstring pn532_uart:/dev/pts/'
	LIBNFC_DEVICE=$(sed -n 's/^connstring //p' "$T/sim.out")
	export LIBNFC_DEVICE
}

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

LIBNFC_AUTO_SCAN=false
LIBNFC_INTRUSIVE_SCAN=false
export LIBNFC_AUTO_SCAN LIBNFC_INTRUSIVE_SCAN

"$SIM" new-card "$T/blank" --uid 04D0AB1E000001 >/dev/null || fail "new-card"

# 1. Persisted before answering: kill -9 right after the tool, restart on the same file.
cp "$T/blank" "$T/card"
start "$T/card"
info "$T/info.blank.log"
ctl remove >/dev/null
ctl insert "$T/card" >/dev/null # the APDU counter starts again
create_ndef
[ $rc = 0 ] || fail "mifare-desfire-create-ndef on a blank card: exit $rc"
ctl status >"$T/status.log"
K=$(sed -n 's/.* apdus \([0-9]*\) .*/\1/p' "$T/status.log")
[ -n "$K" ] && [ "$K" -gt 3 ] || fail "APDU count: $(cat "$T/status.log")"
info "$T/info.full.log"
cmp -s "$T/info.blank.log" "$T/info.full.log" && fail "create-ndef changed nothing"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
start "$T/card"
info "$T/info.restart.log"
cmp -s "$T/info.full.log" "$T/info.restart.log" || fail "state lost by kill -9"
ctl quit >/dev/null
wait "$pid" || fail "simulator exit status"
pid=""

# 2. A tear at every APDU, before and after it.
start
n=1
while [ $n -le "$K" ]; do
	for mode in after before; do
		cp "$T/blank" "$T/torn.$mode.$n"
		ctl insert "$T/torn.$mode.$n" >/dev/null || fail "insert $mode $n"
		if [ $mode = before ]; then ctl tear $n before >/dev/null; else ctl tear $n >/dev/null; fi
		create_ndef
		ctl status >"$T/status.log"
		grep -q '^OK empty' "$T/status.log" || fail "tear $mode $n did not happen"
		ctl insert "$T/torn.$mode.$n" >/dev/null || fail "reinsert $mode $n"
		info "$T/info.$mode.$n.log"
		ctl remove >/dev/null
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
ctl quit >/dev/null
wait "$pid" || fail "simulator exit status"
pid=""
echo "cardsim_durable: ok ($K APDUs, $((2 * K)) tears)"
