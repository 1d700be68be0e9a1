#!/bin/sh
# A foreign writer replaces a key the daemon holds with a key of another
# type (a list, a hash), against a real redis-server 7:
#   1. without a host id (SET ... GET, the refresh every second): SET ... GET
#      on a key that is not a string is refused with WRONGTYPE and sets
#      nothing, so the daemon must write its value without GET: the key is
#      a string with the daemon's value again, with the foreign-writer
#      warning, and no "refuses writes" error;
#   2. with a host id and keyspace notifications (the refresh 27 s away):
#      GET of the replaced key answers WRONGTYPE, which is an overwrite to
#      put back at once, not a refusal of GET by the ACL.
# The type change is one EVAL (DEL, then RPUSH or HSET): atomic, so no
# repair can slip in between.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
# retype KEY COMMAND: KEY replaced by a key of another type in one step
retype() {
	bh_redis_cli eval "redis.call('DEL', KEYS[1]); redis.call('$2', KEYS[1], 'f', 'v')" 1 "$1" >/dev/null ||
		fail "cannot retype $1"
}
# restored KEY VALUE: KEY is a string holding VALUE
restored() { [ "$(bh_redis_cli type "$1")" = string ] && [ "$(bh_redis_cli get "$1")" = "$2" ]; }

# 1. No host id: SET ... GET.
printf '%s\n' 'up web 10.80.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/a.conf" unix '' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/a.conf"
bh_redis_wait_keys 1 10 /beachhead/web || fail "web never appeared"
web=$(bh_redis_cli get /beachhead/web)
retype /beachhead/web rpush
bh_wait_for 10 "restored /beachhead/web '$web'" "web a string again" ||
	fail "a list in place of web was never replaced (type $(bh_redis_cli type /beachhead/web))"
grep -q 'warning: .*/beachhead/web held a .*this daemon did not write' "$BH_TMP/err" ||
	fail "the foreign writer was not warned about"
grep -q 'refuses writes' "$BH_TMP/err" && fail "a key of another type was taken for a refused write"
bh_redis_stop_daemon 2>/dev/null
bh_redis_cli flushall >/dev/null

# 2. A host id, keyspace notifications, the default refresh (27 s).
bh_redis_cli config set notify-keyspace-events 'K$ghx' >/dev/null || fail "notify-keyspace-events"
bh_redis_config_file "$BH_TMP/b.conf" unix '' 'host_id = "h1";'
bh_redis_start_daemon "$BH_TMP/b.conf"
bh_redis_wait_keys 1 10 /beachhead/h1/web || fail "h1/web never appeared"
bh_wait_for 5 "grep -q 'following keyspace notifications' '$BH_TMP/err'" "the keyspace watch" ||
	fail "the keyspace watch was not confirmed"
web=$(bh_redis_cli get /beachhead/h1/web)
retype /beachhead/h1/web hset
# Well within the refresh: only the keyspace watch can explain it.
bh_wait_for 5 "restored /beachhead/h1/web '$web'" "h1/web a string again" ||
	fail "a hash in place of h1/web was not put back (type $(bh_redis_cli type /beachhead/h1/web))"
grep -q 'was overwritten by another client; putting it back' "$BH_TMP/err" ||
	fail "the overwrite was not warned about"
grep -q 'refused GET' "$BH_TMP/err" && fail "WRONGTYPE was taken for an ACL refusing GET"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
