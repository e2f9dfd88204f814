#!/bin/sh
# The status line, from what ssa-syncd leaves in the spool ([sync] spool): online or offline,
# last sync, records waiting (the journal, and the acknowledgements the status file reports),
# the product list's age (when the catalog received it, or the last sync that saw that version)
# and the age of the hot list in force at the till (when the till took it from the spool, or the
# last sync that saw that very version: a newer file in the spool that the till refuses does not
# make it younger), with a warning ("!" and the warning colors) once older than the caisse's
# limit: the max_age of its list in force (here 2 days, set by ssa-admin list sign --max-age in a
# delta), [till] list_max_age (here 30 days) only for a list without one.  The till re-reads the
# spool and the catalog by itself while it runs; a malformed status file is no status.  Rejections: the count on the status line, ^E lists them (seq, error, message).
. tests/ui/lib.sh
. tests/ui/data/spool.sh

spool="$UI_TMP/spool"
SPOOL="$spool"
mkdir -p "$spool"
openssl genpkey -algorithm ed25519 -out "$UI_TMP/doc.pem" 2>/dev/null || ui_fail "doc key"
openssl pkey -in "$UI_TMP/doc.pem" -pubout -out "$UI_TMP/doc.pub.pem" 2>/dev/null ||
	ui_fail "doc pubkey"
ui_config "list_max_age = 30" "[sync]" "spool = $spool" "caisse_key = $UI_TMP/doc.pub.pem"
# the [till] section is first in the file: list_max_age lands there only if it follows it
sed -i '/^list_max_age = 30$/d' "$UI_CONF"
sed -i 's/^\[till\]$/[till]\nlist_max_age = 30/' "$UI_CONF"
ui_demo_data
# list_delta VERSION DAYS: the caisse's delta on the version before it, signed by the caisse's
# tool with its age limit (0: none), put in force as ssa-syncd would
list_delta() {
	printf 'ssa-list,1\ncaisse,caisse-34\nversion,%s\nbase,%s\nvalid,2020-01-01,\n' "$1" \
		"$(($1 - 1))" >"$UI_TMP/d$1.body"
	timeout 30 "$UI_ADMIN" list sign --max-age "$2" "$UI_TMP/caisse.pem" "$UI_TMP/d$1.body" \
		"$UI_TMP/d$1.list" 2>/dev/null || ui_fail "sign delta $1"
	ui_pos --import-list caisse-34 "$UI_TMP/caisse.pub" "$UI_TMP/d$1.list" >/dev/null ||
		ui_fail "import delta $1"
}
list_delta 8 2

# status FILE-CONTENT: written the way ssa-syncd writes it (temp name, renamed over)
status() {
	printf '%s' "$1" >"$spool/.status.tmp" && mv "$spool/.status.tmp" "$spool/status" ||
		ui_fail "write status"
}
now=$(date +%s)
status "last_attempt=$now
last_success=$((now - 4 * 86400))
online=0
acked=0
list_version=8
hotlist_version=1
rejections=0
"
# the caisse's hot list, version 1, received 5 days ago
spool_put hotlist.txt <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,1
	EOF
touch -d "5 days ago" "$spool/hotlist.txt"

# the colors of the status line (tmux's escape sequences for its attributes)
status_attrs() {
	ui_tmux capture-pane -p -e -t pos | tail -1 | sed 's/[^[:cntrl:]]*\(\x1b\[[0-9;]*m\).*/\1/'
}

ui_start
ui_sign_in 42
# offline for 4 days: the hot list was last confirmed by that sync, older than 2 days
ui_wait_text "hors ligne | sync 4 j | 0 en attente | liste v8, 0 min | opposition 4 j !"
warn_attrs=$(status_attrs)

# a sale: one record waiting
ui_scan 3176582033303
ui_keys F3
ui_wait_text "Posez la carte alimentaire"
ui_keys F7
ui_wait_text "Vente 1 enregistrée."
ui_wait_text "| 1 en attente |"
ui_keys Escape

# ssa-syncd reached the caisse 2 minutes ago and it acknowledged the sale: read while running
status "last_attempt=$now
last_success=$((now - 120))
online=1
acked=1
list_version=8
hotlist_version=1
rejections=0
future_key=whatever
"
ui_wait_text "en ligne | sync 2 min | 0 en attente | liste v8, "
ui_screen | tail -1 | grep -Eq '^en ligne \| sync 2 min \| 0 en attente \| liste v8, [0-9]+ min \| opposition 2 min$' ||
	ui_fail "status line when fresh"
ok_attrs=$(status_attrs)
[ -n "$ok_attrs" ] && [ "$ok_attrs" != "$warn_attrs" ] ||
	ui_fail "the warning has the same colors as a fresh status ($ok_attrs)"
ui_keys C-e
ui_wait_text "La caisse n'a refusé aucun enregistrement."
ui_wait_text "ssa-pos - Vente"

# a newer hot list in the spool that the till refuses (signed by another key): the list in force
# is still version 1 of 5 days ago, and the sync (which saw version 2) does not confirm it
openssl genpkey -algorithm ed25519 -out "$UI_TMP/forger.pem" 2>/dev/null || ui_fail "forger key"
spool_put hotlist.txt "$UI_TMP/forger.pem" <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,2
	EOF
status "last_attempt=$now
last_success=$((now - 60))
online=1
acked=1
list_version=8
hotlist_version=2
rejections=0
"
ui_wait_text "Liste d'opposition"
ui_wait_text "en ligne | sync 1 min | 0 en attente | liste v8, "
ui_wait_text "| opposition 5 j !"
# the caisse's version 2 (its file 3 days old): in force, and confirmed by the sync a minute ago
mkdir -p "$UI_TMP/stage"
SPOOL="$UI_TMP/stage" spool_put hotlist.txt <<-EOF
	ssa-hotlist,1
	caisse,caisse-34
	version,2
	EOF
