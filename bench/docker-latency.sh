#!/bin/bash
# Benchmark of inspector-docker against a throwaway real dockerd:
#   1. event latency: from `docker run -d` returning to the registration line
#      on the daemon's stdout, and from `docker stop` to the withdrawal line
#      (median and worst of $RUNS);
#   2. one full pass (--refresh 0 --enumerate --dry-run) over 100 and 500
#      running containers: wall and CPU time, next to `docker inspect` of the
#      same containers (the docker CLI, one request per container... in one
#      process).
# Needs root, dockerd, busybox.  Usage (from the build tree, after make):
#   bench/docker-latency.sh [RUNS] [SIZES...]      default: 20 100 500
# Timestamps come from bash's $EPOCHREALTIME (no fork per line), so the
# resolution is well below a millisecond.
# bench/run.sh measures the same against Redis (keyspace notifications),
# plus memory and idle wakeups; both share bench/lib.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # paths, BEACHHEAD, BEACHHEAD_PLUGIN_PATH, tests/lib/common.sh
bench_source engine
set +u

RUNS=${1:-20}
shift
SIZES=${*:-100 500}
bench_require_built
bh_setup_tmp
bh_engine_require_docker
bh_engine_start_docker
bh_engine_import_image
bench_network
# Containers one at a time before the engine goes: a single `docker rm -f`
# of 500 ids deadlocks dockerd 20.10 (see bench_rm_all_containers).
bh_on_exit 'bench_rm_all_containers'

now() { bench_now; }
ms() { bench_ms "$@"; }
stats() { bench_stats; }

# --- 1. event latency ---
OUT=$BH_TMP/stamped
FIFO=$BH_TMP/fifo
mkfifo "$FIFO"
# The reader stamps each line the moment it arrives.
(while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done <"$FIFO" >"$OUT") &
READER=$!
"$BEACHHEAD" --dry-run --enumerate --no-timestamp --quiet --docker-url "$BH_DOCKER_URL" >"$FIFO" 2>"$BH_TMP/daemon.err" &
DAEMON=$!
bh_on_exit "kill $DAEMON; kill $READER"
sleep 1
# wait_line PATTERN: prints the stamp of the first line matching PATTERN.
wait_line() {
	for _ in $(seq 1 2000); do
		s=$(grep -F -- "$1" "$OUT" | head -n 1 | cut -d' ' -f1)
		[ -n "$s" ] && { echo "$s"; return 0; }
		sleep 0.005
	done
	echo "timeout waiting for $1" >&2
	return 1
}
: >"$BH_TMP/run.ms"
: >"$BH_TMP/runinv.ms"
: >"$BH_TMP/stop.ms"
: >"$BH_TMP/stopret.ms"
for i in $(seq 1 "$RUNS"); do
	t0=$(now)
	docker run -d --name "lat$i" --network benchnet -e "BEACHHEAD_DOMAINS=lat$i.example.org" bbox:latest sleep 1000 >/dev/null || bh_fail run
	t=$(now)
	s=$(wait_line "\"op\":\"set\",\"key\":\"/beachhead/lat$i\"") || exit 1
	ms "$t" "$s" >>"$BH_TMP/run.ms"; echo >>"$BH_TMP/run.ms"
	ms "$t0" "$s" >>"$BH_TMP/runinv.ms"; echo >>"$BH_TMP/runinv.ms"
	t=$(now)
	docker stop -t 0 "lat$i" >/dev/null || bh_fail stop
	t2=$(now)
	s=$(wait_line "\"op\":\"del\",\"key\":\"/beachhead/lat$i\"") || exit 1
	ms "$t" "$s" >>"$BH_TMP/stop.ms"; echo >>"$BH_TMP/stop.ms"
	ms "$t2" "$s" >>"$BH_TMP/stopret.ms"; echo >>"$BH_TMP/stopret.ms"
	docker rm "lat$i" >/dev/null
done
kill "$DAEMON" "$READER" 2>/dev/null
wait "$DAEMON" 2>/dev/null

# --- 2. full passes ---
# measure CMD...: "wall cpu" in ms (bench/lib.sh).
measure() { bench_measure "$@"; }
have=0
PASSROWS=""
for n in $SIZES; do
	# Containers are added up to n, in parallel (the engine is the bottleneck).
	bench_run_containers $((have + 1)) "$n" 4 || bh_fail "creating containers"
	have=$n
	running=$(docker ps -q | wc -l)
	# A warm-up pass, then the measured one.
	"$BEACHHEAD" --dry-run --refresh 0 --enumerate --quiet --docker-url "$BH_DOCKER_URL" >/dev/null 2>&1
	bh=$(measure "$BEACHHEAD" --dry-run --refresh 0 --enumerate --quiet --docker-url "$BH_DOCKER_URL")
	lines=$("$BEACHHEAD" --dry-run --refresh 0 --enumerate --quiet --docker-url "$BH_DOCKER_URL" 2>/dev/null | wc -l)
	di=$(measure sh -c 'docker inspect $(docker ps -q) >/dev/null')
	PASSROWS="$PASSROWS$(printf '%6s %8s %6s  %s   %s' "$n" "$running" "$lines" "$bh" "$di")
"
done

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(dockerd --version)"
echo
echo "Event latency over $RUNS runs (ms)              median    worst"
printf '  docker run -d invoked -> set line        %s\n' "$(stats <"$BH_TMP/runinv.ms")"
printf '  docker run -d returned -> set line       %s\n' "$(stats <"$BH_TMP/run.ms")"
printf '  docker stop -t 0 invoked -> del line     %s\n' "$(stats <"$BH_TMP/stop.ms")"
printf '  docker stop -t 0 returned -> del line    %s\n' "$(stats <"$BH_TMP/stopret.ms")"
echo "  (negative: the line was out before the docker CLI returned)"
echo
echo "One full pass (--refresh 0 --enumerate --dry-run) vs docker inspect \$(docker ps -q), ms"
echo "  size  running  lines  bh wall   bh cpu    inspect wall inspect cpu"
printf '%s' "$PASSROWS" | sed 's/^/  /'
