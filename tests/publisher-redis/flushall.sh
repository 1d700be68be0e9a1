#!/bin/sh
# FLUSHALL behind the daemon's back: the next refresh restores every key,
# with its TTL, on the same connection.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

bh_redis_script_containers 20 10.2 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp '' 'expire = 10;' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 20 10 || fail "keys never appeared"
bh_redis_cli flushall >/dev/null
[ "$(bh_redis_cli dbsize)" = 0 ] || fail "FLUSHALL did not empty the store"
bh_redis_wait_keys 20 3 || fail "the next refresh did not restore the keys (dbsize $(bh_redis_cli dbsize))"
ttl=$(bh_redis_cli ttl /beachhead/c7)
[ "$ttl" -ge 9 ] && [ "$ttl" -le 10 ] || fail "restored key has TTL $ttl"
bh_redis_stop_daemon
bh_check_valgrind
