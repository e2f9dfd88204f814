#!/bin/sh
# The README lists every key of the till (pos/request.h, the X-macro that also makes the help
# screen) with its help text, and no key that is not there.
set -eu
keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
sed -n 's/^[[:space:]]*_([A-Z_]*, [^,]*, [^,]*, "\([^"]*\)", N_("\(.*\)")).*$/| `\1` | \2 |/p' \
	pos/request.h >"$keys"
[ "$(wc -l <"$keys")" -ge 20 ] || { echo "FAIL: keys not read from pos/request.h"; exit 1; }
while IFS= read -r row; do
	grep -qxF "$row" README.md || { echo "FAIL: README lacks the row: $row"; exit 1; }
done <"$keys"
n_readme=$(sed -n '/^| key | what it does |$/,/^$/p' README.md | grep -c '^| `')
[ "$n_readme" = "$(wc -l <"$keys")" ] ||
	{ echo "FAIL: README lists $n_readme keys, pos/request.h $(wc -l <"$keys")"; exit 1; }
echo ok
