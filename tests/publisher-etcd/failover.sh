#!/bin/sh
# publisher-etcd when members die: a killed follower (the one the daemon
# talks to) and then a killed leader each cost at most a retry: keys stay on
# their lease and new containers still appear; every failover is logged once.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23730
TTL=6

leader=$(bh_etcd_leader)
[ -n "$leader" ] || bh_fail "no leader"
follower=$(( leader % 3 + 1 ))
other=$(( follower % 3 + 1 ))
[ "$other" != "$leader" ] || other=$(( other % 3 + 1 ))

printf '%s\n' 'up web 10.0.0.1 web.example.org' "await $BH_TMP/cue1" 'up one 10.0.0.2 one.example.org' \
	"await $BH_TMP/cue2" 'up two 10.0.0.3 two.example.org' >"$BH_TMP/script"
# The follower first: the daemon talks to it until it dies.
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-etcd";
	endpoints = [ "$(bh_etcd_url $follower)", "$(bh_etcd_url $other)", "$(bh_etcd_url $leader)" ];
	timeout_ms = 1000; connect_timeout_ms = 500; } );
enumerate = true;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --expire $TTL --refresh 2 --host-id hostA \
	>"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 10 /beachhead/hostA/ /beachhead/hostA/web || bh_fail "first key"
lease=$(bh_etcd_field /beachhead/hostA/web lease)

# 1. The follower in use dies.
kill -9 "$(bh_etcd_pid $follower)"
touch "$BH_TMP/cue1"
bh_etcd_expect_keys 3 /beachhead/hostA/ "/beachhead/hostA/web /beachhead/hostA/one" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "after the follower died"; }
[ "$(grep -c "etcd $(bh_etcd_url $follower) failed" "$BH_TMP/err")" = 1 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the failover was not logged exactly once"; }

# 2. The follower returns; then the leader dies: a new election.
bh_etcd_launch "$follower"
bh_wait_for 20 "bh_etcdctl_at $follower endpoint health" "m$follower back" || bh_fail "restarting m$follower"
leader=$(bh_etcd_leader)
kill -9 "$(bh_etcd_pid "$leader")"
touch "$BH_TMP/cue2"
bh_etcd_expect_keys 8 /beachhead/hostA/ "/beachhead/hostA/web /beachhead/hostA/one /beachhead/hostA/two" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "after the leader died"; }

# The lease survived both: nothing was put again, nothing expired.
sleep 2
[ "$(bh_etcd_field /beachhead/hostA/web lease)" = "$lease" ] || bh_fail "the lease changed"
! grep -q "lease .* expired" "$BH_TMP/err" || bh_fail "the lease was lost"
down=$(grep -c "etcd unreachable" "$BH_TMP/err")
up=$(grep -c "etcd reachable again" "$BH_TMP/err")
[ "$down" = "$up" ] && [ "$down" -le 1 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "outages logged $down times, recoveries $up times"; }
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
