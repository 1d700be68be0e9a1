#!/bin/sh
# The keyspace watch's link is refused for a passing reason while the
# master link stays up, against a real redis-server (requirepass, so the
# watch's first command is AUTH; notifications on; the default refresh,
# 27 s): the server is at maxclients when the watch reconnects and answers
# "ERR max number of clients reached".  The watch must try again (with
# backoff) instead of staying off until the master link happens to
# reconnect: once a client slot is free, a deleted key is back within a
# second again.  The clients that fill the server are redis-cli BLPOPs.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --notify-keyspace-events 'K$gx' --requirepass pw
BH_REDIS_CLI_AUTH="--pass pw"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

printf '%s\n' 'up web 10.83.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix 'password = "pw";' 'host_id = "h1";'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 1 10 /beachhead/h1/web || fail "web never appeared"
bh_wait_for 5 "grep -q 'following keyspace notifications' '$BH_TMP/err'" "the keyspace watch" ||
	fail "the keyspace watch was not confirmed"
web=$(bh_redis_cli get /beachhead/h1/web)

# Three idle clients: with the daemon's two links, five.
holders=""
for i in 1 2 3; do
	# redis-cli itself (not the shell function): $! is what holds the slot
	redis-cli --no-auth-warning --pass pw -s "$BH_REDIS_SOCK" blpop beachhead-test-nothing 0 \
		>/dev/null 2>&1 &
	holders="$holders $!"
	bh_on_exit "kill $! 2>/dev/null"
done
bh_wait_for 5 "[ \"\$(bh_redis_cli info clients | grep -c '^blocked_clients:3')\" = 1 ]" "three idle clients" ||
	fail "the idle clients did not connect"
# In one connection: room for the master link and the idle clients only,
# then the watch's link goes; it comes back to a full server.
printf 'CONFIG SET maxclients 4\nCLIENT KILL TYPE pubsub\n' | bh_redis_cli >/dev/null || fail "maxclients"
bh_wait_for 10 "grep -q 'no keyspace notifications (.*max number of clients' '$BH_TMP/err'" \
	"the refused watch" || fail "the watch was not refused"
# A free slot.
for pid in $holders; do kill "$pid"; break; done
bh_wait_for 15 "[ \"\$(grep -c 'following keyspace notifications' '$BH_TMP/err')\" = 2 ]" "the watch again" ||
	fail "the keyspace watch never came back"
for pid in $holders; do kill "$pid" 2>/dev/null; done
bh_wait_for 5 "bh_redis_cli config set maxclients 100 >/dev/null 2>&1" "room for a client" || fail "maxclients 100"
bh_redis_cli del /beachhead/h1/web >/dev/null
bh_wait_for 1 "[ \"\$(bh_redis_cli get /beachhead/h1/web)\" = '$web' ]" "web back" ||
	fail "a deleted key was not put back within a second"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
