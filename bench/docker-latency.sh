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
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$top_srcdir}
BEACHHEAD=${BEACHHEAD:-$top_builddir/beachhead-companion}
BEACHHEAD_PLUGIN_PATH=${BEACHHEAD_PLUGIN_PATH:-$top_builddir/plugins/publisher-stdout/.libs:$top_builddir/plugins/inspector-docker/.libs}
export top_srcdir top_builddir BEACHHEAD BEACHHEAD_PLUGIN_PATH
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
set +u

RUNS=${1:-20}
shift
SIZES=${*:-100 500}
[ -x "$BEACHHEAD" ] || { echo "build first: $BEACHHEAD missing" >&2; exit 2; }
bh_setup_tmp
bh_engine_require_docker
bh_engine_start_docker
bh_engine_import_image
docker network create --subnet 172.31.0.0/16 benchnet >/dev/null || bh_fail "network create"

now() { echo "$EPOCHREALTIME"; }
# ms A B: (B - A) in milliseconds with one decimal.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
# stats: median and max of the numbers on stdin.
stats() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%8.1f %8.1f", m, v[NR] }'; }

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
# CPU clock ticks are read with the read builtin: a $(awk ...) would read
# the counters of its own subshell.
# measure CMD...: runs CMD, prints "wall cpu" (user+sys, CMD and its
# children) in ms.
measure() {
	local t0 t1 u0 u1 st
	read -r -a st </proc/$BASHPID/stat
	u0=$((st[13] + st[14] + st[15] + st[16]))
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>"$BH_TMP/measure.err"
	local rc=$?
	t1=$EPOCHREALTIME
	read -r -a st </proc/$BASHPID/stat
	u1=$((st[13] + st[14] + st[15] + st[16]))
	[ $rc = 0 ] || { cat "$BH_TMP/measure.err" >&2; echo "command failed ($rc): $*" >&2; }
	awk -v a="$t0" -v b="$t1" -v c="$u0" -v d="$u1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%9.1f %9.1f", (b - a) * 1000, (d - c) * 1000 / hz }'
}
have=0
PASSROWS=""
for n in $SIZES; do
	# Containers are added up to n, in parallel (the engine is the bottleneck).
	seq $((have + 1)) "$n" | xargs -P 4 -I{} docker run -d --name "c{}" --network benchnet \
		-e "BEACHHEAD_DOMAINS=c{}.example.org" bbox:latest sleep 100000 >/dev/null || bh_fail "creating containers"
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
