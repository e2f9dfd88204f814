#!/bin/sh
# sync_http_proxy: ssa-syncd honours its configured HTTP proxy ([caisse] proxy).  The proxy is
# ssa-faultproxy --connect, a real HTTP CONNECT proxy on 127.0.0.1 that logs each request line.
# The caisse's URL names a host only the proxy knows (caisse.ssa.invalid: the terminal cannot
# resolve it, so without the proxy nothing gets through), and the push and the pulls (list, hot
# list, grants) go through CONNECT tunnels, the proxy's log shows them, and TLS stays end to end:
# a terminal pinning another CA refuses the caisse through the tunnel.  The proxies of the
# environment (https_proxy, no_proxy) are never used.  A proxy that answers CONNECT with 403
# gives a clear message, exit 75 and changes nothing; a proxy that is not http:// is a
# configuration error.
. tests/it/sync_common.inc

PROXY_PID=""
NAME=caisse.ssa.invalid

sync_pki
# the caisse's certificate also names the host the proxy resolves for the terminal
mk_cert "$T/ca" server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:$NAME"
mk_terminal t1 T-01
start_caissed
adm="$B/ssa-admin"
"$adm" list keygen "$T/doc.key" "$T/doc.pub" >/dev/null || fail "keygen"
printf 'ssa-household-rules,1\nbase,150.00\nadult,75.00\nchild,40.00\nchild_age,14\n' >"$T/rules.txt"
A() { timeout 30 "$adm" "$@" --db "$T/caisse.db"; }
printf 'ssa-list,1\ncaisse,caisse-test\nversion,3\nvalid,2026-01-01,\ncategory,fruits-legumes,100,4.00,,,\n' \
	>"$T/v3.body"
"$adm" list sign "$T/doc.key" "$T/v3.body" "$T/v3.list" 2>/dev/null || fail "list sign"
A list publish "$T/v3.list" --caisse caisse-test --key "$T/doc.pub" >/dev/null || fail "publish"
A hotlist add 1122334455667788 lost --caisse caisse-test --key "$T/doc.key" >/dev/null ||
	fail "hot list"
P0=$(date -u +%Y%m)
A household add 00000000000000a1 >/dev/null &&
	A member add 00000000000000b1 --household 00000000000000a1 --birth 1980-04-02 >/dev/null &&
	A grant make --period "$P0" --rules "$T/rules.txt" --caisse caisse-test --key "$T/doc.key" \
		>/dev/null || fail "grants"

# start_proxy ARGS...: ssa-faultproxy --connect in front of the caisse, no faults; PPORT
start_proxy() {
	proxy_start "$T/proxy.log" -r 0 --connect --upstream-name "$NAME" "$@"
}

# ini URL PROXY: terminal t1's configuration (pulls everything)
ini() {
	SYNC_PROXY=$2 SYNC_TILL_EXTRA="catalog = $T/t1.catalog" syncd_ini t1 "$1"
	sed -i "s|^batch = .*|&\nlist_key = $T/doc.pub|" "$T/t1.ini"
}

acked() { sql "$T/t1.journal" "SELECT coalesce(max(seq), 0) FROM sync_ack"; }
at_caisse() { sql "$T/caisse.db" "SELECT count(*) FROM journal WHERE terminal = 'T-01'"; }
# spool_sum: the files left for the till and the catalog's list, as one checksum
spool_sum() {
	{
		ls "$T/t1.spool" 2>/dev/null
		cat "$T/t1.spool/hotlist.txt" "$T/t1.spool/grants-$P0.txt" 2>/dev/null
		[ -f "$T/t1.catalog" ] && "$adm" list show "$T/t1.catalog" 2>&1
	} | md5sum
}

"$adm" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 20 1795000000000 >/dev/null ||
	fail "demo-sales"

