#!/bin/sh
# --expire 0 with an explicit --refresh: plain SET (no TTL, TTL -1), and the
# refresh still rewrites every key (a key removed behind our back returns).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up web 10.1.0.2 example.org
up api 10.1.0.3 api.example.org:http=8080
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp
bh_redis_start_daemon "$BH_TMP/beachhead.conf" --expire 0 --refresh 1
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 2 10 /beachhead/web /beachhead/api || fail "keys never appeared"
for key in /beachhead/web /beachhead/api; do
	ttl=$(bh_redis_cli ttl "$key")
	[ "$ttl" = -1 ] || fail "TTL of $key is $ttl, expected -1 (no expiry)"
done
bh_redis_cli del /beachhead/web >/dev/null
bh_redis_wait_keys 1 5 /beachhead/web || fail "the 1 s refresh did not rewrite /beachhead/web"
[ "$(bh_redis_cli ttl /beachhead/web)" = -1 ] || fail "refreshed key got a TTL"
bh_redis_stop_daemon
bh_check_valgrind
