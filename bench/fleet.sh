#!/bin/bash
# Benchmark: a fleet of container hosts, by simulation, on one machine:
#
#   bench/fleet.sh HOSTS CONTAINERS     (from a built tree; make check first)
#
# HOSTS daemons, each with its own host id, state directory and the scripted
# inspector (tests/plugins/scripted_inspector.c: no engine per host) running
# CONTAINERS containers, publish into a real 3-member etcd cluster (data on
# /dev/shm), then the same fleet into one redis-server.  Container c of host
# h is at 10.(h/256).(h%256).(c+1) and serves app<c>.example.org: every
# container index is one service with a replica on every host (the proxy
# tier in front of a fleet), so the nginx recipe renders CONTAINERS server
# blocks with HOSTS upstream servers each.  Expire 10 s, refresh 4 s
# (FLEET_EXPIRE, FLEET_REFRESH) so that expiries fit in the run.
#
# Per store it reports (markdown on stdout; details in $BH_TMP, kept with
# BH_KEEP_TMP=1):
#   - the store alone (6 s, no daemon: its baseline), steady state, then churn (every host stops and starts one container a
#     second), each over FLEET_WINDOW s (default 12): store requests per
#     second by kind (etcd: revision delta = writes, and every gRPC method
#     the members handled, from their /metrics; the JSON gateway's calls are
#     counted there too; Redis: INFO commandstats deltas), the store's CPU
#     (share of one core, from /proc) and memory (RSS), the daemons' RSS
#     (mean, max) and CPU per refresh (mean per daemon);
#   - one host SIGKILLed: time until its keys are gone from the store (etcd:
#     its lease runs out; Redis: the keys expire) and, for Redis, from the
#     file the confd stand-in (tests/recipes/standin.go) renders from the
#     shipped nginx recipe, rendered again and again as confd's interval
#     mode does;
#   - 10 % of the hosts restarting at once (SIGTERM, then started again with
#     the same host id and state directory): writes (etcd revisions; Redis
#     SET and DEL) from the restart until steady again, and the time to
#     steady state (every restarted daemon started, every registration in
#     the store, no write for 1 s on etcd);
#   - Redis phase: the stand-in rendering the shipped nginx recipe from all
#     registrations: render time, output size and server blocks, and the
#     time of the recipe's own check_cmd (nginx -t).  A recipe that renders
#     no registration (one that reads a single key level, under host ids)
#     is reported as such.
# Every phase checks the invariants that tests/system/fleet_short.sh checks:
# each registration present exactly once, nothing else under the prefix
# (keys whose last segment starts with '@' are namespace claims, not
# registrations), and nothing left behind.
#
# FLEET_STORES="etcd redis" (default) or either one.  Run it inside
# `unshare -n` (loopback only) and say what else ran on the machine: the
# load average is printed beside the figures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis etcd recipes fleet
BEACHHEAD_PLUGIN_PATH=$top_builddir/plugins/publisher-etcd/.libs:$BEACHHEAD_PLUGIN_PATH
export BEACHHEAD_PLUGIN_PATH

HOSTS=${1:?usage: bench/fleet.sh HOSTS CONTAINERS}
CONTAINERS=${2:?usage: bench/fleet.sh HOSTS CONTAINERS}
EXPIRE=${FLEET_EXPIRE:-10}
REFRESH=${FLEET_REFRESH:-4}
WINDOW=${FLEET_WINDOW:-12}
STORES=${FLEET_STORES:-etcd redis}
[ "$CONTAINERS" -le 250 ] || bh_fail "at most 250 containers a host (one /24 of addresses each)"
bench_require_built
bench_require_scripted_inspector
bh_redis_require
bh_etcd_require
bh_setup_tmp
bh_on_exit fleet_kill_all
bh_recipes_require
bh_recipes_build_standin
fleet_init

# --- measurements over a window -------------------------------------------

# fleet_window NAME [SECONDS]: sleeps SECONDS (default WINDOW) between two
# snapshots of the store's counters and the processes; prints one table
# row per figure.
fleet_window() {
	fleet_snapshot "$BH_TMP/$1.0"
	sleep "${2:-$WINDOW}"
	fleet_snapshot "$BH_TMP/$1.1"
	fleet_report_window "$1" "$BH_TMP/$1.0" "$BH_TMP/$1.1"
}

# fleet_snapshot FILE: "name value" lines: the store's request counters,
# the wall clock, CPU (ns) and RSS (kB) of the store's processes and of the
# daemons.
fleet_snapshot() {
	{
		echo "wall $(bench_now)"
		fleet_store_counters
		fleet_proc_totals store $(fleet_store_pids)
		fleet_proc_totals daemons $(fleet_daemon_pids)
	} >"$1"
}

