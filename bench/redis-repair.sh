#!/bin/sh
# Benchmark: how fast publisher-redis puts back what another client deleted
# or overwrote (keyspace notifications K$gx on, the default refresh of
# 27 s, so every repair is the keyspace watch's), and what reconciliation
# costs at steady state.
#
#   bench/redis-repair.sh [N] [RUNS]     (from a built tree; make check first
#                                         builds the scripted inspector)
#
# N containers (default 50); RUNS (default 30, at most N) repairs of each
# kind, one key each (an overwrite of one key is repaired once per refresh
# interval at most), timed by a Python RESP client on the unix socket: from
# the foreign command's reply to the first GET (polled back to back) that
# shows the daemon's value again.  FLUSHALL: from its reply to every key
# back, 5 times.  Steady state: the commands the daemon sends in 10 s while
# nobody else writes (INFO commandstats).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis

N=${1:-50}
RUNS=${2:-30}
[ "$RUNS" -le "$N" ] || bh_fail "RUNS ($RUNS) must not exceed N ($N)"
bench_require_built
bench_require_scripted_inspector
bh_redis_require
command -v python3 >/dev/null 2>&1 || bh_fail "python3 is needed"
bh_setup_tmp
bh_redis_start --notify-keyspace-events 'K$gx'

bh_redis_script_containers "$N" 10.9 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'log_level = "error";'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_wait_for 20 "[ \"\$(bh_redis_cli dbsize)\" = $N ]" "$N keys" || bh_fail "keys never appeared"
sleep 1 # the watch subscribed

python3 - "$BH_REDIS_SOCK" "$N" "$RUNS" <<'PY'
import socket, sys, time

path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rb")

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    return read()

def read():
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = f.read(size + 2)
        return data[:-2]
    if kind == b":":
        return int(rest)
    if kind == b"*":
        return [read() for _ in range(int(rest))]
    return rest

def wait_for(key, value, t0):
    while cmd("GET", key) != value:
        if time.monotonic() - t0 > 60:
            sys.exit("%s not back within 60 s" % key)
    return (time.monotonic() - t0) * 1000

def stats(name, values):
    values.sort()
    print("%-30s %5d %8.1f %8.1f" % (name, len(values), values[len(values) // 2], values[-1]))

keys = ["/beachhead/c%d" % i for i in range(n)]
values = {k: cmd("GET", k) for k in keys}
if not all(values.values()):
    sys.exit("cannot read the daemon's values back")
print("%-30s %5s %8s %8s" % ("repair (ms)", "runs", "p50", "max"))
for name, foreign in (("DEL -> back", lambda k: cmd("DEL", k)),
                      ("overwrite -> back", lambda k: cmd("SET", k, "[]"))):
    times = []
    for k in keys[:runs]:
        if foreign(k) not in (1, b"OK"):
            sys.exit("%s: the foreign command failed" % k)
        times.append(wait_for(k, values[k], time.monotonic()))
        time.sleep(0.05)
    stats(name, times)
times = []
for _ in range(5):
    cmd("FLUSHALL")
    t0 = time.monotonic()
    for k in keys:
        wait_for(k, values[k], t0)
    times.append((time.monotonic() - t0) * 1000)
    time.sleep(0.5)
stats("FLUSHALL -> all %d back" % n, times)
PY
[ $? -eq 0 ] || bh_fail "the measurement failed"

calls() { bh_redis_cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([a-z]*\):calls=\([0-9]*\),.*/\1 \2/p'; }
sleep 1
calls >"$BH_TMP/before"
sleep 10
calls >"$BH_TMP/after"
echo "steady state, 10 s, nobody else writing: commands the server ran (the bench's own INFO aside)"
join -a 2 "$BH_TMP/before" "$BH_TMP/after" | awk '{ d = (NF == 3 ? $3 - $2 : $2); if ($1 != "info" && d > 0) printf "  %-10s %6d\n", $1, d }'
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
bh_redis_stop_daemon 2>/dev/null
