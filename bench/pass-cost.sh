#!/bin/bash
# What an unchanged full pass costs, this build next to another one (e.g.
# the previous release, built elsewhere), with the engine's own figures:
#
#   bench/pass-cost.sh [OTHER_BUILDDIR]      (root; from a built tree)
#
# Environment:
#   BENCH_SIZES="100 500 1000"  running containers ("" = latency only)
#   BENCH_PASSES=5              unchanged passes measured per size and build
#   BENCH_REFRESH=2             refresh of the measured daemons
#   BENCH_LATENCY_RUNS=30       start event -> key samples (this build only)
#
# A throwaway dockerd runs with --debug: it logs every API call it serves
# ("Calling GET /v1.41/containers/json"), so the requests per pass are the
# engine's own count, not ours.  Each build's daemon runs with
# --dry-run --enumerate --refresh BENCH_REFRESH --verbose (stdout publisher,
# output discarded: the engine side is what is compared).  Between the ends
# of pass k and pass k+BENCH_PASSES:
#   requests/pass  "Calling" lines dockerd logged, / passes
#   cpu/pass       the daemon's CPU (/proc/PID/task/*/schedstat, ns), / passes
#                  (one refresh: republishing from memory + the pass)
#   engine cpu     dockerd's CPU over the same window, / passes
#   wall/pass      "full pass N begins" -> "ends" (log timestamps), median
# Latency: the engine's own time of a start event (its timeNano) -> the set
# line on the daemon's stdout (stamped on arrival by a Python reader; same
# host, same clock), p50 and p90, split at the moment the engine delivered
# the event to a client of its own.  That client is the floor, run beside
# the daemon for every event: one inspect round trip and one SET to a local
# redis-server, each on a kept-alive connection, nothing else -- what any
# event-driven registration must pay at least.  The engine's own time to
# list all containers (one GET /containers/json) is shown next to the wall
# time of a pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source engine redis

OTHER=${1:-}
BENCH_SIZES=${BENCH_SIZES-100 500 1000}
BENCH_PASSES=${BENCH_PASSES:-5}
BENCH_REFRESH=${BENCH_REFRESH:-2}
BENCH_LATENCY_RUNS=${BENCH_LATENCY_RUNS:-30}
bench_require_built
bh_engine_require_docker
bh_setup_tmp
BH_DOCKERD_EXTRA="--debug"
bh_engine_start_docker
bh_engine_import_image
bench_network
bh_on_exit 'bench_rm_all_containers'
DLOG=$BH_TMP/engine/dockerd.log
DPID=$(cat "$BH_TMP/engine/dockerd.pid")
say() { echo "# $(date +%T) $*" >&2; }

# passes BUILDDIR LABEL: one row "label requests cpu_ms engine_cpu_ms wall_ms".
passes() {
	local bin=$1/beachhead-companion
	local path=$1/plugins/publisher-stdout/.libs:$1/plugins/inspector-docker/.libs
	local log=$BH_TMP/$2.err
	BEACHHEAD_PLUGIN_PATH=$path "$bin" --dry-run --enumerate --refresh "$BENCH_REFRESH" --expire 3600 \
		--verbose --docker-url "$BH_DOCKER_URL" >/dev/null 2>"$log" &
	local pid=$!
	ended() { grep -c 'full pass [0-9]* ends' "$log"; }
	# A warm-up: the first passes read every container once.
	bh_wait_for 300 '[ "$(ended)" -ge 2 ]' "$2: first passes" || { kill $pid; return 1; }
	local k0 c0 e0 r0 k1
	k0=$(ended)
	bh_wait_for 60 '[ "$(ended)" -gt '"$k0"' ]' "$2: a pass" >/dev/null
	k0=$(ended)
	c0=$(bench_cpu_ns $pid)
	e0=$(bench_cpu_ns "$DPID")
	r0=$(grep -c 'Calling ' "$DLOG")
	bh_wait_for $((BENCH_PASSES * BENCH_REFRESH * 10 + 60)) '[ "$(ended)" -ge '"$((k0 + BENCH_PASSES))"' ]' "$2: passes" >/dev/null
	local c1 e1 r1
	c1=$(bench_cpu_ns $pid)
	e1=$(bench_cpu_ns "$DPID")
	r1=$(grep -c 'Calling ' "$DLOG")
	k1=$(ended)
	kill $pid
	wait $pid 2>/dev/null
	# Wall: begins -> ends of the same pass number, from the log's ms stamps.
	local wall
	wall=$(awk '/full pass [0-9]+ (begins|ends)/ {
			split($1, t, "T"); split(t[2], h, ":"); s = h[1] * 3600 + h[2] * 60 + h[3]
			for (i = 1; i <= NF; i++) if ($i == "pass") n = $(i + 1)
			if ($0 ~ / begins/) b[n] = s; else if (n in b) print (s - b[n]) * 1000 }' "$log" |
		tail -n "$BENCH_PASSES" | bench_median)
	awk -v l="$2" -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v e=$((e1 - e0)) -v n=$((k1 - k0)) -v w="$wall" \
		'BEGIN { printf "| %s | %.1f | %.2f | %.2f | %.1f |\n", l, r / n, c / n / 1e6, e / n / 1e6, w }'
}

