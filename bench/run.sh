#!/bin/bash
# The benchmark of the product as it runs: a throwaway Docker Engine, a
# throwaway redis-server and the real daemon (inspector-docker +
# publisher-redis, --enumerate), measured from the outside.
#
#   bench/run.sh [OUTDIR]          (root; from a built tree: make first)
#
# Environment:
#   BENCH_SIZES="100 500 1000"  running containers for the full-pass figures
#   BENCH_RUNS=50               docker run/stop cycles for convergence
#   BENCH_PASSES=3              full passes measured per size (median)
#   BENCH_IDLE=30               seconds of idle observation (wakeups)
#   BENCH_REFRESH=5             refresh interval of the measured daemon
#   BENCH_CREATE_BUDGET=600     seconds allowed for starting containers in
#                               total; the sizes stop at what fits
#   BENCH_PARALLEL=4            docker run processes in flight
# Writes OUTDIR (default ./bench-out): results.md (also printed), passes.tsv,
# convergence.tsv, and performance.png when gnuplot is installed.
#
# What is measured (details in docs/PERFORMANCE.md):
#  1. idle: daemon with --refresh 600 --expire 3600, 0 containers: voluntary
#     and involuntary context switches over BENCH_IDLE s (/proc/PID/task/*/
#     status), VmHWM/VmRSS.  Repeated at the largest size.
#  2. convergence: Redis keyspace notifications (notify-keyspace-events KA,
#     redis-cli --csv psubscribe) are stamped by a bash loop with
#     $EPOCHREALTIME as they arrive; the script reads them from a FIFO (no
#     polling).  `docker run -d` returning -> "set" of the key, `docker stop
#     -t 0` returning -> "del".  The notification path (Redis -> redis-cli ->
#     stamper) is calibrated with SETs sent from bash over /dev/tcp.
#  3. full pass at each size: the daemon (--refresh BENCH_REFRESH --verbose)
#     logs "full pass N begins/ends" with ms timestamps: wall = ends - begins;
#     its CPU is read from /proc/PID/task/*/schedstat (ns) between two idle
#     moments around one pass.  Next to it, a one-pass process (--refresh 0,
#     start to exit) and `docker inspect $(docker ps -q)`, wall and CPU
#     (user+sys of the process and children, 10 ms ticks), plus the engine's
#     (dockerd's, schedstat) CPU while each of those two runs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source engine redis

OUTDIR=${1:-${BENCH_OUT:-$PWD/bench-out}}
BENCH_SIZES=${BENCH_SIZES:-100 500 1000}
BENCH_RUNS=${BENCH_RUNS:-50}
BENCH_PASSES=${BENCH_PASSES:-3}
BENCH_IDLE=${BENCH_IDLE:-30}
BENCH_REFRESH=${BENCH_REFRESH:-5}
BENCH_CREATE_BUDGET=${BENCH_CREATE_BUDGET:-600}
BENCH_PARALLEL=${BENCH_PARALLEL:-4}

bench_require_built
bh_engine_require_docker
bh_redis_require
mkdir -p "$OUTDIR" || bh_fail "mkdir $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
T_START=$EPOCHREALTIME
say() { echo "# $(date +%T) $*" >&2; }

bh_setup_tmp
bh_engine_start_docker
bh_engine_import_image
bench_network
# Registered after the engine and the network: runs before their cleanup
# (last first), one container at a time (see bench_rm_all_containers).
bh_on_exit 'bench_rm_all_containers'
bh_redis_start
bh_redis_cli config set notify-keyspace-events KA >/dev/null || bh_fail "config set"
DOCKERD_PID=$(cat "$BH_TMP/engine/dockerd.pid")
say "engine (dockerd $DOCKERD_PID) and redis-server (127.0.0.1:$BH_REDIS_PORT) up"

DAEMON_ARGS=(--enumerate --redis-host 127.0.0.1 --redis-port "$BH_REDIS_PORT" --docker-url "$BH_DOCKER_URL")

# wait_log FILE TEXT [TIMEOUT]: until a line of FILE contains TEXT (0.1 s polls).
wait_log() {
	BENCH_WL_FILE=$1 BENCH_WL_TEXT=$2
	bh_wait_for "${3:-60}" 'grep -qF -- "$BENCH_WL_TEXT" "$BENCH_WL_FILE"' "$2 in $1"
}
# log_ts FILE TEXT: epoch seconds (ms) of the first log line containing TEXT.
log_ts() {
	grep -F -- "$2" "$1" | head -n 1 | awk '{
		split($1, a, "T"); split(a[1], d, "-"); split(substr(a[2], 1, 12), t, ":")
		# days since the epoch (civil from days), enough for a difference
		y = d[1]; m = d[2]; dd = d[3]; if (m <= 2) { y--; m += 12 }
		days = 365 * y + int(y / 4) - int(y / 100) + int(y / 400) + int((153 * (m - 3) + 2) / 5) + dd
		printf "%.3f\n", days * 86400 + t[1] * 3600 + t[2] * 60 + t[3] }'
}

