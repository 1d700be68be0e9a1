#!/bin/sh
# A hostile server cannot make the publisher buffer a huge reply: a 1 GiB
# bulk string and an array header of 2000000000 elements are both refused as
# protocol errors (replies to our commands are tiny); the daemon stays small,
# logs the problem once and retries with backoff.  The peers are STAND-INs
# (tests/publisher-redis/standin-redis.py huge / array): no real server sends that.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
echo 'up web 10.11.0.2 example.org' >"$BH_TMP/script"

for mode in huge array; do
	SOCK=$BH_TMP/$mode.sock
	python3 "$top_srcdir/tests/publisher-redis/standin-redis.py" $mode "$SOCK" >"$BH_TMP/$mode.out" &
	standin=$!
	bh_on_exit "kill $standin"
	bh_wait_for 5 "grep -q ready '$BH_TMP/$mode.out'" "the stand-in" || bh_fail "the $mode stand-in did not start"
	bh_redis_config_file "$BH_TMP/$mode.conf" none "socket = \"$SOCK\";" 'expire = 60;' 'refresh = 27;'
	bh_redis_start_daemon "$BH_TMP/$mode.conf"
	fail() { cat "$BH_TMP/err" >&2; bh_fail "$mode: $*"; }
	bh_wait_for 10 "[ -s '$SOCK.count' ]" "the first connection" || fail "the daemon never connected"
	sleep 2.5 # the stand-in streams its GiB; the daemon retries meanwhile
	kill -0 "$BH_REDIS_DAEMON_PID" 2>/dev/null || fail "the daemon died"
	rss=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BH_REDIS_DAEMON_PID/status")
	bh_note "$mode: peak RSS ${rss} kB"
	[ "$rss" -lt 204800 ] || fail "peak RSS ${rss} kB: the reply was buffered"
	grep -q 'protocol error: a reply larger than' "$BH_TMP/err" || fail "the oversized reply was not refused"
	[ "$(grep -c 'protocol error' "$BH_TMP/err")" = 1 ] || fail "the protocol error was not logged exactly once"
	conns=$(cat "$SOCK.count")
	# Backoff: 100, 200, 400, 800 ms ... (+-20 %), so at most a handful in ~2.5 s.
	[ "$conns" -ge 2 ] && [ "$conns" -le 7 ] || fail "$conns connections in about 2.5 s: no backoff"
	bh_redis_stop_daemon
	kill "$standin"
done
bh_check_valgrind