# --- start event -> key, and the floor.
say "latency (no other containers)"
bh_redis_start
STAMPED=$BH_TMP/stamped
FIFO=$BH_TMP/fifo
mkfifo "$FIFO"
# Lines are stamped on arrival by a Python reader (bash's `read` takes a
# pipe one byte at a time: a quarter of a millisecond per line here).
stamp() {
	python3 -c 'import sys, time
for l in iter(sys.stdin.buffer.readline, b""):
    sys.stdout.write("%.6f %s" % (time.time(), l.decode(errors="replace")))
    sys.stdout.flush()'
}
stamp <"$FIFO" >"$STAMPED" &
READER=$!
# The floor, under the same conditions: a minimal client of its own that
# does exactly the unavoidable work for each start event -- read it from its
# own /events connection (stamped: when the engine delivered it), one inspect
# round trip and one SET, each on a kept-alive connection, nothing else
# (stamped: done).  It runs beside the daemon, so both meet the same engine
# at the same moment.
PYTHONPATH=$here python3 - "$BH_DOCKER_SOCK" "$BH_REDIS_SOCK" >"$BH_TMP/floor" <<'PY' &
import json, socket, sys, time
from unix_http import UnixHTTPConnection as Unix
events, engine = Unix(sys.argv[1]), Unix(sys.argv[1])
redis = socket.socket(socket.AF_UNIX)
redis.connect(sys.argv[2])
# {"type":["container"],"event":["start"]}
events.request("GET", "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%5D%7D")
stream = events.getresponse()
for line in iter(stream.readline, b""):
    delivered = time.time()
    ev = json.loads(line)
    engine.request("GET", "/containers/%s/json" % ev["Actor"]["ID"])
    engine.getresponse().read()
    key = "/floor/" + ev["Actor"]["Attributes"]["name"]
    redis.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(key), key.encode()))
    redis.recv(64)
    print("%s %d %.6f %.6f" % (ev["Actor"]["Attributes"]["name"], ev["timeNano"], delivered, time.time()), flush=True)
PY
FLOOR=$!
bh_on_exit "kill $FLOOR"
"$BEACHHEAD" --dry-run --enumerate --no-timestamp --verbose --refresh 600 --expire 3600 \
	--docker-url "$BH_DOCKER_URL" >"$FIFO" 2>"$BH_TMP/lat.err" &
DAEMON=$!
bh_on_exit "kill $DAEMON; kill $READER"
# After its first pass (it reads the containers left from above once): the
# machine is idle again when the samples are taken.
bh_wait_for 300 'grep -q "full pass 1 ends" "$BH_TMP/lat.err"' "the latency daemon's first pass" || exit 1
sleep 1
for i in $(seq 1 "$BENCH_LATENCY_RUNS"); do
	# No network: a bridge holds at most 1024 ports, and the largest size
	# later fills benchnet (the address falls back to the name, which
	# changes nothing in the path measured).
	docker run -d --name "lat$i" --network none -e "BEACHHEAD_DOMAINS=lat$i.example.org" bbox:latest sleep 100000 >/dev/null || bh_fail run
	sleep 0.2 # one at a time: the machine is otherwise idle
