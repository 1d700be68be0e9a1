#!/bin/sh
# Fault injection on the store, all real (dockerd + daemon + redis-server):
#   1. Redis unreachable when the daemon starts (started seconds later);
#   2. Redis killed (SIGKILL) and restarted empty, while containers change;
#   3. FLUSHALL on a live connection.
# After each fault the registrations converge to exactly what the running
# containers ask for (tests/lib/verify.sh), and nothing stale outlives its
# expiry.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
BH_STACK_NO_REDIS=1
bh_stack_start fnet10 172.30.10.0/24
NET=fnet10
EXPIRE=6
REFRESH=2
bh_run r1 -e BEACHHEAD_DOMAINS=r1.example.org
bh_run r2 -e 'BEACHHEAD_DOMAINS=r2.example.org:http=8080:https=8443 admin.r2.example.org:https'
bh_run r3 # no variable: no key
bh_run r4 -e 'BEACHHEAD_DOMAINS=r4.example.org:http'

# 1. Redis does not exist yet: its socket path is known in advance.
BH_REDIS_SOCK=$BH_TMP/redis/redis.sock
bh_verify_write_config "$BH_TMP/beachhead.conf" "$BH_DOCKER_URL" $NET $EXPIRE $REFRESH
LOG=$BH_TMP/daemon.err
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf"
bh_wait_for "$(bh_t 10)" "grep -q 'started: inspector' '$LOG'" "daemon start" || { cat "$LOG" >&2; exit 1; }
bh_wait_for "$(bh_t 10)" "grep -q 'container r1: registering' '$LOG'" "r1 to be registered in the core" || { cat "$LOG" >&2; exit 1; }
bh_run r5 -e BEACHHEAD_DOMAINS=r5.example.org # an event while Redis is absent
sleep 2
bh_verify_daemon_alive "$LOG"
bh_redis_start
t0=$(date +%s)
bh_verify_converges "$(bh_t 5)" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "no convergence after Redis appeared"; }
bh_note "1. redis late: converged $(( $(date +%s) - t0 )) s after redis started"
# The checker catches what it must: a stale key, a key for a container
# without domains, a wrong value, a key without TTL.  The daemon is frozen
# (SIGSTOP) meanwhile, so that its refresh cannot repair the tampering.
kill -STOP "$BH_DAEMON_PID"
good=$(bh_redis_cli get /beachhead/r4)
tamper() { # KEY what redis-cli-SET-arguments...
	k=$1
	what=$2
	shift 2
	old=$(bh_redis_cli get "$k")
	bh_redis_cli set "$k" "$@" >/dev/null
	bh_verify_registrations $NET $EXPIRE 2>/dev/null && { kill -CONT "$BH_DAEMON_PID"; bh_fail "verify missed $what"; }
	if [ -n "$old" ]; then bh_redis_cli set "$k" "$old" ex $EXPIRE >/dev/null; else bh_redis_cli del "$k" >/dev/null; fi
}
tamper /beachhead/ghost "a stale key" '[]' ex 60
tamper /beachhead/r3 "a key of a container without domains" '[]' ex 60
tamper /beachhead/r4 "a wrong value" "${good%]},{}]" ex $EXPIRE
tamper /beachhead/r4 "a key without TTL" "$good"
kill -CONT "$BH_DAEMON_PID"
# (Keys may have expired while the daemon was frozen: the refresh heals.)
bh_verify_converges "$(bh_t $((REFRESH + 3)))" $NET $EXPIRE || bh_fail "no convergence after the checker's self-test"

# 2. Killed and restarted empty; containers change during the outage.
bh_redis_kill KILL
docker stop -t 0 r1 >/dev/null || bh_fail "docker stop r1"
bh_run r6 -e 'BEACHHEAD_DOMAINS=r6.example.org r6b.example.org:https=8443'
sleep 1
bh_verify_daemon_alive "$LOG"
bh_redis_restart
t0=$(date +%s)
bh_verify_converges "$(bh_t 5)" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "no convergence after the Redis restart"; }
bh_note "2. redis restart: converged $(( $(date +%s) - t0 )) s after redis came back"

# 3. FLUSHALL: healed by the next refresh (at most REFRESH s).
bh_redis_cli flushall >/dev/null || bh_fail "flushall"
t0=$(date +%s)
bh_verify_converges "$(bh_t $((REFRESH + 3)))" $NET $EXPIRE || { tail -n 30 "$LOG" >&2; bh_fail "FLUSHALL not healed"; }
bh_note "3. flushall: healed within $(( $(date +%s) - t0 )) s"

# A change after all that still acts at once.
docker rm -f r2 >/dev/null || bh_fail "docker rm r2"
bh_wait_for "$(bh_t 3)" '[ "$(bh_redis_cli exists /beachhead/r2)" = 0 ]' "r2 to be deleted" || exit 1

bh_verify_nothing_stale $EXPIRE $NET || bh_fail "stale state after expiry"
bh_verify_daemon_alive "$LOG"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