touch -d "3 days ago" "$UI_TMP/stage/hotlist.txt"
mv "$UI_TMP/stage/hotlist.txt" "$spool/hotlist.txt" || ui_fail "spool hot list"
ui_wait_text "| opposition 1 min"
ui_screen | tail -1 | grep -Eq '^en ligne \| sync 1 min \| 0 en attente \| liste v8, [0-9]+ min \| opposition 1 min$' ||
	ui_fail "status line with the new hot list"

# the caisse refused two records
status "last_attempt=$now
last_success=$((now - 60))
online=1
acked=1
list_version=8
hotlist_version=2
rejections=25
rejection=1 SIGNATURE la signature de l'enregistrement ne se vérifie pas
rejection=1 DUPLICATE
rejection=1 LIST_UNKNOWN the record names list version 9 of caisse-34, which the caisse never published
rejection=0 LIST_SIGNATURE the list's signature does not verify
"
ui_wait_text "en ligne | 25 refus ^E | sync 1 min | 0 att. | liste v8"
[ "$(status_attrs)" = "$warn_attrs" ] || ui_fail "rejections: not the warning colors"
ui_keys C-e
ui_wait_text "ssa-pos - Refusés par la caisse"
ui_wait_text "La caisse a refusé 25 enregistrement(s), les 4 derniers ici :"
ui_wait_text "Ils restent au journal : prévenez la caisse."
ui_screen | grep -Eq "^! 1 +SIGNATURE +la signature de l'enregistrement ne se vérifie pas$" ||
	ui_fail "first rejection"
ui_screen | grep -Eq '^! 1 +DUPLICATE$' || ui_fail "second rejection"
# a long message goes on to a second row
ui_screen | grep -Eq '^! 1 +LIST_UNKNOWN +the record names list version 9 of caisse-34, which$' ||
	ui_fail "third rejection"
ui_screen | grep -Eq '^ {28}the caisse never published$' || ui_fail "third rejection, row 2"
# a refused document (the list), not a record
ui_screen | grep -Eq "^! - +LIST_SIGNATURE +the list's signature does not verify$" ||
	ui_fail "a refused list"
# any key leaves it as it was; Esc goes back
ui_keys F3 Up Down PageDown F12 Enter
ui_wait_text "ssa-pos - Refusés par la caisse"
ui_keys Escape
ui_wait_text "ssa-pos - Vente"

# the caisse found card anomalies after this terminal's pushes (a card spent at two outlets):
# counted on the status line with the refusals, listed under the refusals by ^E
status "last_attempt=$now
last_success=$((now - 60))
online=1
acked=1
list_version=8
hotlist_version=2
rejections=1
rejection=1 DUPLICATE
anomalies=2
anomaly=demo-card-0 T-02 1 DOUBLE_SPEND 99700 100000 1795500000
anomaly=00000000000004d2 T-01 61 EXCESS 99550 100000 1795000060
"
ui_wait_text "en ligne | 3 refus ^E | sync 1 min | 0 att. | liste v8"
ui_keys C-e
ui_wait_text "La caisse a refusé 1 enregistrement(s) :"
ui_wait_text "Anomalies de carte : 2 (la caisse peut mettre ces cartes en opposition) :"
ui_screen | grep -Eq '^! DOUBLE_SPEND +carte demo-card-0$' || ui_fail "first anomaly"
ui_screen | grep -Eq '^ {28}T-02/1 : carte 1 000,00 €, grand livre 997,00 €$' ||
	ui_fail "first anomaly, row 2"
ui_screen | grep -Eq '^! EXCESS +carte 00000000000004d2$' || ui_fail "second anomaly"
ui_keys Escape
ui_wait_text "ssa-pos - Vente"
# anomalies alone (none refused)
status "last_attempt=$now
last_success=$((now - 60))
online=1
acked=1
list_version=8
hotlist_version=2
rejections=0
anomalies=1
anomaly=demo-card-0 T-02 1 DOUBLE_SPEND 99700 100000 1795500000
"
ui_wait_text "en ligne | 1 refus ^E | sync 1 min | 0 att. | liste v8"
ui_keys C-e
ui_wait_text "Anomalies de carte : 1 (la caisse peut mettre ces cartes en opposition) :"
ui_wait_text "La caisse n'a refusé aucun enregistrement."
ui_keys Escape
ui_wait_text "ssa-pos - Vente"

# a malformed status file is no status; the hot list's own age shows again: version 2, 3 days
status "online=1
"
ui_wait_text "hors ligne | sync jamais | 1 en attente | liste v8, "
ui_wait_text "| opposition 3 j !"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"

# the spool's hot list is lost while the till is stopped: the till's own copy is in force at the
# next start, with the age of the list (not none, not the copy's)
rm "$spool/hotlist.txt"
ui_stop
ui_start
ui_sign_in 42
ui_wait_text "hors ligne | sync jamais | 1 en attente | liste v8, "
ui_wait_text "| opposition 3 j !"
# the caisse's next delta has no limit: the till's own 30 days, no warning any more
list_delta 9 0
ui_wait_text "hors ligne | sync jamais | 1 en attente | liste v9, "
ui_screen | tail -1 | grep -Eq '\| opposition 3 j$' || ui_fail "the till's own limit"
[ "$(status_attrs)" != "$warn_attrs" ] || ui_fail "no limit passed: still the warning colors"
ui_keys F10
[ "$(ui_wait_exit)" = 0 ] || ui_fail "exit status"
exit 0
