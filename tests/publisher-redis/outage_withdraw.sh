#!/bin/sh
# A container removed while Redis is down must not linger: its DEL is
# remembered and sent after the reconnect.  Redis comes back WITH its data
# (SAVE before the kill), so only that DEL can remove the key; the other
# key stays, refreshed by the replay.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up keep 10.6.0.2 keep.example.org
up drop 10.6.0.3 drop.example.org
wait 2000
down drop
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp '' 'expire = 60;' 'refresh = 27;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_redis_wait_keys 2 5 || fail "keys never appeared"
grep -q 'withdrawing /beachhead/drop' "$BH_TMP/err" && fail "test too slow: withdrawal came before the outage"
bh_redis_cli save >/dev/null || fail "SAVE"
bh_redis_kill KILL
bh_wait_for 5 "grep -q 'withdrawing /beachhead/drop' '$BH_TMP/err'" "the withdrawal" ||
	fail "no withdrawal during the outage"
bh_redis_restart
[ "$(bh_redis_cli exists /beachhead/drop)" = 1 ] || fail "the saved data did not come back"
bh_redis_wait_keys 0 5 /beachhead/drop || fail "/beachhead/drop lingers after the reconnect"
[ "$(bh_redis_cli exists /beachhead/keep)" = 1 ] || fail "/beachhead/keep is gone"
bh_redis_stop_daemon
bh_check_valgrind
