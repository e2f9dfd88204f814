#!/bin/sh
# cardsim_freefare.sh — libfreefare's own tools (mifare-desfire-info, mifare-desfire-format)
# through libnfc's pn532_uart driver against ssa-cardsim's DESFire EV1: version, key settings,
# free memory, a format with the factory key, and a card torn away mid-command (the tool fails
# cleanly instead of hanging or aborting, the card is out of the field, and comes back intact).
# libfreefare waits with no timeout: every client runs under a watchdog.
set -eu

. tests/it/cardsim_common.inc
FAIL_LOGS="$T/*.log"

"$SIM" new-card "$T/card" --uid 04C0FFEE123456 >/dev/null || fail "new-card"
cardsim_start "$T/card"

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
cardsim_ctl tear 2 >/dev/null || fail "tear"
rc=0
timeout 60 mifare-desfire-info >"$T/torn.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "mifare-desfire-info on a torn card: exit $rc, want 1"
cardsim_ctl status >"$T/status.log" || fail "status"
grep -q '^OK empty' "$T/status.log" || fail "torn card still in the field"
cardsim_ctl insert "$T/card" >/dev/null || fail "insert after tear"
check_info info3

cardsim_stop
echo "cardsim_freefare: ok"