fleet_report_window() {
	awk -v name="$1" -v hosts="$HOSTS" -v refresh="$REFRESH" '
		FNR == NR { a[$1] = $2; next }
		{ b[$1] = $2 }
		END {
			secs = b["wall"] - a["wall"]
			for (k in b) if (k ~ /^req:/ && (b[k] - a[k] > 0 || k == "req:revisions"))
				printf "| %s | %s/s | %.1f |\n", name, substr(k, 5), (b[k] - a[k]) / secs
			printf "| %s | store CPU (%% of one core) | %.1f |\n", name, (b["store_cpu_ns"] - a["store_cpu_ns"]) / secs / 1e7
			printf "| %s | store RSS (MiB) | %.1f |\n", name, b["store_rss_kb"] / 1024
			if (!b["daemons_rss_kb"]) exit
			printf "| %s | daemon CPU per refresh (ms, mean) | %.2f |\n", name,
				(b["daemons_cpu_ns"] - a["daemons_cpu_ns"]) / hosts / (secs / refresh) / 1e6
			printf "| %s | daemon RSS (MiB, mean / max) | %.1f / %.1f |\n", name,
				b["daemons_rss_kb"] / hosts / 1024, b["daemons_rss_max_kb"] / 1024
		}' "$2" "$3" | sort -t'|' -k2,3
}

# --- one host killed --------------------------------------------------------

# fleet_kill_test: SIGKILL of host 0; seconds until its keys are gone from
# the store and (Redis) from the rendered file.
fleet_kill_test() {
	local t0 t_store t_file="" render=""
	t0=$(bench_now)
	fleet_kill_host 0 KILL
	if [ "$STORE" = redis ] && [ "$RENDERS_HOSTS" = yes ]; then
		fleet_render_until_gone 0 $((EXPIRE * 3 + 60)) >"$BH_TMP/kill-render" &
		render=$!
	fi
	fleet_wait_host_gone 0 $((EXPIRE * 3))
	t_store=$(bench_now)
	[ -z "$render" ] || wait "$render"
	echo "| kill | host's keys gone from the store (s after SIGKILL; expire $EXPIRE) | $(fleet_secs "$t0" "$t_store") |"
	if [ "$STORE" = redis ]; then
		if [ "$RENDERS_HOSTS" = yes ]; then
			t_file=$(cat "$BH_TMP/kill-render")
			echo "| kill | host's servers gone from the rendered nginx file (s after SIGKILL; renders in a loop) | $(fleet_secs "$t0" "$t_file") |"
		else
			echo "| kill | host's servers gone from the rendered nginx file | n/a: the recipe renders no host-id registration |"
		fi
	fi
	fleet_start_host 0 up
	fleet_wait_all "host 0 back"
}

# fleet_render_until_gone H TIMEOUT: renders the nginx recipe again and
# again (confd's interval mode, without its sleep) until no upstream server
# of host H is in the file; prints the time of that render's end.
fleet_render_until_gone() {
	local deadline=$(($(date +%s) + $2)) out="$BH_TMP/kill-nginx.conf"
	local pattern="server 10\\.$(($1 / 256))\\.$(($1 % 256))\\."
	while [ "$(date +%s)" -lt "$deadline" ]; do
		bh_recipe_render beachhead-nginx "$out"
		grep -q "$pattern" "$out" || { bench_now; return 0; }
	done
	echo "(still rendered after $2 s)"
}

