#!/bin/sh
# maxmemory with an evicting policy (allkeys-lru) and keyspace
# notifications that include evictions (KEA, a common setting), against a
# real redis-server: an evicted key must not be put back at once, since that
# SET evicts another key, whose event asks for the next repair, at network
# speed, for good.  The evictions that squeezing maxmemory causes are said
# once (warning); then the server is quiet: fewer evictions in three
# seconds than the daemon holds keys (the refresh, 27 s, is what writes
# them again).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --notify-keyspace-events KEA --maxmemory-policy allkeys-lru
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
stat() { bh_redis_cli info stats | sed -n "s/^$1:\\([0-9]*\\).*/\\1/p"; }

bh_redis_script_containers 200 10.87 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 200 10 || fail "the keys never appeared"
bh_wait_for 5 "grep -q 'following keyspace notifications' '$BH_TMP/err'" "the keyspace watch" ||
	fail "the keyspace watch was not confirmed"
used=$(bh_redis_cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
bh_redis_cli config set maxmemory $((used - 20000)) >/dev/null || fail "maxmemory"
bh_redis_cli set beachhead-test-junk x >/dev/null # a write: the server evicts now
sleep 2
before=$(stat evicted_keys)
sleep 3
after=$(stat evicted_keys)
bh_note "evicted keys in 3 s: $((after - before))"
[ $((after - before)) -lt 200 ] || fail "repairs and evictions chase each other: $((after - before)) evictions in 3 s"
grep -q 'warning: .*evicts keys under /beachhead/ (maxmemory' "$BH_TMP/err" || fail "the evictions were not said"
[ "$(grep -c 'evicts keys' "$BH_TMP/err")" = 1 ] || fail "the evictions were not said once"
grep -q 'keyspace event evicted' "$BH_TMP/err" && fail "an eviction was taken for another client's delete"
bh_redis_cli config set maxmemory 0 >/dev/null
bh_redis_stop_daemon 2>/dev/null
bh_check_valgrind
exit 0
