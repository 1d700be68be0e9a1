#!/bin/sh
# The inspector stopped while a full pass is under way (its listing not yet
# answered, first inspections of new containers in flight and never
# answered): on a reload (SIGHUP: the core replaces the inspector) and on
# SIGTERM.  The pass ends incomplete (withdraws nothing), nothing is freed
# twice or used after it is freed, the new inspector carries on, and the
# daemon exits 0.  A real dockerd behind tests/inspector-docker/engine-proxy.py
# (a STAND-IN proxy: it only withholds answers on demand).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy smp49 172.30.49.0/24

run() { bh_run_domain smp49 "$@"; }
run keep1
bh_daemon_conf "unix://$BH_PROXY_SOCK" "timeout_ms = 30000; inspect_deadline_ms = 500;"
sed -i 's/^refresh = 120;/refresh = 2;/' "$BH_TMP/c.conf"
OUT=$BH_TMP/out
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg keep1 "$(bh_ip keep1 smp49)")"

# New containers whose inspections never answer, and listings 3 s late.
for i in 1 2 3; do
	docker create --name stuck$i --network smp49 -e BEACHHEAD_DOMAINS=stuck$i.example.org \
		bbox:latest sleep 100000 >/dev/null || bh_fail "docker create stuck$i"
	docker inspect -f '{{.Id}}' stuck$i >>"$CTL/hang"
done
for i in 1 2 3; do docker start stuck$i >/dev/null || bh_fail "docker start stuck$i"; done
echo 3 >"$CTL/list_delay"
lists() { grep -c '/containers/json$' "$BH_PROXY_LOG"; }

# 1. A reload while a listing is under way and inspections hang.
l=$(lists)
bh_wait_for 10 '[ "$(lists)" -gt "$l" ]' "a pass's listing" || exit 1
kill -HUP "$BH_DAEMON_PID"
bh_wait_for 10 'grep -q "SIGHUP: reloading" "$OUT.err"' "the reload" || exit 1
# The new inspector's passes go on: two more listings are asked for.
l=$(lists)
bh_wait_for 20 '[ "$(lists)" -ge $((l + 2)) ]' "the new inspector's passes" || exit 1
kill -0 "$BH_DAEMON_PID" 2>/dev/null || bh_fail "the daemon died after the reload"

# 2. SIGTERM while a listing is under way.
l=$(lists)
bh_wait_for 10 '[ "$(lists)" -gt "$l" ]' "a pass's listing" || exit 1
bh_daemon_stop || bh_fail "daemon exit status $? (stopped during a pass)"
grep -F "$(bh_del keep1)" "$OUT" && bh_fail "keep1 withdrawn by a pass cut short"
if grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$OUT.err"; then
	bh_fail "sanitizer report"
fi
exit 0
