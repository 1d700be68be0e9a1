#!/bin/sh
# Ctrl-C on a script that runs a throwaway engine (tools/quickstart.sh
# --demo, any engine test): the terminal sends SIGINT to the whole
# foreground process group.  The engine must not die first: the script's
# cleanup removes its containers and networks, then stops the engine.
# Nothing may be left behind: no process, no directory, and no bridge in
# the host (the engine's bridges live in its own network namespace).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_engine_require_docker
command -v ip >/dev/null 2>&1 || bh_skip "ip (iproute2) is not installed"
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
bh_setup_tmp
SUBNET=172.30.60
# bridges [CMD...]: addresses on the test's subnet (in CMD's namespace).
bridges() { "$@" ip -o -4 addr show to "$SUBNET.0/24" 2>/dev/null; }
# Whatever happens, the host keeps no bridge of ours.
bh_on_exit "bridges | awk '{ print \$2 }' | xargs -r -n 1 ip link del"
[ -z "$(bridges)" ] || bh_fail "a bridge on $SUBNET.0/24 exists before the test: $(bridges)"

# The interrupted script: an engine and a network, as quickstart --demo has.
cat >"$BH_TMP/job.sh" <<JOB
top_srcdir='$top_srcdir'
. "\$top_srcdir/tests/lib/common.sh"
. "\$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
echo "\$BH_TMP" >'$BH_TMP/job.tmp'
bh_engine_start_docker
docker network create --subnet $SUBNET.0/24 ctrlc >/dev/null || exit 1
: >'$BH_TMP/job.ready'
sleep 600
JOB
# Its own session and process group, as a terminal's foreground job, with
# SIGINT at its default action: a background job of this (non-interactive)
# shell starts with SIGINT ignored, which no trap in the job could undo.
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("sh", ["sh", sys.argv[1]])' "$BH_TMP/job.sh" >"$BH_TMP/job.log" 2>&1 &
job=$!
bh_on_exit "kill -KILL -$job 2>/dev/null"
# Should the job's own cleanup never run, its engine (in a session of its
# own, and holding whatever the job inherited) must not outlive this test:
# stop it by its pid file.
kill_job_engine() {
	jt=$(cat "$BH_TMP/job.tmp" 2>/dev/null)
	[ -n "$jt" ] || return 0
	[ ! -s "$jt/engine/dockerd.pid" ] || kill -KILL "$(cat "$jt/engine/dockerd.pid")" 2>/dev/null
	sleep 1
	rm -rf "$jt"
}
bh_on_exit kill_job_engine
bh_wait_for 60 "[ -e '$BH_TMP/job.ready' ]" "the engine and its network" || { cat "$BH_TMP/job.log" >&2; exit 1; }
job_tmp=$(cat "$BH_TMP/job.tmp")
[ -z "$(bridges)" ] || bh_fail "the engine's bridge is in the host's network namespace: $(bridges)"
[ -n "$(bridges nsenter --net="/proc/$(cat "$job_tmp/engine/dockerd.pid")/ns/net")" ] ||
	bh_fail "the network created no bridge on $SUBNET.0/24 in the engine's namespace"

kill -INT -"$job" || bh_fail "kill -INT" # Ctrl-C
# (gone, or a zombie until this shell reaps it)
bh_wait_for 60 "! kill -0 $job 2>/dev/null || ps -o stat= -p $job | grep -q '^Z'" "the interrupted script to finish" ||
	bh_fail "the script did not end on SIGINT"
wait "$job"
[ -z "$(bridges)" ] || bh_fail "Ctrl-C left the bridge behind: $(bridges)"
! pgrep -f "$job_tmp/engine" >/dev/null || bh_fail "engine processes outlived the script: $(pgrep -af "$job_tmp/engine")"
[ ! -e "$job_tmp" ] || bh_fail "the script's temporary directory $job_tmp was left behind"
exit 0
