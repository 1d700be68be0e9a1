#!/bin/sh
# Redis Sentinel, all real (1 master, 2 replicas, 3 sentinels on loopback,
# down-after-milliseconds 1000):
#   1. the first sentinel in the daemon's list is down from the start: the
#      daemon asks the next ones;
#   2. the master is SIGKILLed while containers start and stop: afterwards
#      the new master holds exactly the running containers' keys, with TTLs,
#      and the failover is logged once (old master, new master, time waited);
#   3. a manual SENTINEL FAILOVER: the same on the next master.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26300
bh_sentinel_start $BASE

# 1. The first sentinel goes down before the daemon starts.
kill -9 "$(bh_sentinel_pid sentinel1)"
{
	bh_redis_script_containers 10 10.20
	echo 'wait 2500'
	# From here on containers come and go while the master is down.
	echo 'up n1 10.20.1.1 n1.example.org'
	echo 'wait 400'
	echo 'down c1'
	echo 'wait 400'
	echo 'up n2 10.20.1.2 n2.example.org'
	echo 'wait 400'
	echo 'down c2'
	echo 'down n1'
	echo 'wait 400'
	echo 'up n3 10.20.1.3 n3.example.org'
} >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ $BH_SENTINEL_LIST ]; master_name = \"mymaster\"; connect_timeout_ms = 500; command_timeout_ms = 1000;" \
	'expire = 60;' 'refresh = 20;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

# Keys of exactly these containers on the server at port $1, each with a TTL.
holds_exactly() {
	port=$1
	shift
	want=$(for c in "$@"; do echo "/beachhead/$c"; done | sort)
	have=$(bh_sentinel_cli "$port" --scan --pattern '/beachhead/*' | sort)
	[ "$have" = "$want" ] || return 1
	for c in "$@"; do
		ttl=$(bh_sentinel_cli "$port" ttl "/beachhead/$c")
		[ "$ttl" -gt 0 ] || return 1
	done
}
ALL10="c0 c1 c2 c3 c4 c5 c6 c7 c8 c9"
bh_wait_for 10 "holds_exactly $BASE $ALL10" "the registrations on the master" ||
	{ bh_sentinel_cli $BASE --scan --pattern "/beachhead/*" | sort >&2; bh_sentinel_cli $BASE info keyspace >&2; fail "the registrations never reached the master"; }
grep -q "connected to redis 127.0.0.1:$BASE (master mymaster)" "$BH_TMP/err" || fail "no 'connected' line naming the master"

# 2. SIGKILL the master; the script changes containers meanwhile.
t0=$(date +%s)
kill -9 "$(bh_sentinel_pid master)"
bh_sentinel_wait_master $BASE 20 || fail "the sentinels did not fail over"
NEW=$(bh_sentinel_master_port)
bh_note "failover to port $NEW took $(( $(date +%s) - t0 )) s"
AFTER="c0 c3 c4 c5 c6 c7 c8 c9 n2 n3"
bh_wait_for 15 "holds_exactly $NEW $AFTER" "exactly the running containers on the new master" ||
	{ bh_sentinel_cli "$NEW" --scan --pattern '/beachhead/*' | sort >&2; fail "the new master does not hold exactly the running containers"; }
bh_wait_for 5 "grep -q 'failover of master mymaster: from 127.0.0.1:$BASE to 127.0.0.1:$NEW; writes waited [0-9]* ms' '$BH_TMP/err'" "the failover line" ||
	fail "the failover was not logged with old and new master"
[ "$(grep -c 'failover of master' "$BH_TMP/err")" = 1 ] || fail "the failover was not logged exactly once"

# 3. Manual failover (the old master stays down).
OLD=$NEW
# (Refused with NOGOODSLAVE or INPROG until the previous failover finished
# and the remaining replica follows the new master.)
bh_wait_for 20 "bh_sentinel_cli $((BASE + 6)) sentinel failover mymaster | grep -q '^OK'" "SENTINEL FAILOVER to be accepted" ||
	fail "SENTINEL FAILOVER was never accepted"
bh_sentinel_wait_master "$OLD" 20 || fail "the manual failover did not happen"
NEW=$(bh_sentinel_master_port)
bh_wait_for 10 "holds_exactly $NEW $AFTER" "the registrations on the next master" ||
	fail "the next master does not hold exactly the running containers"
bh_wait_for 5 "[ \"\$(grep -c 'failover of master mymaster: from 127.0.0.1:$OLD to 127.0.0.1:$NEW' '$BH_TMP/err')\" = 1 ]" "the second failover line" ||
	fail "the manual failover was not logged once"
[ "$(grep -c 'failover of master' "$BH_TMP/err")" = 2 ] || fail "not exactly two failover lines"
! grep -q 'error:' "$BH_TMP/err" || fail "errors logged"
bh_redis_stop_daemon
bh_check_valgrind
