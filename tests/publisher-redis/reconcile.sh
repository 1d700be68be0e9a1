#!/bin/sh
# Reconciliation against a real redis-server with keyspace notifications on
# (K$gx; confd's watch mode needs K$g anyway) and the default refresh (27 s),
# so that only the keyspace watch can explain a repair within a second:
#   1. `DEL` (and `UNLINK`) of a key the daemon holds: back within 1 s, one
#      warning naming the key;
#   2. an overwrite: the daemon's value is back within 1 s, one warning;
#   3. a key that expires while its container runs: back;
#   4. FLUSHALL (no keyspace event at all): every key back within 1 s;
#   5. the daemon's own writes (its echoes) cause nothing: no SET while
#      nobody else writes;
#   6. without notifications: said once at start (info), and the refresh
#      (here every 2 s) repairs.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --notify-keyspace-events 'K$gx'

bh_redis_script_containers 3 10.7 >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
value() { bh_redis_cli get "$1"; }

bh_redis_wait_keys 3 10 /beachhead/c0 /beachhead/c1 /beachhead/c2 || fail "keys never appeared"
bh_wait_for 5 "grep -q 'following keyspace notifications under /beachhead/' '$BH_TMP/err'" \
	"the keyspace watch" || fail "the keyspace watch was not confirmed"
c1=$(value /beachhead/c1)
c2=$(value /beachhead/c2)

# back_within_1s KEY VALUE WHAT: the key holds VALUE again within a second
# (the refresh is 27 s away: only the keyspace watch can do that).  The
# time is taken from after the foreign command returned to when a poll
# (one redis-cli run each, a few ms apiece) sees the value.
back_within_1s() {
	bh_wait_for 1 "[ \"\$(value $1)\" = '$2' ]" "$1 back" || fail "$3: $1 not back within 1 s"
}

# 1. DEL and UNLINK.
[ "$(bh_redis_cli del /beachhead/c1)" = 1 ] || fail "DEL"
back_within_1s /beachhead/c1 "$c1" "DEL"
[ "$(grep -c 'warning: .*/beachhead/c1 was deleted by another client' "$BH_TMP/err")" = 1 ] ||
	fail "not one warning naming the deleted key"
[ "$(bh_redis_cli unlink /beachhead/c1)" = 1 ] || fail "UNLINK"
back_within_1s /beachhead/c1 "$c1" "UNLINK"

# 2. An overwrite.
[ "$(bh_redis_cli set /beachhead/c2 '[]')" = OK ] || fail "SET"
back_within_1s /beachhead/c2 "$c2" "overwrite"
[ "$(grep -c 'warning: .*/beachhead/c2 was overwritten by another client' "$BH_TMP/err")" = 1 ] ||
	fail "not one warning naming the overwritten key"

# 3. Expired under a running container.
[ "$(bh_redis_cli pexpire /beachhead/c0 50)" = 1 ] || fail "PEXPIRE"
bh_wait_for 3 "grep -q '/beachhead/c0 expired while its container still runs' '$BH_TMP/err'" \
	"the expiry" || fail "the expiry of a held key was not noticed"
bh_redis_wait_keys 1 1 /beachhead/c0 || fail "the expired key is not back"

# 4. FLUSHALL.
bh_redis_cli flushall >/dev/null
bh_redis_wait_keys 3 1 /beachhead/c0 /beachhead/c1 /beachhead/c2 ||
	fail "FLUSHALL: keys not back within 1 s"
grep -q 'vanished without a keyspace event' "$BH_TMP/err" || fail "FLUSHALL was not reported"
ttl=$(bh_redis_cli ttl /beachhead/c0)
[ "$ttl" -gt 50 ] || fail "restored key has TTL $ttl"

# 5. No echo loop: nobody else writes, so the daemon writes nothing.
sleep 1
sets() { bh_redis_cli info commandstats | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p'; }
before=$(sets)
sleep 2
after=$(sets)
[ "$before" = "$after" ] || fail "the daemon wrote $((after - before)) SETs while nobody else wrote"
bh_redis_stop_daemon

# 6. Without notifications.
bh_redis_cli config set notify-keyspace-events '' >/dev/null || bh_fail "CONFIG SET"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'refresh = 2;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_wait_for 5 "grep -q 'info: .*publishes no keyspace notifications.*put back by the next refresh (every 2 s)' '$BH_TMP/err'" \
	"the info line" || fail "no info line about the missing notifications"
bh_redis_wait_keys 3 10 /beachhead/c0 /beachhead/c1 /beachhead/c2 || fail "keys (2)"
bh_redis_cli del /beachhead/c1 >/dev/null
bh_redis_wait_keys 1 5 /beachhead/c1 || fail "the refresh did not repair"
[ "$(grep -c 'publishes no keyspace notifications' "$BH_TMP/err")" = 1 ] || fail "said more than once"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
