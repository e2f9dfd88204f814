#!/bin/sh
# cardsim_nfc.sh — libnfc's own tools (nfc-list, nfc-poll, nfc-anticol) through the real pn532_uart driver
# against ssa-cardsim: no card, a card with the right UID/ATQA/SAK/ATS, a removed card, a card
# arriving while nfc-poll waits, garbage on the serial line, and the control channel's errors.
# Clients run one at a time (two on one pty corrupt each other's frames); every one has a
# watchdog, and so has the simulator.
set -eu

. tests/it/cardsim_common.inc
FAIL_LOGS="$T/*.log"

UID_HEX=04A1B2C3D4E5F6
UID_NFC="04  a1  b2  c3  d4  e5  f6"

"$SIM" new-card "$T/card" --uid $UID_HEX >"$T/new.log" || fail "new-card"
grep -q "^uid $UID_HEX\$" "$T/new.log" || fail "new-card did not print the uid"
if "$SIM" new-card "$T/card" >"$T/new2.log" 2>&1; then fail "new-card overwrote a card"; fi
if "$SIM" new-card "$T/card2" --uid 04A1 >/dev/null 2>&1; then fail "new-card took a short uid"; fi

cardsim_start
CONN=$LIBNFC_DEVICE
[ "$(readlink "$T/tty")" = "${CONN#pn532_uart:}" ] || fail "--link does not point to the pty"

# 1. No card: the reader opens, no target.
timeout 30 nfc-list >"$T/list0.log" 2>&1 || fail "nfc-list without a card"
grep -q 'NFC device: .* opened' "$T/list0.log" || fail "nfc-list did not open the reader"
if grep -q 'passive target(s) found' "$T/list0.log"; then fail "a target without a card"; fi

# 2. A card: UID, ATQA, SAK and ATS of a DESFire EV1.
cardsim_ctl insert "$T/card" >"$T/ctl.log" || fail "insert"
grep -q "^OK card .* uid $UID_HEX" "$T/ctl.log" || fail "insert reply"
timeout 30 nfc-list >"$T/list1.log" 2>&1 || fail "nfc-list with a card"
grep -q '^1 ISO14443A passive target(s) found' "$T/list1.log" || fail "nfc-list: no ISO14443A target"
grep -qF "UID (NFCID1): $UID_NFC" "$T/list1.log" || fail "nfc-list: wrong UID"
grep -qF "ATQA (SENS_RES): 03  44" "$T/list1.log" || fail "nfc-list: wrong ATQA"
grep -qF "SAK (SEL_RES): 20" "$T/list1.log" || fail "nfc-list: wrong SAK"
grep -qF "ATS: 75  77  81  02  80" "$T/list1.log" || fail "nfc-list: wrong ATS"
[ "$(grep -c 'passive target(s) found' "$T/list1.log")" = 1 ] || fail "nfc-list: targets of other types"
if grep -qi 'error' "$T/list1.log"; then fail "libnfc reported an error"; fi

# 2b. nfc-anticol: raw ISO 14443-3 frames (REQA, both cascade levels, RATS, HLTA; CRC_A by the
#     host), as a real DESFire EV1 answers them.
timeout 30 nfc-anticol >"$T/anticol.log" 2>&1 || fail "nfc-anticol"
grep -q "^ UID: 04a1b2c3d4e5f6\$" "$T/anticol.log" || fail "nfc-anticol: UID"
grep -q "^ATQA: 0344\$" "$T/anticol.log" || fail "nfc-anticol: ATQA"
grep -q "^ SAK: 20\$" "$T/anticol.log" || fail "nfc-anticol: SAK"
grep -q "^Received bits: 20  fc  70  \$" "$T/anticol.log" || fail "nfc-anticol: SAK CRC_A"
grep -q "^ ATS: 06  75  77  81  02  80 " "$T/anticol.log" || fail "nfc-anticol: ATS"

