# Shared helpers for the benchmarks in bench/.  Source it from a bench script;
# the timers (bench_now, bench_measure, bench_ms on their output) need bash
# ($EPOCHREALTIME, $BASHPID), the rest works in any POSIX sh:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/lib.sh"          # sets top_srcdir, top_builddir, BEACHHEAD,
#                             # BEACHHEAD_PLUGIN_PATH and sources tests/lib/common.sh
#   bench_source engine redis # tests/lib/engine.sh, tests/lib/redis.sh
#
# Everything the benches start goes through the test helpers (bh_setup_tmp,
# bh_engine_start_docker, bh_redis_start, bh_on_exit), so the same traps clean
# up: containers first, then the engine, then the temp dir.
# Networks: bench/ owns 172.31.0.0/16 (tests own 172.30.x); never run a bench
# beside `make check`.

# $here: the caller's directory, i.e. bench/.
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$top_srcdir}
BEACHHEAD=${BEACHHEAD:-$top_builddir/beachhead-companion}
# Every plugin directory of the build tree, as tests/local.am does.
BEACHHEAD_PLUGIN_PATH=${BEACHHEAD_PLUGIN_PATH:-$top_builddir/plugins/publisher-stdout/.libs:$top_builddir/plugins/inspector-docker/.libs:$top_builddir/plugins/publisher-redis/.libs:$top_builddir/tests/plugins/.libs}
export top_srcdir top_builddir BEACHHEAD BEACHHEAD_PLUGIN_PATH
. "$top_srcdir/tests/lib/common.sh"

# bench_source engine|redis ...: the test helpers for engines and Redis.
bench_source() {
	for lib in "$@"; do
		. "$top_srcdir/tests/lib/$lib.sh"
	done
}

bench_require_built() {
	[ -x "$BEACHHEAD" ] || bh_fail "$BEACHHEAD not built (run make)"
}

# The benches that drive the daemon with a script need the test-only
# scripted inspector, which `make check` builds.
bench_require_scripted_inspector() {
	[ -e "$top_builddir/tests/plugins/.libs/inspector-scripted.so" ] ||
		bh_fail "the scripted inspector is not built (make check builds it: make -C $top_builddir check TESTS=)"
}

# --- clocks and arithmetic ---

# bench_now: wall clock in seconds with microseconds (no fork).
bench_now() { echo "$EPOCHREALTIME"; }
# bench_ms A B: (B - A) in milliseconds, one decimal.
bench_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
# bench_stats: "median worst" of the numbers on stdin (one decimal).
bench_stats() {
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { printf "%8s %8s", "-", "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%8.1f %8.1f", m, v[NR] }'
}
# bench_median: the median of the numbers on stdin (lower middle for even counts).
bench_median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench_measure CMD...: runs CMD (output discarded) and prints "wall cpu" in
# ms: wall from $EPOCHREALTIME, CPU = user+sys of CMD and its waited-for
# children, from this shell's own /proc/$BASHPID/stat (the `read` builtin, so
# no subshell's counters get in).  CPU resolution: one clock tick (10 ms).
bench_measure() {
	local t0 t1 u0 u1 st rc
	read -r -a st </proc/$BASHPID/stat
	u0=$((st[13] + st[14] + st[15] + st[16]))
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>"$BH_TMP/measure.err"
	rc=$?
	t1=$EPOCHREALTIME
	read -r -a st </proc/$BASHPID/stat
	u1=$((st[13] + st[14] + st[15] + st[16]))
	[ $rc = 0 ] || { cat "$BH_TMP/measure.err" >&2; echo "command failed ($rc): $*" >&2; }
	awk -v a="$t0" -v b="$t1" -v c="$u0" -v d="$u1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%9.1f %9.1f", (b - a) * 1000, (d - c) * 1000 / hz }'
}

# --- a running process, from /proc ---

# bench_cpu_ns PID: CPU time of all threads of PID in nanoseconds (sum of the
# first field of /proc/PID/task/*/schedstat: nanosecond resolution, unlike
# the 10 ms ticks of /proc/PID/stat).
bench_cpu_ns() {
	local sum=0 f v
	for f in /proc/"$1"/task/*/schedstat; do
		read -r v _ <"$f" 2>/dev/null || continue
		sum=$((sum + v))
	done
	echo "$sum"
}

# bench_status PID FIELD: a kB or count field of /proc/PID/status summed over
# the threads for the ctxt_switches fields (VmHWM, VmRSS: the process's).
bench_status() {
	case $2 in
	*ctxt_switches)
		cat /proc/"$1"/task/*/status 2>/dev/null | awk -v f="$2:" '$1 == f { s += $2 } END { print s + 0 }' ;;
	*)
		awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status ;;
	esac
}

# bench_threads PID: number of threads.
bench_threads() { awk '$1 == "Threads:" { print $2 }' /proc/"$1"/status; }

# --- containers ---

# bench_run_containers FROM TO [PARALLEL]: busybox sleep containers cFROM..cTO
# on benchnet with BEACHHEAD_DOMAINS=cN.example.org (the engine is the
# bottleneck; 4 CLI processes in flight keep it busy on 2 cores).
bench_run_containers() {
	[ "$1" -le "$2" ] || return 0
	seq "$1" "$2" | xargs -P "${3:-4}" -I{} docker run -d --name "c{}" --network benchnet \
		-e "BEACHHEAD_DOMAINS=c{}.example.org" bbox:latest sleep 100000 >/dev/null
}

# bench_rm_all_containers: removes every container of the engine, ONE AT A
# TIME through the API.  dockerd 20.10 deadlocks in libnetwork when many
# containers on one user-defined network exit concurrently (`docker rm -f` of
# hundreds of ids runs them in parallel; seen here with 500: every later API
# call on those containers hangs, goroutines stuck in releaseNetwork /
# endpoint.Delete).  Sequential removal avoids it.
bench_rm_all_containers() {
	docker ps -aq --no-trunc 2>/dev/null | while read -r id; do
		curl -s --max-time 60 -X DELETE --unix-socket "$BH_DOCKER_SOCK" \
			"http://d/containers/$id?force=1&v=1" >/dev/null
	done
}

# bench_network: the benches' user-defined network (172.31.0.0/16).
# Its bridge lives in the engine's own network namespace (tests/lib/engine.sh)
# and goes with it; it is still removed at exit (after the containers, before
# the engine), as on an engine in the host's namespace it would outlive it.
bench_network() {
	docker network create --subnet 172.31.0.0/16 benchnet >/dev/null || bh_fail "network create"
	bh_on_exit 'docker network rm benchnet'
}
