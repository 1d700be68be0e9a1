#!/bin/sh
# The credentials a reload falls back to belong to the server that
# accepted them.  Two real redis-servers, A and B, that happen to share a
# password (so that B would accept it: the test can see it being sent); the
# daemon publishes to A, then a reload points publishers[0] at B with a
# password B refuses.  The daemon must report B's refusal and write nothing
# to B: sending B the password A accepted would hand one server's secret
# to another.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --requirepass shared-secret
BH_REDIS_CLI_AUTH="--pass shared-secret"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
# Server B: a second throwaway redis-server on a unix socket only.
B=$BH_TMP/redis-b
mkdir -p "$B" || bh_fail "mkdir"
redis-server --port 0 --unixsocket "$B/redis.sock" --unixsocketperm 700 --dir "$B" --logfile "$B/log" \
	--save '' --appendonly no --requirepass shared-secret &
bh_on_exit "kill -9 $!"
b_cli() { redis-cli --no-auth-warning --pass shared-secret -s "$B/redis.sock" "$@"; }
bh_wait_for 10 "[ \"\$(b_cli ping 2>/dev/null)\" = PONG ]" "server B" || bh_fail "server B did not start"

printf '%s\n' 'up web 10.86.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix 'password = "shared-secret";' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 1 10 /beachhead/web || fail "web never appeared on A"

bh_redis_config_file "$BH_TMP/beachhead.conf" none "socket = \"$B/redis.sock\"; password = \"typo\";" 'refresh = 1;'
kill -HUP "$BH_REDIS_DAEMON_PID"
bh_wait_for 10 "grep -q \"unix:$B/redis.sock.*WRONGPASS\" '$BH_TMP/err'" "B's refusal" ||
	fail "B's refusal of the configured password was not reported"
sleep 2
grep -q 'using the credentials it accepted before' "$BH_TMP/err" &&
	fail "the password server A accepted was offered to server B"
[ "$(b_cli exists /beachhead/web)" = 0 ] || fail "B was written with A's password"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
