#!/bin/sh
# What the namespace sweep costs a real redis-server that holds many keys of
# others (a fleet of daemons on one server, or an application's keys):
#   1. the first sweep on the link is complete: a leftover among 100,000
#      other keys goes;
#   2. after it, a pass costs a bounded number of SCAN steps, not one per
#      500 buckets of the whole database (263 per pass here, 1,860 with a
#      million keys): counted from INFO commandstats against the passes the
#      daemon logged, so it holds on any machine speed;
#   3. a new link sweeps completely again: a leftover put there meanwhile
#      goes within a few passes, not after a cycle of slices.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
scans() { bh_redis_cli info commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
passes() { grep -c 'full pass [0-9]* ends' "$BH_TMP/err"; }

bh_redis_cli eval "for i = 1, 100000 do redis.call('SET', '/other/k' .. i, 'x') end" 0 >/dev/null ||
	bh_fail "seeding 100,000 keys"
[ "$(bh_redis_cli set /beachhead/h1/ghost '[]')" = OK ] || bh_fail "SET ghost"
printf 'up web 10.41.0.1 web.example.org\n' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/conf" unix
bh_redis_start_daemon "$BH_TMP/conf" --refresh 1 --expire 0 --host-id h1 --verbose

# 1.
bh_redis_wait_keys 0 20 /beachhead/h1/ghost || fail "the first sweep left the leftover"
bh_redis_wait_keys 1 5 /beachhead/h1/web || fail "web was not published"

# 2. Past the first sweep (its passes are logged before the window opens),
#    then a window of at least three passes.
bh_wait_for 20 '[ "$(passes)" -ge 2 ]' "two passes" || fail "the daemon makes no passes"
scan1=$(scans)
pass1=$(passes)
bh_wait_for 30 '[ "$(passes)" -ge $((pass1 + 3)) ]' "three more passes" || fail "passes stopped"
scan2=$(scans)
pass2=$(passes)
# One slice (8 steps) per pass; one more pass may have begun its slice.
per_pass_bound=10
[ $((scan2 - scan1)) -le $(((pass2 - pass1 + 1) * per_pass_bound)) ] ||
	fail "$((scan2 - scan1)) SCAN steps in $((pass2 - pass1)) passes: each pass walks the whole database"
bh_note "$((scan2 - scan1)) SCAN steps in $((pass2 - pass1)) passes over 100,001 keys"

# 3. The daemon's link is cut; the stray key must go with the next
#    complete sweep, long before a cycle of slices (131,072 buckets /
#    4,000 a pass = 33 passes) would reach it.
[ "$(bh_redis_cli set /beachhead/h1/stray '[]')" = OK ] || bh_fail "SET stray"
bh_redis_cli client kill type normal >/dev/null || bh_fail "CLIENT KILL"
bh_redis_wait_keys 0 15 /beachhead/h1/stray || fail "a new link did not sweep completely"
bh_redis_wait_keys 1 5 /beachhead/h1/web || fail "web went"
# 100,000 others, web and the namespace's claim (@owner).
[ "$(bh_redis_key_count)" = 100002 ] || fail "other keys went: $(bh_redis_key_count) left"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
