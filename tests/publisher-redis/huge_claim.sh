#!/bin/sh
# Someone put a 2 MiB value in the namespace's claim, against a real
# redis-server: the daemon (same host id) must report the claim as
# another's, naming what it can read of it, and write nothing there; the
# claim's answer must not exceed the link's reply cap (1 MiB), which would
# drop the connection at every attempt with a bare protocol error.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_cli eval "return redis.call('SET', KEYS[1], ARGV[1] .. string.rep('x', 2097152), 'EX', 60)" \
	1 /beachhead/h1/@owner 'hostname=big machine_id=m1 pid=7 since=then pad=' >/dev/null || fail "SET"
printf '%s\n' 'up web 10.85.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'host_id = "h1";' 'expire = 6;' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_wait_for 10 "grep -q 'error: .*namespace /beachhead/h1/ is claimed by another daemon (hostname=big machine_id=m1 pid=7 since=then pad=xxx' '$BH_TMP/err'" \
	"the conflict" || fail "the huge claim was not reported as another daemon's"
sleep 2
grep -q 'protocol error' "$BH_TMP/err" && fail "the claim's answer broke the link"
[ "$(bh_redis_key_count /beachhead/h1/web)" = 0 ] || fail "the daemon wrote under another's claim"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
