#!/bin/bash
# Graceful drain, measured: how long after `docker stop` the registration
# leaves Redis, and how long the container keeps running after that (the
# window in which a proxy that follows Redis sends it no new requests).
# A throwaway dockerd and redis-server, the daemon with inspector-docker +
# publisher-redis; each container's PID 1 traps SIGTERM and takes
# $DRAIN_EXIT_S seconds to exit (an application finishing its requests).
#
#   bench/drain.sh [RUNS]          (root; from a built tree: make first)
#
# For drain = true (the default) and drain = false, RUNS times:
#   t0 `docker stop -t 10` invoked, t1 the key's "del" keyspace notification
#   (stamped with $EPOCHREALTIME as it arrives, as in bench/run.sh), t2
#   `docker stop` returned (the container has exited).  Reported: t1 - t0
#   (stop -> key gone) and t2 - t1 (how long it still ran without traffic).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source engine redis
set +u
RUNS=${1:-20}
DRAIN_EXIT_S=${DRAIN_EXIT_S:-2}
bench_require_built
bh_setup_tmp
bh_engine_require_docker
bh_redis_require
bh_redis_start
bh_engine_start_docker
bh_engine_import_image
bench_network
bh_on_exit 'bench_rm_all_containers'
bh_redis_cli config set notify-keyspace-events KA >/dev/null || bh_fail "config set"

mkfifo "$BH_TMP/ks.raw" "$BH_TMP/ks.stamped"
redis-cli -s "$BH_REDIS_SOCK" --csv psubscribe '__keyspace@0__:/beachhead/*' >"$BH_TMP/ks.raw" &
bh_on_exit "kill $!"
(while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done <"$BH_TMP/ks.raw" >"$BH_TMP/ks.stamped") &
exec 3<"$BH_TMP/ks.stamped"
while IFS= read -r -t 10 -u 3 l; do case $l in *'"psubscribe"'*) break ;; esac; done
# next_event KEY OP: reads stamped notifications until OP on KEY; sets EV_TS.
next_event() {
	local l
	while IFS= read -r -t 30 -u 3 l; do
		case $l in *"\"__keyspace@0__:$1\",\"$2\"") EV_TS=${l%% *}; return 0 ;; esac
	done
	bh_fail "no $2 notification for $1 within 30 s"
}

ROWS=""
for drain in true false; do
	cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; drain = $drain; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
CONF
	bh_daemon_start "$BH_TMP/daemon-$drain" -c "$BH_TMP/beachhead.conf" --no-timestamp --quiet
	: >"$BH_TMP/gone.ms"
	: >"$BH_TMP/ran.ms"
	for i in $(seq 1 "$RUNS"); do
		name=drain-$drain-$i
		docker run -d --name "$name" --network benchnet -e "BEACHHEAD_DOMAINS=$name.example.org" bbox:latest \
			sh -c "trap 'sleep $DRAIN_EXIT_S; exit 0' TERM; while :; do sleep 0.05; done" >/dev/null ||
			bh_fail "docker run"
		next_event "/beachhead/$name" set
		t0=$EPOCHREALTIME
		docker stop -t 10 "$name" >/dev/null
		t2=$EPOCHREALTIME
		next_event "/beachhead/$name" del
		bench_ms "$t0" "$EV_TS" >>"$BH_TMP/gone.ms"
		echo >>"$BH_TMP/gone.ms"
		bench_ms "$EV_TS" "$t2" >>"$BH_TMP/ran.ms"
		echo >>"$BH_TMP/ran.ms"
		docker rm "$name" >/dev/null
	done
	bh_daemon_stop
	read -r g_med g_max < <(bench_stats <"$BH_TMP/gone.ms")
	read -r r_med r_max < <(bench_stats <"$BH_TMP/ran.ms")
	ROWS="$ROWS| drain = $drain | $g_med | $g_max | $r_med | $(sort -g "$BH_TMP/ran.ms" | head -n 1) |
"
done

cat <<REPORT
#### Drain ($RUNS runs each; PID 1 exits ${DRAIN_EXIT_S} s after SIGTERM; ms)

| setting | \`docker stop\` invoked -> key deleted, median | worst | key deleted -> container exited (\`docker stop\` returned), median | least |
|---|---:|---:|---:|---:|
$ROWS
- $(uname -srm), $(nproc) CPUs; $(dockerd --version); redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')
- commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
REPORT
