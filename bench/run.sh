#!/bin/sh
# make bench — run every benchmark program of BUILD/bench, each with a scratch directory on the
# same disk as the build (never tmpfs), and print their side-by-side tables.  Benchmarks print
# ratios against a baseline measured in the same run; nothing here asserts a timing.
build=${1:-build}
dir="$build/bench-scratch"
status=0
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	rm -rf "$dir" && mkdir -p "$dir"
	echo "== $(basename "$b")"
	SSA_BENCH_DIR="$dir" SSA_BUILD="$build" "$b" || { echo "   failed (exit $?)"; status=1; }
	echo
done
rm -rf "$dir"
# Keys pressed beyond scans, counted through the real till in tmux (also a UI test).
echo "== keys_basket (tests/ui/keys_basket.sh: the real till in tmux, ssa-cardsim)"
if out=$(SSA_BUILD="$build" timeout 300 sh tests/ui/keys_basket.sh 2>&1); then
	echo "$out" | grep '^keys beyond scans' | sed 's/^/   /'
else
	echo "$out" | tail -20
	echo "   failed"
	status=1
fi
exit $status
