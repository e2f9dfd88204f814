#!/bin/sh
# `ssa-admin journal close` while another process appends sales to the same journal (the till
# selling while the closing runs): every sale falls into exactly one Z — each Z counts exactly
# the sales between the previous Z and itself — and the chain verifies.
set -u
b=${SSA_BUILD:-build}
adm=$b/ssa-admin
tmp=$(mktemp -d /tmp/ssa-it.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
j=$tmp/journal.db
close_z() {
	timeout 30 "$adm" journal close --db "$j" --key "$tmp/t.key" --kind z --period 20261123 \
		--establishment E1 --terminal T01 >/dev/null 2>>"$tmp/close.err"
}

timeout 30 "$adm" journal init-key --key "$tmp/t.key" --pub "$tmp/t.pub" >/dev/null || fail "init-key"
close_z || fail "first Z: $(cat "$tmp/close.err")"
timeout 120 "$adm" terminal demo-sales "$j" "$tmp/t.key" T01 5000 >/dev/null 2>"$tmp/sales.err" &
PID=$!
n=0
while [ $n -lt 300 ] && kill -0 "$PID" 2>/dev/null; do
	close_z || fail "close $n: $(cat "$tmp/close.err")"
	n=$((n + 1))
done
wait "$PID" || fail "demo-sales: $(cat "$tmp/sales.err")"
PID=""
close_z || fail "last Z: $(cat "$tmp/close.err")"

timeout 30 "$adm" journal verify --db "$j" --pubkey "$tmp/t.pub" >"$tmp/verify" || fail "verify: $(cat "$tmp/verify")"
timeout 30 "$adm" journal show --db "$j" >"$tmp/show" || fail "show"
# each CLOSING_Z line says sales=N: N must be the SALE lines since the previous Z
awk '
	$2 == "SALE" { since++; sales++ }
	$2 == "CLOSING_Z" {
		zs++
		for (i = 1; i <= NF; i++) if ($i ~ /^sales=/) { split($i, kv, "="); n = kv[2] }
		if (n != since) { printf "Z at seq %s counts %s sales, %d before it\n", $1, n, since; bad = 1 }
		since = 0
	}
	END {
		if (since != 0) { printf "%d sales after the last Z\n", since; bad = 1 }
		if (sales != 5000) { printf "%d sales, not 5000\n", sales; bad = 1 }
		printf "%d Zs\n", zs
		exit bad
	}' "$tmp/show" >"$tmp/check" || fail "$(cat "$tmp/check")"
echo "ok ($n closings while selling, $(cat "$tmp/check"))"
