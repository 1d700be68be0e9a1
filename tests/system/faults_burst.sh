#!/bin/sh
# Bursts and a SIGTERM in the middle of a full pass, all real:
#   1. N containers (default 200) started at once (parallel `docker run`):
#      every one registered with its exact value;
#   2. SIGTERM while a full pass over them is in flight: exit 0 within 6 s;
#      a restarted daemon converges again (keys left by the first daemon
#      are kept: shutdown does not withdraw);
#   3. all of them removed at once: every key deleted (DEL, logged);
#   4. nothing stale outlives its expiry.
# Starting 200 containers costs about 0.2-0.3 s each of engine time here (2
# CPUs), so this test takes 80-90 s; the rest of the suite is shorter.
# BH_BURST_N overrides N.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
N=${BH_BURST_N:-200}
bh_stack_start fnet12 172.30.12.0/22
NET=fnet12
EXPIRE=6
REFRESH=2
# (172.30.12.0/22 = 172.30.12-15: room for more than 254 containers.)

bh_verify_write_config "$BH_TMP/beachhead.conf" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH 'log_level = "debug";'
LOG=$BH_TMP/daemon.err
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf"
bh_wait_for "$(bh_t 10)" "grep -q 'started: inspector' '$LOG'" "daemon start" || { cat "$LOG" >&2; exit 1; }

# 1. The burst: 16 `docker run` at a time, specs of every simple shape.
spec() {
	case $(($1 % 4)) in
	0) echo "b$1.example.org" ;;
	1) echo "b$1.example.org:https www.b$1.example.org" ;;
	2) echo "b$1.example.org:http=8080:https=8443" ;;
	3) echo "b$1.example.org:http" ;;
	esac
}
t0=$(date +%s)
i=1
while [ $i -le "$N" ]; do
	printf '%s\n%s\n' "b$i" "BEACHHEAD_DOMAINS=$(spec $i)"
	i=$((i + 1))
done | xargs -d '\n' -n 2 -P 16 sh -c 'docker run -d --name "$1" --network '$NET' -e "$2" bbox:latest sleep 100000 >/dev/null || echo "docker run $1 failed" >&2' sh
started=$(docker ps -q | wc -l)
[ "$started" = "$N" ] || bh_fail "only $started of $N containers run"
t1=$(date +%s)
bh_verify_converges "$(bh_t 20)" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "the burst was not registered exactly"; }
[ "$(bh_redis_cli dbsize)" = "$N" ] || bh_fail "dbsize $(bh_redis_cli dbsize), expected $N"
bh_note "1. $N containers started in $((t1 - t0)) s, all registered $(( $(date +%s) - t1 )) s later"
bh_verify_daemon_alive "$LOG"

# 2. SIGTERM during a full pass.  Poll the debug log for a pass that began
# and has not ended, then signal at once.
in_pass() {
	[ "$(grep -c 'full pass [0-9]* begins' "$LOG")" -gt "$(grep -c 'full pass [0-9]* ends' "$LOG")" ]
}
caught=""
deadline=$(( $(date +%s) + $(bh_t $((REFRESH * 4))) ))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if in_pass; then
		kill -TERM "$BH_DAEMON_PID"
		caught=1
		break
	fi
	sleep 0.01
done
[ -n "$caught" ] || { kill -TERM "$BH_DAEMON_PID"; bh_note "2. no pass caught in flight: SIGTERM sent between passes"; }
sig=$(( $(date +%s%N) / 1000000 ))
bh_wait_for "$(bh_t 6)" "! kill -0 $BH_DAEMON_PID" "the daemon to exit within 6 s of SIGTERM" || { tail -n 20 "$LOG" >&2; exit 1; }
wait "$BH_DAEMON_PID"
rc=$?
took=$(( $(date +%s%N) / 1000000 - sig ))
[ "$rc" = 0 ] || { tail -n 20 "$LOG" >&2; bh_fail "exit status $rc after SIGTERM"; }
# Was the pass really in flight when the daemon began to stop?
if [ -n "$caught" ]; then
	before=$(sed -n '/stopping:/q;p' "$LOG")
	b=$(printf '%s\n' "$before" | grep -c 'full pass [0-9]* begins')
	e=$(printf '%s\n' "$before" | grep -c 'full pass [0-9]* ends')
	if [ "$b" -gt "$e" ]; then
		bh_note "2. SIGTERM during full pass $b: exit 0 after $took ms"
	else
		bh_note "2. the pass ended before the signal was read: exit 0 after $took ms"
	fi
fi
bh_check_valgrind
# Shutdown keeps the keys: they stay valid until they expire.
[ "$(bh_redis_cli dbsize)" = "$N" ] || bh_fail "keys withdrawn at shutdown (dbsize $(bh_redis_cli dbsize))"
mv "$LOG" "$LOG.1"
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf"
t0=$(date +%s)
bh_verify_converges "$(bh_t 10)" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "the restarted daemon did not converge"; }
bh_note "2. restarted daemon converged in $(( $(date +%s) - t0 )) s"

# 3. Remove them all at once (die + destroy events; rm -f is the fastest
# way to end 200 containers here, and leaves the cleanup nothing to do).
# Three newcomers start meanwhile.
t0=$(date +%s)
pids=""
for n in n1 n2 n3; do
	docker run -d --name $n --network $NET -e "BEACHHEAD_DOMAINS=$n.example.org" bbox:latest sleep 100000 >/dev/null &
	pids="$pids $!"
done
docker ps -q --filter name='^b[0-9]' | xargs -n 10 -P 8 docker rm -f >/dev/null || bh_fail "docker rm -f"
for p in $pids; do wait "$p" || bh_fail "docker run of a newcomer failed"; done
t1=$(date +%s)
bh_verify_converges "$(bh_t 10)" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "the removed burst was not withdrawn"; }
[ "$(bh_redis_cli dbsize)" = 3 ] || bh_fail "dbsize $(bh_redis_cli dbsize) after removing the burst"
bh_note "3. $N containers removed in $((t1 - t0)) s, all their keys gone $(( $(date +%s) - t1 )) s later"
n_del=$(grep -c 'withdrawing /beachhead/b' "$LOG")
[ "$n_del" -ge "$N" ] || bh_fail "only $n_del withdrawals (DEL) logged for $N containers"

# 4. Nothing stale outlives its expiry.
bh_verify_nothing_stale $EXPIRE $NET || bh_fail "stale state after expiry"
bh_verify_daemon_alive "$LOG"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
