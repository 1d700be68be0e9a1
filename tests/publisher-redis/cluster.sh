#!/bin/sh
# Redis Cluster is refused at the handshake, and no write is ever called a
# success when the server refused it:
#   1. a real 2-node Redis Cluster on loopback (half of the slots each): the
#      daemon, pointed at one node, logs one error saying that Cluster is not
#      supported and that a standalone server or Sentinel is; not one SET
#      reaches either node; no "succeed" line; a one-pass run exits 1;
#   2. a standalone server that refuses the writes of some keys (an ACL
#      that allows /beachhead/a* only) while others succeed: the refusal is
#      reported, and no "writes ... succeed again" line follows while a key
#      is still refused (each refresh re-sends it and it is refused again).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

# 1. Two cluster nodes.  Each attempt gets its own directories: a node of a
# failed attempt (a port taken, a slow start) may still hold its nodes.conf,
# and Redis refuses a cluster configuration file another node has locked.
node() { # node DIR PORT
	mkdir -p "$1"
	redis-server --bind 127.0.0.1 --port "$2" --cluster-enabled yes \
		--cluster-config-file "$1/nodes.conf" --dir "$1" --save '' \
		--appendonly no --daemonize no --logfile "$1/log" &
	bh_on_exit "kill -9 $! 2>/dev/null"
	NODE_PIDS="$NODE_PIDS $!"
}
for attempt in 1 2 3; do
	PA=$(bh_redis_random_port)
	PB=$((PA + 1))
	NODE_PIDS=
	node "$BH_TMP/try$attempt/na" "$PA"
	node "$BH_TMP/try$attempt/nb" "$PB"
	bh_wait_for 15 "redis-cli -p $PA ping && redis-cli -p $PB ping" "the cluster nodes" && break
	[ "$attempt" = 3 ] && bh_fail "cluster nodes did not start: $(tail -n 3 "$BH_TMP"/try*/n?/log)"
	kill -9 $NODE_PIDS 2>/dev/null
done
cli_a() { redis-cli -p "$PA" "$@"; }
cli_b() { redis-cli -p "$PB" "$@"; }
[ "$(cli_a cluster addslotsrange 0 8191)" = OK ] || bh_fail "ADDSLOTSRANGE a"
[ "$(cli_b cluster addslotsrange 8192 16383)" = OK ] || bh_fail "ADDSLOTSRANGE b"
cli_a cluster meet 127.0.0.1 "$PB" >/dev/null || bh_fail "CLUSTER MEET"
bh_wait_for 20 "cli_a cluster info | grep -q 'cluster_state:ok' && cli_b cluster info | grep -q 'cluster_state:ok'" \
	"cluster_state:ok" || bh_fail "the cluster did not form"
cli_a info cluster | grep -q 'cluster_enabled:1' || bh_fail "not a cluster"

bh_redis_script_containers 20 10.8 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/cluster.conf" none "host = \"127.0.0.1\"; port = $PA;" 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/cluster.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
bh_wait_for 15 "grep -q 'error: .*Redis Cluster is not supported' '$BH_TMP/err'" "the refusal" ||
	fail "Cluster was not refused"
sleep 3 # three refreshes and several reconnects
[ "$(grep -c 'Cluster is not supported' "$BH_TMP/err")" = 1 ] || fail "the refusal was not logged once"
grep 'Cluster is not supported' "$BH_TMP/err" | grep -q 'standalone server.*Sentinel' ||
	fail "the refusal does not say what is supported"
grep -q 'succeed' "$BH_TMP/err" && fail "a write was called a success"
for cli in cli_a cli_b; do
	$cli info commandstats | grep -q '^cmdstat_set:' && fail "a SET reached a cluster node ($cli)"
	[ "$($cli dbsize)" = 0 ] || fail "a cluster node holds keys ($cli)"
done
bh_redis_stop_daemon 2>/dev/null
bh_redis_run_once "$BH_TMP/cluster.conf" "$BH_TMP/once.err" 1 "one pass against a Cluster node"
grep -q 'Cluster is not supported' "$BH_TMP/once.err" || bh_fail "one pass: no refusal"

# 2. Some keys refused, others written.
bh_redis_cli acl setuser writer on '>pw' '~/beachhead/a*' +set +del +get +exists +ping +info >/dev/null ||
	bh_fail "ACL SETUSER"
printf '%s\n' 'up a1 10.8.1.1 a1.example.org' 'up b1 10.8.1.2 b1.example.org' \
	'up a2 10.8.1.3 a2.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/acl.conf" unix 'user = "writer"; password = "pw";' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/acl.conf"
bh_redis_wait_keys 2 5 /beachhead/a1 /beachhead/a2 || fail "the allowed keys were not written"
bh_wait_for 5 "grep -q 'refuses writes: NOPERM' '$BH_TMP/err'" "the refusal" || fail "the refusal was not reported"
sleep 4 # four refreshes: each writes a1 and a2 and has b1 refused again
grep -q 'succeed again' "$BH_TMP/err" && fail "writes were said to succeed again while b1 is refused"
[ "$(grep -c 'refuses writes' "$BH_TMP/err")" = 1 ] || fail "the refusal was not reported once"
# Once b1 may be written, the episode ends, with one true line.
bh_redis_cli acl setuser writer '~/beachhead/b*' >/dev/null || bh_fail "ACL SETUSER (2)"
bh_wait_for 8 "grep -q 'writes to redis .* succeed again' '$BH_TMP/err'" "the end of the episode" ||
	fail "no line when the writes succeeded again"
bh_redis_wait_keys 1 2 /beachhead/b1 || fail "b1 was not written"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
