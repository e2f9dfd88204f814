#!/bin/sh
# make demo — the whole chain on this machine, in the terminal:
#   ssa-caissed (the caisse, HTTPS with mutual TLS on 127.0.0.1) seeded with its CA, the
#   terminal's certificate, households and members, this month's grants made with the
#   household rule, a hot list and a signed list of conventioned products; ssa-cardsim (an
#   emulated PN532 reader) with demo food cards issued by ssa-admin; ssa-syncd pulling the list,
#   the hot list and the grants and pushing the journal every 30 s; and ssa-pos, the till, in
#   the foreground.  Leaving the till stops everything, pushes the journal once more and
#   verifies it.
#
# usage: tools/demo.sh BUILD                 set up afresh and run (make demo)
#        tools/demo.sh BUILD setup           set up only (tests)
#        tools/demo.sh BUILD card NAME|off   put demo card NAME on the reader (another terminal)
#        tools/demo.sh BUILD finish          push, verify and stop what setup started
# Everything lives in BUILD/demo (SSA_DEMO_DIR).
set -u
B=${1:-build}
cmd=${2:-run}
top=$(cd "$(dirname "$0")/.." && pwd)
case $B in /*) ;; *) B=$top/$B ;; esac
D=${SSA_DEMO_DIR:-$B/demo}
ADMIN=$B/ssa-admin
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false

say() { printf 'demo: %s\n' "$*"; }
stop_all() {
	for p in syncd cardsim caissed; do
		[ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null
		rm -f "$D/$p.pid"
	done
}
die() {
	printf 'demo: %s\n' "$*" >&2
	[ -f "$D/log" ] && tail -15 "$D/log" >&2
	stop_all
	exit 1
}

# The demo cards: name, serial (and member id), household, balance when issued (euros), UID.  Marie's
# household (two adults, a child) and Léa's (an adult, two children) get this month's grant at
# their first tap; Paul's card has no grant this month (his household did not renew) and keeps
# its low balance; Jean's card was reported stolen: it is on the hot list.
CARDS="marie 0000000000000001 00000000000000a1 150.00 04A1B2C3D4E501
paul 0000000000000002 00000000000000a2 12.50 04A1B2C3D4E502
lea 0000000000000003 00000000000000a3 100.00 04A1B2C3D4E503
jean 0000000000000004 00000000000000a4 80.00 04A1B2C3D4E504"

ctl() { timeout 10 "$B/ssa-cardsim" ctl "$D/cardsim.ctl" "$@"; }
caisse() { timeout 60 "$ADMIN" -c "$D/caisse/ssa-admin.ini" "$@" >>"$D/log" 2>&1 || die "ssa-admin $*"; }

wait_file() { # FILE WHAT PID
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -le 150 ] || die "$2 did not start"
		kill -0 "$3" 2>/dev/null || die "$2 exited"
		sleep 0.1
	done
}

start_cardsim() {
	"$B/ssa-cardsim" --control "$D/cardsim.ctl" >"$D/cardsim.out" 2>>"$D/log" &
	echo $! >"$D/cardsim.pid"
	i=0
	until grep -q '^connstring ' "$D/cardsim.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 150 ] || die "ssa-cardsim did not start"
		sleep 0.1
	done
	sed -n 's/^connstring //p' "$D/cardsim.out" >"$D/reader"
}

start_caissed() {
	cat >"$D/caisse/ssa-caissed.ini" <<EOI
[caisse]
id = caisse-34
[http]
listen = 127.0.0.1
port = 0
port_file = $D/caisse/port
cert = $D/caisse/server.crt
key = $D/caisse/server.key
ca = $D/caisse/ca.crt
[store]
database = $D/caisse/caisse.db
EOI
	rm -f "$D/caisse/port"
	SSA_LOG=stderr "$B/ssa-caissed" -f -c "$D/caisse/ssa-caissed.ini" >>"$D/log" 2>&1 &
	echo $! >"$D/caissed.pid"
	wait_file "$D/caisse/port" ssa-caissed "$(cat "$D/caissed.pid")"
}

syncd_ini() {
	cat >"$D/ssa-syncd.ini" <<EOI
[caisse]
url = https://127.0.0.1:$(cat "$D/caisse/port")
ca = $D/caisse/ca.crt
cert = $D/pos/tls.crt
key = $D/pos/tls.key
list_key = $D/caisse/list.pub
[journal]
database = $D/pos/journal.db
[state]
database = $D/pos/sync.db
[till]
spool = $D/pos/spool
catalog = $D/pos/catalog.db
[daemon]
interval = 30
retry_min = 2
retry_max = 30
EOI
}

setup() {
	[ -x "$B/ssa-pos" ] && [ -x "$ADMIN" ] && [ -x "$B/ssa-cardsim" ] ||
		die "build first (make demo builds everything)"
	stop_all
	rm -rf "$D"
	mkdir -p "$D/caisse" "$D/pos/receipts" "$D/cards"
	: >"$D/log"

	say "the caisse: its CA, its server certificate, its list key, its card keys"
	"$ADMIN" ca init "$D/caisse" >>"$D/log" 2>&1 || die "ca init"
	"$ADMIN" ca server "$D/caisse" 127.0.0.1 "$D/caisse/server.key" "$D/caisse/server.crt" \
		>>"$D/log" 2>&1 || die "ca server"
	"$ADMIN" list keygen "$D/caisse/list.key" "$D/caisse/list.pub" >>"$D/log" 2>&1 || die "list keygen"
	"$ADMIN" list sign "$D/caisse/list.key" "$top/config/demo/list-caisse-34.txt" \
		"$D/caisse/list-caisse-34.txt" --max-age 7 >>"$D/log" 2>&1 || die "list sign"
	"$ADMIN" card keygen "$D/caisse/card.keys" --caisse caisse-34 >>"$D/log" 2>&1 || die "card keygen"
	cat >"$D/caisse/ssa-admin.ini" <<EOI
[caisse]
database = $D/caisse/caisse.db
id = caisse-34
document_key = $D/caisse/list.key
list_key = $D/caisse/list.pub
household_rules = $top/config/demo/household-rules.txt
EOI
	say "the caisse's members, this month's grants, its hot list and its published list"
	caisse household add 00000000000000a1
	caisse member add 0000000000000001 --household 00000000000000a1 --birth 1985-06-12 \
		--card 0000000000000001
	caisse member add 0000000000000011 --household 00000000000000a1 --birth 1983-02-03
	caisse member add 0000000000000012 --household 00000000000000a1 --birth 2016-09-21
	caisse household add 00000000000000a3
	caisse member add 0000000000000003 --household 00000000000000a3 --birth 1991-11-30 \
		--card 0000000000000003
	caisse member add 0000000000000031 --household 00000000000000a3 --birth 2015-04-08
	caisse member add 0000000000000032 --household 00000000000000a3 --birth 2019-01-17
	caisse outlet add epicerie-demo "Épicerie du Marché"
	caisse outlet attach epicerie-demo T01
	caisse grant make --period "$(date +%Y%m)"
	caisse hotlist add 0000000000000004 stolen
	caisse list publish "$D/caisse/list-caisse-34.txt"

	say "the till: its journal key, its TLS identity signed by the caisse, products and list"
	"$ADMIN" journal init-key --key "$D/pos/terminal.key" --pub "$D/pos/terminal.pub" \
		>>"$D/log" 2>&1 || die "journal init-key"
	"$ADMIN" terminal enroll T01 "$D/pos/terminal.key" "$D/pos/tls.key" "$D/pos/tls.csr" \
		>>"$D/log" 2>&1 || die "terminal enroll"
	"$ADMIN" terminal sign "$D/caisse" "$D/pos/tls.csr" "$D/pos/tls.crt" >>"$D/log" 2>&1 ||
		die "terminal sign"
	start_cardsim
	cat >"$D/ssa-pos.ini" <<EOI
[till]
terminal_id = T01
establishment_id = epicerie-demo
caisse = caisse-34
shop_name = Épicerie du Marché (démo)
shop_address = 3 rue des Halles, 34000 Montpellier
data_dir = $D/pos
[receipt]
directory = $D/pos/receipts
[card]
reader = $(cat "$D/reader")
keys = $D/caisse/card.keys
terminal_number = 1
[sync]
caisse_key = $D/caisse/list.pub
[barcodes]
rule = 21xxxxxNNDDDc weight
rule = 23xxxxxNNNDDc price
[vat]
rates = 5.5, 10, 20
EOI
	"$B/ssa-pos" -c "$D/ssa-pos.ini" --import-products "$top/config/demo/products.csv" \
		>>"$D/log" 2>&1 || die "import products"

	say "demo food cards, issued on the emulated reader"
	echo "$CARDS" | while read -r name serial household balance uid; do
		"$B/ssa-cardsim" new-card "$D/cards/$name" --uid "$uid" >>"$D/log" 2>&1 || die "new-card"
		ctl insert "$D/cards/$name" >>"$D/log" 2>&1 || die "insert $name"
		timeout 60 "$ADMIN" card issue --keys "$D/caisse/card.keys" --device "$(cat "$D/reader")" \
			--serial "$serial" --member "$serial" --household "$household" --from 2020-01-01 \
			--to 2099-12-31 --balance "$balance" >>"$D/log" 2>&1 || die "card issue $name"
		ctl remove >>"$D/log" 2>&1
	done || exit 1

	say "ssa-caissed on 127.0.0.1; a first sync brings the list, the hot list and the grants"
	start_caissed
	syncd_ini
	SSA_LOG=stderr timeout 60 "$B/ssa-syncd" -f --once -c "$D/ssa-syncd.ini" >>"$D/log" 2>&1 ||
		die "first sync"
	say "ssa-syncd every 30 s"
	SSA_LOG=stderr "$B/ssa-syncd" -f -c "$D/ssa-syncd.ini" >>"$D/log" 2>&1 &
	echo $! >"$D/syncd.pid"
}

finish() {
	for p in syncd cardsim; do
		[ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null
		rm -f "$D/$p.pid"
	done
	if [ -f "$D/caissed.pid" ]; then
		say "last push of the journal to the caisse"
		SSA_LOG=stderr timeout 60 "$B/ssa-syncd" -f --once -c "$D/ssa-syncd.ini" 2>&1 | tail -2
		kill "$(cat "$D/caissed.pid")" 2>/dev/null
		rm -f "$D/caissed.pid"
	fi
	say "the till's journal:"
	"$ADMIN" journal show --db "$D/pos/journal.db" 2>&1 | tail -20
	say "verification of the journal (chain and every signature):"
	"$ADMIN" journal verify --db "$D/pos/journal.db" --pubkey "$D/pos/terminal.pub"
}

case $cmd in
setup)
	setup
	say "ready: $B/ssa-pos -c $D/ssa-pos.ini"
	;;
card)
	name=${3:-}
	ctl remove >/dev/null 2>&1
	if [ "$name" != off ]; then
		[ -f "$D/cards/$name" ] || die "no demo card '$name' (marie, paul, lea, jean)"
		ctl insert "$D/cards/$name" >/dev/null || die "the reader does not answer: is the demo running?"
		say "card $name is on the reader"
	fi
	;;
finish)
	finish
	;;
run)
	setup
	trap 'finish' EXIT
	trap 'exit 1' INT TERM HUP
	cat <<EOM

  The till starts now.  Sign in with any operator code (e.g. 42), scan or type codes
  (3760123400107 lentilles, 1,5*4011 bananes, 2*3760123400213 jus de pomme, 3760123400237 vin),
  then pay.  From another terminal, tap a food card:

      sh tools/demo.sh $1 card marie       (gets this month's grant at her first tap)

  Also paul (no grant this month, 12,50 €), lea (a grant too), jean (reported stolen:
  refused), and off to take the card away.
  F1 shows every key.  Leaving the till stops the demo and verifies the journal.

EOM
	printf 'Press Enter to start the till... '
	read -r _ || true
	"$B/ssa-pos" -c "$D/ssa-pos.ini"
	;;
*)
	echo "usage: tools/demo.sh BUILD [run|setup|card NAME|finish]" >&2
	exit 2
	;;
esac
