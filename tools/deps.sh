#!/bin/sh
# Install the Debian 12 packages ssa-pos needs, if any are missing.
# As root: apt-get install them. Otherwise: print the exact command and fail.
PKGS="build-essential pkg-config clang libclang-rt-14-dev gettext tmux sqlite3 openssl curl
libncurses-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev libnfc-dev libfreefare-dev
libjansson-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev libnfc-bin libnfc-examples libfreefare-bin"
# SSA_DEPS_EXTRA adds names to check (the test suite uses it to see the non-root message).
missing=""
for p in $PKGS ${SSA_DEPS_EXTRA:-}; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		echo "deps: apt-get install failed" >&2; exit 1; }
else
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
