#!/bin/bash
# Benchmark: what publisher-redis's namespace sweep costs a redis-server that
# holds many keys of others.
#
#   bench/sweep-cost.sh [OTHER_KEYS] [PASSES]   (default 1000000 and 5)
#
# OTHER_KEYS keys outside the namespace (one Lua script writes them), one
# daemon with a host id and 50 containers (scripted inspector), refresh 2 s.
# After its first passes (the complete first sweep of the connection), over
# PASSES more passes: SCAN calls per pass (INFO commandstats) and the
# server's CPU per pass (/proc).  Put a directory with another build of
# publisher-redis.so first in BEACHHEAD_PLUGIN_PATH to compare builds.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis
OTHER=${1:-1000000}
PASSES=${2:-5}
bench_require_built
bench_require_scripted_inspector
bh_redis_require
bh_setup_tmp
bh_redis_start
scans() { bh_redis_cli info commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
passes() { grep -c 'full pass [0-9]* ends' "$BH_TMP/err"; }

bh_redis_cli eval "for i = 1, $OTHER do redis.call('SET', '/other/k' .. i, 'x') end" 0 >/dev/null ||
	bh_fail "seeding $OTHER keys"
bh_redis_script_containers 50 10.42 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/conf" unix
"$BEACHHEAD" -c "$BH_TMP/conf" --no-timestamp --refresh 2 --expire 10 --host-id h1 --verbose \
	2>"$BH_TMP/err" &
daemon=$!
bh_on_exit "kill -9 $daemon"
bh_wait_for 120 '[ "$(passes)" -ge 3 ]' "three passes" || bh_fail "the daemon makes no passes"
scan1=$(scans); pass1=$(passes); cpu1=$(bench_cpu_ns "$BH_REDIS_PID")
bh_wait_for 300 "[ \"\$(passes)\" -ge $((pass1 + PASSES)) ]" "$PASSES more passes" || bh_fail "passes stopped"
scan2=$(scans); pass2=$(passes); cpu2=$(bench_cpu_ns "$BH_REDIS_PID")
kill -TERM "$daemon"
wait "$daemon"
n=$((pass2 - pass1))
plugin=$(sed -n 's/.*publisher-redis .* from \([^ ]*\)$/\1/p' "$BH_TMP/err" | head -n 1)
echo "| $OTHER other keys | $plugin | SCANs per pass: $(awk -v a="$scan1" -v b="$scan2" -v n="$n" 'BEGIN { printf "%.0f", (b - a) / n }') | server CPU per pass: $(awk -v a="$cpu1" -v b="$cpu2" -v n="$n" 'BEGIN { printf "%.1f ms", (b - a) / n / 1e6 }') |"