# idle_measure LABEL: a fresh daemon that should sleep between refreshes;
# appends one row to IDLE_ROWS.
IDLE_ROWS=""
idle_measure() {
	local label=$1 pid v0 v1 n0 n1 c0 c1
	bh_daemon_start "$BH_TMP/idle.out" "${DAEMON_ARGS[@]}" --refresh 600 --expire 3600 --verbose
	pid=$BH_DAEMON_PID
	wait_log "$BH_TMP/idle.out.err" "full pass 1 ends" 120 || bh_fail "idle daemon: no first pass"
	sleep 2
	v0=$(bench_status "$pid" voluntary_ctxt_switches)
	n0=$(bench_status "$pid" nonvoluntary_ctxt_switches)
	c0=$(bench_cpu_ns "$pid")
	sleep "$BENCH_IDLE"
	v1=$(bench_status "$pid" voluntary_ctxt_switches)
	n1=$(bench_status "$pid" nonvoluntary_ctxt_switches)
	c1=$(bench_cpu_ns "$pid")
	IDLE_ROWS="$IDLE_ROWS| $label | $BENCH_IDLE | $((v1 - v0)) | $((n1 - n0)) | $(awk -v a=$((v1 - v0)) -v s="$BENCH_IDLE" 'BEGIN { printf "%.1f", a * 60 / s }') | $(awk -v c=$((c1 - c0)) 'BEGIN { printf "%.3f", c / 1e6 }') | $(bench_status "$pid" VmHWM) | $(bench_status "$pid" VmRSS) | $(bench_threads "$pid") |
"
	# What wakes it: 10 s of syscalls, after the counting (strace costs).
	if [ -n "${BENCH_STRACE:-1}" ] && command -v strace >/dev/null 2>&1; then
		timeout 10 strace -f -tt -p "$pid" -o "$OUTDIR/idle-strace-${label%% *}.txt" 2>/dev/null
	fi
	bh_daemon_stop
	say "idle ($label): $((v1 - v0)) voluntary, $((n1 - n0)) involuntary switches in $BENCH_IDLE s"
}

# --- 1. idle, no containers ---
say "idle daemon, 0 containers, ${BENCH_IDLE}s"
idle_measure "0 containers"

# --- 2. convergence ---
say "convergence: $BENCH_RUNS docker run/stop cycles"
mkfifo "$BH_TMP/ks.raw" "$BH_TMP/ks.stamped"
redis-cli -s "$BH_REDIS_SOCK" --csv psubscribe '__keyspace@0__:/beachhead/*' '__keyspace@0__:/benchprobe' >"$BH_TMP/ks.raw" &
SUB_PID=$!
bh_on_exit "kill $SUB_PID"
(while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done <"$BH_TMP/ks.raw" >"$BH_TMP/ks.stamped") &
exec 3<"$BH_TMP/ks.stamped"
# next_event KEY OP: reads stamped notifications until OP on KEY; sets EV_TS.
next_event() {
	local l
	while IFS= read -r -t 20 -u 3 l; do
		case $l in
		*"\"__keyspace@0__:$1\",\"$2\"") EV_TS=${l%% *}; return 0 ;;
		esac
	done
	bh_fail "no $2 notification for $1 within 20 s"
}
# Both subscriptions confirmed.
for _ in 1 2; do
	while IFS= read -r -t 10 -u 3 l; do case $l in *'"psubscribe"'*) break ;; esac; done
done
# Calibration of the notification path: SET from bash over /dev/tcp; the
# stamp minus the moment the reply was read = what the path adds (at most).
exec 4<>"/dev/tcp/127.0.0.1/$BH_REDIS_PORT" || bh_fail "/dev/tcp"
: >"$BH_TMP/probe.ms"
for i in $(seq 1 20); do
	t0=$EPOCHREALTIME
	# one write (several small ones would meet Nagle + delayed ACK: 40 ms)
	printf -v cmd 'SET /benchprobe %s\r\n' "$i"
	printf '%s' "$cmd" >&4
	IFS= read -r reply <&4
	t1=$EPOCHREALTIME
	next_event /benchprobe set
	echo "$(bench_ms "$t1" "$EV_TS") $(bench_ms "$t0" "$EV_TS")" >>"$BH_TMP/probe.ms"
	sleep 0.05
