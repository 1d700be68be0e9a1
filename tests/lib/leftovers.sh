#!/bin/sh
# What a test run leaves behind: network interfaces, mounts, the processes
# the suite starts (engines, their shims, servers, the daemon) and test
# directories.  CI saves a snapshot before the suite and compares after it;
# anything new is a failure that names it.
#   sh tests/lib/leftovers.sh save FILE
#   sh tests/lib/leftovers.sh check FILE    # exit 1 and a list if anything is new
# The comparison waits up to BH_LEFTOVER_WAIT seconds (default 15) for
# processes that are still exiting.
set -u

# Programs the suite, quickstart and bench start; anything else on the
# machine is not ours to judge.
programs='dockerd|containerd|containerd-shim|containerd-shim-runc-v2|runc|crun|conmon|podman|docker-proxy|redis-server|redis-sentinel|etcd|nginx|haproxy|prometheus|confd|beachhead-compan|busybox|sleep|httpd|valgrind|memcheck-amd64-'
# Interpreters count when they run one of the project's scripts (stand-ins,
# proxies) or work in a test directory.
scripts='python3'

snapshot() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print "interface " $2 }'
	awk '{ print "mount " $5 }' /proc/self/mountinfo
	ps -e -o pid=,comm=,args= | awk -v re="^($programs)\$" -v sre="^($scripts)\$" '
		$2 ~ re || ($2 ~ sre && $0 ~ /\/tmp\/bh-|\/tests\/|\/bench\//) { print "process " $1 " " $2 }'
	for d in /tmp/bh-test.* /tmp/bh-deb.*; do
		[ -e "$d" ] && echo "directory $d"
	done
	return 0
}

new_lines() { # BEFORE: lines of the current snapshot not in BEFORE
	snapshot | sort -u | comm -13 "$1" -
}

case ${1:-} in
save)
	snapshot | sort -u >"${2:?save FILE}"
	;;
check)
	before=${2:?check FILE}
	deadline=$(( $(date +%s) + ${BH_LEFTOVER_WAIT:-15} ))
	while [ -n "$(new_lines "$before")" ] && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 1
	done
	left=$(new_lines "$before")
	if [ -n "$left" ]; then
		echo "FAIL: the run left behind:" >&2
		printf '%s\n' "$left" | while read -r kind what rest; do
			case $kind in
			process) echo "  process $what $rest: $(tr '\0' ' ' <"/proc/$what/cmdline" 2>/dev/null)" ;;
			*) echo "  $kind $what" ;;
			esac
		done >&2
		exit 1
	fi
	echo "leftovers: none (interfaces, mounts, processes, test directories)"
	;;
*)
	echo "usage: sh tests/lib/leftovers.sh save FILE | check FILE" >&2
	exit 2
	;;
esac
