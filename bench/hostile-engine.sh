#!/bin/bash
# How fast the inspector recovers from an engine that misbehaves, for one
# build (default: this tree's; give another build directory to compare):
#
#   bench/hostile-engine.sh [BUILDDIR]        (root; from a built tree)
#
# Environment:
#   BENCH_FIRST_CONTACT=50   containers running before the engine answers
#   BENCH_RUNS=5             runs of each measurement
#   BENCH_EVENTS=20000       fake start events for one id
#
# Three figures, from the daemon's own log time stamps (ms):
#   1. first contact: the daemon is started with the engine's socket path
#      not there yet; the path appears (a symlink to the real socket);
#      "engine reachable again" -> the last of the running containers
#      "registering" (and, apart, path created -> reachable: the reconnect
#      backoff's share);
#   2. five stuck inspections: five containers whose inspections never
#      answer (tests/inspector-docker/engine-proxy.py, a STAND-IN proxy in front of
#      the real engine, withholds them; timeout_ms 30 s) and ten others:
#      daemon connected -> the ten registered; then a container started
#      while the five are still stuck: its start event -> registered;
#   3. BENCH_EVENTS fake start events for one running container injected
#      into the stream by the proxy: inspections of that id the engine got
#      (the proxy's request log), and a real start during the flood: its
#      start event -> registered.
# Networks: 172.31.0.0/16 (bench/); never run beside `make check`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source engine

BUILD=${1:-$top_builddir}
BENCH_FIRST_CONTACT=${BENCH_FIRST_CONTACT:-50}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_EVENTS=${BENCH_EVENTS:-20000}
BEACHHEAD=$BUILD/beachhead-companion
BEACHHEAD_PLUGIN_PATH=$BUILD/plugins/publisher-stdout/.libs:$BUILD/plugins/inspector-docker/.libs
bench_require_built
bh_engine_require_docker
bh_setup_tmp
bh_engine_start_docker
bh_engine_import_image
bench_network
bh_on_exit 'bench_rm_all_containers'
say() { echo "# $(date +%T) $*" >&2; }

# stamp_of FILE PATTERN: seconds of the day of the first line matching
# PATTERN (extended regexp), from the log's ISO time stamp; empty if none.
stamp_of() {
	grep -E -m 1 -- "$2" "$1" | awk '{ split($1, t, "T"); split(t[2], h, ":"); sub("Z", "", h[3])
		printf "%.3f\n", h[1] * 3600 + h[2] * 60 + h[3] }'
}
# last_stamp_of FILE PATTERN: the same, of the last matching line.
last_stamp_of() {
	grep -E -- "$2" "$1" | tail -n 1 | awk '{ split($1, t, "T"); split(t[2], h, ":"); sub("Z", "", h[3])
		printf "%.3f\n", h[1] * 3600 + h[2] * 60 + h[3] }'
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.0f\n", (b - a) * 1000 }'; }

# The tests' configuration, with the log's time stamps the figures come from.
conf() { # URL [INSPECTOR_SETTINGS]
	bh_daemon_conf "$@"
	sed -i 's/^timestamps = false;$/timestamps = true;/' "$BH_TMP/c.conf"
}
daemon() { # LOG
	"$BEACHHEAD" -c "$BH_TMP/c.conf" --verbose >/dev/null 2>"$1" &
	DAEMON=$!
}
stop_daemon() { kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; }

# --- 1. First contact.
say "first contact: $BENCH_FIRST_CONTACT containers"
bench_run_containers 1 "$BENCH_FIRST_CONTACT"
LATE=$BH_TMP/late.sock
conf "unix://$LATE"
for run in $(seq "$BENCH_RUNS"); do
	rm -f "$LATE"
	L=$BH_TMP/first.$run.err
	daemon "$L"
	bh_wait_for 10 'grep -q "engine unreachable" "$L"' "engine unreachable" >/dev/null
	sleep 1
	made=$(date +%s.%N)
	ln -s "$BH_DOCKER_SOCK" "$LATE"
	bh_wait_for 70 '[ "$(grep -c "registering" "$L")" -ge '"$BENCH_FIRST_CONTACT"' ]' "registrations" >/dev/null
	stop_daemon
	made=$(awk -v s="$made" 'BEGIN { printf "%.3f\n", s % 86400 }')
	reach=$(stamp_of "$L" 'engine reachable again')
	n=$(grep -c 'registering' "$L")
	last=$( [ "$n" -ge "$BENCH_FIRST_CONTACT" ] && last_stamp_of "$L" 'registering')
	echo "first $(ms "$made" "$reach") $(ms "$reach" "$last") $n"
