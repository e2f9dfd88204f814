#!/bin/sh
# Every program refuses to start on a bad configuration, naming the file and the line on stderr
# and exiting non-zero (1): an unknown key, a bad value, a missing -c file.  The daemons run with
# -f (in the foreground their messages go to stderr, as in a terminal).
set -u
b=${SSA_BUILD:-build}
T=$(mktemp -d /tmp/ssa-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
unset SSA_LOG
fail() { echo "FAIL: $*"; exit 1; }
n=0

# refused NAME FILE EXPECTED COMMAND...: COMMAND exits 1, says EXPECTED (a fixed string) on
# stderr, and prints nothing on stdout
refused() {
	_name=$1 _file=$2 _want=$3
	shift 3
	timeout 30 "$@" >"$T/out" 2>"$T/err" </dev/null
	_rc=$?
	[ $_rc -eq 1 ] || fail "$_name: exit status $_rc, not 1 ($(cat "$T/err"))"
	grep -qF -- "$_want" "$T/err" || fail "$_name: stderr lacks '$_want': $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$_name: it printed on stdout: $(cat "$T/out")"
	n=$((n + 1))
	return 0
}

# check PROG SECTION GOOD_LINE UNKNOWN_KEY BAD_SECTION BAD_LINE WHY COMMAND...: the three
# mistakes for PROG; COMMAND is the program then its arguments, "-c FILE" goes in between
check() {
	_p=$1 _sec=$2 _good=$3 _unknown=$4 _badsec=$5 _bad=$6 _why=$7
	shift 7
	_prog=$1
	shift
	f=$T/$_p-key.ini
	printf '# %s\n[%s]\n%s\n%s = 1\n' "$_p" "$_sec" "$_good" "$_unknown" >"$f"
	refused "$_p unknown key" "$f" "$f:4: unknown key '$_unknown' in [$_sec]" "$_prog" -c "$f" "$@"
	f=$T/$_p-value.ini
	printf '[%s]\n\n%s\n' "$_badsec" "$_bad" >"$f"
	refused "$_p bad value" "$f" "$f:3: bad value for" "$_prog" -c "$f" "$@"
	grep -qF -- "$_why" "$T/err" || fail "$_p bad value: no reason '$_why': $(cat "$T/err")"
	f=$T/$_p-missing.ini
	refused "$_p missing file" "$f" "$f: cannot read" "$_prog" -c "$f" "$@"
}

check ssa-pos till "terminal_id = T01" termnial_id receipt "width = 20" \
	"20 is not between 32 and 64" "$b/ssa-pos"
printf '[till]\nterminal_id = T01\nestablishment_id = e\n[vat]\nrates = 5.5, 5.5\n' >"$T/vat.ini"
refused "ssa-pos bad VAT rates" x "$T/vat.ini:5: bad value for 'rates' in [vat]" \
	"$b/ssa-pos" -c "$T/vat.ini"
printf '[till]\nestablishment_id = e\n' >"$T/req.ini"
refused "ssa-pos missing key" x "$T/req.ini: missing required key 'terminal_id' in [till]" \
	"$b/ssa-pos" -c "$T/req.ini"

check ssa-syncd daemon "interval = 60" intervall daemon "interval = 0" "0 is not between 1 and" \
	"$b/ssa-syncd" -f

check ssa-caissed http "port = 8443" prot http "port = 70000" "70000 is not between 0 and 65535" \
	"$b/ssa-caissed" -f

check ssa-admin till "journal = /tmp/j.db" jornal till "journal =" "a path cannot be empty" \
	"$b/ssa-admin" version
# ssa-admin: the configuration is read before the command, whatever the command
refused "ssa-admin before journal verify" x "ssa-admin-key.ini:4: unknown key 'jornal'" \
	"$b/ssa-admin" -c "$T/ssa-admin-key.ini" journal verify

check ssa-cardsim cardsim "control = $T/never.sock" contorl log "level = loud" \
	"'loud' is none of error, warning, info, debug" \
	"$b/ssa-cardsim" --link "$T/never.tty"
[ -e "$T/never.sock" ] || [ -e "$T/never.tty" ] && fail "ssa-cardsim opened something"

echo "ok ($n refusals)"
