#!/bin/sh
# lib.sh — drive the real ssa-pos in tmux.  Source it from a test:  . tests/ui/lib.sh
#
# Each test gets its own tmux server (a socket in a temp dir), a detached 80x24 session running
# $SSA_BUILD/ssa-pos with a temp config and data dir, and a trap that always kills the server and
# removes the dir.  Waiting is a bounded poll of the captured screen, never a blind sleep.
#
# Run directly (tests/run.sh runs every tests/ui/*.sh), this file checks the harness itself: that
# waiting for text that never comes fails within its bound, and that a screen compare can fail.

SSA_BUILD=${SSA_BUILD:-build}
UI_TOP=$(pwd)
UI_BIN="$UI_TOP/$SSA_BUILD/ssa-pos"
UI_EXPECTED=${UI_EXPECTED:-$UI_TOP/tests/ui/expected}
UI_POLLS=${UI_POLLS:-100} # x 0.1 s: the longest any wait lasts
UI_TMP=$(mktemp -d /tmp/ssa-ui.XXXXXX) || exit 1
UI_SOCK="$UI_TMP/tmux.sock"
UI_DATA="$UI_TMP/data"
UI_CONF="$UI_TMP/ssa-pos.ini"
mkdir -p "$UI_DATA"

ui_tmux() {
	tmux -S "$UI_SOCK" -f /dev/null "$@"
}

UI_SIM_PID=""
ui_cleanup() {
	ui_tmux kill-server >/dev/null 2>&1
	if [ -n "$UI_SIM_PID" ]; then
		kill "$UI_SIM_PID" 2>/dev/null
		wait "$UI_SIM_PID" 2>/dev/null
	fi
	rm -rf "$UI_TMP"
}
trap 'ui_cleanup' EXIT
trap 'exit 1' INT TERM HUP

# ui_demo ARGS...: tools/demo.sh on a demo chain of its own, in $UI_TMP/demo (setup, card NAME,
# ...); ui_demo_stop stops the daemons it started (put it in the script's EXIT trap)
ui_demo() { SSA_DEMO_DIR="$UI_TMP/demo" timeout 600 sh "$UI_TOP/tools/demo.sh" "$SSA_BUILD" "$@"; }
ui_demo_stop() {
	for _p in syncd cardsim caissed; do
		[ -f "$UI_TMP/demo/$_p.pid" ] && kill "$(cat "$UI_TMP/demo/$_p.pid")" 2>/dev/null
		rm -f "$UI_TMP/demo/$_p.pid"
	done
}

ui_fail() {
	echo "FAIL: $*" >&2
	if [ -S "$UI_SOCK" ]; then
		echo "--- screen:" >&2
		ui_screen >&2
		echo "---" >&2
	fi
	exit 1
}

# ui_stop: end the tmux server (and what runs in it) so that ui_start can start afresh.
ui_stop() {
	ui_tmux kill-server >/dev/null 2>&1
	rm -f "$UI_SOCK"
}

# ui_config [EXTRA LINES]: write the till's configuration (data in $UI_DATA); extra INI lines
# are appended (they may open sections of their own).
ui_config() {
	cat >"$UI_CONF" <<-EOF
	[till]
	terminal_id = T01
	establishment_id = epicerie-test
	caisse = caisse-34
	shop_name = Épicerie du Marché
	shop_address = 3 rue des Halles, 34000 Montpellier
	data_dir = $UI_DATA
	[receipt]
	directory = $UI_DATA/receipts
	[barcodes]
	rule = 21xxxxxNNDDDc weight
	rule = 23xxxxxNNNDDc price
	EOF
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$UI_CONF"
	mkdir -p "$UI_DATA/receipts"
	# the terminal's signing key of the journal
	if [ ! -f "$UI_DATA/terminal.key" ]; then
		openssl genpkey -algorithm ed25519 -out "$UI_DATA/terminal.key" 2>/dev/null ||
			ui_fail "terminal key"
		chmod 600 "$UI_DATA/terminal.key"
	fi
}