# 1. without a configured proxy, the caisse's name cannot be resolved: nothing gets through
# (the name really needs the proxy, so what gets through below went through it), and the
# environment's proxy variables, naming the working proxy, are not used
: >"$T/proxy.log"
start_proxy
ini "https://$NAME:$PORT" ""
https_proxy=http://127.0.0.1:$PPORT HTTPS_PROXY=http://127.0.0.1:$PPORT \
	all_proxy=http://127.0.0.1:$PPORT ALL_PROXY=http://127.0.0.1:$PPORT syncd t1 --once
st=$?
[ $st = 75 ] || fail "no proxy: exit $st, want 75: $(tail -3 "$T/syncd.log")"
[ "$(acked)" = 0 ] && [ "$(at_caisse)" = 0 ] || fail "no proxy: something was pushed"
grep -q "conn [0-9]*: CONNECT " "$T/proxy.log" && fail "the environment's proxy was used: $(cat "$T/proxy.log")"

# 2. through the configured proxy (and the environment's proxies ignored): push and pulls, all
# through CONNECT tunnels to the caisse, whose certificate is checked end to end
: >"$T/syncd.log"
ini "https://$NAME:$PORT" "http://127.0.0.1:$PPORT"
https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 no_proxy='*' NO_PROXY='*' \
	all_proxy=http://127.0.0.1:9 syncd t1 --once ||
	fail "sync through the proxy: exit $?: $(tail -5 "$T/syncd.log"; cat "$T/proxy.log")"
[ "$(acked)" = 20 ] && [ "$(at_caisse)" = 20 ] ||
	fail "through the proxy: acked $(acked), at the caisse $(at_caisse)"
for s in 1 20; do
	a=$(sql "$T/t1.journal" "SELECT hex(record) FROM journal WHERE seq = $s")
	b=$(sql "$T/caisse.db" "SELECT hex(data) FROM journal WHERE terminal = 'T-01' AND seq = $s")
	[ "$a" = "$b" ] || fail "record $s differs at the caisse"
done
ccurl t1 -H 'Accept: text/plain' "https://localhost:$PORT/v1/hotlist" | sed '$d' | sed '$d' \
	>"$T/hot.served"
cmp -s "$T/hot.served" "$T/t1.spool/hotlist.txt" || fail "hot list not pulled through the proxy"
"$adm" list show "$T/t1.catalog" | grep -q "caisse-test *version 3 " || fail "list not pulled"
[ -s "$T/t1.spool/grants-$P0.txt" ] || fail "grants not pulled"
[ "$(spool_status t1 online)" = 1 ] && [ "$(spool_status t1 rejections)" = 0 ] ||
	fail "status: $(cat "$T/t1.spool/status")"
n=$(grep -c "CONNECT $NAME:$PORT HTTP/1.1" "$T/proxy.log")
[ "$n" -ge 1 ] || fail "no CONNECT in the proxy's log: $(cat "$T/proxy.log")"
grep -q 'answered 200 Connection established' "$T/proxy.log" || fail "no tunnel: $(cat "$T/proxy.log")"
grep -q 'answered 403' "$T/proxy.log" && fail "a CONNECT was refused: $(cat "$T/proxy.log")"
# the tunnel carried bytes both ways (TLS: the proxy saw no request, only its CONNECT)
grep -Eq ', [1-9][0-9]* bytes client->server, [1-9][0-9]* server->client' "$T/proxy.log" ||
	fail "no bytes tunnelled: $(cat "$T/proxy.log")"
grep -Eq 'conn [0-9]+: (GET|POST) ' "$T/proxy.log" && fail "the proxy saw a plain request"
grep -q '127.0.0.1:9' "$T/syncd.log" && fail "the environment's proxy was used"

# new sales and a second run: only those are pushed, through the proxy
"$adm" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 3 1795100000000 >/dev/null ||
	fail "demo-sales 2"
