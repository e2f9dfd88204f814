#!/bin/sh
# cardsim_freefare.sh — libfreefare's own tools (mifare-desfire-info, mifare-desfire-format)
# through libnfc's pn532_uart driver against ssa-cardsim's DESFire EV1: version, key settings,
# free memory, a format with the factory key, and a card torn away mid-command (the tool fails
# cleanly instead of hanging or aborting, the card is out of the field, and comes back intact).
# libfreefare waits with no timeout: every client runs under a watchdog.
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
	for f in "$T"/*.log "$T/sim.err"; do
		[ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }
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

"$SIM" new-card "$T/card" --uid 04C0FFEE123456 >/dev/null || fail "new-card"
timeout 300 "$SIM" -v --control "$T/ctl" --card "$T/card" >"$T/sim.out" 2>"$T/sim.err" &
pid=$!
wait_for "$T/sim.out" '^connstring pn532_uart:/dev/pts/'
LIBNFC_DEVICE=$(sed -n 's/^connstring //p' "$T/sim.out")
LIBNFC_AUTO_SCAN=false
LIBNFC_INTRUSIVE_SCAN=false
export LIBNFC_DEVICE LIBNFC_AUTO_SCAN LIBNFC_INTRUSIVE_SCAN

check_info() { # $1 log name
	timeout 60 mifare-desfire-info >"$T/$1.log" 2>&1 || fail "mifare-desfire-info ($1) exit $?"
	grep -q '^===> Version information for tag 04c0ffee123456:' "$T/$1.log" || fail "$1: no tag"
	grep -q '^UID: *0x04c0ffee123456$' "$T/$1.log" || fail "$1: GetVersion UID"
	grep -q '^    Vendor ID: *0x04$' "$T/$1.log" || fail "$1: vendor"
	grep -q '^    Type: *0x01$' "$T/$1.log" || fail "$1: not a DESFire"
	grep -q '^    Version: *1\.' "$T/$1.log" || fail "$1: not an EV1"
	grep -q '^Master Key settings (0x0f):' "$T/$1.log" || fail "$1: factory key settings"
	grep -q '^Free memory: [0-9][0-9]* bytes$' "$T/$1.log" || fail "$1: free memory"
}

# 1. A factory card, as libfreefare sees it.
check_info info1

# 2. Format with the factory PICC master key.
timeout 60 mifare-desfire-format -y >"$T/format.log" 2>&1 || fail "mifare-desfire-format exit $?"
grep -q 'Found Mifare DESFire with UID 04c0ffee123456' "$T/format.log" || fail "format: no tag"
check_info info2

# 3. Torn away after the 2nd APDU: the tool gets a timeout (status 0x01, not an abort), the
#    card is out of the field; back in, it answers as before.
ctl tear 2 >/dev/null || fail "tear"
rc=0
timeout 60 mifare-desfire-info >"$T/torn.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "mifare-desfire-info on a torn card: exit $rc, want 1"
ctl status >"$T/status.log" || fail "status"
grep -q '^OK empty' "$T/status.log" || fail "torn card still in the field"
ctl insert "$T/card" >/dev/null || fail "insert after tear"
check_info info3

ctl quit >/dev/null || fail "quit"
wait "$pid" || fail "simulator exit status"
pid=""
echo "cardsim_freefare: ok"