done
printf 'DEL /benchprobe\r\n' >&4
IFS= read -r reply <&4
exec 4<&-

bh_daemon_start "$BH_TMP/conv.out" "${DAEMON_ARGS[@]}" --quiet
CONV_PID=$BH_DAEMON_PID
sleep 1
: >"$OUTDIR/convergence.tsv"
echo "run	run_invoked_to_set_ms	run_returned_to_set_ms	stop_invoked_to_del_ms	stop_returned_to_del_ms	run_cli_ms	stop_cli_ms" >"$OUTDIR/convergence.tsv"
for i in $(seq 0 "$BENCH_RUNS"); do # run 0 warms up and is not counted
	a=$EPOCHREALTIME
	docker run -d --name "lat$i" --network benchnet -e "BEACHHEAD_DOMAINS=lat$i.example.org" \
		bbox:latest sleep 100000 >/dev/null || bh_fail "docker run"
	b=$EPOCHREALTIME
	next_event "/beachhead/lat$i" set
	s=$EV_TS
	c=$EPOCHREALTIME
	docker stop -t 0 "lat$i" >/dev/null || bh_fail "docker stop"
	d=$EPOCHREALTIME
	next_event "/beachhead/lat$i" del
	e=$EV_TS
	docker rm "lat$i" >/dev/null
	[ "$i" = 0 ] && continue
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$(bench_ms "$a" "$s")" "$(bench_ms "$b" "$s")" \
		"$(bench_ms "$c" "$e")" "$(bench_ms "$d" "$e")" "$(bench_ms "$a" "$b")" "$(bench_ms "$c" "$d")" >>"$OUTDIR/convergence.tsv"
done
kill "$SUB_PID" 2>/dev/null
exec 3<&-
BH_DAEMON_PID=$CONV_PID bh_daemon_stop
col() { tail -n +2 "$OUTDIR/convergence.tsv" | cut -f"$1" | bench_stats | awk '{ printf "%s | %s", $1, $2 }'; }

