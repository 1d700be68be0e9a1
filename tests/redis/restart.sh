#!/bin/sh
# Redis killed (SIGKILL) and restarted empty: the daemon keeps running, logs
# the outage once (not once per retry), and republishes every registration
# within a second of the server coming back.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start

{
	i=0
	while [ $i -lt 50 ]; do
		echo "up c$i 10.5.0.$i c$i.example.org"
		i=$((i + 1))
	done
} >"$BH_TMP/script"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
expire = 60;
refresh = 27;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(bh_redis_cli dbsize)\" = 50 ]" "50 keys" || fail "keys never appeared"
bh_redis_kill KILL
sleep 0.35 # the retries at +100 and +300 ms fail (refused); the next is at +700 ms
kill -0 $pid || fail "the daemon died with redis"
bh_redis_restart
up=$(( $(date +%s%N) / 1000000 ))
[ "$(bh_redis_cli dbsize)" = 0 ] || fail "the restarted server is not empty"
bh_wait_for 3 "[ \"\$(bh_redis_cli dbsize)\" = 50 ]" "50 keys after the restart" ||
	fail "not republished (dbsize $(bh_redis_cli dbsize))"
took=$(( $(date +%s%N) / 1000000 - up ))
bh_note "republished 50 keys ${took} ms after redis came back"
[ "$took" -le 1000 ] || fail "republishing took ${took} ms (> 1 s)"
ttl=$(bh_redis_cli ttl /beachhead/c49)
[ "$ttl" -ge 59 ] || fail "republished key has TTL $ttl"

[ "$(grep -c 'warning: redis unix:.*reconnecting' "$BH_TMP/err")" = 1 ] ||
	fail "the outage was not logged exactly once"
[ "$(grep -c 'connected to redis' "$BH_TMP/err")" = 2 ] || fail "expected two 'connected' lines"
grep -q 'replaying 50 registrations' "$BH_TMP/err" || fail "no replay"
kill -TERM $pid
wait $pid
status=$?
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "daemon exited with $status"
bh_check_valgrind