before=$(grep -c "CONNECT $NAME:$PORT" "$T/proxy.log")
syncd t1 --once || fail "second sync through the proxy: exit $?"
[ "$(acked)" = 23 ] && [ "$(at_caisse)" = 23 ] || fail "second run: acked $(acked)"
[ "$(grep -c "CONNECT $NAME:$PORT" "$T/proxy.log")" -gt "$before" ] ||
	fail "the second run did not go through the proxy"

# 3. TLS end to end through the tunnel: a terminal that pins another CA refuses the caisse,
# although the proxy opened the tunnel
"$adm" terminal demo-sales "$T/t1.journal" "$T/t1.jkey" T-01 2 1795200000000 >/dev/null ||
	fail "demo-sales 3"
mk_ca "$T/other"
sed -i "s|^ca = .*|ca = $T/other/ca.crt|" "$T/t1.ini"
sum=$(spool_sum)
: >"$T/syncd.log"
: >"$T/proxy.log"
syncd t1 --once
st=$?
[ $st = 75 ] || fail "another CA through the proxy: exit $st, want 75"
grep -q 'the server is not the caisse: its certificate is refused' "$T/syncd.log" ||
	fail "message: $(cat "$T/syncd.log")"
grep -q 'answered 200' "$T/proxy.log" || fail "the proxy did not open the tunnel"
[ "$(acked)" = 23 ] && [ "$(at_caisse)" = 23 ] || fail "another CA: acked $(acked)"
[ "$(spool_sum)" = "$sum" ] || fail "another CA: the spool changed"
proxy_stop

# 4. a proxy that refuses every tunnel (403): a clear message, exit 75, nothing changes
: >"$T/proxy.log"
start_proxy --refuse
ini "https://$NAME:$PORT" "http://ssa:s3cret@127.0.0.1:$PPORT"
sum=$(spool_sum)
: >"$T/syncd.log"
syncd t1 --once
st=$?
[ $st = 75 ] || fail "refusing proxy: exit $st, want 75: $(tail -3 "$T/syncd.log")"
grep -q "the proxy http://\*\*\*@127.0.0.1:$PPORT refused the tunnel to the caisse: it answered CONNECT with HTTP 403" \
	"$T/syncd.log" || fail "refusal message: $(cat "$T/syncd.log")"
grep -q 's3cret' "$T/syncd.log" && fail "the proxy's password is in the log"
grep -q 'sync incomplete' "$T/syncd.log" || fail "no 'sync incomplete': $(cat "$T/syncd.log")"
grep -q "CONNECT $NAME:$PORT" "$T/proxy.log" && grep -q 'answered 403 Forbidden' "$T/proxy.log" ||
	fail "proxy log: $(cat "$T/proxy.log")"
[ "$(acked)" = 23 ] && [ "$(at_caisse)" = 23 ] || fail "refusing proxy: acked $(acked)"
[ "$(spool_sum)" = "$sum" ] || fail "refusing proxy: the spool changed"
[ "$(spool_status t1 online)" = 0 ] || fail "refusing proxy: online: $(cat "$T/t1.spool/status")"
proxy_stop

# 5. the proxy gone: a clear message naming it, exit 75
syncd t1 --once
st=$?
[ $st = 75 ] || fail "proxy gone: exit $st"
grep -q "through the proxy http://\*\*\*@127.0.0.1:$PPORT" "$T/syncd.log" ||
	fail "proxy gone message: $(tail -3 "$T/syncd.log")"

# 6. only an http:// proxy is taken
for p in "socks5://127.0.0.1:1080" "127.0.0.1:3128" "https://127.0.0.1:3128" "http://"; do
	ini "https://$NAME:$PORT" "$p"
	: >"$T/syncd.log"
	syncd t1 --once
	st=$?
	[ $st = 1 ] || fail "proxy '$p': exit $st, want 1"
	grep -q 'proxy must be an HTTP proxy, http://host:port' "$T/syncd.log" ||
		fail "proxy '$p': $(cat "$T/syncd.log")"
done
[ "$(acked)" = 23 ] || fail "acked moved"
stop_caissed
echo ok
