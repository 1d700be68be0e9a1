#!/bin/sh
# Full passes degrade per container, never for the whole host, against a
# real dockerd, redis-server and daemon (expire 4 s, refresh 2 s).  Between
# daemon and engine sits tests/inspector-docker/engine-proxy.py, a STAND-IN proxy
# that forwards every request to the real engine and only adds what the
# engine cannot be made to do on demand: inspections that never answer, slow
# answers; it also logs every request.
#   1. an unchanged pass costs the engine one request (the listing);
#   2. four containers whose inspections never answer: the keys of the
#      healthy containers stay present through three expiry periods, a new
#      container is still registered, each stuck one is named once, and they
#      are registered once the engine answers again;
#   3. an engine that answers every request slowly (2 s, under the 3 s
#      timeout): no key lapses;
#   4. a container with a 5 MiB label: the listing still serves everybody
#      (also for a daemon started afterwards), the big one is named once.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
bh_stack_start dnet40 172.30.40.0/24
NET=dnet40
EXPIRE=4
bh_engine_start_proxy
CTL=$BH_PROXY_CTL
PROXY=$BH_PROXY_SOCK

HEALTHY="h1 h2 h3 h4 h5 h6"
for n in $HEALTHY; do bh_run "$n" -e "BEACHHEAD_DOMAINS=$n.example.org"; done
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "unix://$PROXY"; network = "$NET"; timeout_ms = 3000; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
expire = $EXPIRE;
refresh = 2;
timestamps = false;
CONF
LOG=$BH_TMP/daemon.err
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf" --verbose
bh_verify_converges "$(bh_t 15)" "$NET" $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "no first convergence"; }

keys() { for n in "$@"; do printf '/beachhead/%s ' "$n"; done; }
# hold SECONDS NAME...: every key of NAMEs is present at every look (every
# 200 ms) for SECONDS.
hold() {
	hold_end=$(( $(date +%s) + $1 ))
	shift
	hold_keys=$(keys "$@")
	while [ "$(date +%s)" -lt "$hold_end" ]; do
		# shellcheck disable=SC2086 # a list of keys
		present=$(bh_redis_cli exists $hold_keys)
		if [ "$present" != $# ]; then
			for n in "$@"; do
				[ "$(bh_redis_cli exists "/beachhead/$n")" = 1 ] || echo "missing: /beachhead/$n" >&2
			done
			tail -n 30 "$LOG" >&2
			bh_fail "a healthy key lapsed ($present of $# present)"
		fi
		sleep 0.2
	done
}
passes_ended() { grep -c 'full pass [0-9]* ends (complete)' "$LOG"; }
wait_passes() {
	wp_target=$(( $(passes_ended) + $1 ))
	bh_wait_for "$(bh_t 20)" '[ "$(passes_ended)" -ge "$wp_target" ]' "$1 more complete passes" ||
		{ tail -n 30 "$LOG" >&2; exit 1; }
}

# --- 1. One request per unchanged pass.
wait_passes 1
from=$(( $(wc -l <"$BH_TMP/requests") + 1 ))
wait_passes 3
tail -n +"$from" "$BH_TMP/requests" >"$BH_TMP/steady"
lists=$(grep -c '/containers/json$' "$BH_TMP/steady")
others=$(grep -vc '/containers/json$' "$BH_TMP/steady")
bh_note "1. unchanged passes: $lists listings and $others other requests"
[ "$lists" -ge 3 ] || bh_fail "expected at least 3 listings, saw $lists"
[ "$others" = 0 ] || { cat "$BH_TMP/steady" >&2; bh_fail "an unchanged pass sent more than its listing"; }

# --- 2. Four containers whose inspections never answer.
: >"$CTL/hang"
for i in 1 2 3 4; do
	docker create --name "stuck$i" --network "$NET" -e "BEACHHEAD_DOMAINS=stuck$i.example.org" \
		bbox:latest sleep 100000 >>"$CTL/hang" || bh_fail "docker create stuck$i"
done
for i in 1 2 3 4; do docker start "stuck$i" >/dev/null || bh_fail "docker start stuck$i"; done
hold 3 $HEALTHY
bh_run h7 -e "BEACHHEAD_DOMAINS=h7.example.org"
hold $(( 3 * EXPIRE - 3 )) $HEALTHY
bh_redis_wait_keys 1 "$(bh_t 10)" /beachhead/h7 || { tail -n 30 "$LOG" >&2; bh_fail "a new container was not registered while others hang"; }
for i in 1 2 3 4; do
	n=$(grep -c "warning: container stuck$i: cannot inspect" "$LOG")
	[ "$n" = 1 ] || { grep "stuck$i" "$LOG" >&2; bh_fail "stuck$i: its failure logged $n times, expected once"; }
	[ "$(bh_redis_cli exists "/beachhead/stuck$i")" = 0 ] || bh_fail "stuck$i registered without being read"
done
: >"$CTL/hang"
bh_redis_wait_keys 4 "$(bh_t 15)" $(keys stuck1 stuck2 stuck3 stuck4) || { tail -n 30 "$LOG" >&2; bh_fail "stuck containers not registered once the engine answers"; }
grep -q 'container stuck1: readable again' "$LOG" || bh_fail "recovery not logged"
HEALTHY="$HEALTHY h7 stuck1 stuck2 stuck3 stuck4"

# --- 3. A slow engine: every answer takes 2 s (timeout 3 s).
echo 2 >"$CTL/delay"
hold $(( 3 * EXPIRE )) $HEALTHY
echo 0 >"$CTL/delay"
bh_verify_converges "$(bh_t 10)" "$NET" $EXPIRE || bh_fail "no convergence after the slow engine"

# --- 4. A container with a 5 MiB label (through the API: argv cannot carry it).
python3 -c '
import json, sys
json.dump({"Image": "bbox:latest", "Cmd": ["sleep", "100000"], "Env": ["BEACHHEAD_DOMAINS=big.example.org"],
           "Labels": {"huge": "x" * (5 << 20)}, "HostConfig": {"NetworkMode": sys.argv[1]}}, sys.stdout)' $NET >"$BH_TMP/big.json"
curl -sf --unix-socket "$BH_DOCKER_SOCK" -H 'Content-Type: application/json' --data-binary @"$BH_TMP/big.json" \
	'http://d/containers/create?name=big' >/dev/null || bh_fail "create big"
docker start big >/dev/null || bh_fail "start big"
export BH_VERIFY_IGNORE=big
hold $(( 2 * EXPIRE )) $HEALTHY
wait_passes 2
n=$(grep -c 'error: container big: larger than max_response_bytes' "$LOG")
[ "$n" = 1 ] || { grep 'container big' "$LOG" | cut -c1-200 >&2; bh_fail "big: logged $n times, expected once"; }
[ "$(bh_redis_cli exists /beachhead/big)" = 0 ] || bh_fail "big registered"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind

# A daemon started now: its first listing holds the big one, and everybody
# else is registered all the same.
bh_redis_cli flushall >/dev/null
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf" --verbose
bh_verify_converges "$(bh_t 15)" "$NET" $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "a fresh daemon did not register the others"; }
wait_passes 2
n=$(grep -c 'error: container big: larger than max_response_bytes' "$LOG")
[ "$n" = 1 ] || { grep 'container big' "$LOG" | cut -c1-200 >&2; bh_fail "fresh daemon: big logged $n times, expected once"; }
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
