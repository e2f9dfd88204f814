#!/bin/sh
# make install PREFIX=... DESTDIR=...: the installed ssa-pos speaks French from the catalog
# installed beside it (PREFIX/share/locale, found from where the program is), for a PREFIX it
# was not built with and without SSA_LOCALEDIR; and the installed systemd units start the
# programs from PREFIX/bin.
. tests/ui/lib.sh

prefix=/opt/ssa-test
make -s install BUILD="$SSA_BUILD" PREFIX="$prefix" DESTDIR="$UI_TMP/root" \
	>"$UI_TMP/install.log" 2>&1 || ui_fail "make install: $(cat "$UI_TMP/install.log")"
root="$UI_TMP/root$prefix"
[ -f "$root/share/locale/fr/LC_MESSAGES/ssa-pos.mo" ] || ui_fail "no French catalog installed"
# the example configuration, the household rule included
[ -f "$root/share/ssa-pos/household-rules.txt" ] || ui_fail "no household-rules.txt installed"
for u in ssa-syncd.service ssa-caissed.service; do
	grep -q "^ExecStart=$prefix/bin/" "$root/lib/systemd/system/$u" ||
		ui_fail "$u: $(grep ExecStart "$root/lib/systemd/system/$u")"
done

UI_BIN="$root/bin/ssa-pos"
ui_start SSA_LOCALEDIR=
ui_wait_text "Début de service : tapez votre code opérateur, puis Entrée."
ui_sign_in 42
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
ui_stop
echo ok
