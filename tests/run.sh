#!/bin/sh
# Test driver for make check.  Usage: tests/run.sh BUILD [ASAN_BUILD]
# Runs every unit test binary of each build, then every integration (tests/it) and UI (tests/ui)
# script against BUILD (integration tests again against ASAN_BUILD when given).
# cmocka's per-test counts are summed; a script counts as one test. The last line is
# "N passed, N failed".
build=${1:-build}
asan=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d)
passed=0
failed=0
failures=""

count_cmocka() { # $1 name, $2 output file, $3 exit status
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" != 0 ] && failures="$failures $1"
}

run_unit() { # $1 build dir
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		n="$1/$(basename "$t")"
		out="$log/$(echo "$n" | tr / _)"
		(cd "$top" && SSA_BUILD="$1" timeout 300 "$t") >"$out" 2>&1
		rc=$?
		cat "$out"
		count_cmocka "$n" "$out" $rc
	done
}

run_scripts() { # $1 dir, $2 build dir
	for s in "$top"/tests/$1/*.sh; do
		[ -f "$s" ] || continue
		n="$1/$(basename "$s" .sh)[$2]"
		out="$log/$(echo "$n" | tr '/[]' '___')"
		(cd "$top" && SSA_BUILD="$2" timeout 600 sh "$s") >"$out" 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			passed=$((passed + 1)); echo "PASS $n"
		else
			failed=$((failed + 1)); failures="$failures $n"
			echo "FAIL $n (exit $rc)"; tail -30 "$out" | sed 's/^/    /'
		fi
	done
}

run_unit "$build"
[ -n "$asan" ] && run_unit "$asan"
run_scripts it "$build"
[ -n "$asan" ] && [ -z "${SSA_SKIP_ASAN_IT:-}" ] && run_scripts it "$asan"
run_scripts ui "$build"
rm -rf "$log"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
