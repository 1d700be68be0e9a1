#!/bin/sh
# The namespace sweep with Redis Sentinel (real master, replicas and
# sentinels; keys without expiry): it runs on the master the sentinels name,
# and after a failover on the new master; keys outside the namespace stay on
# both.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/sentinel.sh"
bh_sentinel_require
bh_setup_tmp
BASE=26400
# (No 5 s wait before a replica's first sync.)
bh_sentinel_start $BASE --repl-diskless-sync-delay 0
for key in /beachhead/hostS/ghost /beachhead/hostSS/web; do
	[ "$(bh_sentinel_cli $BASE set "$key" '[]')" = OK ] || bh_fail "SET $key"
done
# On every replica before the failover, so that the new master has it.
for port in $((BASE + 1)) $((BASE + 2)); do
	bh_wait_for 10 "[ \"\$(bh_sentinel_cli $port exists /beachhead/hostSS/web)\" = 1 ]" "replication to $port" ||
		bh_fail "the replicas did not sync"
done

echo 'up web 10.40.5.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" none \
	"sentinels = [ $BH_SENTINEL_LIST ]; master_name = \"mymaster\";" 'expire = 0;' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf" --host-id hostS
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
# keys PORT: the namespace's keys on that server, one line (not the
# daemon's claim on it, /beachhead/hostS/@owner)
keys() { bh_sentinel_cli "$1" --scan --pattern '/beachhead/hostS/*' | grep -v @owner | sort | tr '\n' ' '; }

bh_wait_for 10 "[ \"\$(keys $BASE)\" = '/beachhead/hostS/web ' ]" "the master to hold hostS/web only" ||
	fail "the leftover on the master stayed: $(keys $BASE)"
grep -q "deleting 1 keys under /beachhead/hostS/ that no running container backs" "$BH_TMP/err" ||
	fail "the sweep was not logged"

bh_wait_for 20 "bh_sentinel_cli $((BASE + 5)) sentinel failover mymaster | grep -q '^OK'" \
	"SENTINEL FAILOVER to be accepted" || fail "no failover"
bh_sentinel_wait_master $BASE 20 || fail "the sentinels did not fail over"
NEW=$(bh_sentinel_master_port)
bh_wait_for 10 "grep -q 'failover of master mymaster: from 127.0.0.1:$BASE to 127.0.0.1:$NEW' '$BH_TMP/err'" \
	"the daemon on the new master" || fail "the daemon did not follow the failover"
[ "$(bh_sentinel_cli "$NEW" set /beachhead/hostS/ghost2 '[]')" = OK ] || fail "SET on the new master"
bh_wait_for 5 "[ \"\$(keys $NEW)\" = '/beachhead/hostS/web ' ]" "the new master to hold hostS/web only" ||
	fail "the leftover on the new master stayed: $(keys "$NEW")"
[ "$(bh_sentinel_cli "$NEW" exists /beachhead/hostSS/web)" = 1 ] ||
	fail "the sweep left its namespace: $(bh_sentinel_cli "$NEW" --scan | tr "\n" " ")"
bh_redis_stop_daemon
bh_check_valgrind
