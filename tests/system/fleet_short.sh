#!/bin/bash
# A short fleet (bench/fleet.sh's simulation, small): 10 daemons with their
# own host ids, state directories and scripted inspectors (20 containers
# each), first against a real 3-member etcd cluster, then against one
# redis-server, expire 4 s.  Invariants, never timings:
#   - every registration present exactly once, nothing else under the
#     prefix: at the start, after churn (every host stops and starts a
#     container, several times), after one host was SIGKILLed and started
#     again, and after 10 % of the hosts restarted at once;
#   - the killed host's keys are gone within its expiry (etcd: its lease;
#     Redis: the keys' expiry; plus a margin for a loaded machine), and the
#     other hosts' keys stay all the while;
#   - nothing left behind: every daemon exits on SIGTERM, and once their
#     expiry has passed the store holds no registration.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/etcd.sh"
. "$top_srcdir/tests/lib/fleet.sh"
BEACHHEAD_PLUGIN_PATH=$top_builddir/plugins/publisher-etcd/.libs:$BEACHHEAD_PLUGIN_PATH
export BEACHHEAD_PLUGIN_PATH
HOSTS=10
CONTAINERS=20
EXPIRE=4
REFRESH=2
FLEET_CHURN_SECONDS=3
FLEET_WAIT=60
FLEET_ETCD_BASE=23880
bh_redis_require
bh_etcd_require
bh_setup_tmp
bh_on_exit fleet_kill_all
fleet_init

# Host 0's keys must go within its expiry, while every other host's stay.
kill_host_0() {
	local start=$SECONDS others
	fleet_kill_host 0 KILL
	while [ -n "$(fleet_keys 0)" ]; do
		# Its expiry, and a margin for a loaded machine (etcd revokes
		# an expired lease through a raft round).
		[ $((SECONDS - start)) -le $((2 * EXPIRE + 6)) ] ||
			bh_fail "$STORE: host 0's keys outlived its expiry by far: $(fleet_keys 0 | wc -l) left"
		sleep 0.2
	done
	others=$(grep -vc '^/beachhead/h0/' "$BH_TMP/expected")
	[ "$(fleet_keys | wc -l)" = "$others" ] ||
		bh_fail "$STORE: other hosts' keys went with host 0's"
	fleet_start_host 0 up
	fleet_wait_all "$STORE: host 0 back"
	fleet_check_exactly_once
}

# Host 1 (10 % of 10) restarts: SIGTERM, then started again with its state.
restart_host_1() {
	fleet_kill_host 1 TERM
	fleet_start_host 1 up
	bh_wait_for 30 "grep -q 'core: info: started' '$BH_TMP/h/1/$STORE.up.log'" "host 1 started again" ||
		bh_fail "$STORE: host 1 did not start again"
	fleet_wait_all "$STORE: host 1 restarted"
	fleet_check_exactly_once
}

# Every daemon stops; then nothing of theirs stays, in the store either.
stop_all() {
	local pids
	pids=$(fleet_daemon_pids)
	fleet_stop_all
	for pid in $pids; do
		! kill -0 "$pid" 2>/dev/null || bh_fail "daemon $pid is still there"
	done
	bh_wait_for $((EXPIRE + 10)) '[ -z "$(fleet_keys)" ]' "$STORE: no registration after expiry" ||
		bh_fail "$STORE: registrations stayed after every daemon stopped: $(fleet_keys | head -n 3)"
}

for STORE in etcd redis; do
	bh_note "$STORE"
	fleet_store_start
	for h in $(seq 0 $((HOSTS - 1))); do fleet_start_host "$h" churn; done
	fleet_wait_all "$STORE: every registration"
	fleet_check_exactly_once
	touch "$BH_TMP/churn"
	fleet_wait_churn_done
	fleet_check_exactly_once
	kill_host_0
	restart_host_1
	stop_all
	fleet_store_stop
	for pid in $(fleet_store_pids); do
		! kill -0 "$pid" 2>/dev/null || bh_fail "$STORE: process $pid is still there"
	done
	[ "$STORE" = redis ] || [ ! -e "$BH_ETCD_DIR" ] || bh_fail "etcd's data directory stayed"
done
exit 0
