#!/bin/sh
# A reply nobody asked for (a proxy in between, a misbehaving server, whoever
# binds the port first) must not kill the daemon: it is a protocol error,
# logged once; the connection is dropped and made again with backoff, and
# everything is republished.  The peer is a STAND-IN proxy
# (tests/publisher-redis/standin-redis.py stray) in front of a real redis-server that
# injects one "+OK" while the daemon has nothing outstanding.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"

PROXY=$BH_TMP/proxy.sock
python3 "$top_srcdir/tests/publisher-redis/standin-redis.py" stray "$PROXY" "$BH_REDIS_SOCK" 1000 >"$BH_TMP/proxy.out" &
bh_on_exit "kill $!"
bh_wait_for 5 "grep -q ready '$BH_TMP/proxy.out'" "the stand-in proxy" || bh_fail "the stand-in did not start"

cat >"$BH_TMP/script" <<'SCRIPT'
up early 10.9.0.2 early.example.org
wait 2500
up late 10.9.0.3 late.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" none "socket = \"$PROXY\";" 'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 1 5 /beachhead/early || fail "early never appeared"
bh_wait_for 5 "grep -q 'protocol error: a reply nobody asked for' '$BH_TMP/err'" "the protocol error" ||
	fail "the stray reply was not reported"
kill -0 "$BH_REDIS_DAEMON_PID" 2>/dev/null || fail "the daemon died of the stray reply"
bh_redis_wait_keys 1 5 /beachhead/late || fail "late never arrived after the reconnect"
bh_wait_for 5 "[ \"\$(grep -c 'connected to redis' '$BH_TMP/err')\" = 2 ]" "the reconnect" ||
	fail "no reconnect after the protocol error"
[ "$(grep -c 'protocol error' "$BH_TMP/err")" = 1 ] || fail "the protocol error was not logged exactly once"
grep -q "warning: redis unix:$PROXY: protocol error: a reply nobody asked for (\"OK\"); dropped the connection" "$BH_TMP/err" ||
	fail "the message does not name the server and the stray reply"
# Two for writes, and after each the keyspace watch's (closed at once: this
# server publishes no keyspace notifications).
[ "$(cat "$PROXY.count")" = 4 ] || fail "$(cat "$PROXY.count") connections, expected 4"
bh_redis_stop_daemon
bh_check_valgrind
