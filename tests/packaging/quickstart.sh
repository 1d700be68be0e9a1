#!/bin/sh
# tools/quickstart.sh as a newcomer runs it (root, a built checkout):
#   1. without an engine it says so and stops BEFORE apt-get and the build;
#   2. a bad --redis-port is a usage error;
#   3. --demo --once --redis-port P against a Redis it did not start: prints
#      the demo engine's DOCKER_HOST line and the keys, writes only under
#      /beachhead-quickstart/, and at the end says what it cleaned up and
#      leaves that Redis as it found it (another key untouched);
#   4. --demo with its own throwaway Redis on P, stopped by Ctrl-C (SIGINT
#      to its process group, as a terminal sends it): says what it cleaned
#      up; the Redis port is free again, no engine process is left.
# It runs in a network namespace of its own (loopback only), so the Redis
# ports cannot meet anything on the host.  It uses the build in _build/ (or
# the in-tree one), so a CI step after `sh tools/test.sh`, not `make check`
# (which may run from a build directory quickstart does not know):
#   sh tests/packaging/quickstart.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
if [ -z "${BH_QUICKSTART_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
	BH_QUICKSTART_NETNS=1 exec unshare -n sh -c 'ip link set lo up && exec sh "$0"' "$0"
fi
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_engine_require_docker
command -v redis-server >/dev/null 2>&1 || bh_skip "redis-server is not installed"
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
bh_setup_tmp
T=$BH_TMP
QS="$top_srcdir/tools/quickstart.sh"
rcli() { p=$1; shift; redis-cli -h 127.0.0.1 -p "$p" "$@"; }

# --- 1. no engine: stop before apt-get ---------------------------------------
DOCKER_HOST="unix://$T/no-engine.sock" sh "$QS" --once >"$T/1.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/1.out" >&2; bh_fail "without an engine: exit status $rc, expected 1"; }
bh_expect_lines "$T/1.out" "quickstart: no Docker Engine socket at $T/no-engine.sock"
! grep -q 'step 1/3\|setup-debian' "$T/1.out" || { cat "$T/1.out" >&2; bh_fail "the engine was checked after apt-get"; }

# --- 2. --redis-port ---------------------------------------------------------
sh "$QS" --redis-port 0x10 >"$T/2.out" 2>&1
[ $? = 2 ] || { cat "$T/2.out" >&2; bh_fail "--redis-port 0x10 is not a usage error"; }

# --- 3. a Redis quickstart did not start ---------------------------------------
P=16390
redis-server --bind 127.0.0.1 --port $P --save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
redis_pid=$!
bh_on_exit "kill $redis_pid"
bh_wait_for 10 '[ "$(redis-cli -h 127.0.0.1 -p $P ping)" = PONG ]' "the operator's Redis" || bh_fail "redis-server"
rcli $P set /beachhead/other keep >/dev/null
sh "$QS" --demo --once --redis-port $P >"$T/3.out" 2>&1 || { cat "$T/3.out" >&2; bh_fail "quickstart --demo --once"; }
bh_expect_lines "$T/3.out" \
	"quickstart: using the Redis on 127.0.0.1:$P; keys go under /beachhead-quickstart/" \
	'quickstart:   export DOCKER_HOST=unix:///tmp/bh-test\.[A-Za-z0-9]*/engine/docker\.sock$' \
	'^  /beachhead-quickstart/demo-web (ttl ' \
	'quickstart: cleaned up: stopped the daemon' \
	'quickstart: cleaned up: removed the demo engine' \
	"quickstart: cleaned up: deleted the keys under /beachhead-quickstart/ in the Redis on 127.0.0.1:$P"
keys=$(redis-cli -h 127.0.0.1 -p $P --scan | sort | tr '\n' ' ')
[ "$keys" = "/beachhead/other " ] || bh_fail "the operator's Redis holds '$keys' after quickstart, expected only /beachhead/other"
[ "$(rcli $P get /beachhead/other)" = keep ] || bh_fail "quickstart changed another key"
kill "$redis_pid"
bh_wait_for 10 "! kill -0 $redis_pid" "the operator's Redis to stop" || bh_fail "redis-server did not stop"

# --- 4. Ctrl-C, with its own Redis -------------------------------------------------
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("sh", ["sh", sys.argv[1], "--demo", "--redis-port", sys.argv[2]])' "$QS" $P >"$T/4.out" 2>&1 &
job=$!
bh_on_exit "kill -KILL -$job"
bh_wait_for 120 "grep -q 'the daemon keeps running' '$T/4.out'" "quickstart to run" || { cat "$T/4.out" >&2; exit 1; }
bh_expect_lines "$T/4.out" "quickstart: started a throwaway Redis on 127.0.0.1:$P"
demo_tmp=$(sed -n 's|^quickstart:   export DOCKER_HOST=unix://\(.*\)/engine/docker\.sock$|\1|p' "$T/4.out")
[ -n "$demo_tmp" ] || bh_fail "no DOCKER_HOST line"
kill -INT -"$job" || bh_fail "kill -INT"
bh_wait_for 60 "! kill -0 $job 2>/dev/null || ps -o stat= -p $job | grep -q '^Z'" "quickstart to end on Ctrl-C" ||
	bh_fail "quickstart did not end on SIGINT"
wait "$job"
bh_expect_lines "$T/4.out" \
	'quickstart: cleaned up: stopped the daemon' \
	'quickstart: cleaned up: removed the demo engine' \
	"quickstart: cleaned up: stopped the throwaway Redis on 127.0.0.1:$P"
[ "$(redis-cli -h 127.0.0.1 -p $P ping 2>/dev/null)" != PONG ] || bh_fail "the throwaway Redis still answers"
! pgrep -f "$demo_tmp" >/dev/null || bh_fail "processes of the demo engine outlived Ctrl-C: $(pgrep -af "$demo_tmp")"
[ ! -e "$demo_tmp" ] || bh_fail "quickstart left $demo_tmp behind"
exit 0
