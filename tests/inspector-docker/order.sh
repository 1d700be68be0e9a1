#!/bin/sh
# Withdrawals go by id and the engine's state wins over the order of events;
# a real dockerd behind tests/inspector-docker/engine-proxy.py (a STAND-IN proxy: every
# request goes to the real engine; it only injects or reorders events, which
# a real engine cannot be made to do on demand):
#   A. a kill event (the stop signal) for an id the daemon does not know,
#      carrying the name of a running registered container, withdraws
#      nothing (ignored, at debug level);
#   B. a restart whose die event arrives after its start event: the
#      container stays registered (its own inspection says it runs);
#   C. the drain at the stop signal stays immediate for a known container;
#   D. a container that exits by itself is withdrawn once its inspection
#      confirms the die;
#   E. a container that exits by itself while an inspection of it hangs
#      (its confirmation would queue behind that one, up to twice timeout_ms)
#      is withdrawn at once: the engine cannot say in time, the die stands.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy onet45 172.30.45.0/24

run() { bh_run_domain onet45 "$@"; }
bh_daemon_conf "unix://$BH_PROXY_SOCK" "timeout_ms = 30000;"
OUT=$BH_TMP/out
run web
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web "$(bh_ip web onet45)")"
# The stream is open once the first pass ends (it opens first).
bh_wait_for 10 'grep -q "full pass 1 ends" "$OUT.err"' "the first pass" || exit 1

# --- A. A kill for an unknown id, named like a running container.
GHOST=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf '{"status":"kill","id":"%s","Type":"container","Action":"kill","Actor":{"ID":"%s","Attributes":{"name":"web","signal":"15"}}}\n' \
	"$GHOST" "$GHOST" >"$CTL/inject"
bh_wait_for 10 'grep -q "event kill web" "$OUT.err"' "the daemon to read the kill event" || { cat "$OUT.err" >&2; exit 1; }
sleep 0.5
grep -qF "$(bh_del web)" "$OUT" && { cat "$OUT" >&2; bh_fail "a kill event for an unknown id withdrew web"; }
grep -q 'event kill about 0123456789ab, a container not known here: ignored' "$OUT.err" ||
	{ cat "$OUT.err" >&2; bh_fail "the unknown id was not said to be ignored"; }

# --- B. A restart's die after its start.
docker inspect -f '{{.Id}}' web >"$CTL/hold_die"
docker restart -t 1 web >/dev/null || bh_fail "docker restart"
bh_wait_for 10 '[ -e "$CTL/hold_die.released" ]' "the late die event" || exit 1
bh_wait_for 5 'grep -q "event die web" "$OUT.err"' "the daemon to read the late die" || exit 1
sleep 1
[ "$(docker inspect -f '{{.State.Running}}' web)" = true ] || bh_fail "web does not run after its restart"
grep '"/beachhead/web"' "$OUT" | tail -n 1 | grep -qxF "$(bh_reg web "$(bh_ip web onet45)")" ||
	{ cat "$OUT" >&2; grep web "$OUT.err" | tail -n 20 >&2; bh_fail "web is not registered after a late die"; }

# --- C. The drain at the stop signal is immediate for a known container.
n=$(grep -c "$(bh_del web)" "$OUT")
docker stop -t 5 web >/dev/null &
STOPPER=$!
bh_wait_for 3 '[ "$(grep -c "$(bh_del web)" "$OUT")" -gt "$n" ]' "web withdrawn at its stop signal" || exit 1
wait $STOPPER
# --- D. A container that exits by itself (die, no kill: nothing to drain):
# its die is confirmed by its inspection, also when the network disconnect
# that follows the die overtakes that inspection.
docker run -d --name brief --network onet45 -e BEACHHEAD_DOMAINS=brief.example.org bbox:latest sleep 4 >/dev/null ||
	bh_fail "docker run brief"
bh_expect_line 10 "$OUT" "$(bh_reg brief "$(bh_ip brief onet45)")"
bh_expect_line 20 "$OUT" "$(bh_del brief)"
# --- E. It exits while an inspection of it hangs (a network connect's).
docker network create --subnet 172.30.48.0/24 onet48 >/dev/null || bh_fail "network create"
docker run -d --name wedged --network onet45 -e BEACHHEAD_DOMAINS=wedged.example.org bbox:latest sleep 12 >/dev/null ||
	bh_fail "docker run wedged"
bh_expect_line 10 "$OUT" "$(bh_reg wedged "$(bh_ip wedged onet45)")"
WID=$(docker inspect -f '{{.Id}}' wedged)
echo "$WID" >>"$CTL/hang"
docker network connect onet48 wedged || bh_fail "docker network connect"
bh_wait_for 5 'grep -q "/containers/$WID/json" "$BH_PROXY_LOG"' "the inspection that hangs" || exit 1
[ "$(docker inspect -f '{{.State.Running}}' wedged)" = true ] || bh_fail "wedged exited too early: too slow a machine?"
docker wait wedged >/dev/null
bh_expect_line 8 "$OUT" "$(bh_del wedged)"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
