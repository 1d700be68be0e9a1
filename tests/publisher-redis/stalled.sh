#!/bin/sh
# A stalled server (SIGSTOP: the kernel still accepts connections, nothing
# answers): after command_timeout_ms the daemon drops the connection and
# retries with backoff, logging the stall once (no connect/lose flapping);
# after SIGCONT everything is republished.  A SIGTERM during the stall ends
# the daemon within the core's 5 s drain limit.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up early 10.7.0.2 early.example.org
wait 1000
up late 10.7.0.3 late.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp 'command_timeout_ms = 400; connect_timeout_ms = 400;' \
	'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_on_exit "kill -CONT $BH_REDIS_PID"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 1 5 /beachhead/early || fail "early never appeared"
kill -STOP "$BH_REDIS_PID"
bh_wait_for 5 "grep -q 'no reply for 400 ms' '$BH_TMP/err'" "the stall" || fail "the stall was not noticed"
sleep 2.5
[ "$(grep -c 'connected to redis' "$BH_TMP/err")" = 1 ] || fail "reconnects to a stalled server were logged as 'connected'"
[ "$(grep -c 'warning: redis' "$BH_TMP/err")" = 1 ] || fail "the stall was not logged exactly once"
kill -CONT "$BH_REDIS_PID"
bh_redis_wait_keys 1 8 /beachhead/late || fail "/beachhead/late never arrived after SIGCONT"
# (The SET queued on the dropped connection may still be executed by the
# resumed server; the reconnect and its replay must happen regardless.)
bh_wait_for 8 "[ \"\$(grep -c 'connected to redis' '$BH_TMP/err')\" = 2 ]" "the reconnect" ||
	fail "no second 'connected' line"
bh_wait_for 3 "grep -q 'replaying 2 registrations' '$BH_TMP/err'" "the replay" || fail "no replay"

# SIGTERM while the server is stalled: pending() must not hold the exit forever.
kill -STOP "$BH_REDIS_PID"
start=$(date +%s)
kill -TERM "$BH_REDIS_DAEMON_PID"
wait "$BH_REDIS_DAEMON_PID"
took=$(( $(date +%s) - start ))
kill -CONT "$BH_REDIS_PID"
[ "$took" -le 7 ] || fail "exit took $took s with a stalled server"
cat "$BH_TMP/err" >&2
bh_check_valgrind
