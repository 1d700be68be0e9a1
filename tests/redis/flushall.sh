#!/bin/sh
# FLUSHALL behind the daemon's back: the next refresh restores every key,
# with its TTL, on the same connection.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start

{
	i=0
	while [ $i -lt 20 ]; do
		echo "up c$i 10.2.0.$i c$i.example.org"
		i=$((i + 1))
	done
} >"$BH_TMP/script"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
expire = 10;
refresh = 1;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(bh_redis_cli dbsize)\" = 20 ]" "20 keys" || fail "keys never appeared"
bh_redis_cli flushall >/dev/null
[ "$(bh_redis_cli dbsize)" = 0 ] || fail "FLUSHALL did not empty the store"
bh_wait_for 3 "[ \"\$(bh_redis_cli dbsize)\" = 20 ]" "20 keys after FLUSHALL" ||
	fail "the next refresh did not restore the keys (dbsize $(bh_redis_cli dbsize))"
ttl=$(bh_redis_cli ttl /beachhead/c7)
[ "$ttl" -ge 9 ] && [ "$ttl" -le 10 ] || fail "restored key has TTL $ttl"
kill -TERM $pid
wait $pid
status=$?
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "daemon exited with $status"
bh_check_valgrind
