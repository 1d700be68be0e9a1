#!/bin/sh
# A container removed while Redis is down must not linger: its DEL is
# remembered and sent after the reconnect.  Redis comes back WITH its data
# (SAVE before the kill), so only that DEL can remove the key; the other
# key stays, refreshed by the replay.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start

cat >"$BH_TMP/script" <<'SCRIPT'
up keep 10.6.0.2 keep.example.org
up drop 10.6.0.3 drop.example.org
wait 2000
down drop
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
expire = 60;
refresh = 27;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 5 "[ \"\$(bh_redis_cli dbsize)\" = 2 ]" "2 keys" || fail "keys never appeared"
grep -q 'withdrawing /beachhead/drop' "$BH_TMP/err" && fail "test too slow: withdrawal came before the outage"
bh_redis_cli save >/dev/null || fail "SAVE"
bh_redis_kill KILL
bh_wait_for 5 "grep -q 'withdrawing /beachhead/drop' '$BH_TMP/err'" "the withdrawal" ||
	fail "no withdrawal during the outage"
bh_redis_restart
[ "$(bh_redis_cli exists /beachhead/drop)" = 1 ] || fail "the saved data did not come back"
bh_wait_for 5 "[ \"\$(bh_redis_cli exists /beachhead/drop)\" = 0 ]" "the deferred DEL" ||
	fail "/beachhead/drop lingers after the reconnect"
[ "$(bh_redis_cli exists /beachhead/keep)" = 1 ] || fail "/beachhead/keep is gone"
kill -TERM $pid
wait $pid
status=$?
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "daemon exited with $status"
bh_check_valgrind
