#!/bin/sh
# Graceful drain against a real dockerd and redis-server: a registration is
# withdrawn at the engine's `kill` event that carries the container's stop
# signal (Config.StopSignal, default SIGTERM) or SIGKILL, not at `die`:
#   * PID 1 traps TERM and takes 3 s to exit: 100 ms after `docker stop -t
#     10` its key is gone while `docker inspect` still says running;
#   * `docker kill -s HUP` (a reload) withdraws nothing;
#   * with --stop-signal USR1, USR1 drains and TERM does not;
#   * a container that survives its stop signal is registered again by the
#     first complete pass after its grace period (--stop-timeout);
#   * drain = false keeps the key until the container is gone.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_setup_tmp
bh_engine_require_docker
bh_redis_require
bh_redis_start
bh_engine_setup drainnet 172.30.50.0/24

# trapper NAME SIGNAL [docker run options]: PID 1 takes 3 s to exit on
# SIGNAL; every other signal is ignored (PID 1 has no default actions).
trapper() {
	name=$1 sig=$2
	shift 2
	docker run -d --name "$name" --network drainnet -e "BEACHHEAD_DOMAINS=$name.example.org" "$@" bbox:latest \
		sh -c "trap 'sleep 3; exit 0' $sig; trap '' HUP; while :; do sleep 0.05; done" >/dev/null ||
		bh_fail "docker run $name"
}
running() { [ "$(docker inspect -f '{{.State.Running}}' "$1")" = true ]; }
has_key() { [ "$(bh_redis_cli exists "/beachhead/$1")" = 1 ]; }
config() { # config FILE EXTRA-INSPECTOR-SETTINGS
	cat >"$1" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; $2 };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
expire = 8;
refresh = 2;
CONF
}
fail() { cat "$BH_TMP/out.err" >&2; bh_fail "$@"; }

trapper slow TERM
trapper hup TERM
trapper usr USR1 --stop-signal USR1
# Ignores TERM (PID 1 without a handler): survives its stop signal.
docker run -d --name survivor --network drainnet --stop-timeout 1 -e BEACHHEAD_DOMAINS=survivor.example.org \
	bbox:latest sh -c 'while :; do sleep 0.05; done' >/dev/null || bh_fail "docker run survivor"
config "$BH_TMP/beachhead.conf" ""
bh_daemon_start "$BH_TMP/out" -c "$BH_TMP/beachhead.conf" --no-timestamp --verbose
bh_redis_wait_keys 4 20 /beachhead/slow /beachhead/hup /beachhead/usr /beachhead/survivor || fail "not registered"

# 1. docker stop: the key goes with the stop signal, not 3 s later at die.
docker stop -t 10 slow >/dev/null &
stop_pid=$!
bh_wait_for 5 "grep -q 'event kill slow' '$BH_TMP/out.err'" "the kill event" || fail "no kill event"
sleep 0.1
has_key slow && fail "slow still registered 100 ms after its stop signal"
running slow || fail "slow is no longer running: the test proves nothing"
wait $stop_pid

# 2. A reload signal withdraws nothing.
docker kill -s HUP hup >/dev/null || bh_fail "docker kill -s HUP"
bh_wait_for 5 "grep -q 'event kill hup' '$BH_TMP/out.err'" "the kill event" || fail "no kill event for hup"
sleep 0.3
has_key hup || fail "a HUP withdrew hup"

# 3. A custom stop signal drains; TERM, not its stop signal, does not.
docker kill -s TERM usr >/dev/null || bh_fail "docker kill -s TERM usr"
bh_wait_for 5 "grep -q 'event kill usr' '$BH_TMP/out.err'" "the kill event" || fail "no kill event for usr"
sleep 0.3
has_key usr || fail "TERM withdrew usr, whose stop signal is USR1"
docker stop -t 10 usr >/dev/null &
stop_pid=$!
bh_wait_for 2 "! has_key usr" "usr withdrawn at USR1" || fail "usr kept its key after its stop signal"
running usr || fail "usr is no longer running"
wait $stop_pid

# 4. A survivor: its stop signal is sent (it ignores it and lives on);
# after its 1 s grace period a complete pass registers it again.
docker kill -s TERM survivor >/dev/null || bh_fail "docker kill -s TERM survivor"
bh_wait_for 2 "! has_key survivor" "survivor withdrawn" || fail "survivor kept its key after its stop signal"
bh_wait_for 10 "has_key survivor" "survivor registered again" || fail "a surviving container stayed withdrawn"
running survivor || fail "survivor exited: the test proves nothing"
grep -q "container survivor: registering" "$BH_TMP/out.err" || fail "no registering line for the survivor"
bh_daemon_stop || fail "daemon exited non-zero"

# 5. drain = false: the key stays until the container is gone.
mv "$BH_TMP/out.err" "$BH_TMP/drain-on.err"
trapper nodrain TERM
config "$BH_TMP/nodrain.conf" "drain = false;"
bh_daemon_start "$BH_TMP/out" -c "$BH_TMP/nodrain.conf" --no-timestamp --verbose
bh_redis_wait_keys 1 20 /beachhead/nodrain || fail "nodrain not registered"
docker stop -t 10 nodrain >/dev/null &
stop_pid=$!
bh_wait_for 5 "grep -q 'event kill nodrain' '$BH_TMP/out.err'" "the kill event" || fail "no kill event for nodrain"
sleep 0.3
has_key nodrain || fail "drain = false: withdrawn at the stop signal"
wait $stop_pid
bh_redis_wait_keys 0 5 /beachhead/nodrain || fail "drain = false: not withdrawn when the container stopped"
bh_daemon_stop || fail "daemon exited non-zero"