# 3. nfc-poll finds it, then sees it leave.
timeout 60 nfc-poll >"$T/poll1.log" 2>&1 &
BG_PID=$!
wait_for "$T/poll1.log" 'Waiting for card removing'
grep -qF "UID (NFCID1): $UID_NFC" "$T/poll1.log" || fail "nfc-poll: wrong UID"
grep -qF "SAK (SEL_RES): 20" "$T/poll1.log" || fail "nfc-poll: wrong SAK"
cardsim_ctl remove >/dev/null || fail "remove"
wait "$BG_PID" || fail "nfc-poll failed after the removal"
BG_PID=""
grep -q 'done\.' "$T/poll1.log" || fail "nfc-poll did not see the card leave"

# 4. Removed: nfc-list finds nothing again.
timeout 30 nfc-list >"$T/list2.log" 2>&1 || fail "nfc-list after removal"
if grep -q 'passive target(s) found' "$T/list2.log"; then fail "removed card still listed"; fi
if timeout 30 nfc-anticol >"$T/anticol2.log" 2>&1; then fail "nfc-anticol found a removed card"; fi
grep -q "No tag available" "$T/anticol2.log" || fail "nfc-anticol without a card"

# 5. nfc-poll waits for a card that comes later.
timeout 60 nfc-poll >"$T/poll2.log" 2>&1 &
BG_PID=$!
# (nfc-poll's stdout is block-buffered into a file: the simulator's log says when it polls.)
wait_for "$T/sim.err" 'command 60 waits for a card'
cardsim_ctl insert "$T/card" >/dev/null || fail "insert during poll"
wait_for "$T/poll2.log" 'Waiting for card removing'
grep -qF "UID (NFCID1): $UID_NFC" "$T/poll2.log" || fail "nfc-poll (late card): wrong UID"
cardsim_ctl remove >/dev/null || fail "remove after poll"
wait "$BG_PID" || fail "nfc-poll (late card) failed"
BG_PID=""

# 6. Garbage on the serial line, then a client killed mid-command: the next client still works.
printf '\000\000\377\005\000garbage\125\125\000\377\377\377\000' >"$T/tty"
cardsim_ctl insert "$T/card" >/dev/null || fail "insert after garbage"
timeout -s KILL 2 nfc-poll >/dev/null 2>&1 || true
timeout 30 nfc-list >"$T/list3.log" 2>&1 || fail "nfc-list after garbage"
grep -qF "UID (NFCID1): $UID_NFC" "$T/list3.log" || fail "nfc-list after garbage: no card"

# 7. The control channel refuses what it cannot do, with a message.
cardsim_ctl insert "$T/card" >"$T/err1.log" && fail "two cards inserted"
grep -q '^ERR ' "$T/err1.log" || fail "no ERR for a second card"
cardsim_ctl remove >/dev/null
cardsim_ctl remove >"$T/err2.log" && fail "removed an absent card"
cardsim_ctl tear 1 >"$T/err3.log" && fail "tear without a card"
cardsim_ctl insert "$T/nonexistent" >"$T/err4.log" && fail "inserted a missing file"
cardsim_ctl insert "$T/card" >/dev/null
cardsim_ctl tear 0 >"$T/err5.log" && fail "tear 0 accepted"
cardsim_ctl tear 2 sideways >"$T/err6.log" && fail "tear with junk accepted"
cardsim_ctl frobnicate >"$T/err7.log" && fail "unknown command accepted"
grep -q "^ERR unknown command 'frobnicate'" "$T/err7.log" || fail "unknown command reply"
cardsim_ctl tear 3 before >"$T/ok1.log" || fail "tear 3 before"
cardsim_ctl status >"$T/status.log" || fail "status"
grep -q "uid $UID_HEX apdus 0 bytes-in 0 bytes-out 0 tear 3 before" "$T/status.log" || fail "status: $(cat "$T/status.log")"

# 8. quit: the simulator exits cleanly and removes its socket and link.
cardsim_stop
[ ! -e "$T/ctl" ] || fail "control socket left behind"
[ ! -L "$T/tty" ] || fail "link left behind"
echo "cardsim_nfc: ok"