# ui_pos ARGS: run ssa-pos outside tmux with the test's configuration (imports).
ui_pos() {
	[ -f "$UI_CONF" ] || ui_config
	"$UI_BIN" -c "$UI_CONF" "$@"
}

# ui_demo_data: the demo products (tests/ui/data/products.csv) and caisse-34's list, signed here
# with a fresh Ed25519 key by openssl, imported through ssa-pos into the catalog database.
ui_demo_data() {
	_d="$UI_TOP/tests/ui/data"
	openssl genpkey -algorithm ed25519 -out "$UI_TMP/caisse.pem" 2>/dev/null || ui_fail "genpkey"
	openssl pkey -in "$UI_TMP/caisse.pem" -pubout -outform DER 2>/dev/null | tail -c 32 |
		od -An -tx1 | tr -d ' \n' >"$UI_TMP/caisse.pub"
	cp "$_d/list-caisse-34.txt" "$UI_TMP/list.txt"
	openssl pkeyutl -sign -rawin -inkey "$UI_TMP/caisse.pem" -in "$_d/list-caisse-34.txt" \
		-out "$UI_TMP/list.sig" || ui_fail "sign list"
	printf 'signature,ed25519,%s\n' "$(od -An -tx1 "$UI_TMP/list.sig" | tr -d ' \n')" \
		>>"$UI_TMP/list.txt"
	ui_pos --import-products "$_d/products.csv" >/dev/null || ui_fail "import products"
	ui_pos --import-list caisse-34 "$UI_TMP/caisse.pub" "$UI_TMP/list.txt" >/dev/null ||
		ui_fail "import list"
}

# ui_card_setup: a caisse's card keys (ssa-admin card keygen), and
# ssa-cardsim on a pty (its connstring in $UI_DEV) with no card in the field yet; the till's
# configuration gets [card] reader/keys.  libnfc never scans: LIBNFC_AUTO_SCAN=false.
# With UI_SIM_LINK set, ssa-cardsim keeps a symbolic link of that name to its pty, and the
# till's reader is that link (stable across ui_sim_stop / ui_sim_start).
UI_ADMIN="$UI_TOP/$SSA_BUILD/ssa-admin"
UI_SIM="$UI_TOP/$SSA_BUILD/ssa-cardsim"
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false
ui_card_setup() {
	timeout 30 "$UI_ADMIN" card keygen "$UI_TMP/card.keys" --caisse caisse-34 >/dev/null 2>&1 ||
		ui_fail "card keygen"
	ui_sim_start
	ui_config "[card]" "reader = $UI_DEV" "keys = $UI_TMP/card.keys" "terminal_number = 3"
}

# ui_sim_start [CARD]: start ssa-cardsim (a new pty; card CARD already in the field, else
# none); sets UI_DEV.
ui_sim_start() {
	rm -f "$UI_TMP/sim.out"
	if [ -n "${UI_SIM_LINK:-}" ]; then
		timeout 300 "$UI_SIM" --control "$UI_TMP/ctl" --link "$UI_SIM_LINK" \
			${1:+--card "$UI_TMP/$1"} >"$UI_TMP/sim.out" 2>>"$UI_TMP/sim.err" &
	else
		timeout 300 "$UI_SIM" --control "$UI_TMP/ctl" ${1:+--card "$UI_TMP/$1"} \
			>"$UI_TMP/sim.out" 2>>"$UI_TMP/sim.err" &
	fi
	UI_SIM_PID=$!
	_i=0
	until grep -q '^connstring pn532_uart:' "$UI_TMP/sim.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt "$UI_POLLS" ] || ui_fail "ssa-cardsim did not start"
		sleep 0.1
	done
	if [ -n "${UI_SIM_LINK:-}" ]; then
		UI_DEV="pn532_uart:$UI_SIM_LINK"
	else
		UI_DEV=$(sed -n 's/^connstring //p' "$UI_TMP/sim.out")
	fi
}

