#!/bin/sh
# Any key on any screen leaves no broken state: 600 keys drawn (seeded, so a failure replays)
# from every key the till knows and some it does not, on the sale, payment, receipt, help,
# report and AMAP screens.  After every batch the screen still has its title and status lines;
# at the end F10 quits with status 0 and the journal verifies.
. tests/ui/lib.sh

keys="F1 F2 F3 F4 F5 F6 F7 F8 F9 F10x F11 F12 Escape Enter Up Down PageUp PageDown BSpace DC
Tab BTab C-b C-x C-z C-n C-y C-e C-r C-l C-a Home End IC 0 1 2 3 4 5 6 7 8 9 * , . a Z ? space"
codes="3560070894222 3176582033303 0,350*2345678 4011 2112345003504 3*3250390000457 12 99999999"

check() { # $1 what
	ui_screen >"$UI_TMP/s"
	sed -n 1p "$UI_TMP/s" | grep -q '^ ssa-pos - ' || ui_fail "$1: no title line"
	tail -1 "$UI_TMP/s" | grep -Eq 'hors ligne|en ligne' || ui_fail "$1: no status line"
}

run() { # $1 seed, $2 count
	awk -v seed="$1" -v n="$2" -v keys="$keys" -v codes="$codes" 'BEGIN {
		srand(seed); nk = split(keys, k, /[ \n]+/); nc = split(codes, c, " ");
		for (i = 0; i < n; i++)
			if (rand() < 0.15) print "scan " c[int(rand() * nc) + 1];
			else print "key " k[int(rand() * nk) + 1];
	}' >"$UI_TMP/keys.txt"
	i=0
	while read -r kind what; do
		i=$((i + 1))
		if [ "$kind" = scan ]; then
			ui_scan "$what"
		elif [ "$what" = F10x ]; then
			: # quitting is checked at the end
		else
			ui_keys "$what"
		fi
		[ $((i % 25)) = 0 ] && check "seed $1 key $i ($what)"
	done <"$UI_TMP/keys.txt"
	check "seed $1 end"
}

ui_demo_data
ui_start
ui_sign_in 5
run 42 300
ui_keys Escape Escape F10
# F10 may land on a screen that asks for nothing: the till quits
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_journal verify --db "$UI_DATA/journal.db" --pubkey "$UI_DATA/terminal.key" >"$UI_TMP/v" 2>&1 ||
	{ cat "$UI_TMP/v"; ui_fail "journal does not verify"; }

ui_stop
ui_start -- --amap "$UI_TOP/tests/ui/data/amap-sheet.csv"
ui_sign_in 42
ui_wait_text "foyers"
run 7 300
ui_keys Escape F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status (AMAP)"
