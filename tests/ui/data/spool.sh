#!/bin/sh
# spool.sh — the caisse's signed files in the till's spool, for the UI tests of the card paths.
# Source it after tests/ui/lib.sh.  Documents are signed here with openssl (the format is the
# text, then "signature,ed25519,<hex>" over the bytes before it: lib/grant.c, lib/hotlist.c),
# with a document key of the test's own; the till verifies them with [sync] caisse_key.

SPOOL="$UI_DATA/spool"

# spool_setup: the caisse's document key and the spool; call after ui_card_setup (it rewrites
# the configuration with the reader and the [sync] section).
spool_setup() {
	mkdir -p "$SPOOL"
	openssl genpkey -algorithm ed25519 -out "$UI_TMP/doc.pem" 2>/dev/null || ui_fail "doc key"
	openssl pkey -in "$UI_TMP/doc.pem" -pubout -out "$UI_TMP/doc.pub.pem" 2>/dev/null ||
		ui_fail "doc pubkey"
	ui_config "[card]" "reader = $UI_DEV" "keys = $UI_TMP/card.keys" "terminal_number = 3" \
		"[sync]" "spool = $SPOOL" "caisse_key = $UI_TMP/doc.pub.pem"
}

# spool_put NAME [KEY]: stdin (the document without its signature) signed with KEY (default the
# caisse's document key) and put as spool file NAME the way ssa-syncd does: a temp file renamed.
spool_put() {
	cat >"$UI_TMP/doc.txt"
	openssl pkeyutl -sign -rawin -inkey "${2:-$UI_TMP/doc.pem}" -in "$UI_TMP/doc.txt" \
		-out "$UI_TMP/doc.sig" || ui_fail "sign $1"
	printf 'signature,ed25519,%s\n' "$(od -An -tx1 "$UI_TMP/doc.sig" | tr -d ' \n')" \
		>>"$UI_TMP/doc.txt"
	mv "$UI_TMP/doc.txt" "$SPOOL/.$1.tmp" && mv "$SPOOL/.$1.tmp" "$SPOOL/$1" ||
		ui_fail "spool $1"
}

# The month as the till names it in French ("de novembre", "d'avril").
spool_month_fr() {
	case $(date +%m) in
	01) echo "de janvier" ;; 02) echo "de février" ;; 03) echo "de mars" ;;
	04) echo "d'avril" ;; 05) echo "de mai" ;; 06) echo "de juin" ;;
	07) echo "de juillet" ;; 08) echo "d'août" ;; 09) echo "de septembre" ;;
	10) echo "d'octobre" ;; 11) echo "de novembre" ;; 12) echo "de décembre" ;;
	esac
}
