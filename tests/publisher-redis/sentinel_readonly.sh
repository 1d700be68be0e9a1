#!/bin/sh
# Redis Sentinel, all real (1 master, 2 replicas, 3 sentinels on loopback):
# an operator switches the master by hand, behind the daemon's back: the
# first replica is promoted, the master is demoted to its replica (REPLICAOF
# on the servers, not through Sentinel) and the sentinels are pointed at the
# new master (SENTINEL REMOVE / MONITOR).  No +switch-master is announced
# and the daemon's link stays open, so its next write is answered
# -READONLY: the daemon must drop the link, ask the sentinels again and
# write to the new master (never again to the demoted one).
#
# The daemon's sentinel_user lacks +ping: it says so once and keeps the
# subscription (unchecked) rather than dropping sentinel after sentinel.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26340
BH_SENTINEL_CONF_EXTRA='user noping on >np-pw resetchannels &+switch-master -@all +sentinel|get-master-addr-by-name +subscribe'
bh_sentinel_start $BASE --repl-diskless-sync-delay 0

cat >"$BH_TMP/script" <<SCRIPT
up web 10.25.0.2 web.example.org
await $BH_TMP/cue
up late 10.25.0.3 late.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ $BH_SENTINEL_LIST ]; master_name = \"mymaster\"; sentinel_user = \"noping\"; sentinel_password = \"np-pw\"; connect_timeout_ms = 500; command_timeout_ms = 1000;" \
	'expire = 60;' 'refresh = 20;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(bh_sentinel_cli $BASE exists /beachhead/web)\" = 1 ]" "web on the master" ||
	fail "the registration never reached the master"
bh_wait_for 5 "grep -q 'warning: sentinel 127.0.0.1:[0-9]* refused PING (NOPERM' '$BH_TMP/err'" "the refused PING" ||
	fail "a sentinel_user without +ping was not reported"

# The manual switch.
NEW=$((BASE + 1))
bh_sentinel_cli $NEW replicaof no one >/dev/null || fail "REPLICAOF NO ONE"
bh_sentinel_cli $BASE replicaof 127.0.0.1 $NEW >/dev/null || fail "REPLICAOF on the master"
[ "$(bh_sentinel_cli $BASE role | head -n 1)" = slave ] || fail "the master was not demoted"
for port in $BH_SENTINEL_PORTS; do
	bh_sentinel_cli "$port" sentinel remove mymaster >/dev/null || fail "SENTINEL REMOVE on $port"
	bh_sentinel_cli "$port" sentinel monitor mymaster 127.0.0.1 $NEW 2 | grep -q '^OK' ||
		fail "cannot point sentinel $port at the new master"
done
[ "$(bh_sentinel_master_port)" = $NEW ] || fail "the sentinels do not name the new master"

touch "$BH_TMP/cue"
bh_wait_for 10 "[ \"\$(bh_sentinel_cli $NEW exists /beachhead/late)\" = 1 ]" "late on the new master" ||
	fail "the daemon did not end up writing to the new master"
for key in web late; do
	ttl=$(bh_sentinel_cli "$NEW" ttl /beachhead/$key)
	[ "$ttl" -gt 0 ] || fail "TTL of $key on the new master: $ttl"
done
grep -q "warning: redis 127.0.0.1:$BASE (master mymaster) refused the connection (SET /beachhead/late: READONLY" "$BH_TMP/err" ||
	fail "the write to the demoted master was not answered READONLY, or not logged"
bh_wait_for 5 "grep -q 'failover of master mymaster: from 127.0.0.1:$BASE to 127.0.0.1:$NEW; writes waited [0-9]* ms (SET /beachhead/late: READONLY' '$BH_TMP/err'" "the failover line" ||
	fail "the move to the new master was not logged with its cause"
! grep -q 'announces +switch-master' "$BH_TMP/err" || fail "a +switch-master was announced: the test proves nothing"
[ "$(grep -c 'refused PING (NOPERM' "$BH_TMP/err")" = 1 ] || fail "the refused PING was logged more than once"
! grep -q 'no +switch-master announcements' "$BH_TMP/err" || fail "a sentinel refusing PING lost the subscription"
bh_redis_stop_daemon
bh_check_valgrind
