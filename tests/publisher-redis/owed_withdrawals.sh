#!/bin/sh
# Withdrawals owed while Redis is down (expire = 0: nothing ever removes
# those keys but their DEL) outlive the publisher that owes them:
#   1. a reload (SIGHUP) during the outage hands them to the new publisher,
#      which deletes the key once Redis is back;
#   2. a SIGTERM during the outage names the keys left behind.
# Redis comes back WITH its data (SAVE before the kill), so only the DEL can
# remove the key.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up keep 10.14.0.2 keep.example.org
up drop 10.14.0.3 drop.example.org
wait 1500
down drop
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp '' 'expire = 0;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

# 1. Reload during the outage.
bh_redis_wait_keys 2 5 || fail "keys never appeared"
grep -q 'withdrawing /beachhead/drop' "$BH_TMP/err" && fail "test too slow: withdrawal came before the outage"
# A key the daemon never touches proves that the saved data came back (the
# daemon may delete /beachhead/drop before the test can look at it).
bh_redis_cli set /other/marker 1 >/dev/null || fail "SET marker"
bh_redis_cli save >/dev/null || fail "SAVE"
bh_redis_kill KILL
bh_wait_for 5 "grep -q 'withdrawing /beachhead/drop' '$BH_TMP/err'" "the withdrawal" ||
	fail "no withdrawal during the outage"
# The reloaded inspector (the script runs again) never sees drop: only the
# handed-over withdrawal can delete it.
echo 'up keep 10.14.0.2 keep.example.org' >"$BH_TMP/script"
kill -HUP "$BH_REDIS_DAEMON_PID"
bh_wait_for 10 "grep -q 'reloaded ' '$BH_TMP/err'" "the reload" || fail "no reload"
bh_redis_restart
[ "$(bh_redis_cli exists /other/marker)" = 1 ] || fail "the saved data did not come back"
bh_redis_wait_keys 0 8 /beachhead/drop || fail "/beachhead/drop lingers after the reload and the reconnect"
bh_redis_wait_keys 1 3 /beachhead/keep || fail "/beachhead/keep is gone"
[ "$(bh_redis_cli ttl /beachhead/keep)" = -1 ] || fail "expire = 0 but /beachhead/keep has a TTL"
grep -q 'publisher-redis hands 1 owed withdrawal(s) to publishers\[0\] of the new configuration' "$BH_TMP/err" ||
	fail "the owed withdrawal was not handed over"
bh_redis_stop_daemon

# 2. SIGTERM during the outage: the keys left behind are named.
cat >"$BH_TMP/script" <<'SCRIPT'
up keep 10.14.0.2 keep.example.org
up gone 10.14.0.4 gone.example.org
wait 1500
down gone
SCRIPT
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 1 5 /beachhead/gone || fail "gone never appeared"
bh_redis_kill KILL
bh_wait_for 5 "grep -q 'withdrawing /beachhead/gone' '$BH_TMP/err'" "the withdrawal" ||
	fail "no withdrawal during the outage"
bh_redis_stop_daemon
grep -q "warning: redis 127.0.0.1:$BH_REDIS_PORT: 1 withdrawn key(s) left behind, their DEL never reached the server (with expire = 0 they never expire): /beachhead/gone$" "$BH_TMP/err" ||
	bh_fail "the key left behind was not named at exit"
bh_check_valgrind