# ui_sim_stop: stop ssa-cardsim (the reader is unplugged: its pty goes away).
ui_sim_stop() {
	[ -n "$UI_SIM_PID" ] || return 0
	kill "$UI_SIM_PID" 2>/dev/null
	wait "$UI_SIM_PID" 2>/dev/null
	UI_SIM_PID=""
}

# ui_ctl ARGS: the simulator's control channel (insert PATH, remove, tear N, status).
ui_ctl() {
	timeout 10 "$UI_SIM" ctl "$UI_TMP/ctl" "$@" >/dev/null || ui_fail "ssa-cardsim ctl $*"
}

# ui_card_on NAME: put card NAME on the reader (whatever was there is taken away); ui_card_off.
ui_card_on() {
	timeout 10 "$UI_SIM" ctl "$UI_TMP/ctl" remove >/dev/null 2>&1
	ui_ctl insert "$UI_TMP/$1"
}
ui_card_off() {
	timeout 10 "$UI_SIM" ctl "$UI_TMP/ctl" remove >/dev/null 2>&1
}

# ui_new_card NAME SERIAL BALANCE [UID]: a blank card issued by ssa-admin (member id = serial,
# caisse-34, valid 2020-2099), left out of the field.  Run before ui_start: one process on the
# pty at a time.
ui_new_card() {
	"$UI_SIM" new-card "$UI_TMP/$1" --uid "${4:-04C0FFEE00$2}" >/dev/null || ui_fail "new-card"
	ui_card_on "$1"
	timeout 60 "$UI_ADMIN" card issue --keys "$UI_TMP/card.keys" --device "$UI_DEV" \
		--serial "$2" --member "$2" --household 1 --from 2020-01-01 --to 2099-12-31 \
		--balance "$3" >"$UI_TMP/issue-$1.log" 2>&1 || {
		cat "$UI_TMP/issue-$1.log" >&2
		ui_fail "card issue $1"
	}
	ui_card_off
}

# ui_journal ARGS: ssa-admin journal ... on the till's journal (after ssa-pos has exited).
ui_journal() {
	timeout 60 "$UI_ADMIN" journal "$@"
}

# ui_start [ENV=VALUE ...] [-- ssa-pos args]: start ssa-pos in an 80x24 session named pos.
# LANG defaults to French (the till's default language); pass LANG=en_US.UTF-8 for English.
ui_start() {
	_env="LANG=fr_FR.UTF-8"
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		_env="$_env $1"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	[ -x "$UI_BIN" ] || ui_fail "no binary $UI_BIN"
	[ -f "$UI_CONF" ] || ui_config
	rm -f "$UI_TMP/exit-status"
	ui_tmux new-session -d -s pos -x 80 -y 24 \
		"env -u LC_ALL -u LC_MESSAGES -u LANGUAGE SSA_LOCALEDIR='$UI_TOP/$SSA_BUILD/locale' \
		$_env '$UI_BIN' -c '$UI_CONF' $*; echo \$? >'$UI_TMP/exit-status'" \
		|| ui_fail "tmux new-session"
	ui_tmux set-option -t pos remain-on-exit on >/dev/null
}

# ui_sign_in [CODE]: the start-of-shift screen: type the operator code (default 42), Enter, and
# wait for the sale screen.
ui_sign_in() {
	ui_wait_text "${UI_SIGN_IN_PROMPT:-Code opérateur :}"
	ui_type "${1:-42}"
	ui_keys Enter
	ui_wait_text "${UI_SIGNED_IN:-Opérateur ${1:-42} | F1 aide}"
}

# The screen as text, trailing blanks removed; the no-break spaces of amounts ("12,50 €") are
# made plain spaces so that tests can write them.
ui_screen() {
	ui_tmux capture-pane -p -t pos | sed -e 's/\xe2\x80\xaf/ /g' -e 's/\xc2\xa0/ /g' \
		-e 's/[[:space:]]*$//'
}

# ui_keys KEY...: tmux key names (Enter, Escape, F1, Up, C-q ...).
ui_keys() {
	ui_tmux send-keys -t pos "$@" || ui_fail "send-keys $*"
}

