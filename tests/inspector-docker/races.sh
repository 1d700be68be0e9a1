#!/bin/sh
# Races between full passes and events, against a real dockerd, through
# tests/inspector-docker/engine-proxy.py (a STAND-IN proxy that forwards every request
# to the real engine and can deliver the container listing late):
#   A. network connect/disconnect: the address follows at once (the refresh
#      is long), also back when the preferred network is left;
#   B. a name reused during a pass (`docker rm -f web; docker run --name
#      web`) while the pass's listing still shows the old container: the
#      new web is never withdrawn;
#   C. a container destroyed while the pass's listing shows it: withdrawn,
#      not brought back by the stale listing;
#   D. skip_unhealthy through unchanged passes (which read health from the
#      listing's Status text): starting -> not registered, healthy ->
#      registered, unhealthy -> withdrawn and not brought back by a pass.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy rnet41 172.30.41.0/25 rnet41b 172.30.41.128/25
PROXY=$BH_PROXY_SOCK

run() { docker run -d --network rnet41 "$@" bbox:latest sleep 100000 >/dev/null || bh_fail "docker run $*"; }
conf() {
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "unix://$PROXY"; network = "rnet41b"; skip_unhealthy = true; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 60;
refresh = $1;
timestamps = false;
CONF
}
OUT=$BH_TMP/out

# --- A. Network connect/disconnect (refresh 60 s: only events can act).
run --name mover -e BEACHHEAD_DOMAINS=mover.example.org
conf 60
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg mover "$(bh_ip mover rnet41)")"
docker network connect rnet41b mover || bh_fail "network connect"
bh_expect_line 3 "$OUT" "$(bh_reg mover "$(bh_ip mover rnet41b)")"
n=$(wc -l <"$OUT")
docker network disconnect rnet41b mover || bh_fail "network disconnect"
bh_wait_for 3 '[ "$(wc -l <"$OUT")" -gt "$n" ]' "a new registration after the disconnect" || exit 1
tail -n 1 "$OUT" | grep -qxF "$(bh_reg mover "$(bh_ip mover rnet41)")" ||
	bh_fail "after the disconnect: $(tail -n 1 "$OUT")"
bh_daemon_stop || bh_fail "daemon exit status $?"

# --- B and C. The listing is delivered 3 s late (refresh 2 s).
run --name web -e BEACHHEAD_DOMAINS=web.example.org
run --name doomed -e BEACHHEAD_DOMAINS=doomed.example.org
conf 2
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web "$(bh_ip web rnet41)")"
bh_expect_line 5 "$OUT" "$(bh_reg doomed "$(bh_ip doomed rnet41)")"
echo 3 >"$CTL/list_delay"
# A pass begins: its listing is taken now, delivered in 3 s.
lists() { grep -c '/containers/json$' "$BH_TMP/requests"; }
l=$(lists)
bh_wait_for 10 '[ "$(lists)" -gt "$l" ]' "a pass's listing" || exit 1
sleep 0.3
docker rm -f web doomed >/dev/null || bh_fail "rm -f"
run --name web -e BEACHHEAD_DOMAINS=web.example.org
NEW=$(docker inspect -f '{{.Id}}' web)
bh_expect_line 5 "$OUT" "$(bh_del doomed)"
# The new web is registered by its start event (its address may equal the
# old one's: the line to wait for is the set after the withdrawal).
bh_wait_for 5 'sed -n "/\"del\",\"key\":\"\/beachhead\/web\"/,\$p" "$OUT" | grep -qF "\"set\",\"key\":\"/beachhead/web\""' \
	"the new web's registration" || { cat "$OUT" >&2; exit 1; }
mark=$(wc -l <"$OUT")
# The stale listing arrives, two more passes follow.
l=$(lists)
bh_wait_for 20 '[ "$(lists)" -ge $((l + 2)) ]' "two more passes" || exit 1
echo 0 >"$CTL/list_delay"
sleep 4
tail -n +"$((mark + 1))" "$OUT" >"$BH_TMP/after"
if grep -qF "$(bh_del web)" "$BH_TMP/after"; then
	cat "$OUT" >&2
	grep -i 'web' "$OUT.err" | tail -n 20 >&2
	bh_fail "the new web was withdrawn by an answer about the old one"
fi
grep -q '"/beachhead/doomed"' "$BH_TMP/after" && { cat "$BH_TMP/after" >&2; bh_fail "doomed brought back by a stale listing"; }
[ "$(docker inspect -f '{{.Id}}' web)" = "$NEW" ] || bh_fail "web changed under the test"

# --- D. Health through the listing.
run --name sick -e BEACHHEAD_DOMAINS=sick.example.org --health-cmd 'test -s /ok' \
	--health-interval 1s --health-retries 1
l=$(lists)
bh_wait_for 10 '[ "$(lists)" -ge $((l + 2)) ]' "two passes while sick starts" || exit 1
grep -q '"/beachhead/sick"' "$OUT" && bh_fail "sick registered while its health is starting"
docker exec sick sh -c 'echo ok >/ok' || bh_fail "docker exec"
bh_expect_line 10 "$OUT" "$(bh_reg sick "$(bh_ip sick rnet41)")"
docker exec sick sh -c ': >/ok' || bh_fail "docker exec"
bh_expect_line 10 "$OUT" "$(bh_del sick)"
mark=$(wc -l <"$OUT")
l=$(lists)
bh_wait_for 10 '[ "$(lists)" -ge $((l + 2)) ]' "two passes while sick is unhealthy" || exit 1
sleep 0.5
tail -n +"$((mark + 1))" "$OUT" | grep -q '"/beachhead/sick"' &&
	{ cat "$OUT" >&2; bh_fail "a pass registered the unhealthy sick again"; }
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
