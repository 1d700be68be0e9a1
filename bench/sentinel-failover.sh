#!/bin/sh
# Benchmark: how long after a Sentinel failover every registration is on the
# new master.  Real servers on loopback (tests/lib/sentinel.sh: 1 master,
# 2 replicas, 3 sentinels, ports 26390-26397), the daemon with the scripted
# inspector and N registrations (default 200), RUNS failovers (default 10).
#
#   bench/sentinel-failover.sh [N] [RUNS]     (from a built tree; make first)
#
# Each round: wait until the master has both replicas in sync; FLUSHALL on
# the master (replicated: the store is now empty everywhere, as after a
# failover that lost what async replication had not passed on, and the
# daemon does not know); start the stopwatch (bench/sentinel-watch.py,
# subscribed to +switch-master on the first sentinel); SENTINEL FAILOVER on
# the second.  Timed: from the +switch-master announcement to DBSIZE = N on
# the new master, i.e. the daemon learning of the failover, connecting,
# checking ROLE and replaying every registration.  A negative or zero figure
# would mean the daemon was there before the announcement (it asks the
# sentinels again on -READONLY or a dropped connection too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis sentinel

N=${1:-200}
RUNS=${2:-10}
BASE=26390
bench_require_built
bench_require_scripted_inspector
bh_sentinel_require
command -v python3 >/dev/null 2>&1 || bh_fail "python3 is needed"
bh_setup_tmp
bh_sentinel_start $BASE

i=0
while [ $i -lt "$N" ]; do
	echo "up c$i 10.$((i / 62500)).$((i / 250 % 250)).$((i % 250 + 1)) c$i.example.org"
	i=$((i + 1))
done >"$BH_TMP/script"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; sentinels = [ $BH_SENTINEL_LIST ]; master_name = "mymaster"; } );
enumerate = true;
expire = 600;
refresh = 3600;
CONF
"$BEACHHEAD" -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/daemon.err" &
bh_on_exit "kill $!"
MASTER=$BASE
bh_wait_for 10 "[ \"\$(bh_sentinel_cli $MASTER dbsize)\" = $N ]" "$N keys on the master" ||
	bh_fail "the registrations never arrived: $(tail -n 5 "$BH_TMP/daemon.err")"

# Both replicas of the master online and at its offset.
in_sync() {
	info=$(bh_sentinel_cli "$MASTER" info replication | tr -d '\r')
	echo "$info" | grep -q '^connected_slaves:2' || return 1
	offset=$(echo "$info" | sed -n 's/^master_repl_offset://p')
	[ "$(echo "$info" | grep -c "state=online,offset=$offset,")" = 2 ]
}

: >"$BH_TMP/times"
run=1
while [ $run -le "$RUNS" ]; do
	bh_wait_for 30 in_sync "the replicas of port $MASTER" || bh_fail "the replicas did not sync"
	bh_sentinel_cli "$MASTER" flushall >/dev/null
	bh_wait_for 10 in_sync "the FLUSHALL to replicate" || bh_fail "the FLUSHALL did not replicate"
	python3 "$here/sentinel-watch.py" $((BASE + 5)) mymaster "$N" 90 >"$BH_TMP/watch.out" 2>"$BH_TMP/watch.err" &
	watcher=$!
	bh_wait_for 5 "grep -q subscribed '$BH_TMP/watch.err'" "the stopwatch" || bh_fail "the stopwatch did not start"
	bh_wait_for 30 "bh_sentinel_cli $((BASE + 6)) sentinel failover mymaster | grep -q '^OK'" "SENTINEL FAILOVER" ||
		bh_fail "SENTINEL FAILOVER was never accepted"
	wait "$watcher" || bh_fail "round $run: $(cat "$BH_TMP/watch.err")"
	read -r ms MASTER <"$BH_TMP/watch.out"
	echo "$ms" >>"$BH_TMP/times"
	printf 'failover %2d: to port %s, all %s registrations there %s ms after +switch-master\n' "$run" "$MASTER" "$N" "$ms"
	run=$((run + 1))
done
printf '%s registrations, %s failovers: median %s ms, worst %s ms (from +switch-master to all on the new master)\n' \
	"$N" "$RUNS" "$(bench_median <"$BH_TMP/times")" "$(sort -g "$BH_TMP/times" | tail -n 1)"
grep -c 'failover of master' "$BH_TMP/daemon.err" | sed 's/^/daemon failover lines: /'
