#!/bin/sh
# A SIGHUP storm, all real: the configuration file alternates between valid
# variants and invalid ones (syntax error, unknown plugin, unknown setting,
# wrong type) and the daemon gets a SIGHUP every 150 ms, while containers
# start and stop.  The daemon must stay up, refuse every invalid file with
# a reason (keeping the running configuration), never drop the key of a
# container that runs throughout, and converge exactly once the storm ends.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
bh_stack_start fnet16 172.30.16.0/24
NET=fnet16
EXPIRE=6
REFRESH=2
bh_run steady -e 'BEACHHEAD_DOMAINS=steady.example.org api.steady.example.org:http=8080:https=8443'
bh_run h1 -e BEACHHEAD_DOMAINS=h1.example.org
bh_run h2 -e BEACHHEAD_DOMAINS=h2.example.org:https

CONF=$BH_TMP/beachhead.conf
# Valid variants: refresh 2 or 3, info or debug logging (the publisher's
# settings are the same, so its keys are kept across reloads).
bh_verify_write_config "$BH_TMP/valid0" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH
bh_verify_write_config "$BH_TMP/valid1" "$BH_DOCKER_URL" $NET $EXPIRE 3 'log_level = "debug";'
# Invalid ones: a syntax error, an unknown plugin, unknown settings, a
# wrong type.
bh_verify_write_config "$BH_TMP/invalid0" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH 'log_level = = "info";'
bh_verify_write_config "$BH_TMP/invalid1" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH
sed -i 's|plugin = "inspector-docker";|plugin = "no-such-plugin";|' "$BH_TMP/invalid1"
bh_verify_write_config "$BH_TMP/invalid2" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH 'no_such_setting = 1;'
sed -i 's|inspector = { plugin = "inspector-docker";|inspector = { plugin = "inspector-docker"; bogus = true;|' "$BH_TMP/invalid2"
bh_verify_write_config "$BH_TMP/invalid3" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH 'log_level = 42;'
use() { cp "$BH_TMP/$1" "$CONF.tmp" && mv "$CONF.tmp" "$CONF"; }
use valid0
# Each invalid file is refused at start too (exit 2): proof that they are
# invalid, so the storm's "refused" lines are for the right reason.
for f in invalid0 invalid1 invalid2 invalid3; do
	$BEACHHEAD -c "$BH_TMP/$f" --check-config >/dev/null 2>"$BH_TMP/$f.err"
	rc=$?
	[ "$rc" = 2 ] || { cat "$BH_TMP/$f.err" >&2; bh_fail "$f: --check-config exit $rc, expected 2"; }
done

LOG=$BH_TMP/daemon.err
bh_daemon_start "$BH_TMP/daemon" -c "$CONF"
bh_verify_converges "$(bh_t 10)" $NET $EXPIRE || { cat "$LOG" >&2; bh_fail "no first convergence"; }
steady=$(bh_redis_cli get /beachhead/steady)

i=0
pids=""
ROUNDS=24
t0=$(date +%s)
while [ $i -lt $ROUNDS ]; do
	case $((i % 4)) in
	0 | 2) use "valid$((i / 4 % 2))" ;;
	1) use "invalid$((i / 4 % 4))" ;;
	3) use "invalid$(((i / 4 + 2) % 4))" ;;
	esac
	kill -HUP "$BH_DAEMON_PID" || bh_fail "the daemon died during the storm (round $i)"
	# Every 5th round: a second SIGHUP at once, into the reload in flight.
	[ $((i % 5)) != 4 ] || kill -HUP "$BH_DAEMON_PID" || bh_fail "the daemon died during the storm (round $i)"
	# Containers change under the storm.
	case $((i % 6)) in
	0) bh_run "c$i" -e "BEACHHEAD_DOMAINS=c$i.example.org" & pids="$pids $!" ;;
	3) [ -z "$pids" ] || wait $pids; pids=""; docker stop -t 0 "c$((i - 3))" >/dev/null & pids="$pids $!" ;;
	esac
	sleep 0.15
	[ "$(bh_redis_cli get /beachhead/steady)" = "$steady" ] ||
		bh_fail "round $i: the steady container's key changed or vanished: '$(bh_redis_cli get /beachhead/steady)'"
	i=$((i + 1))
done
[ -z "$pids" ] || wait $pids # (never a bare wait: dockerd and redis-server are children too)
bh_verify_daemon_alive "$LOG"
bh_note "storm: $ROUNDS SIGHUPs in $(( $(date +%s) - t0 )) s"

# The end of the storm: a valid file and one more SIGHUP, once the daemon
# is idle (a SIGHUP during a reload is ignored, by design).
use valid0
sleep 1
n=$(grep -c 'reloaded ' "$LOG")
kill -HUP "$BH_DAEMON_PID"
bh_wait_for "$(bh_t 10)" "[ \$(grep -c 'reloaded ' '$LOG') -gt $n ]" "the final reload" || { tail -n 20 "$LOG" >&2; exit 1; }
bh_verify_converges "$(bh_t 8)" $NET $EXPIRE || { tail -n 40 "$LOG" >&2; bh_fail "no convergence after the storm"; }

reloaded=$(grep -c 'reloaded ' "$LOG")
refused=$(grep -c 'keeping the running' "$LOG")
ignored=$(grep -c 'a reload is already in progress' "$LOG")
bh_note "storm: $reloaded reloads, $refused refused, $ignored ignored (in progress)"
[ "$reloaded" -ge 2 ] || bh_fail "too few successful reloads ($reloaded)"
[ "$refused" -ge 2 ] || bh_fail "too few refusals ($refused)"
# Every refusal names its reason with file:line or the plugin.
grep 'reload: ' "$LOG" | grep 'keeping the running' | grep -v "$CONF:[0-9]*: \|the new configuration was refused" |
	grep . >&2 && bh_fail "a refusal without file:line"
grep -q 'no-such-plugin' "$LOG" || bh_fail "the unknown plugin was never named"
grep -q 'syntax error\|parse error' "$LOG" || bh_fail "the syntax error was never reported"

bh_verify_nothing_stale $EXPIRE $NET || bh_fail "stale state after expiry"
bh_verify_daemon_alive "$LOG"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