# --- 3. full passes ---
say "full passes: sizes $BENCH_SIZES (creation budget ${BENCH_CREATE_BUDGET}s)"
PLOG=$BH_TMP/pass.out.err
bh_daemon_start "$BH_TMP/pass.out" "${DAEMON_ARGS[@]}" --refresh "$BENCH_REFRESH" --expire 60 --verbose
PASS_PID=$BH_DAEMON_PID
# last_pass: the number of the last pass that ended.
last_pass() { grep -F "full pass" "$PLOG" | grep -F " ends " | tail -n 1 | sed 's/.*full pass \([0-9]*\) ends.*/\1/'; }
printf 'containers\tcreate_s\tpass_wall_ms\tpass_cpu_ms\tonepass_engine_cpu_ms\tonepass_wall_ms\tonepass_cpu_ms\tinspect_wall_ms\tinspect_cpu_ms\tinspect_engine_cpu_ms\tvmhwm_kb\tvmrss_kb\tkeys\n' >"$OUTDIR/passes.tsv"
have=0
create_total=0
LAST_N=0
for n in $BENCH_SIZES; do
	# Start containers up to n in batches of 50, within the budget.
	t0=$EPOCHREALTIME
	while [ "$have" -lt "$n" ]; do
		spent=$(awk -v t="$create_total" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", t + b - a }')
		if [ "$spent" -ge "$BENCH_CREATE_BUDGET" ]; then
			say "creation budget spent (${spent}s) at $have containers"
			break
		fi
		to=$((have + 50 < n ? have + 50 : n))
		bench_run_containers $((have + 1)) "$to" "$BENCH_PARALLEL" || say "some docker run failed"
		have=$to
	done
	t1=$EPOCHREALTIME
	create_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	create_total=$(awk -v t="$create_total" -v c="$create_s" 'BEGIN { print t + c }')
	running=$(docker ps -q | wc -l)
	say "$running containers running (+$create_s s)"
	[ "$running" -le "$LAST_N" ] && break
	# Let the event backlog drain: one full pass after creation, then measure.
	k=$(last_pass); k=${k:-0}
	wait_log "$PLOG" "full pass $((k + 2)) ends" $((BENCH_REFRESH * 4 + 60)) || bh_fail "no pass"
	sleep 0.3
	: >"$BH_TMP/pw"; : >"$BH_TMP/pc"; : >"$BH_TMP/pe"
	k=$((k + 2))
	c0=$(bench_cpu_ns "$PASS_PID")
	for _ in $(seq 1 "$BENCH_PASSES"); do
		sleep $((BENCH_REFRESH - 1))
		wait_log "$PLOG" "full pass $((k + 1)) ends" $((BENCH_REFRESH * 4 + 60)) || bh_fail "no pass"
		sleep 0.3 # the replies to the pass's SETs
		c1=$(bench_cpu_ns "$PASS_PID")
		k=$((k + 1))
		if grep -qF "full pass $((k + 1)) begins" "$PLOG"; then
			say "pass $((k + 1)) began inside the window: CPU sample of pass $k dropped"
		else
			awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }' >>"$BH_TMP/pc"
		fi
		grep -q "full pass $k ends (complete)" "$PLOG" || say "pass $k incomplete"
		bench_ms "$(log_ts "$PLOG" "full pass $k begins")" "$(log_ts "$PLOG" "full pass $k ends")" >>"$BH_TMP/pw"
		echo >>"$BH_TMP/pw"
		c0=$c1
	done
	pw=$(bench_median <"$BH_TMP/pw"); pc=$(bench_median <"$BH_TMP/pc")
	hwm=$(bench_status "$PASS_PID" VmHWM); rss=$(bench_status "$PASS_PID" VmRSS)
	keys=$(bh_redis_cli dbsize)
	# One-pass processes and docker inspect, right after (passes of the
	# running daemon are every BENCH_REFRESH s; both take well under that).
	: >"$BH_TMP/ow"; : >"$BH_TMP/oc"; : >"$BH_TMP/oe"; : >"$BH_TMP/iw"; : >"$BH_TMP/ic"; : >"$BH_TMP/ie"
	"$BEACHHEAD" "${DAEMON_ARGS[@]}" --refresh 0 --quiet >/dev/null 2>&1 # warm-up
	for _ in 1 2 3; do
		e0=$(bench_cpu_ns "$DOCKERD_PID")
		read -r w c <<<"$(bench_measure "$BEACHHEAD" "${DAEMON_ARGS[@]}" --refresh 0 --quiet)"
		e1=$(bench_cpu_ns "$DOCKERD_PID")
		echo "$w" >>"$BH_TMP/ow"; echo "$c" >>"$BH_TMP/oc"
		awk -v a="$e0" -v b="$e1" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }' >>"$BH_TMP/oe"
		e0=$(bench_cpu_ns "$DOCKERD_PID")
		read -r w c <<<"$(bench_measure sh -c 'docker inspect $(docker ps -q)')"
		e1=$(bench_cpu_ns "$DOCKERD_PID")
		echo "$w" >>"$BH_TMP/iw"; echo "$c" >>"$BH_TMP/ic"
		awk -v a="$e0" -v b="$e1" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }' >>"$BH_TMP/ie"
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$running" "$create_s" "$pw" "$pc" "$(bench_median <"$BH_TMP/oe")" \
		"$(bench_median <"$BH_TMP/ow")" "$(bench_median <"$BH_TMP/oc")" \
		"$(bench_median <"$BH_TMP/iw")" "$(bench_median <"$BH_TMP/ic")" "$(bench_median <"$BH_TMP/ie")" \
		"$hwm" "$rss" "$keys" >>"$OUTDIR/passes.tsv"
	say "$(tail -n 1 "$OUTDIR/passes.tsv")"
	LAST_N=$running
	[ "$have" -lt "$n" ] && break # budget spent
done
PASS_HWM=$(bench_status "$PASS_PID" VmHWM)
BH_DAEMON_PID=$PASS_PID bh_daemon_stop

# --- 4. idle at the largest size ---
say "idle daemon, $LAST_N containers, ${BENCH_IDLE}s"
idle_measure "$LAST_N containers"

