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

# systemd units and the system users they run as (sysusers.d), checked against each other and
# against the example configurations installed with them
bad() { echo "install: $*"; exit 1; }
u=$tmp/root/opt/ssa/lib/systemd/system
su=$tmp/root/opt/ssa/lib/sysusers.d/ssa-pos.conf
share=$tmp/root/opt/ssa/share/ssa-pos
key() { sed -n "s/^$2=//p" "$u/$1"; } # UNIT KEY: its value(s)
in_state() { # UNIT PATH: PATH is under one of UNIT's StateDirectory= (/var/lib/<dir>/)
	for d in $(key "$1" StateDirectory); do
		case $2 in /var/lib/"$d"/*) return 0 ;; esac
	done
	return 1
}
test -f "$su" || bad "no sysusers.d/ssa-pos.conf"
for s in ssa-caissed.service ssa-syncd.service; do
	test -f "$u/$s" || bad "no $s"
	exe=$(key "$s" ExecStart | cut -d' ' -f1)
	case $exe in /opt/ssa/bin/*) ;; *) bad "$s: ExecStart $exe is not under PREFIX" ;; esac
	test -x "$tmp/root$exe" || bad "$s: $exe not installed"
	[ -z "$(key "$s" DynamicUser)" ] || bad "$s: DynamicUser (ssa-admin writes the same files)"
	user=$(key "$s" User)
	[ -n "$user" ] && [ "$(key "$s" Group)" = "$user" ] || bad "$s: User/Group"
	grep -Eq "^u[[:space:]]+$user[[:space:]]" "$su" || bad "$s: user $user not in sysusers.d"
	[ -n "$(key "$s" StateDirectory)" ] || bad "$s: no StateDirectory"
	for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		PrivateDevices=yes CapabilityBoundingSet= UMask=0077 SystemCallFilter=@system-service; do
		grep -qx "$k" "$u/$s" || bad "$s: no $k"
	done
done
# where the example configurations put the files, the unit's user may write (ProtectSystem=strict
# leaves only the state directories writable)
cv() { sed -n "s/^#\{0,1\}$2 = //p" "$share/$1" | head -1; } # FILE KEY: value, commented or not
for p in "$(cv ssa-caissed.ini database)" "$(cv ssa-admin.ini database)" \
	"$(cv ssa-admin.ini key_dir)/x"; do
	in_state ssa-caissed.service "$p" || bad "ssa-caissed.service: $p not in its StateDirectory"
done
for p in "$(sed -n '/^\[state\]/,/^\[/s/^database = //p' "$share/ssa-syncd.ini")" \
	"$(sed -n '/^\[journal\]/,/^\[/s/^database = //p' "$share/ssa-syncd.ini")" \
	"$(cv ssa-syncd.ini spool)/x" "$(cv ssa-pos.ini data_dir)/x"; do
	in_state ssa-syncd.service "$p" || bad "ssa-syncd.service: $p not in its StateDirectory"
done
# a run that could not reach the caisse (75) is a failure, tried again (Restart=on-failure)
[ "$(key ssa-syncd.service Type)" = oneshot ] && [ -z "$(key ssa-syncd.service SuccessExitStatus)" ] &&
	[ "$(key ssa-syncd.service Restart)" = on-failure ] &&
	[ -n "$(key ssa-syncd.service RestartSec)" ] ||
	bad "ssa-syncd.service: Type/SuccessExitStatus/Restart"
t=ssa-syncd.timer
test -f "$u/$t" && [ -n "$(key $t OnCalendar)" ] && [ "$(key $t Persistent)" = true ] &&
	[ "$(key $t WantedBy)" = timers.target ] && [ -z "$(key $t Unit)" ] ||
	bad "ssa-syncd.timer"
# the sysusers.d file as systemd-sysusers reads it (dry run on an empty root)
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$tmp/sysroot/etc"
	systemd-sysusers --dry-run --root="$tmp/sysroot" "$su" >"$tmp/sysusers.out" 2>&1 ||
		{ cat "$tmp/sysusers.out"; bad "systemd-sysusers"; }
	grep -q "Creating user 'ssa-caisse'" "$tmp/sysusers.out" &&
		grep -q "Creating user 'ssa-pos'" "$tmp/sysusers.out" || bad "$(cat "$tmp/sysusers.out")"
	[ -z "$(ls -A "$tmp/sysroot/etc")" ] || bad "systemd-sysusers --dry-run wrote something"
fi
# systemd's own check, when there is one: no warning at all (unknown keys, bad values are only
# warnings for it); the units are copied with ExecStart pointing into DESTDIR
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$tmp/verify"
	for f in "$u"/*; do
		sed "s|/opt/ssa/|$tmp/root/opt/ssa/|g" "$f" >"$tmp/verify/$(basename "$f")"
	done
	(cd "$tmp/verify" && timeout 120 systemd-analyze verify --man=no ./*.service ./*.timer) \
		>"$tmp/verify.out" 2>&1 || { cat "$tmp/verify.out"; bad "systemd-analyze verify"; }
	[ ! -s "$tmp/verify.out" ] || { cat "$tmp/verify.out"; bad "systemd-analyze verify warned"; }
fi

chmod 755 "$tmp"
if setpriv --reuid=65534 --regid=65534 --clear-groups env SSA_DEPS_EXTRA=ssa-no-such-package \
	sh tools/deps.sh >"$tmp/deps.out" 2>&1; then
	echo "deps.sh should fail for a missing package"; exit 1
fi
grep -q "apt-get install -y ssa-no-such-package" "$tmp/deps.out" ||
	{ cat "$tmp/deps.out"; exit 1; }
setpriv --reuid=65534 --regid=65534 --clear-groups sh tools/deps.sh

# a library pkg-config cannot find: make says so before compiling anything, and how to fix it
if PKG_CONFIG_LIBDIR="$tmp/none" PKG_CONFIG_PATH= make -n BUILD="$tmp/nolibs" all >"$tmp/nolibs.out" 2>&1; then
	echo "make went on without its libraries"; exit 1
fi
grep -q "some libraries are missing.*run 'make deps'" "$tmp/nolibs.out" ||
	{ cat "$tmp/nolibs.out"; exit 1; }
echo ok