done
sleep 1
kill "$DAEMON" "$READER" "$FLOOR" 2>/dev/null
# Per container: the engine's timeNano, when the engine delivered the event
# (to the floor client), when the floor client was done, when the daemon's
# set line arrived: the same clock on the same host.
python3 - "$BH_TMP/floor" "$STAMPED" >"$BH_TMP/lat.ms" <<'PY'
import re, sys
stamped = {}
for line in open(sys.argv[2]):
    m = re.match(r'(\S+) .*"key":"/beachhead/([^"]+)"', line)
    if m and m.group(2) not in stamped:
        stamped[m.group(2)] = float(m.group(1))
for line in open(sys.argv[1]):
    name, ns, delivered, done = line.split()
    e, d, f = int(ns) / 1e9, float(delivered), float(done)
    if name in stamped:
        s = stamped[name]
        print("%.3f %.3f %.3f %.3f" % ((s - e) * 1000, (d - e) * 1000, (s - d) * 1000, (f - d) * 1000))
PY
[ -s "$BH_TMP/lat.ms" ] || bh_note "no latency samples: $(wc -l <"$BH_TMP/floor") events, $(wc -l <"$STAMPED") lines"
pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i] }'; }
docker ps -aq --filter name=lat | xargs -r -n 1 docker rm -f >/dev/null

# listing_ms: the engine alone answering one GET /containers/json (median of
# 5, kept-alive connection): the floor of a one-request pass's wall time.
listing_ms() {
	PYTHONPATH=$here python3 - "$BH_DOCKER_SOCK" <<'PY'
import statistics, sys, time
from unix_http import UnixHTTPConnection as Unix
engine = Unix(sys.argv[1])
times = []
for _ in range(5):
    t0 = time.perf_counter()
    engine.request("GET", "/containers/json")
    engine.getresponse().read()
    times.append((time.perf_counter() - t0) * 1000)
print("%.1f" % statistics.median(times))
PY
}

ROWS=""
LISTROWS=""
have=0
for n in $BENCH_SIZES; do
	say "size $n: creating containers"
	bench_run_containers $((have + 1)) "$n" 4 || bh_fail "creating containers"
	have=$n
	LISTROWS="$LISTROWS| $n | $(listing_ms) |
"
	say "size $n: this build"
	ROWS="$ROWS| $n $(passes "$top_builddir" this)
"
	if [ -n "$OTHER" ]; then
		say "size $n: $OTHER"
		ROWS="$ROWS| $n $(passes "$OTHER" other)
"
	fi
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(dockerd --version)"
echo
echo "Unchanged full pass (per refresh, medians over $BENCH_PASSES passes); requests and engine CPU from dockerd itself"
echo
echo "| containers | build | engine requests/pass | daemon CPU ms/pass | dockerd CPU ms/pass | wall ms/pass |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
printf '%s' "$ROWS"
echo
echo "The engine alone: one GET /containers/json (median of 5, ms)"
echo
echo "| containers | listing |"
echo "| ---: | ---: |"
printf '%s' "$LISTROWS"
echo


echo "Start event, $(wc -l <"$BH_TMP/lat.ms") runs, ms (p50 / p90):"
col() { cut -d' ' -f"$1" "$BH_TMP/lat.ms" | pct "$2"; }
echo "  the engine's timeNano -> set line                  $(col 1 50) / $(col 1 90)"
echo "  timeNano -> event delivered to a client            $(col 2 50) / $(col 2 90)"
echo "  event delivered -> set line (the daemon)           $(col 3 50) / $(col 3 90)"
echo "  event delivered -> inspect + SET done (the floor)  $(col 4 50) / $(col 4 90)"