fleet_wait_host_gone() {
	local deadline=$(($(date +%s) + $2))
	while [ -n "$(fleet_keys "$1")" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || bh_fail "host $1's keys stayed in $STORE for $2 s"
		sleep 0.1
	done
}

# --- 10 % restarting ---------------------------------------------------------

# fleet_wait_restarted N: hosts 1..N started again (their "started" line)
# and every registration in the store.
fleet_wait_restarted() {
	local h deadline=$(($(date +%s) + 120)) rev
	for h in $(seq 1 "$1"); do
		until grep -q 'core: info: started' "$BH_TMP/h/$h/$STORE.up.log"; do
			[ "$(date +%s)" -lt "$deadline" ] || bh_fail "host $h did not start again"
			sleep 0.1
		done
	done
	fleet_wait_all "every registration after the restart"
}

# fleet_wait_quiet: on etcd, until no write for a second (the restarted
# daemons' puts are all in); Redis is written every refresh anyway.
fleet_wait_quiet() {
	local deadline=$(($(date +%s) + 60)) rev
	[ "$STORE" = etcd ] || return 0
	rev=$(fleet_revision)
	until sleep 1 && [ "$(fleet_revision)" = "$rev" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || bh_fail "etcd's revision keeps moving after the restart"
		rev=$(fleet_revision)
	done
}

fleet_restart_test() {
	local n t0 t1 h
	n=$(((HOSTS + 9) / 10))
	fleet_store_counters >"$BH_TMP/restart.0"
	t0=$(bench_now)
	for h in $(seq 1 "$n"); do kill -TERM "$(fleet_pid "$h")"; done
	for h in $(seq 1 "$n"); do fleet_kill_host "$h" TERM; done
	for h in $(seq 1 "$n"); do fleet_start_host "$h" up; done
	fleet_wait_restarted "$n"
	t1=$(bench_now)
	fleet_wait_quiet
	fleet_store_counters >"$BH_TMP/restart.1"
	echo "| restart 10% | hosts restarted at once | $n |"
	echo "| restart 10% | time back to steady state (s) | $(fleet_secs "$t0" "$t1") |"
	awk -v n="$n" -v store="$STORE" 'FNR == NR { a[$1] = $2; next }
		{ b[$1] = $2 }
		END {
			split(store == "etcd" ? "revisions" : "SET DEL", kinds, " ")
			for (i in kinds)
				printf "| restart 10%% | %s written | %d |\n", kinds[i], b["req:" kinds[i]] - a["req:" kinds[i]]
		}' "$BH_TMP/restart.0" "$BH_TMP/restart.1"
}

# --- the nginx recipe ----------------------------------------------------------

# fleet_render_figures LABEL: renders the nginx recipe of $BH_RECIPES from
# every registration and runs its check_cmd; sets SERVERS (upstream servers
# rendered).
fleet_render_figures() {
	local out="$BH_TMP/nginx.conf"
	fleet_render_nginx "$out"
	SERVERS=$(grep -c '^    server [0-9]' "$out")
	echo "| render$1 | stand-in render of the nginx recipe (ms) | $FLEET_RENDER_MS |"
	echo "| render$1 | output (bytes / upstream servers / server blocks) | $(wc -c <"$out") / $SERVERS / $(grep -c '^server {' "$out") |"
	echo "| render$1 | nginx -t on it (ms) | $FLEET_CHECK_MS |"
}

# The shipped recipe; if it renders no registration (it reads one key
# level, and host ids make two), also a copy of it whose key pattern reads
# two levels, labelled as such: an estimate of what a two-level recipe
# costs.  The kill test renders whichever of them renders the fleet.
fleet_render_test() {
	local shipped=$BH_RECIPES
	RENDERS_HOSTS=no
	fleet_render_figures ""
	if [ "$SERVERS" -gt 0 ]; then
		RENDERS_HOSTS=yes
		return 0
	fi
	echo "| render | note | the shipped recipe renders no registration under host ids |"
	BH_RECIPES=$(fleet_two_level_recipes "$BH_TMP/recipes")
	fleet_render_figures " (copy reading two levels)"
	if [ "$SERVERS" -gt 0 ]; then RENDERS_HOSTS=yes; else BH_RECIPES=$shipped; fi
}

# --- one store --------------------------------------------------------------

fleet_phase() {
	STORE=$1
	local t0 t1
	fleet_store_start
	fleet_window idle 6 # the store alone: its own heartbeats, no daemon
	t0=$(bench_now)
	for h in $(seq 0 $((HOSTS - 1))); do fleet_start_host "$h" churn; done
	fleet_wait_all "every registration in $STORE"
	t1=$(bench_now)
	echo "| start | every registration in the store (s after the first daemon started) | $(fleet_secs "$t0" "$t1") |"
	sleep $((2 * REFRESH))
	fleet_window steady
	touch "$BH_TMP/churn"
	sleep 1.5 # every daemon saw the cue (the inspectors look once a second)
	fleet_window churn
	fleet_wait_churn_done
	RENDERS_HOSTS=no
	[ "$STORE" = redis ] && fleet_render_test
	fleet_kill_test
	fleet_restart_test
	fleet_check_exactly_once
	echo "| check | registrations in the store, each exactly once (claim keys @... not counted) | $(wc -l <"$BH_TMP/found") |"
	echo "| check | namespace claim keys (last segment @...) | $(fleet_claim_count) |"
	BH_RECIPES=$top_srcdir/etc/confd
	fleet_stop_all
	fleet_store_stop
}

echo "### $HOSTS hosts x $CONTAINERS containers ($((HOSTS * CONTAINERS)) registrations), expire $EXPIRE s, refresh $REFRESH s"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for store in $STORES; do
	echo
	echo "#### $store"
	echo
	echo "| phase | figure | value |"
	echo "|---|---|---:|"
	fleet_phase "$store"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
