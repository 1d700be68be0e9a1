#!/bin/bash
# What metrics cost: a scrape of /metrics at 1000 registrations (its wall
# time at the client and the daemon's CPU per scrape), and the daemon's own
# cost with metrics off and on while nobody scrapes.
#
#   bench/metrics.sh [OTHER_BUILDDIR]   (from a built tree; make check
#                                        builds the scripted inspector)
#
# With OTHER_BUILDDIR (e.g. a build of the code before metrics existed,
# its scripted inspector built too), its daemon runs first, the same way:
# the cost of the metrics code with metrics off.
#
# Environment:
#   BENCH_CONTAINERS=1000   registrations (scripted inspector: a test-only
#                           stand-in for an engine, so that the figures are
#                           the daemon's, not an engine's)
#   BENCH_SCRAPES=500       scrapes measured, one after the other
#   BENCH_REFRESH=2         refresh of the measured daemons (a full pass of
#                           BENCH_CONTAINERS every 2 s)
#   BENCH_IDLE=30           seconds each daemon runs unscraped for the
#                           off/on comparison
#
# Scrapes: a Python client on one kept-alive connection (as Prometheus
# scrapes) times each GET /metrics; the daemon's CPU is read from
# /proc/PID/task/*/schedstat (ns) around all of them, minus the CPU of the
# same time without scrapes (the passes go on meanwhile).  Off vs on: two
# daemons, one after the other, same script, BENCH_IDLE s each: CPU per
# full pass (schedstat / passes ended) and VmRSS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis
BENCH_CONTAINERS=${BENCH_CONTAINERS:-1000}
BENCH_SCRAPES=${BENCH_SCRAPES:-500}
BENCH_REFRESH=${BENCH_REFRESH:-2}
BENCH_IDLE=${BENCH_IDLE:-30}
bench_require_built
bench_require_scripted_inspector
bh_setup_tmp
say() { echo "# $(date +%T) $*" >&2; }

{
	bh_redis_script_containers "$BENCH_CONTAINERS" 10.20
	echo "await $BH_TMP/never"
} >"$BH_TMP/script"
# conf FILE [LINE]: the scripted inspector, the stdout publisher (output
# discarded: the publisher's cost is not what is measured).
conf() {
	cat >"$1" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 3600;
refresh = $BENCH_REFRESH;
${2:-}
CONF
}

# start CONF [BUILDDIR]: the daemon (of BUILDDIR, default this build) in the
# background (--verbose: pass lines), waits for its first full pass; sets PID.
start() {
	local b=${2:-$top_builddir}
	: >"$BH_TMP/err"
	BEACHHEAD_PLUGIN_PATH=$b/plugins/publisher-stdout/.libs:$b/tests/plugins/.libs \
		"$b/beachhead-companion" -c "$1" --verbose >/dev/null 2>"$BH_TMP/err" &
	PID=$!
	bh_on_exit "kill -9 $PID"
	bh_wait_for 120 "grep -q 'full pass 1 ends (complete)' '$BH_TMP/err'" "the first full pass" ||
		{ tail "$BH_TMP/err" >&2; exit 1; }
}
stop() { kill -TERM "$PID"; wait "$PID"; }
passes_ended() { grep -c 'full pass [0-9]* ends' "$BH_TMP/err"; }

# idle LABEL: CPU per pass and RSS of the running daemon over BENCH_IDLE s.
idle() {
	local c0 c1 p0 p1
	p0=$(passes_ended); c0=$(bench_cpu_ns "$PID")
	sleep "$BENCH_IDLE"
	p1=$(passes_ended); c1=$(bench_cpu_ns "$PID")
	awk -v l="$1" -v c=$((c1 - c0)) -v p=$((p1 - p0)) -v rss="$(bench_status "$PID" VmRSS)" \
		'BEGIN { printf "| %s | %d | %.2f | %d |\n", l, p, c / (p ? p : 1) / 1e6, rss }'
}

conf "$BH_TMP/off.conf"
other=""
if [ -n "${1:-}" ]; then
	say "other build ($1): $BENCH_CONTAINERS registrations, ${BENCH_IDLE}s"
	start "$BH_TMP/off.conf" "$1"
	other=$(idle "other build ($(git -C "$1/.." rev-parse --short HEAD 2>/dev/null || echo "$1"))")
	stop
fi
say "metrics off: $BENCH_CONTAINERS registrations, ${BENCH_IDLE}s"
start "$BH_TMP/off.conf"
off=$(idle "off")
stop

say "metrics on, not scraped: ${BENCH_IDLE}s"
conf "$BH_TMP/on.conf" 'metrics_listen = "127.0.0.1:0";'
start "$BH_TMP/on.conf"
on=$(idle "on, not scraped")
port=$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)$|\1|p' "$BH_TMP/err")
[ -n "$port" ] || bh_fail "no listening line"

say "$BENCH_SCRAPES scrapes"
# The same wall time without scrapes first: the passes' CPU to subtract.
c0=$(bench_cpu_ns "$PID"); t0=$EPOCHREALTIME
python3 - "$port" "$BENCH_SCRAPES" >"$BH_TMP/scrapes" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
times, size = [], 0
for _ in range(n):
    t = time.perf_counter()
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read()
    times.append((time.perf_counter() - t) * 1000)
    assert r.status == 200, r.status
    size = len(body)
times.sort()
print("%.2f %.2f %.2f %d" % (times[len(times) // 2], times[int(len(times) * 0.99)], times[-1], size))
PY
c1=$(bench_cpu_ns "$PID"); t1=$EPOCHREALTIME
scrape_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
sleep "$scrape_wall"
c2=$(bench_cpu_ns "$PID")
read -r p50 p99 worst size <"$BH_TMP/scrapes"
registrations=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^beachhead_registrations //p')
stop

cpu_per_scrape=$(awk -v s=$((c1 - c0)) -v q=$((c2 - c1)) -v n="$BENCH_SCRAPES" \
	'BEGIN { printf "%.3f", (s - q) / n / 1e6 }')
cat <<OUT
Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r)
Registrations: $registrations; exposition: $size bytes

| scrapes | p50 ms | p99 ms | worst ms | daemon CPU ms/scrape |
| ---: | ---: | ---: | ---: | ---: |
| $BENCH_SCRAPES | $p50 | $p99 | $worst | $cpu_per_scrape |

| metrics | passes in ${BENCH_IDLE}s | daemon CPU ms/pass | VmRSS kB |
| --- | ---: | ---: | ---: |
${other:+$other
}$off
$on
OUT
