#!/bin/sh
# Benchmark: a pipelined refresh of N registrations (default 1000) by the
# daemon, next to redis-cli --pipe sending the same SET commands to the same
# throwaway redis-server in the same run.
#
#   bench/redis-refresh.sh [N] [RUNS]      (from a built tree; make first)
#
# What is timed (wall clock, median of RUNS, each against an emptied store):
#   daemon one pass   beachhead-companion --refresh 0 with the scripted
#                     inspector: process start, plugin load, connect, the
#                     N container reports plus the full pass (2N SETs, all
#                     pipelined on one connection), wait for every reply, exit.
#   daemon, 0 regs    the same with no containers: start/connect/exit cost.
#   redis-cli --pipe  the same 2N SET ... EX 60 commands (byte-identical
#                     values, read back from the daemon's run), and N of them.
# The per-SET figures subtract nothing; "refresh" = one pass minus the empty
# run, i.e. what 2N pipelined SETs cost the daemon.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # paths, BEACHHEAD, BEACHHEAD_PLUGIN_PATH, tests/lib/common.sh
bench_source redis

N=${1:-1000}
RUNS=${2:-5}
bench_require_built
bench_require_scripted_inspector
bh_redis_require
bh_setup_tmp
bh_redis_start

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { bench_median; }

i=0
while [ $i -lt "$N" ]; do
	echo "up c$i 10.$((i / 62500)).$((i / 250 % 250)).$((i % 250 + 1)) c$i.example.org api.c$i.example.org:http=8080"
	i=$((i + 1))
done >"$BH_TMP/script"
: >"$BH_TMP/empty"
for what in script empty; do
	cat >"$BH_TMP/$what.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/$what"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
expire = 60;
log_level = "warning";
CONF
done

run_daemon() { # run_daemon CONF -> prints ms
	bh_redis_cli flushall >/dev/null
	t0=$(now_ms)
	"$BEACHHEAD" -c "$1" --no-timestamp --refresh 0 2>>"$BH_TMP/daemon.err" ||
		bh_fail "daemon failed: $(tail -n 5 "$BH_TMP/daemon.err")"
	echo $(( $(now_ms) - t0 ))
}

run_pipe() { # run_pipe FILE -> prints ms
	bh_redis_cli flushall >/dev/null
	t0=$(now_ms)
	redis-cli -h 127.0.0.1 -p "$BH_REDIS_PORT" --pipe <"$1" >"$BH_TMP/pipe.out" 2>&1 ||
		bh_fail "redis-cli --pipe failed: $(cat "$BH_TMP/pipe.out")"
	echo $(( $(now_ms) - t0 ))
}

# One daemon run first, to read back the exact values it stores.
run_daemon "$BH_TMP/script.conf" >/dev/null
[ "$(bh_redis_cli dbsize)" = "$N" ] || bh_fail "daemon stored $(bh_redis_cli dbsize) keys, not $N"
i=0
while [ $i -lt "$N" ]; do
	echo "/beachhead/c$i"
	i=$((i + 1))
done | xargs -n 500 redis-cli --no-auth-warning -s "$BH_REDIS_SOCK" --raw mget >"$BH_TMP/values"
[ "$(wc -l <"$BH_TMP/values")" -eq "$N" ] || bh_fail "could not read back $N values"
# RESP for SET key value EX 60 (values are ASCII JSON on one line).
awk -v n="$N" '{
	key = "/beachhead/c" (NR - 1)
	printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$2\r\n60\r\n", length(key), key, length($0), $0
}' "$BH_TMP/values" >"$BH_TMP/set1.resp"
cat "$BH_TMP/set1.resp" "$BH_TMP/set1.resp" >"$BH_TMP/set2.resp"
bytes=$(wc -c <"$BH_TMP/set1.resp")

: >"$BH_TMP/d" ; : >"$BH_TMP/e" ; : >"$BH_TMP/p2" ; : >"$BH_TMP/p1"
r=0
while [ $r -lt "$RUNS" ]; do
	run_daemon "$BH_TMP/script.conf" >>"$BH_TMP/d"
	run_daemon "$BH_TMP/empty.conf" >>"$BH_TMP/e"
	run_pipe "$BH_TMP/set2.resp" >>"$BH_TMP/p2"
	run_pipe "$BH_TMP/set1.resp" >>"$BH_TMP/p1"
	r=$((r + 1))
done
d=$(median <"$BH_TMP/d"); e=$(median <"$BH_TMP/e"); p2=$(median <"$BH_TMP/p2"); p1=$(median <"$BH_TMP/p1")
[ "$(bh_redis_cli dbsize)" = "$N" ] || bh_fail "redis-cli --pipe stored $(bh_redis_cli dbsize) keys"

rate() { # rate SETS MS
	if [ "$2" -gt 0 ]; then echo $(( $1 * 1000 / $2 )); else echo "-"; fi
}
refresh=$((d - e))
echo "redis-refresh: N=$N registrations ($bytes bytes of SET commands each), median of $RUNS runs,"
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1, $(nproc) CPUs"
printf '%-44s %8s %8s %10s\n' "what" "SETs" "ms" "SETs/s"
printf '%-44s %8d %8d %10s\n' "daemon: one pass (start..exit, all acked)" $((2 * N)) "$d" "$(rate $((2 * N)) "$d")"
printf '%-44s %8d %8d %10s\n' "daemon: empty pass (start/connect/exit)" 0 "$e" "-"
printf '%-44s %8d %8d %10s\n' "daemon: the SETs alone (difference)" $((2 * N)) "$refresh" "$(rate $((2 * N)) "$refresh")"
printf '%-44s %8d %8d %10s\n' "redis-cli --pipe, same commands" $((2 * N)) "$p2" "$(rate $((2 * N)) "$p2")"
printf '%-44s %8d %8d %10s\n' "redis-cli --pipe, one refresh" "$N" "$p1" "$(rate "$N" "$p1")"
