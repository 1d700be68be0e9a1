#!/bin/sh
# Redis Sentinel, all real, with credentials everywhere: the data servers
# require a password and the daemon uses an ACL user and database 2; the
# sentinels require their own password (sentinel_password).  The first
# sentinel in the daemon's list has a stale view: it names as master a
# server that is in fact a replica (of another, unrelated master), and that
# replica even accepts writes (replica-read-only no).  The daemon checks
# ROLE, never writes there, asks the next sentinel and publishes on the real
# master.  Then a one-pass run through the same sentinels.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26320
BH_SENTINEL_CONF_EXTRA='sentinel auth-pass mymaster datapw
requirepass sentpw'
BH_SENTINEL_CLI_AUTH='-a sentpw'
bh_sentinel_start $BASE --requirepass datapw --masterauth datapw
data_cli() { BH_SENTINEL_CLI_AUTH='-a datapw' bh_sentinel_cli "$@"; }
# The stale pair: OTHER (unrelated master) and STALE (its writable replica),
# and a sentinel that monitors STALE under our master's name (a quorum it
# can never reach alone, so that it never starts a failover of its own).
bh_sentinel_server other $((BASE + 3)) --requirepass datapw --masterauth datapw
bh_sentinel_server stale $((BASE + 4)) --requirepass datapw --masterauth datapw \
	--replicaof 127.0.0.1 $((BASE + 3)) --replica-read-only no
bh_sentinel_sentinel stale-sentinel $((BASE + 8)) $((BASE + 4)) 5
for port in $BASE $((BASE + 4)); do
	data_cli $port acl setuser beachhead on '>bh pw' '~/beachhead/*' +set +del +ping +role +select >/dev/null ||
		bh_fail "ACL SETUSER on $port"
done
[ "$(bh_sentinel_cli $((BASE + 8)) sentinel get-master-addr-by-name mymaster | sed -n 2p)" = $((BASE + 4)) ] ||
	bh_fail "the stale sentinel does not name the replica"

echo 'up web 10.22.0.2 example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ \"127.0.0.1:$((BASE + 8))\", $BH_SENTINEL_LIST ]; master_name = \"mymaster\"; sentinel_password = \"sentpw\"; user = \"beachhead\"; password = \"bh pw\"; database = 2;" \
	'expire = 60;' 'refresh = 20;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "[ \"\$(data_cli $BASE -n 2 exists /beachhead/web)\" = 1 ]" "the key on the master, database 2" ||
	fail "the registration never reached the master"
ttl=$(data_cli $BASE -n 2 ttl /beachhead/web)
[ "$ttl" -gt 0 ] || fail "TTL $ttl"
grep -q "warning: redis 127.0.0.1:$((BASE + 4)) (master mymaster) refused the connection (ROLE says slave, not master)" "$BH_TMP/err" ||
	fail "the replica was not recognised by ROLE"
grep -q "connected to redis 127.0.0.1:$BASE (master mymaster), database 2" "$BH_TMP/err" || fail "no 'connected' line"
[ -z "$(data_cli $((BASE + 4)) info keyspace | tr -d '\r' | grep '^db')" ] || fail "the replica was written to"
[ "$(data_cli $BASE -n 0 dbsize)" = 0 ] || fail "database 0 was written"
! grep -q 'sentpw\|bh pw\|datapw' "$BH_TMP/err" || fail "a password was logged"
bh_redis_stop_daemon

# One pass (--refresh 0) ends before the sentinels have named the master:
# its SETs are held until the master is ready, and the run exits 0.
bh_redis_run_once "$BH_TMP/beachhead.conf" "$BH_TMP/once.err" 0 "one pass through Sentinel" --key-prefix /beachhead/once/
[ "$(data_cli $BASE -n 2 exists /beachhead/once/web)" = 1 ] || bh_fail "the one-pass run did not store its key"
bh_check_valgrind