# --- teardown of the containers (timed; the trap would do it too) ---
t0=$EPOCHREALTIME
bench_rm_all_containers
RM_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
TOTAL_S=$(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# --- report ---
{
	echo "## Machine"
	echo
	echo "- $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
	echo "- $(dockerd --version), storage driver $(docker info -f '{{.Driver}}' 2>/dev/null || echo vfs); redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') (127.0.0.1, notify-keyspace-events KA)"
	echo "- $("$BEACHHEAD" --version 2>/dev/null | head -n 1) ($(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown))"
	echo "- bench/run.sh: BENCH_SIZES=\"$BENCH_SIZES\" BENCH_RUNS=$BENCH_RUNS BENCH_PASSES=$BENCH_PASSES BENCH_IDLE=$BENCH_IDLE BENCH_REFRESH=$BENCH_REFRESH; took ${TOTAL_S} s (container removal ${RM_S} s)"
	echo
	echo "## Convergence ($BENCH_RUNS runs, ms; negative = the key changed before the CLI returned)"
	echo
	echo "| interval | median | worst |"
	echo "|---|---:|---:|"
	echo "| \`docker run -d\` invoked -> key set | $(col 2) |"
	echo "| \`docker run -d\` returned -> key set | $(col 3) |"
	echo "| \`docker stop -t 0\` invoked -> key deleted | $(col 4) |"
	echo "| \`docker stop -t 0\` returned -> key deleted | $(col 5) |"
	echo "| (\`docker run -d\` itself) | $(col 6) |"
	echo "| (\`docker stop -t 0\` itself) | $(col 7) |"
	echo "| notification path: reply read -> stamp (calibration, 20 SETs) | $(cut -d' ' -f1 "$BH_TMP/probe.ms" | bench_stats | awk '{ printf "%s | %s", $1, $2 }') |"
	echo "| notification path: SET sent -> stamp | $(cut -d' ' -f2 "$BH_TMP/probe.ms" | bench_stats | awk '{ printf "%s | %s", $1, $2 }') |"
	echo
	echo "## Full pass (median of $BENCH_PASSES passes / 3 runs; ms unless noted)"
	echo
	echo "| containers | start them (s) | daemon pass wall | daemon pass CPU | one-pass process wall | its CPU | engine CPU for it | \`docker inspect \$(docker ps -q)\` wall | its CPU | engine CPU for it | wall ratio inspect/daemon | CPU ratio | daemon VmHWM (KiB) | keys |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	tail -n +2 "$OUTDIR/passes.tsv" | awk -F'\t' '{
		wr = ($3 > 0) ? sprintf("%.1f", $8 / $3) : "-"; cr = ($4 > 0) ? sprintf("%.1f", $9 / $4) : "-"
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $6, $7, $5, $8, $9, $10, wr, cr, $11, $13 }'
	echo
	echo "## Growth (per container, and between sizes)"
	echo
	echo "| containers | pass wall / container (ms) | pass CPU / container (ms) | inspect wall / container (ms) | step | marginal pass wall (ms/container) | marginal pass CPU | exponent k in wall ~ n^k | exponent for CPU |"
	echo "|---:|---:|---:|---:|---|---:|---:|---:|---:|"
	tail -n +2 "$OUTDIR/passes.tsv" | awk -F'\t' '{
		n = $1; w = $3; c = $4; iw = $8
		step = "-"; mw = "-"; mc = "-"; kw = "-"; kc = "-"
		if (NR > 1 && n > pn) {
			step = pn " -> " n
			mw = sprintf("%.3f", (w - pw) / (n - pn)); mc = sprintf("%.3f", (c - pc) / (n - pn))
			if (w > 0 && pw > 0) kw = sprintf("%.2f", log(w / pw) / log(n / pn))
			if (c > 0 && pc > 0) kc = sprintf("%.2f", log(c / pc) / log(n / pn))
		}
		printf "| %s | %.3f | %.3f | %.3f | %s | %s | %s | %s | %s |\n", n, w / n, c / n, iw / n, step, mw, mc, kw, kc
		pn = n; pw = w; pc = c }'
	echo
	echo "## Memory and idle wakeups"
	echo
	echo "Peak RSS of the measured daemon after all sizes (VmHWM): $PASS_HWM KiB."
	echo
	echo "| idle daemon (--refresh 600 --expire 3600) | seconds | voluntary switches (wakeups) | involuntary | wakeups/min | CPU (ms) | VmHWM (KiB) | VmRSS (KiB) | threads |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$IDLE_ROWS"
} >"$OUTDIR/results.md"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "datafile='$OUTDIR/passes.tsv'; outfile='$OUTDIR/performance.png'" "$here/plot.gp" 2>"$BH_TMP/gnuplot.err" ||
		say "gnuplot failed: $(cat "$BH_TMP/gnuplot.err")"
else
	say "gnuplot not installed (apt-get install gnuplot-nox): no plot"
fi
cat "$OUTDIR/results.md"
say "done in ${TOTAL_S}s; results in $OUTDIR"
