#!/bin/sh
# skip_unhealthy against a real dockerd: a container held back because of
# its health is logged once per change of its health state (with that
# state), not once per full pass; once healthy it is registered, and when
# it turns unhealthy again that is news again.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup healthnet 172.30.52.0/24

# Healthy while the file /ok exists; the check runs every 500 ms.
docker run -d --name doc --network healthnet -e BEACHHEAD_DOMAINS=doc.example.org \
	--health-cmd 'test -e /ok' --health-interval 500ms --health-retries 1 --health-start-period 0s \
	bbox:latest sleep 100000 >/dev/null || bh_fail "docker run doc"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; skip_unhealthy = true; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
refresh = 1;
expire = 5;
CONF
OUT=$BH_TMP/out
bh_daemon_start "$OUT" -c "$BH_TMP/beachhead.conf" --no-timestamp
held="container doc: not registered while its health is"
bh_wait_for 10 "grep -q \"$held 'unhealthy'\" '$OUT.err'" "doc unhealthy" || { cat "$OUT.err" >&2; exit 1; }
sleep 3 # three more full passes
for state in starting unhealthy; do
	n=$(grep -c "$held '$state' (skip_unhealthy)" "$OUT.err")
	[ "$n" -le 1 ] || { cat "$OUT.err" >&2; bh_fail "'$state' logged $n times"; }
done
[ "$(grep -c "$held 'unhealthy'" "$OUT.err")" = 1 ] || bh_fail "'unhealthy' not logged"
! grep -q '/beachhead/doc' "$OUT" || bh_fail "doc was published while unhealthy"

docker exec doc sh -c ': >/ok' || bh_fail "docker exec"
bh_wait_for 10 "grep -q '\"key\":\"/beachhead/doc\"' '$OUT'" "doc registered once healthy" || { cat "$OUT.err" >&2; exit 1; }
docker exec doc sh -c 'busybox rm /ok' || bh_fail "docker exec"
bh_wait_for 10 "[ \$(grep -c \"$held 'unhealthy'\" '$OUT.err') = 2 ]" "unhealthy again is news" || { cat "$OUT.err" >&2; exit 1; }
bh_wait_for 5 "grep -q '\"op\":\"del\",\"key\":\"/beachhead/doc\"' '$OUT'" "doc withdrawn" || exit 1
bh_daemon_stop || bh_fail "daemon exited non-zero"
