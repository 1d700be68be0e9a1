#!/bin/sh
# A real redis-server at its maxmemory (noeviction) answers writes with
# "OOM command not allowed": one error line for the whole episode (not one
# per container), the refused writes retried with backoff (the refresh is
# far away: only the retries can store them), and one line when writes
# succeed again; then every registration is stored.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --maxmemory-policy noeviction

{
	bh_redis_script_containers 20 10.13
	echo 'wait 1500'
	for i in 1 2 3 4 5 6; do
		echo "up late$i 10.13.1.$i late$i.example.org"
		echo 'wait 200'
	done
	echo 'down c0'
} >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 20 5 || fail "the first registrations never arrived"
bh_redis_cli config set maxmemory 1 >/dev/null || fail "CONFIG SET maxmemory"
bh_wait_for 5 "grep -q 'OOM command not allowed' '$BH_TMP/err'" "the refusal" || fail "the OOM refusal was not reported"
sleep 2 # six containers arrive, and retries, all refused
[ "$(grep -c 'OOM' "$BH_TMP/err")" = 1 ] || fail "OOM was not reported exactly once"
[ "$(bh_redis_key_count /beachhead/late1 /beachhead/late6)" = 0 ] || fail "a write got through under OOM"
grep -q "error: redis unix:$BH_REDIS_SOCK refuses writes: OOM command not allowed.*retrying refused writes with backoff" "$BH_TMP/err" ||
	fail "the message does not name the server, the error and the retry"

bh_redis_cli config set maxmemory 0 >/dev/null || fail "CONFIG SET maxmemory 0"
# Retries back off to at most 5 s (+20 %).
bh_redis_wait_keys 6 8 /beachhead/late1 /beachhead/late2 /beachhead/late3 /beachhead/late4 \
	/beachhead/late5 /beachhead/late6 || fail "the refused SETs were never retried"
bh_wait_for 8 "grep -q 'writes to redis unix:$BH_REDIS_SOCK succeed again after' '$BH_TMP/err'" "the recovery line" ||
	fail "no 'succeed again' line"
[ "$(grep -c 'succeed again' "$BH_TMP/err")" = 1 ] || fail "the recovery was not reported exactly once"
# (Redis lets DEL through under OOM: c0 went at once.)
bh_redis_wait_keys 0 3 /beachhead/c0 || fail "/beachhead/c0 lingers"
bh_redis_wait_keys 25 3 || fail "not exactly the 25 running containers' keys"
bh_redis_stop_daemon
bh_check_valgrind
