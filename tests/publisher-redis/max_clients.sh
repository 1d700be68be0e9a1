#!/bin/sh
# A server that refuses the handshake (a real redis-server at maxclients
# answers "-ERR max number of clients reached") is a failed connection: one
# warning line, retries with backoff (no connect/replay/reset loop every
# 100 ms), and the registrations arrive once a slot frees up.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --maxclients 2

# Both slots are taken for as long as these clients live (afterwards one is
# the daemon's, one the test's).
redis-cli -s "$BH_REDIS_SOCK" subscribe hold >/dev/null 2>&1 &
holder=$!
redis-cli -s "$BH_REDIS_SOCK" subscribe hold >/dev/null 2>&1 &
holder="$holder $!"
bh_on_exit "kill $holder"
# Generous waits: on a loaded machine starting the clients (or the daemon's
# first attempt) takes seconds; what is asserted is that they happen.
bh_wait_for 30 "[ \"\$(redis-cli -s '$BH_REDIS_SOCK' ping 2>&1)\" != PONG ]" "the slots to be taken" ||
	bh_fail "redis-cli did not take the slots"

bh_redis_script_containers 50 10.12 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
bh_wait_for 30 "grep -q 'max number of clients reached' '$BH_TMP/err'" "the refusal" || fail "the refusal was not logged"
sleep 3
lines=$(wc -l <"$BH_TMP/err")
[ "$(grep -c 'max number of clients' "$BH_TMP/err")" = 1 ] || fail "the refusal was not logged exactly once"
! grep -q 'connected to redis\|replaying' "$BH_TMP/err" || fail "a refused handshake was taken for a connection"
[ "$lines" -le 60 ] || fail "$lines log lines in 3 s"

kill $holder # the slots free up
wait $holder 2>/dev/null
bh_redis_wait_keys 50 10 || fail "the registrations did not arrive once a slot was free"
# Backoff: 100, 200, 400, 800, 1600, 3200 ms (+-20 %): a handful of attempts
# in these 3-5 s (plus the few of the slot check above), not one per 100 ms.
rejected=$(bh_redis_cli info stats | tr -d '\r' | sed -n 's/^rejected_connections:\([0-9]*\)/\1/p')
bh_note "refused connections while the slot was taken: $rejected"
[ -n "$rejected" ] && [ "$rejected" -le 12 ] || fail "$rejected refused connection attempts: no backoff"
[ "$(grep -c 'connected to redis' "$BH_TMP/err")" = 1 ] || fail "not exactly one 'connected' line"
bh_redis_stop_daemon
bh_check_valgrind
