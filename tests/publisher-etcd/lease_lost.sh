#!/bin/sh
# publisher-etcd when the whole cluster is frozen (SIGSTOP) longer than the
# lease TTL: after SIGCONT the lease is gone with the keys on it; the daemon
# notices on its next keep-alive, grants a new lease and puts every key again.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23760
TTL=3

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script" 'timeout_ms = 500; connect_timeout_ms = 300;'
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --expire $TTL --refresh 1 --host-id hostA \
	>"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 10 /beachhead/hostA/ "/beachhead/hostA/api /beachhead/hostA/web" || bh_fail "first keys"
lease=$(bh_etcd_field /beachhead/hostA/web lease)

for i in 1 2 3; do kill -STOP "$(bh_etcd_pid $i)"; done
sleep $((TTL * 2 + 1))
for i in 1 2 3; do kill -CONT "$(bh_etcd_pid $i)"; done

bh_wait_for 15 '[ -n "$(bh_etcd_get /beachhead/hostA/api)" ] && [ -n "$(bh_etcd_get /beachhead/hostA/web)" ] &&
	[ "$(bh_etcd_field /beachhead/hostA/web lease)" != "$lease" ]' "both keys on a new lease" ||
	{ cat "$BH_TMP/err" >&2; bh_etcd_keys /beachhead/ >&2; bh_fail "not republished"; }
[ "$(bh_etcd_field /beachhead/hostA/api lease)" = "$(bh_etcd_field /beachhead/hostA/web lease)" ] ||
	bh_fail "the keys are on different leases"
grep -q "etcd lease $lease expired" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "the lost lease was not logged"; }
[ "$(grep -c "etcd unreachable" "$BH_TMP/err")" = 1 ] && [ "$(grep -c "etcd reachable again" "$BH_TMP/err")" = 1 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the outage and the recovery were not logged once each"; }
[ "$(grep -c "warning: etcd .* failed (" "$BH_TMP/err")" -le 1 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "endpoint failures logged more than once"; }
# The new lease is kept alive: the keys outlive another TTL.
sleep $((TTL + 1))
[ -n "$(bh_etcd_get /beachhead/hostA/web)" ] || bh_fail "the new lease is not kept alive"
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
