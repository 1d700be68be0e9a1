#!/bin/sh
# --expire 0 with an explicit --refresh: plain SET (no TTL, TTL -1), and the
# refresh still rewrites every key (a key removed behind our back returns).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start

cat >"$BH_TMP/script" <<'SCRIPT'
up web 10.1.0.2 example.org
up api 10.1.0.3 api.example.org:http=8080
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --expire 0 --refresh 1 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(bh_redis_cli exists /beachhead/web /beachhead/api)\" = 2 ]" "both keys" ||
	fail "keys never appeared"
for key in /beachhead/web /beachhead/api; do
	ttl=$(bh_redis_cli ttl "$key")
	[ "$ttl" = -1 ] || fail "TTL of $key is $ttl, expected -1 (no expiry)"
done
bh_redis_cli del /beachhead/web >/dev/null
bh_wait_for 5 "[ \"\$(bh_redis_cli exists /beachhead/web)\" = 1 ]" "the refresh" ||
	fail "the 1 s refresh did not rewrite /beachhead/web"
[ "$(bh_redis_cli ttl /beachhead/web)" = -1 ] || fail "refreshed key got a TTL"
kill -TERM $pid
wait $pid
status=$?
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "daemon exited with $status"
bh_check_valgrind
