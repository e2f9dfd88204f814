#!/bin/sh
# Every string ssa-pos marks for translation has a French translation in po/fr.po, and the
# catalog compiles with its printf formats matching.
set -e
tmp=$(mktemp -d /tmp/ssa-po.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$tmp/ssa-pos.pot" pos/*.c pos/*.h
msgcmp po/fr.po "$tmp/ssa-pos.pot"
msgfmt --check-format -o "$tmp/fr.mo" po/fr.po
# no entry is left untranslated or fuzzy
msgfmt --statistics -o /dev/null po/fr.po 2>&1 | grep -Eq '^[0-9]+ translated messages\.$'
