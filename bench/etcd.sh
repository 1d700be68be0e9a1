#!/bin/bash
# Benchmark: publisher-etcd next to publisher-redis, fed by the scripted
# inspector (no engine: the stores are the point), in one run:
#
#   bench/etcd.sh [N] [BIG] [WINDOW] [REPAIRS]   (from a built tree; make check first)
#
#  1. event -> key visible: one daemon with BOTH publishers (etcd on a real
#     3-member cluster, redis-server) gets N containers, one every 200 ms.
#     The event time is the core's "registering KEY" log line (ms); a watcher
#     per store stamps the first sight of each key: `etcdctl watch --prefix`
#     and `redis-cli psubscribe` on keyspace notifications, both read by one
#     python process (time.time()).  p50 and max per store.
#  2. writes per unchanged refresh: BIG containers (default 200), expire 9,
#     refresh 4 (45%, the default ratio), host id set.  Once every key is
#     there, WINDOW seconds (default 20) of quiet refreshes: etcd's revision
#     delta (moves on every put/delete, never on keep-alives), Redis SETs
#     (INFO commandstats) for comparison.
#  3. keep-alive traffic in the same window: gRPC calls handled by the cluster
#     (sum of grpc_server_handled_total over the members' /metrics) by method,
#     and the watch's traffic: Watch streams started, messages sent on them
#     (grpc_server_started_total, grpc_server_msg_sent_total).
#  4. repair time: REPAIRS times, a foreign `etcdctl del` of one of the BIG
#     keys; one `etcdctl watch` stamps the DELETE and the daemon's PUT that
#     puts it back (both through the same watcher hop).  p50 and max.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis etcd
BEACHHEAD_PLUGIN_PATH=$top_builddir/plugins/publisher-etcd/.libs:$BEACHHEAD_PLUGIN_PATH
export BEACHHEAD_PLUGIN_PATH

N=${1:-50}
BIG=${2:-200}
WINDOW=${3:-20}
REPAIRS=${4:-50}
bench_require_built
bench_require_scripted_inspector
bh_redis_require
bh_etcd_require
bh_setup_tmp
bh_redis_start --notify-keyspace-events KA
bh_etcd_start 23850
eps=$(printf '%s' "$BH_ETCD_ENDPOINTS" | sed 's/[^,]*/"&"/g; s/,/, /g')

