#!/bin/sh
# Quit by key and by signal: the terminal is given back every time (the pane leaves the
# alternate screen), and the exit status says why.
. tests/ui/lib.sh

alt() { ui_tmux display-message -p -t pos '#{alternate_on}'; }

ui_start
ui_wait_text "Code opérateur :"
[ "$(alt)" = 1 ] || ui_fail "ssa-pos did not take the alternate screen"
ui_keys C-q
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status of ^Q"
[ "$(alt)" = 0 ] || ui_fail "terminal not restored after ^Q"

for s in TERM:15 INT:2 HUP:1; do
	sig=${s%:*}
	ui_stop
	ui_start
	ui_wait_text "Code opérateur :"
	ui_type "12"
	pid=$(ui_pid)
	[ -n "$pid" ] || ui_fail "no pid"
	kill -s "$sig" "$pid"
	st=$(ui_wait_exit)
	want=$((128 + ${s#*:}))
	[ "$st" = "$want" ] || ui_fail "SIG$sig: exit $st, want $want"
	[ "$(alt)" = 0 ] || ui_fail "terminal not restored after SIG$sig"
done
