#!/bin/sh
# publisher-redis over TCP on 127.0.0.1 (host/port given the original's way,
# --redis-host/--redis-port): values are stored byte for byte as the core
# built them, with TTLs between expire-1 and expire; a container that goes
# away is DELeted at once; the process exits 0 on SIGTERM with nothing pending.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up web 172.30.0.2 example.org admin.example.org:https
up api 172.30.0.3 api.example.org:http=8080
up gone 172.30.0.4 gone.example.org
wait 400
down gone
up quote 172.30.0.5 q.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" none '' 'expire = 30;' 'refresh = 20;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf" --redis-host 127.0.0.1 --redis-port "$BH_REDIS_PORT"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "bh_redis_cli get /beachhead/gone | grep -q gone.example.org" "gone published" ||
	fail "/beachhead/gone never appeared"
bh_redis_wait_keys 0 10 /beachhead/gone || fail "/beachhead/gone was not deleted after 'down gone'"
bh_redis_wait_keys 1 10 /beachhead/quote || fail "/beachhead/quote never appeared"

[ "$(bh_redis_keys '/beachhead/*' | tr '\n' ' ')" = "/beachhead/api /beachhead/quote /beachhead/web " ] ||
	fail "unexpected keys: $(bh_redis_keys '*' | tr '\n' ' ')"

# Byte-exact values: what the core built, unchanged.
WEB='[{"id":"example_org","domain":"example.org","http":{"host":"172.30.0.2","port":80},"https":{"host":"172.30.0.2","port":443}},{"id":"admin_example_org","domain":"admin.example.org","https":{"host":"172.30.0.2","port":443}}]'
API='[{"id":"api_example_org","domain":"api.example.org","http":{"host":"172.30.0.3","port":8080}}]'
[ "$(bh_redis_cli get /beachhead/web)" = "$WEB" ] || fail "web value: $(bh_redis_cli get /beachhead/web)"
[ "$(bh_redis_cli get /beachhead/api)" = "$API" ] || fail "api value: $(bh_redis_cli get /beachhead/api)"
[ "$(bh_redis_cli type /beachhead/web)" = string ] || fail "web is not a string"

for key in /beachhead/web /beachhead/api /beachhead/quote; do
	ttl=$(bh_redis_cli ttl "$key")
	[ "$ttl" -ge 29 ] && [ "$ttl" -le 30 ] || fail "TTL of $key is $ttl, expected 29..30"
done

grep -q "connected to redis 127.0.0.1:$BH_REDIS_PORT" "$BH_TMP/err" || fail "no 'connected' line"
bh_redis_stop_daemon
! grep -q ERROR "$BH_TMP/err" || fail "errors logged"
bh_check_valgrind
