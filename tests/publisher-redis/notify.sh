#!/bin/sh
# notify_channel: one PUBLISH per batch of real changes ("N changed"); a
# refresh that changes nothing publishes nothing; a withdrawal does.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

cat >"$BH_TMP/script" <<'SCRIPT'
up a 10.10.0.2 a.example.org
up b 10.10.0.3 b.example.org
wait 3000
down a
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" unix 'notify_channel = "beachhead-changes";' \
	'expire = 10;' 'refresh = 1;'

bh_redis_cli subscribe beachhead-changes >"$BH_TMP/sub" &
bh_on_exit "kill $!"
bh_wait_for 5 "grep -q '^subscribe' '$BH_TMP/sub'" "the subscription" || bh_fail "SUBSCRIBE failed"

bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" "$BH_TMP/sub" >&2; bh_fail "$@"; }
notices() { grep -c '^message$' "$BH_TMP/sub"; }

bh_wait_for 5 "[ \$(notices) -ge 1 ]" "the first notice" || fail "no notice for the first SETs"
first=$(notices)
grep -q '^2 changed$' "$BH_TMP/sub" || [ "$first" = 2 ] || fail "the first notice does not count both keys"
sleep 1.5 # at least one refresh, which changes nothing
[ "$(notices)" = "$first" ] || fail "a refresh without changes published a notice"
bh_wait_for 5 "[ \$(notices) -gt $first ]" "the notice for the withdrawal" || fail "no notice for the DEL"
[ "$(tail -n 1 "$BH_TMP/sub")" = "1 changed" ] || fail "last notice: $(tail -n 1 "$BH_TMP/sub")"
[ "$(bh_redis_cli exists /beachhead/a)" = 0 ] || fail "/beachhead/a not deleted"
bh_redis_stop_daemon
bh_check_valgrind