# ui_type TEXT: type TEXT literally.
ui_type() {
	ui_tmux send-keys -t pos -l "$1" || ui_fail "send-keys -l $1"
}

# ui_scan CODE: what a scanner (a keyboard wedge) sends: the digits, then Enter.
ui_scan() {
	ui_type "$1"
	ui_keys Enter
}

# ui_wait_text TEXT: poll the screen until it holds TEXT (fixed string); fail after UI_POLLS.
ui_wait_text() {
	_i=0
	while [ $_i -lt "$UI_POLLS" ]; do
		ui_screen | grep -qF -- "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	ui_fail "text never appeared: $1"
}

# ui_wait_any TEXT...: poll until the screen holds one of the texts; prints the first found.
ui_wait_any() {
	_i=0
	while [ $_i -lt "$UI_POLLS" ]; do
		ui_screen >"$UI_TMP/any.txt"
		for _t in "$@"; do
			if grep -qF -- "$_t" "$UI_TMP/any.txt"; then
				echo "$_t"
				return 0
			fi
		done
		sleep 0.1
		_i=$((_i + 1))
	done
	ui_fail "none of these appeared: $*"
}

# ui_wait_gone TEXT: poll until the screen no longer holds TEXT.
ui_wait_gone() {
	_i=0
	while [ $_i -lt "$UI_POLLS" ]; do
		ui_screen | grep -qF -- "$1" || return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	ui_fail "text never went away: $1"
}

# ui_no_text TEXT: the screen does not hold TEXT now.
ui_no_text() {
	ui_screen | grep -qF -- "$1" && ui_fail "unexpected text: $1"
	return 0
}

# ui_expect_screen NAME: poll until the screen equals tests/ui/expected/NAME.txt; on timeout
# fail with the diff.
ui_expect_screen() {
	_want="$UI_EXPECTED/$1.txt"
	[ -f "$_want" ] || ui_fail "no expected screen $_want"
	_i=0
	while [ $_i -lt "$UI_POLLS" ]; do
		ui_screen >"$UI_TMP/screen.txt"
		# capture-pane ends with the empty bottom rows; compare without trailing empty lines
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$UI_TMP/screen.txt" >"$UI_TMP/got.txt"
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$_want" >"$UI_TMP/want.txt"
		cmp -s "$UI_TMP/got.txt" "$UI_TMP/want.txt" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	diff -u "$UI_TMP/want.txt" "$UI_TMP/got.txt" >&2
	ui_fail "screen differs from expected/$1.txt"
}

# ui_size COLS ROWS: resize the window (the pane follows; ssa-pos gets SIGWINCH).
ui_size() {
	ui_tmux resize-window -t pos -x "$1" -y "$2" || ui_fail "resize-window"
}

# ui_wait_exit: poll until ssa-pos has exited; prints its exit status.
ui_wait_exit() {
	_i=0
	while [ $_i -lt "$UI_POLLS" ]; do
		if [ -s "$UI_TMP/exit-status" ]; then
			cat "$UI_TMP/exit-status"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	ui_fail "ssa-pos did not exit"
}

# ui_pid: the pid of ssa-pos in the pane.
ui_pid() {
	_shell=$(ui_tmux display-message -p -t pos '#{pane_pid}')
	pgrep -P "$_shell" -f "$UI_BIN" | head -1
}

# Self-test of the harness when run as a test of its own.
case "$0" in
*lib.sh)
	UI_POLLS=5
	ui_tmux new-session -d -s pos -x 80 -y 24 "cat" || ui_fail "tmux"
	ui_type "hello harness"
	ui_wait_text "hello harness"
	( ui_wait_text "never printed" ) 2>/dev/null && ui_fail "waiting for absent text passed"
	mkdir -p "$UI_TMP/exp"
	echo "other screen" >"$UI_TMP/exp/x.txt"
	( UI_EXPECTED="$UI_TMP/exp"; ui_expect_screen x ) 2>/dev/null && ui_fail "screen compare cannot fail"
	echo "harness ok"
	;;
esac
