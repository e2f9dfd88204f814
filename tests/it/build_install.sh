#!/bin/sh
# make install honours PREFIX and DESTDIR; make deps as a non-root user prints the exact
# apt-get command for what is missing and fails, and passes when nothing is missing.
set -eu
b=${SSA_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s install BUILD="$b" PREFIX=/opt/ssa DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; exit 1; }
for p in ssa-admin; do
	test -x "$tmp/root/opt/ssa/bin/$p" || { echo "missing $p"; exit 1; }
done
"$tmp/root/opt/ssa/bin/ssa-admin" version | grep -q "^ssa-admin [0-9]"
# every program has its man page
for p in "$tmp"/root/opt/ssa/bin/*; do
	n=$(basename "$p")
	ls "$tmp/root/opt/ssa/share/man/man1/$n.1" "$tmp/root/opt/ssa/share/man/man8/$n.8" \
		2>/dev/null | grep -q . || { echo "no man page for $n"; exit 1; }
done
# nothing may be installed outside DESTDIR/PREFIX
test -z "$(find "$tmp/root" -mindepth 1 -maxdepth 1 ! -name opt)"

chmod 755 "$tmp"
if setpriv --reuid=65534 --regid=65534 --clear-groups env SSA_DEPS_EXTRA=ssa-no-such-package \
	sh tools/deps.sh >"$tmp/deps.out" 2>&1; then
	echo "deps.sh should fail for a missing package"; exit 1
fi
grep -q "apt-get install -y ssa-no-such-package" "$tmp/deps.out" ||
	{ cat "$tmp/deps.out"; exit 1; }
setpriv --reuid=65534 --regid=65534 --clear-groups sh tools/deps.sh
echo ok
