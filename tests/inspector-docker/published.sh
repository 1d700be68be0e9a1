#!/bin/sh
# Published-port mode against a real dockerd: the inspector reports the
# engine's port bindings, the core maps each domain's container ports
# through them.  A port published on every address is advertised at
# advertise_address, one on a specific address at that address, one only on
# loopback is left out with one warning (naming container, port and
# binding) per change, and a scheme a plain spec implies but the container
# does not publish is left out with a warning.  Nothing connects to any of
# these ports.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup
docker network create --subnet 172.30.70.0/24 --gateway 172.30.70.1 pnet >/dev/null || bh_fail "network create"
OUT=$BH_TMP/out
# A host address that is neither loopback nor every address: the bridge's.
SPECIFIC=172.30.70.1

run() {
	name=$1
	shift
	docker run -d --name "$name" --network pnet "$@" bbox:latest sleep 1000 >/dev/null || bh_fail "run $name"
}
# "-p PORT:80" publishes on 0.0.0.0 and :: (two bindings, one host port).
run pall -p 17380:80 -p 0.0.0.0:17381:443 -e BEACHHEAD_DOMAINS=pall.example.org
run pspec -p "$SPECIFIC:17382:8080" -e 'BEACHHEAD_DOMAINS=pspec.example.org:http=8080'
run plo -p 127.0.0.1:17383:80 -p 17384:443 -e BEACHHEAD_DOMAINS=plo.example.org
run pimp -p 17385:80 -e BEACHHEAD_DOMAINS=pimp.example.org
run pnone -e BEACHHEAD_DOMAINS=pnone.example.org

printf 'inspector = { plugin = "inspector-docker"; address = "published"; advertise_address = "192.0.2.10"; };\npublishers = ( { plugin = "publisher-stdout"; } );\n' >"$BH_TMP/pub.conf"
# pass STATUS ARGS...: one pass.
pass() {
	want=$1
	shift
	timeout 30 $(bh_daemon_cmd) -c "$BH_TMP/pub.conf" --dry-run --refresh 0 --no-timestamp --docker-url "$BH_DOCKER_URL" "$@" >"$OUT" 2>"$OUT.err"
	got=$?
	[ "$got" = "$want" ] || { cat "$OUT" "$OUT.err" >&2; bh_fail "exit status $got, expected $want, for $*"; }
}
has() {
	bh_has_line "$OUT" "$1" || { cat "$OUT" "$OUT.err" >&2; bh_fail "missing line: $1"; }
}
warned() {
	grep -qF "$1" "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "missing warning: $1"; }
}

pass 0 pall pspec plo pimp
has '{"op":"set","key":"/beachhead/pall","ttl":60,"value":[{"id":"pall_example_org","domain":"pall.example.org","http":{"host":"192.0.2.10","port":17380},"https":{"host":"192.0.2.10","port":17381}}]}'
has '{"op":"set","key":"/beachhead/pspec","ttl":60,"value":[{"id":"pspec_example_org","domain":"pspec.example.org","http":{"host":"'"$SPECIFIC"'","port":17382}}]}'
# Loopback: the https half stays, the http half is left out with a warning.
has '{"op":"set","key":"/beachhead/plo","ttl":60,"value":[{"id":"plo_example_org","domain":"plo.example.org","https":{"host":"192.0.2.10","port":17384}}]}'
warned 'container plo: env BEACHHEAD_DOMAINS: plo.example.org: http port 80/tcp is published only on loopback (127.0.0.1:17383)'
# The implied https of a plain spec, not published: left out, said.
has '{"op":"set","key":"/beachhead/pimp","ttl":60,"value":[{"id":"pimp_example_org","domain":"pimp.example.org","http":{"host":"192.0.2.10","port":17385}}]}'
warned 'container pimp: env BEACHHEAD_DOMAINS: pimp.example.org: https port 443/tcp is not published'
grep 'published only on loopback' "$OUT.err" | grep -v 'container plo:' && bh_fail "a loopback warning for another container"

# Nothing reachable at all: an error for that container, no registration.
pass 1 pnone
grep -q 'container pnone: published address mode: no domain has a published port' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "pnone error missing"; }
grep -q '/beachhead/pnone' "$OUT" && bh_fail "pnone registered"

# One warning per change: several passes, the loopback warning once (later
# passes say it at debug level only).
timeout 6 $(bh_daemon_cmd) -c "$BH_TMP/pub.conf" --dry-run --refresh 1 --no-timestamp --verbose --docker-url "$BH_DOCKER_URL" plo >"$OUT" 2>"$OUT.err"
passes=$(grep -c 'full pass [0-9]* ends (complete)' "$OUT.err")
[ "$passes" -ge 2 ] || { cat "$OUT.err" >&2; bh_fail "only $passes complete passes in 6 s"; }
n=$(grep 'warning: container plo: .*plo.example.org: http port 80/tcp is published only on loopback (127.0.0.1:17383)' "$OUT.err" | wc -l)
[ "$n" = 1 ] || { cat "$OUT.err" >&2; bh_fail "loopback warning logged $n times, expected once"; }
has '{"op":"set","key":"/beachhead/plo","ttl":60,"value":[{"id":"plo_example_org","domain":"plo.example.org","https":{"host":"192.0.2.10","port":17384}}]}'

bh_check_valgrind
exit 0
