#!/bin/sh
# The ACLs of docs/redis-acl.md, read from that file and applied to a real
# redis-server: the daemon's user with the daemon itself (SELECT of a
# database other than 0, SET, DEL, PUBLISH on its notify_channel, INFO, the
# keyspace watch, no error logged), confd's rights on `default` with the commands confd sends (AUTH
# with a password alone, SELECT, PING, TYPE, GET, SCAN MATCH, PSUBSCRIBE
# __keyspace@N__:PREFIX*), and nothing beyond them.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --notify-keyspace-events 'K$g'
DOC=$top_srcdir/docs/redis-acl.md
DB=2

# An administrator of our own: `default` becomes confd's below.
bh_redis_cli acl setuser admin on '>admin-pass' '~*' '&*' '+@all' >/dev/null || bh_fail "ACL SETUSER admin"
bh_redis_cli() {
	redis-cli --no-auth-warning --user admin --pass admin-pass -s "$BH_REDIS_SOCK" "$@"
}

# acl_apply 'LINE' SED-EXPRESSION: runs one `ACL SETUSER` line of the
# document (indented code) through redis-cli; OK or fail.
acl_apply() {
	line=$(grep "^    $1" "$DOC" | sed 's/^    //; '"$2")
	[ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || bh_fail "docs/redis-acl.md: not one line '$1': $line"
	set -f # the patterns (~/beachhead/*) are words for Redis, not globs
	# shellcheck disable=SC2086 # one word per ACL rule
	reply=$(bh_redis_cli $line 2>&1)
	set +f
	[ "$reply" = OK ] || bh_fail "Redis refused docs/redis-acl.md's '$line': $reply"
}
acl_apply 'ACL SETUSER beachhead reset' "s/DAEMON-PASSWORD/daemon-pass/; s/__keyspace@0__/__keyspace@${DB}__/"
acl_apply 'ACL SETUSER beachhead &CHANNEL' 's/CHANNEL/bh-changes/'
acl_apply 'ACL SETUSER default reset' "s/CONFD-PASSWORD/confd-pass/; s/__keyspace@0__/__keyspace@${DB}__/"

# confd: a password alone (the default user), database DB.
confd_cli() {
	redis-cli --no-auth-warning -a confd-pass -n $DB -s "$BH_REDIS_SOCK" "$@"
}
# confd's watch: PSUBSCRIBE to the keyspace channel of the prefix.
confd_cli psubscribe "__keyspace@${DB}__:/beachhead*" >"$BH_TMP/watch" 2>&1 &
bh_on_exit "kill $!"
bh_wait_for 5 "grep -q '^psubscribe' '$BH_TMP/watch'" "confd's PSUBSCRIBE" ||
	{ cat "$BH_TMP/watch" >&2; bh_fail "PSUBSCRIBE refused"; }

# The daemon as its ACL user, in database DB, with a notify channel.
printf 'daemon-pass\n' >"$BH_TMP/password"
chmod 600 "$BH_TMP/password"
cat >"$BH_TMP/script" <<'SCRIPT'
up web 10.3.0.2 example.org
up gone 10.3.0.3 gone.example.org
wait 1500
down gone
SCRIPT
bh_redis_config_file "$BH_TMP/c.conf" unix \
	"user = \"beachhead\"; password_file = \"$BH_TMP/password\"; database = $DB; notify_channel = \"bh-changes\";"
bh_redis_start_daemon "$BH_TMP/c.conf"
bh_wait_for 10 "[ \"\$(bh_redis_cli -n $DB exists /beachhead/web)\" = 1 ]" "the SET as the ACL user" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
bh_wait_for 10 "grep -q 'withdrawing /beachhead/gone' '$BH_TMP/err'" "the withdrawal" || { cat "$BH_TMP/err" >&2; exit 1; }
bh_wait_for 5 "[ \"\$(bh_redis_cli -n $DB exists /beachhead/gone)\" = 0 ]" "the DEL as the ACL user" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
sleep 0.5 # the PUBLISH after the DEL
bh_redis_stop_daemon 2>/dev/null
! grep -q 'NOPERM\|failed\|error' "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "the daemon ran into its ACL"; }
grep -q "connected to redis unix:$BH_REDIS_SOCK, database $DB" "$BH_TMP/err" || bh_fail "not connected to database $DB"

# confd's reads, exactly as confd sends them.
[ "$(confd_cli ping)" = PONG ] || bh_fail "confd: PING refused"
[ "$(confd_cli type /beachhead)" = none ] || bh_fail "confd: TYPE /beachhead refused: $(confd_cli type /beachhead)"
[ -z "$(confd_cli get /beachhead)" ] || bh_fail "confd: GET /beachhead: $(confd_cli get /beachhead)"
scan=$(confd_cli scan 0 match '/beachhead/*' count 1000)
printf '%s\n' "$scan" | grep -qx /beachhead/web || bh_fail "confd: SCAN MATCH did not list /beachhead/web: $scan"
[ "$(confd_cli type /beachhead/web)" = string ] || bh_fail "confd: TYPE /beachhead/web"
confd_cli get /beachhead/web | grep -q '"host":"10.3.0.2"' || bh_fail "confd: GET /beachhead/web: $(confd_cli get /beachhead/web)"
# The watch saw the daemon's writes.
grep -qx set "$BH_TMP/watch" || { cat "$BH_TMP/watch" >&2; bh_fail "confd's watch saw no set"; }
grep -qx del "$BH_TMP/watch" || { cat "$BH_TMP/watch" >&2; bh_fail "confd's watch saw no del"; }

# ...and nothing more: confd cannot write or read outside the prefix, the
# daemon cannot read or write outside its prefix.
confd_cli set /beachhead/web x 2>&1 | grep -q NOPERM || bh_fail "confd may SET"
confd_cli get /other 2>&1 | grep -q NOPERM || bh_fail "confd may read outside the prefix"
redis-cli --no-auth-warning --user beachhead --pass daemon-pass -n $DB -s "$BH_REDIS_SOCK" get /other 2>&1 |
	grep -q NOPERM || bh_fail "the daemon's user may read outside the prefix"
redis-cli --no-auth-warning --user beachhead --pass daemon-pass -n $DB -s "$BH_REDIS_SOCK" set /other x 2>&1 |
	grep -q NOPERM || bh_fail "the daemon's user may write outside the prefix"
bh_check_valgrind
exit 0