done >"$BH_TMP/first"
bench_rm_all_containers

# --- 2. and 3. Through the stand-in proxy.
bh_engine_start_proxy
CTL=$BH_PROXY_CTL
runc() { bh_run_domain benchnet "$@"; }
conf "unix://$BH_PROXY_SOCK" "timeout_ms = 30000;"
for run in $(seq "$BENCH_RUNS"); do
	say "stuck inspections: run $run"
	for i in $(seq 10); do runc ok$i; done
	: >"$CTL/hang"
	for i in $(seq 5); do
		runc stuck$i
		docker inspect -f '{{.Id}}' stuck$i >>"$CTL/hang"
	done
	L=$BH_TMP/stuck.$run.err
	daemon "$L"
	bh_wait_for 40 '[ "$(grep -c "registering /beachhead/ok" "$L")" -ge 10 ]' "ten registered" >/dev/null
	runc fresh
	bh_wait_for 40 'grep -q "registering /beachhead/fresh" "$L"' "fresh registered" >/dev/null
	# 3. The flood (once the stuck ones are past their timeout or not).
	ID=$(docker inspect -f '{{.Id}}' ok1)
	python3 -c 'import sys, json
line = json.dumps({"status": "start", "id": sys.argv[1], "Type": "container", "Action": "start",
                   "Actor": {"ID": sys.argv[1], "Attributes": {"name": "ok1", "image": "bbox:latest"}}})
sys.stdout.write((line + "\n") * int(sys.argv[2]))' "$ID" "$BENCH_EVENTS" >"$CTL/inject.tmp"
	before=$(grep -c "/containers/$ID/json" "$BH_PROXY_LOG")
	mv "$CTL/inject.tmp" "$CTL/inject"
	bh_wait_for 20 '[ "$(grep -c "event start ok1" "$L")" -ge 100 ]' "the flood" >/dev/null
	runc flood
	bh_wait_for 60 'grep -q "registering /beachhead/flood" "$L"' "flood registered" >/dev/null
	bh_wait_for 120 '[ "$(grep -c "event start ok1" "$L")" -ge '"$BENCH_EVENTS"' ]' "the flood read" >/dev/null
	sleep 2
	stop_daemon
	inspections=$(( $(grep -c "/containers/$ID/json" "$BH_PROXY_LOG") - before ))
	conn=$(stamp_of "$L" 'connected to the engine')
	ten=$( [ "$(grep -c 'registering /beachhead/ok' "$L")" -ge 10 ] && last_stamp_of "$L" 'registering /beachhead/ok')
	echo "stuck $(ms "$conn" "$ten") $(ms "$(stamp_of "$L" 'event start fresh')" "$(stamp_of "$L" 'registering /beachhead/fresh')") $inspections $(ms "$(stamp_of "$L" 'event start flood')" "$(stamp_of "$L" 'registering /beachhead/flood')")"
	bench_rm_all_containers
done >"$BH_TMP/stuck"

echo "build: $BUILD ($(git -C "$BUILD/.." describe --always --dirty 2>/dev/null || echo '?')); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | path there -> reachable ms | reachable -> all $BENCH_FIRST_CONTACT registered ms | stuck: connected -> 10 registered ms | stuck: new container, event -> registered ms | $BENCH_EVENTS events: inspections | flood: real start, event -> registered ms |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
paste -d' ' "$BH_TMP/first" "$BH_TMP/stuck" | awk '{ printf "| %d | %s | %s | %s | %s | %s | %s |\n", NR, $2, $3, $6, $7, $8, $9 }'
