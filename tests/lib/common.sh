# Shared helpers for the shell tests.  Source it: . "$top_srcdir/tests/lib/common.sh"
#
# Environment (set by make check through AM_TESTS_ENVIRONMENT):
#   top_srcdir, top_builddir   the trees
#   BEACHHEAD                  the daemon binary under test
#   BEACHHEAD_PLUGIN_PATH      build-tree plugin directories
#   BH_TESTS_NO_SKIP           set in CI: a skip is a failure
#   BH_VALGRIND                when set, the daemon runs under valgrind (see bh_daemon_cmd)

set -u

# automake's test driver: 77 = skipped, 99 = hard error.
bh_skip() {
	if [ -n "${BH_TESTS_NO_SKIP:-}" ]; then
		echo "FAIL: would skip, but BH_TESTS_NO_SKIP is set: $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

bh_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

bh_note() {
	echo "# $*" >&2
}

# Creates $BH_TMP and registers cleanup of everything started through
# bh_on_exit.  Each test gets its own directory under /tmp (unix socket paths
# are limited to 108 bytes, so not under the build tree).
bh_setup_tmp() {
	BH_TMP=$(mktemp -d "/tmp/bh-test.XXXXXX") || bh_fail "mktemp"
	# Each test's daemons keep their owner token and lease ids here, never
	# in the machine's /var/lib/beachhead-companion.
	BEACHHEAD_STATE_DIR="$BH_TMP/state"
	export BEACHHEAD_STATE_DIR
	BH_CLEANUP=""
	trap 'bh_run_cleanup' EXIT
	trap 'exit 130' INT TERM
}

# bh_on_exit 'command': run at exit, last registered first.
bh_on_exit() {
	BH_CLEANUP="$1
$BH_CLEANUP"
}

bh_run_cleanup() {
	status=$?
	set +e
	printf '%s\n' "$BH_CLEANUP" | while IFS= read -r cmd; do
		[ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1
	done
	if [ -n "${BH_KEEP_TMP:-}" ] || { [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "${BH_KEEP_TMP_ON_FAIL:-}" ]; }; then
		echo "# kept $BH_TMP" >&2
	else
		rm -rf "$BH_TMP"
	fi
	exit "$status"
}

# bh_wait_for TIMEOUT_SECONDS 'shell condition' [what]: polls every 50 ms.
bh_wait_for() {
	timeout=$1
	cond=$2
	what=${3:-$2}
	deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
	while ! eval "$cond" >/dev/null 2>&1; do
		if [ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ]; then
			echo "FAIL: timed out after ${timeout}s waiting for: $what" >&2
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# The command that runs the daemon: under valgrind when BH_VALGRIND is set
# (the loop tests use it to prove there are no leaks).
bh_daemon_cmd() {
	if [ -n "${BH_VALGRIND:-}" ]; then
		echo "valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=42 --suppressions=$top_srcdir/tests/lib/valgrind.supp --log-file=$BH_TMP/valgrind.%p.log $BEACHHEAD"
	else
		echo "$BEACHHEAD"
	fi
}

# bh_expect_lines FILE PATTERN...: fails (showing FILE) unless every basic
# regular expression matches some line of FILE; for messages a run must
# print, all of them (every bad setting in one run).
bh_expect_lines() {
	file=$1
	shift
	for pattern in "$@"; do
		grep -q -- "$pattern" "$file" || { cat "$file" >&2; bh_fail "not reported: $pattern"; }
	done
}

# bh_check_valgrind: fails the test if a valgrind log reports anything.
bh_check_valgrind() {
	[ -n "${BH_VALGRIND:-}" ] || return 0
	for log in "$BH_TMP"/valgrind.*.log; do
		[ -e "$log" ] || continue
		if [ -s "$log" ]; then
			cat "$log" >&2
			bh_fail "valgrind reported errors or leaks ($log)"
		fi
	done
}

bh_require_root() {
	[ "$(id -u)" = 0 ] || bh_skip "needs root to start its own engine ($*)"
}
