#!/bin/sh
# Redis Sentinel, all real (1 master, 2 replicas, 3 sentinels on loopback):
# the sentinel that holds the daemon's +switch-master subscription freezes
# (SIGSTOP: its socket stays open, nothing answers) and then the other two
# fail the master over while the old master keeps running as a master.  The
# master link never fails, so only the subscription's health check can tell:
# within its interval + command_timeout_ms (+ slack) the daemon drops the
# frozen sentinel (logged once, naming it), asks the others for the master
# and writes to the new one.
#
# The sentinels have an ACL user with exactly the permissions docs/confd.md
# lists for sentinel_user (get-master-addr-by-name, SUBSCRIBE on channel
# +switch-master, PING), and the daemon uses it.  To keep the old master a
# master, it refuses the sentinels' REPLICAOF (an ACL on its default user:
# the transaction that would demote it, and kill its clients, aborts), as
# when it is cut off from the sentinels but not from the daemon.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26330
# command_timeout_ms below; the health check's PING interval is 1 s.
TIMEOUT_MS=1000
BH_SENTINEL_CONF_EXTRA='user bhsent on >sent-pw resetchannels &+switch-master -@all +sentinel|get-master-addr-by-name +subscribe +ping'
bh_sentinel_start $BASE --repl-diskless-sync-delay 0

cat >"$BH_TMP/script" <<SCRIPT
up web 10.24.0.2 web.example.org
await $BH_TMP/cue
up late 10.24.0.3 late.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ $BH_SENTINEL_LIST ]; master_name = \"mymaster\"; sentinel_user = \"bhsent\"; sentinel_password = \"sent-pw\"; connect_timeout_ms = 500; command_timeout_ms = $TIMEOUT_MS;" \
	'expire = 60;' 'refresh = 20;'
# --verbose: the subscription's sentinel is named at debug level.
bh_redis_start_daemon "$BH_TMP/beachhead.conf" --verbose
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(bh_sentinel_cli $BASE exists /beachhead/web)\" = 1 ]" "web on the master" ||
	fail "the registration never reached the master"
bh_wait_for 10 "grep -q 'subscribed to +switch-master' '$BH_TMP/err'" "the subscription" ||
	fail "the daemon never subscribed to +switch-master"
SUB=$(sed -n 's/.*sentinel 127\.0\.0\.1:\([0-9]*\): subscribed to +switch-master.*/\1/p' "$BH_TMP/err" | head -n 1)
[ -n "$SUB" ] || fail "cannot tell which sentinel holds the subscription"
# Through the ACL user, as configured.
bh_sentinel_cli "$SUB" client list | grep 'sub=1' | grep -q 'user=bhsent' ||
	fail "the subscription on sentinel $SUB is not held by user bhsent"
HEALTHY=""
for port in $BH_SENTINEL_PORTS; do
	[ "$port" = "$SUB" ] || HEALTHY="$HEALTHY${HEALTHY:+ }$port"
done
FROZEN=$(bh_sentinel_pid sentinel$((SUB - BASE - 4)))

bh_sentinel_cli $BASE acl setuser default -replicaof -slaveof >/dev/null || fail "ACL SETUSER on the master"
bh_on_exit "kill -CONT $FROZEN"
kill -STOP "$FROZEN"
t0=$(date +%s)
# (Refused with NOGOODSLAVE until a replica's link is known good.)
ASK=${HEALTHY%% *}
bh_wait_for 20 "bh_sentinel_cli $ASK sentinel failover mymaster | grep -q '^OK'" "SENTINEL FAILOVER to be accepted" ||
	fail "SENTINEL FAILOVER was never accepted"
# Only the healthy sentinels: a frozen one would never answer redis-cli.
BH_SENTINEL_PORTS=$HEALTHY
bh_sentinel_wait_master $BASE 20 || fail "the sentinels did not fail over"
NEW=$(bh_sentinel_master_port)
bh_note "failover to port $NEW took $(( $(date +%s) - t0 )) s"
[ "$(bh_sentinel_cli $BASE role | head -n 1)" = master ] || fail "the old master did not stay a master"

# From here the daemon must learn of the new master by itself: the PING
# interval (1 s) + command_timeout_ms + connect_timeout_ms (the query may
# try the frozen sentinel first) + 2 s of slack.
touch "$BH_TMP/cue"
BOUND=$(( (1000 + TIMEOUT_MS + 500 + 999) / 1000 + 2 ))
bh_wait_for $BOUND "[ \"\$(bh_sentinel_cli $NEW exists /beachhead/late)\" = 1 ]" "late on the new master" ||
	fail "the daemon did not follow the failover within $BOUND s of it"
for key in web late; do
	ttl=$(bh_sentinel_cli "$NEW" ttl /beachhead/$key)
	[ "$ttl" -gt 0 ] || fail "TTL of $key on the new master: $ttl"
done
bh_wait_for 5 "grep -q 'failover of master mymaster: from 127.0.0.1:$BASE to 127.0.0.1:$NEW' '$BH_TMP/err'" "the failover line" ||
	fail "the failover was not logged"
[ "$(grep -c "sentinel 127.0.0.1:$SUB: no answer to PING within $TIMEOUT_MS ms; dropped" "$BH_TMP/err")" = 1 ] ||
	fail "the unresponsive sentinel was not logged exactly once"
kill -CONT "$FROZEN"
! grep -q 'sent-pw' "$BH_TMP/err" || fail "the sentinel password was logged"
bh_redis_stop_daemon
bh_check_valgrind
