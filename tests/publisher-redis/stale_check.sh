#!/bin/sh
# One foreign operation that announces several keyspace events for a key
# the daemon holds (a MULTI/EXEC or a script: DEL then SET), against a real
# redis-server with notifications and the default refresh (27 s): each
# event asks for a check (GET), and the second GET was sent before the
# daemon's repair.  Its answer is stale: it must not count as a second
# overwrite, which would warn of a fight that is not there and leave the
# next overwrite within the refresh interval to the refresh, 27 s later
# (the guard against two writers that put their values back at once).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --notify-keyspace-events 'K$gx'
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

printf '%s\n' 'up web 10.82.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'host_id = "h1";'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 1 10 /beachhead/h1/web || fail "web never appeared"
bh_wait_for 5 "grep -q 'following keyspace notifications' '$BH_TMP/err'" "the keyspace watch" ||
	fail "the keyspace watch was not confirmed"
web=$(bh_redis_cli get /beachhead/h1/web)
back() { [ "$(bh_redis_cli get /beachhead/h1/web)" = "$web" ]; }

# DEL and SET in one script: two events, two checks.
bh_redis_cli eval "redis.call('DEL', KEYS[1]); redis.call('SET', KEYS[1], 'foreign')" 1 /beachhead/h1/web \
	>/dev/null || fail "EVAL"
bh_wait_for 5 back "web put back" || fail "the scripted overwrite was not put back"
sleep 1
grep -q 'keeps being overwritten' "$BH_TMP/err" && fail "one overwrite was taken for a fight"
[ "$(grep -c 'was overwritten by another client; putting it back' "$BH_TMP/err")" = 1 ] ||
	fail "not one warning for one overwrite"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
