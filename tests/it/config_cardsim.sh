#!/bin/sh
# ssa-cardsim -c FILE: the [cardsim] keys set what --control, --link and --card set, [log] level
# what -v sets; options on the command line override the file.  An unknown key, a bad value or a
# missing file stops it with the file and line, before it opens anything.
set -u
b=${SSA_BUILD:-build}
SIM=$b/ssa-cardsim
T=$(mktemp -d /tmp/ssa-it.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	[ -f "$T/err" ] && sed 's/^/  sim: /' "$T/err"
	exit 1
}

# start ARGS...: run the simulator in the background, wait for its connstring
start() {
	: >"$T/out"
	timeout 120 "$SIM" "$@" >"$T/out" 2>"$T/err" &
	PID=$!
	i=0
	until grep -q '^connstring pn532_uart:/dev/pts/' "$T/out"; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "no connstring"
		kill -0 "$PID" 2>/dev/null || fail "the simulator exited"
		sleep 0.1
	done
}
stop() { # SOCKET
	timeout 10 "$SIM" ctl "$1" quit >/dev/null || fail "quit on $1"
	wait "$PID" || fail "exit status"
	PID=""
}

timeout 10 "$SIM" new-card "$T/marie.card" --uid 04A1B2C3D4E501 >/dev/null || fail "new-card"

# everything from the file: socket, link, card in the field, info level
cat >"$T/sim.ini" <<EOF
[cardsim]
control = $T/ctl
link = $T/tty
card = $T/marie.card
[log]
level = info
EOF
start -c "$T/sim.ini"
[ -S "$T/ctl" ] || fail "no control socket from the file"
[ "$(readlink "$T/tty")" = "$(sed -n 's/^connstring pn532_uart://p' "$T/out")" ] ||
	fail "link from the file"
timeout 10 "$SIM" ctl "$T/ctl" status >"$T/status" || fail "status"
grep -q "marie.card" "$T/status" || fail "card from the file: $(cat "$T/status")"
timeout 10 "$SIM" ctl "$T/ctl" remove >/dev/null || fail "remove"
stop "$T/ctl"
grep -q "^ssa-cardsim: card $T/marie.card enters the field" "$T/err" || fail "level = info"
[ ! -e "$T/tty" ] || fail "link left behind"

# options override the file; the default level (warning) says nothing of cards
printf '[cardsim]\ncontrol = %s/ctl\nlink = %s/tty\n' "$T" "$T" >"$T/sim2.ini"
start -c "$T/sim2.ini" --control "$T/ctl2" --card "$T/marie.card"
[ -S "$T/ctl2" ] || fail "--control did not override"
[ -e "$T/ctl" ] && fail "the file's socket was used too"
[ -L "$T/tty" ] || fail "the file's link (not overridden) is missing"
timeout 10 "$SIM" ctl "$T/ctl2" status | grep -q "marie.card" || fail "--card"
stop "$T/ctl2"
grep -q "enters the field" "$T/err" && fail "info messages at level warning"

# the example file parses (its paths overridden)
start -c config/ssa-cardsim.ini --control "$T/ctl3" --link "$T/tty3"
stop "$T/ctl3"

# mistakes: file and line on stderr, exit status non-zero, nothing opened
refused() { # WHAT FILE EXPECTED
	if timeout 10 "$SIM" -c "$2" --link "$T/never" >"$T/out" 2>"$T/err"; then
		fail "$1 accepted"
	fi
	grep -q "$3" "$T/err" || fail "$1: message: $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$1: it started: $(cat "$T/out")"
	[ -e "$T/never" ] && fail "$1: it made its link"
	return 0
}
printf '[cardsim]\ncontrol = %s/c\n\ncontorl = %s/c\n' "$T" "$T" >"$T/key.ini"
refused "unknown key" "$T/key.ini" \
	"^ssa-cardsim: error: $T/key.ini:4: unknown key 'contorl' in \[cardsim\] (did you mean 'control'?)"
printf '[cardsim]\ncontrol = %s/c\n[log]\nlevel = loud\n' "$T" >"$T/value.ini"
refused "bad value" "$T/value.ini" \
	"^ssa-cardsim: error: $T/value.ini:4: bad value for 'level' in \[log\]: 'loud' is none of error, warning, info, debug"
printf '[cardsim]\ncontrol =\n' >"$T/empty.ini"
refused "empty path" "$T/empty.ini" \
	"^ssa-cardsim: error: $T/empty.ini:2: bad value for 'control' in \[cardsim\]: a path cannot be empty"
refused "missing file" "$T/none.ini" "^ssa-cardsim: error: $T/none.ini: cannot read"
# no socket at all
printf '[log]\nlevel = debug\n' >"$T/nosock.ini"
refused "no control socket" "$T/nosock.ini" "no control socket: give --control SOCKET or \[cardsim\] control"
echo ok
