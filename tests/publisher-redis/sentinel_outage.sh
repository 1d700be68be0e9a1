#!/bin/sh
# Redis Sentinel, all real: every sentinel unreachable for a while.
#   1. At start every sentinel is frozen (SIGSTOP: connections open, nothing
#      answers): one warning, retries with backoff, and the registrations
#      arrive once the sentinels answer again.
#   2. Every sentinel killed while the master is fine: the daemon keeps
#      writing to the master it knows (sentinels only name it).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26310
bh_sentinel_start $BASE
SENTINEL_PIDS="$(bh_sentinel_pid sentinel1) $(bh_sentinel_pid sentinel2) $(bh_sentinel_pid sentinel3)"
bh_on_exit "kill -CONT $SENTINEL_PIDS"

cat >"$BH_TMP/script" <<'SCRIPT'
up early 10.21.0.2 early.example.org
wait 7000
up late 10.21.0.3 late.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ $BH_SENTINEL_LIST ]; master_name = \"mymaster\"; connect_timeout_ms = 300;" \
	'expire = 60;' 'refresh = 20;'
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

# 1. Frozen sentinels.
kill -STOP $SENTINEL_PIDS
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_wait_for 5 "grep -q 'no sentinel named a master for mymaster' '$BH_TMP/err'" "the warning" ||
	fail "unreachable sentinels were not reported"
sleep 1.5 # more rounds
[ "$(grep -c 'no sentinel named a master' "$BH_TMP/err")" = 1 ] || fail "the outage was not logged exactly once"
grep -q "warning: redis master mymaster: no sentinel named a master for mymaster (127.0.0.1:$((BASE + 5)): no answer within 300 ms; 127.0.0.1:$((BASE + 6)): no answer within 300 ms; 127.0.0.1:$((BASE + 7)): no answer within 300 ms)" "$BH_TMP/err" ||
	fail "the warning does not name every sentinel and why"
[ "$(bh_sentinel_cli $BASE dbsize)" = 0 ] || fail "something was written while no sentinel answered"
kill -CONT $SENTINEL_PIDS
bh_wait_for 10 "[ \"\$(bh_sentinel_cli $BASE exists /beachhead/early)\" = 1 ]" "early on the master" ||
	fail "the registration did not arrive once the sentinels answered"

# 2. No sentinel at all; the master is fine.
kill -9 $SENTINEL_PIDS
bh_wait_for 10 "[ \"\$(bh_sentinel_cli $BASE exists /beachhead/late)\" = 1 ]" "late on the master" ||
	fail "writes stopped when the sentinels went away"
grep -q 'no +switch-master announcements until another sentinel takes the subscription' "$BH_TMP/err" ||
	fail "the lost subscription was not reported"
# Once per outage (the frozen start may have been one): not once per retry.
[ "$(grep -c 'no +switch-master announcements' "$BH_TMP/err")" -le 2 ] || fail "the lost subscription was logged per retry"
bh_redis_stop_daemon
bh_check_valgrind
