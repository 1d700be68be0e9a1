#!/bin/sh
# Redis killed (SIGKILL) and restarted empty: the daemon keeps running, logs
# the outage once (not once per retry), and republishes every registration
# within a second of the server coming back.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

bh_redis_script_containers 50 10.5 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 50 10 || fail "keys never appeared"
bh_redis_kill KILL
sleep 0.35 # the retries at +100 and +300 ms fail (refused); the next is at +700 ms
kill -0 "$BH_REDIS_DAEMON_PID" || fail "the daemon died with redis"
bh_redis_restart
up=$(( $(date +%s%N) / 1000000 ))
[ "$(bh_redis_cli dbsize)" = 0 ] || fail "the restarted server is not empty"
bh_redis_wait_keys 50 3 || fail "not republished (dbsize $(bh_redis_cli dbsize))"
took=$(( $(date +%s%N) / 1000000 - up ))
bh_note "republished 50 keys ${took} ms after redis came back"
[ "$took" -le 1000 ] || fail "republishing took ${took} ms (> 1 s)"
ttl=$(bh_redis_cli ttl /beachhead/c49)
[ "$ttl" -ge 59 ] || fail "republished key has TTL $ttl"

[ "$(grep -c 'warning: redis unix:.*reconnecting' "$BH_TMP/err")" = 1 ] ||
	fail "the outage was not logged exactly once"
[ "$(grep -c 'connected to redis' "$BH_TMP/err")" = 2 ] || fail "expected two 'connected' lines"
grep -q 'replaying 50 registrations' "$BH_TMP/err" || fail "no replay"
bh_redis_stop_daemon
bh_check_valgrind