config() { # config FILE SCRIPT
	cat >"$1" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$2"; };
publishers = ( { plugin = "publisher-etcd"; endpoints = [ $eps ]; },
	{ plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
CONF
}

# --- 1. latency ------------------------------------------------------------
for i in $(seq 1 "$N"); do
	printf 'wait 200\nup lat%s 10.0.0.%s lat%s.example.org\n' "$i" "$((i % 250 + 1))" "$i"
done >"$BH_TMP/lat.script"
config "$BH_TMP/lat.conf" "$BH_TMP/lat.script"
python3 - "$BH_ETCD_ENDPOINTS" "$BH_REDIS_SOCK" "$N" >"$BH_TMP/seen.tsv" 2>"$BH_TMP/watch.err" <<'PY' &
import base64, json, subprocess, sys, threading, time
endpoints, sock, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen, lock = {}, threading.Lock()
def mark(store, key):
    t = time.time()
    with lock:
        if (store, key) not in seen:
            seen[(store, key)] = t
            print(f"{store}\t{key}\t{t:.6f}", flush=True)
def etcd():
    p = subprocess.Popen(["etcdctl", "--endpoints=" + endpoints, "watch", "--prefix", "/beachhead/", "-w", "json"],
                         stdout=subprocess.PIPE, text=True, env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"})
    for line in p.stdout:
        try:
            for ev in json.loads(line).get("Events", []):
                if ev.get("type", 0) == 0:
                    mark("etcd", base64.b64decode(ev["kv"]["key"]).decode())
        except ValueError:
            pass
def redis():
    p = subprocess.Popen(["redis-cli", "-s", sock, "--csv", "psubscribe", "__keyspace@0__:/beachhead/*"],
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        f = [x.strip('"') for x in line.strip().split(",")]
        if len(f) == 4 and f[0] == "pmessage" and f[3] == "set":
            mark("redis", f[2].split(":", 1)[1])
for fn in (etcd, redis):
    threading.Thread(target=fn, daemon=True).start()
time.sleep(2 * 60)
PY
watcher=$!
bh_on_exit "kill $watcher"
sleep 1.5 # watchers connected
"$BEACHHEAD" -c "$BH_TMP/lat.conf" --expire 60 --refresh 30 --host-id lat \
	>/dev/null 2>"$BH_TMP/lat.err" &
daemon=$!
bh_on_exit "kill -9 $daemon"
bh_wait_for $((N / 5 + 20)) "[ \$(grep -c . '$BH_TMP/seen.tsv') -ge $((2 * N)) ]" "all keys seen in both stores" ||
	{ tail "$BH_TMP/lat.err" "$BH_TMP/watch.err" >&2; exit 1; }
kill -TERM "$daemon"
wait "$daemon"
python3 - "$BH_TMP/lat.err" "$BH_TMP/seen.tsv" >"$BH_TMP/latency.md" <<'PY'
import datetime, re, statistics, sys
event = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+Z) core: info: container \S+: registering (\S+) =", line)
    if m and m.group(2) not in event:
        event[m.group(2)] = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
lat = {"etcd": [], "redis": []}
for line in open(sys.argv[2]):
    store, key, t = line.split("\t")
    if key in event:
        lat[store].append((float(t) - event[key]) * 1000)
print("| store | keys | p50 (ms) | max (ms) |")
print("|---|---:|---:|---:|")
for store, v in lat.items():
    print(f"| {store} | {len(v)} | {statistics.median(v):.1f} | {max(v):.1f} |")
PY

# --- 2 + 3. quiet refreshes ----------------------------------------------
for i in $(seq 1 "$BIG"); do
	printf 'up c%s 10.%s.%s.%s c%s.example.org\n' "$i" "$((i / 65536 % 256))" "$((i / 256 % 256))" "$((i % 256))" "$i"
done >"$BH_TMP/big.script"
config "$BH_TMP/big.conf" "$BH_TMP/big.script"
"$BEACHHEAD" -c "$BH_TMP/big.conf" --expire 9 --refresh 4 --host-id big >/dev/null 2>"$BH_TMP/big.err" &
daemon=$!
bh_on_exit "kill -9 $daemon"
bh_wait_for 30 "[ \$(bh_etcd_keys /beachhead/big/ | wc -l) -eq $BIG ]" "$BIG keys in etcd" || exit 1
sleep 5 # past the first passes and the initial writes
grpc_calls() { # method -> handled calls, summed over the members
	for i in 1 2 3; do curl -s "$(bh_etcd_url "$i")/metrics"; done |
		awk '/^grpc_server_handled_total/ { match($0, /grpc_method="[^"]*"/); m = substr($0, RSTART + 13, RLENGTH - 14); n[m] += $NF }
		     END { for (m in n) print m, n[m] }' | sort
}
watch_traffic() { # "streams-started messages-sent" of the Watch method, over the members
	for i in 1 2 3; do curl -s "$(bh_etcd_url "$i")/metrics"; done |
		awk '/^grpc_server_started_total.*grpc_method="Watch"/ { s += $NF }
		     /^grpc_server_msg_sent_total.*grpc_method="Watch"/ { m += $NF }
		     END { print s + 0, m + 0 }'
}
sets() { bh_redis_cli info commandstats | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p'; }
# The bench's own etcdctl reads are gRPC Range calls: outside the window.
rev1=$(bh_etcd_revision); set1=$(sets); grpc_calls >"$BH_TMP/grpc1"; watch1=$(watch_traffic)
passes1=$(grep -c "full pass .* ends" "$BH_TMP/big.err")
sleep "$WINDOW"
watch2=$(watch_traffic); grpc_calls >"$BH_TMP/grpc2"; set2=$(sets); rev2=$(bh_etcd_revision)
passes2=$(grep -c "full pass .* ends" "$BH_TMP/big.err")

# --- 4. repair time ------------------------------------------------------
python3 - "$BH_ETCD_ENDPOINTS" "$BIG" "$REPAIRS" >"$BH_TMP/repair.md" 2>"$BH_TMP/repair.err" <<'PY'
import base64, json, random, statistics, subprocess, sys, threading, time
endpoints, big, repairs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = {"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"}
seen, cond = {}, threading.Condition()
def watch():
    p = subprocess.Popen(["etcdctl", "--endpoints=" + endpoints, "watch", "--prefix", "/beachhead/big/", "-w", "json"],
                         stdout=subprocess.PIPE, text=True, env=env)
    for line in p.stdout:
        t = time.time()
        try:
            for ev in json.loads(line).get("Events", []):
                kind = "del" if ev.get("type", 0) == 1 else "put"
                with cond:
                    seen.setdefault((kind, base64.b64decode(ev["kv"]["key"]).decode()), []).append(t)
                    cond.notify_all()
        except ValueError:
            pass
threading.Thread(target=watch, daemon=True).start()
time.sleep(1.5)
lat, lost = [], 0
for i in range(repairs):
    key = f"/beachhead/big/c{random.randint(1, big)}"
    with cond:
        seen.clear()
    subprocess.run(["etcdctl", "--endpoints=" + endpoints, "del", key], env=env, stdout=subprocess.DEVNULL, check=True)
    deadline = time.time() + 5
    with cond:
        while not (("del", key) in seen and ("put", key) in seen) and time.time() < deadline:
            cond.wait(0.1)
        if ("del", key) in seen and ("put", key) in seen:
            lat.append((seen[("put", key)][0] - seen[("del", key)][0]) * 1000)
        else:
            lost += 1
    time.sleep(0.2)
print("| foreign deletes | put back | p50 (ms) | max (ms) |")
print("|---:|---:|---:|---:|")
print(f"| {repairs} | {len(lat)} | {statistics.median(lat):.1f} | {max(lat):.1f} |")
PY
[ -s "$BH_TMP/repair.md" ] || { cat "$BH_TMP/repair.err" >&2; exit 1; }
kill -TERM "$daemon"
wait "$daemon"
refreshes=$(( WINDOW / 4 ))
# Bytes of one keep-alive exchange as the daemon makes it: the same request
# line, headers and body, sent by curl to a lease of the same size of id.
lease=$(curl -s -X POST "$(bh_etcd_url 1)/v3/lease/grant" -d '{"TTL":9}' | sed -n 's/.*"ID":"\([0-9]*\)".*/\1/p')
ka_bytes=$(curl -s -o /dev/null -X POST -H 'Expect:' -H 'Content-Type: application/json' \
	-A "beachhead-companion/$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")" \
	-d "{\"ID\":\"$lease\"}" -w '%{size_request} %{size_header} %{size_download}' \
	"$(bh_etcd_url 1)/v3/lease/keepalive")
{
	echo "#### event -> key visible ($N containers, one every 200 ms; one daemon, both publishers)"
	echo
	cat "$BH_TMP/latency.md"
	echo
	echo "#### $BIG containers, ${WINDOW} s of unchanged refreshes (refresh 4 s, expire 9 s: $refreshes refreshes)"
	echo
	echo "| store | writes in the window | writes per refresh |"
	echo "|---|---:|---:|"
	echo "| etcd (revision delta) | $((rev2 - rev1)) | $(awk "BEGIN { printf \"%.1f\", ($rev2 - $rev1) / $refreshes }") |"
	echo "| Redis (SET calls) | $((set2 - set1)) | $(awk "BEGIN { printf \"%.1f\", ($set2 - $set1) / $refreshes }") |"
	echo
	echo "| gRPC method (cluster-wide calls in the window) | calls | per refresh |"
	echo "|---|---:|---:|"
	join -a 2 -e 0 -o 0,1.2,2.2 "$BH_TMP/grpc1" "$BH_TMP/grpc2" | while read -r m a b; do
		[ "$b" -gt "$a" ] || continue
		echo "| $m | $((b - a)) | $(awk "BEGIN { printf \"%.2f\", ($b - $a) / $refreshes }") |"
	done
	echo
	set -- $watch1 $watch2
	echo "The watch in the same window: $(($3 - $1)) Watch streams started, $(($4 - $2)) messages sent on Watch streams (cluster-wide)."
	echo
	echo "#### a foreign delete -> the key back ($BIG containers, the daemon above)"
	echo
	cat "$BH_TMP/repair.md"
	echo
	set -- $ka_bytes
	echo "One keep-alive exchange: request $1 bytes (headers and body), answer $(( $2 + $3 )) bytes (headers $2, body $3)."
} | tee "$BH_TMP/results.md"
