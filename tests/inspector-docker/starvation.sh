#!/bin/sh
# Inspections cannot be starved; a real dockerd behind
# tests/inspector-docker/engine-proxy.py (a STAND-IN proxy: every request goes to the
# real engine; it only withholds the answers a real engine cannot be made to
# withhold on demand, and injects fake events):
#   A. five containers whose inspections never answer (timeout_ms 30 s),
#      created last so that the listing names them first: the ten others are
#      registered long before the stuck inspections time out, and so is a
#      container started while they are still stuck;
#   B. 20,000 start events for one id cost a handful of inspections of it,
#      and a container started during the flood is registered.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy snet44 172.30.44.0/24

run() { bh_run_domain snet44 "$@"; }
for i in 1 2 3 4 5 6 7 8 9 10; do run ok$i; done
for i in 1 2 3 4 5; do
	run stuck$i
	docker inspect -f '{{.Id}}' stuck$i >>"$CTL/hang"
done
bh_daemon_conf "unix://$BH_PROXY_SOCK" "timeout_ms = 30000;"
OUT=$BH_TMP/out

# --- A. Five stuck inspections.
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
for i in 1 2 3 4 5 6 7 8 9 10; do
	bh_expect_line 15 "$OUT" "$(bh_reg ok$i "$(bh_ip ok$i snet44)")"
done
run fresh
bh_expect_line 10 "$OUT" "$(bh_reg fresh "$(bh_ip fresh snet44)")"
grep -q 'cannot inspect' "$OUT.err" && { cat "$OUT.err" >&2; bh_fail "the stuck inspections timed out before the test was done: too slow a machine?"; }
grep -q '"/beachhead/stuck' "$OUT" && bh_fail "a stuck container was registered"

# --- B. 20,000 start events for one id.
ID=$(docker inspect -f '{{.Id}}' ok1)
python3 -c 'import sys, json
line = json.dumps({"status": "start", "id": sys.argv[1], "Type": "container", "Action": "start",
                   "Actor": {"ID": sys.argv[1], "Attributes": {"name": "ok1", "image": "bbox:latest"}}})
sys.stdout.write((line + "\n") * 20000)' "$ID" >"$CTL/inject.tmp" || bh_fail "python3"
before=$(grep -c "/containers/$ID/json" "$BH_PROXY_LOG")
mv "$CTL/inject.tmp" "$CTL/inject"
bh_wait_for 10 'grep -q " inject 20000$" "$BH_PROXY_LOG.events"' "the proxy to send the events" || exit 1
run flood
bh_expect_line 60 "$OUT" "$(bh_reg flood "$(bh_ip flood snet44)")"
bh_wait_for 120 '[ "$(grep -c "event start ok1" "$OUT.err")" -ge 20000 ]' "the daemon to read the 20,000 events" ||
	{ tail -n 5 "$OUT.err" >&2; exit 1; }
sleep 1
n=$(( $(grep -c "/containers/$ID/json" "$BH_PROXY_LOG") - before ))
bh_note "B. 20,000 start events for ok1: $n inspections of it"
[ "$n" -ge 1 ] && [ "$n" -le 10 ] || bh_fail "20,000 start events for one id made $n inspections of it"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
