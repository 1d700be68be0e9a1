#!/bin/sh
# Without a host id, two hosts that publish the same container name into one
# prefix overwrite each other (the layout allows it): each daemon notices it
# with SET ... GET (Redis 7 here) and warns once per key, naming the key and
# saying to set host_id; keys nobody else writes cause no warning.  No
# keyspace notifications here: the refresh (every second) is what writes.
# Then a server older than 6.2 (no SET ... GET; a STAND-IN proxy,
# tests/publisher-redis/standin-redis.py oldversion, makes the real one look like
# 6.0): the check is skipped with one info line, nothing else changes.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

printf '%s\n' 'up web 10.70.0.1 web.example.org' 'up only-a 10.70.0.2 a.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.70.1.1 web.example.org' >"$BH_TMP/b.script"
for name in a b; do
	{
		printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\n' "$BH_TMP/$name.script"
		printf 'publishers = ( { plugin = "publisher-redis"; socket = "%s"; } );\n' "$BH_REDIS_SOCK"
		printf 'enumerate = true;\nrefresh = 1;\n'
	} >"$BH_TMP/$name.conf"
	mkdir -p "$BH_TMP/state-$name"
	BEACHHEAD_STATE_DIR="$BH_TMP/state-$name" $(bh_daemon_cmd) -c "$BH_TMP/$name.conf" \
		--no-timestamp 2>"$BH_TMP/$name.err" &
	eval "pid_$name=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
done
fail() { for f in "$BH_TMP"/*.err; do echo "== $f" >&2; cat "$f" >&2; done; bh_fail "$@"; }

warning='warning: .*/beachhead/web held a value this daemon did not write.*give each host its own host_id'
for name in a b; do
	bh_wait_for 20 "grep -q '$warning' '$BH_TMP/$name.err'" "daemon $name's warning" ||
		fail "daemon $name did not notice the other writer"
done
sleep 3 # three more refreshes of each, each overwriting the other's value
for name in a b; do
	[ "$(grep -c 'held a value this daemon did not write' "$BH_TMP/$name.err")" = 1 ] ||
		fail "daemon $name did not warn exactly once"
done
grep -q 'only-a.*did not write' "$BH_TMP/a.err" && fail "a key nobody else writes was warned about"
for name in a b; do
	eval "pid=\$pid_$name"
	kill -TERM "$pid"
	wait "$pid" || fail "daemon $name exited with $? after SIGTERM"
done

# An older server.
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
PROXY=$BH_TMP/old.sock
python3 "$top_srcdir/tests/publisher-redis/standin-redis.py" oldversion "$PROXY" "$BH_REDIS_SOCK" >"$BH_TMP/proxy.out" &
bh_on_exit "kill $!"
bh_wait_for 5 "grep -q ready '$BH_TMP/proxy.out'" "the stand-in proxy" || bh_fail "the stand-in did not start"
sed "s|$BH_REDIS_SOCK|$PROXY|" "$BH_TMP/a.conf" >"$BH_TMP/old.conf"
BEACHHEAD_STATE_DIR="$BH_TMP/state-a" $(bh_daemon_cmd) -c "$BH_TMP/old.conf" --no-timestamp \
	2>"$BH_TMP/old.err" &
pid_old=$!
bh_on_exit "kill -9 $pid_old 2>/dev/null"
bh_wait_for 20 "grep -q 'info: redis unix:$PROXY is version 6\.0\.[0-9]*: .*SET \.\.\. GET needs 6\.2.*host_id' '$BH_TMP/old.err'" \
	"the info line" || fail "no info line for a server without SET ... GET"
bh_wait_for 5 "bh_redis_cli get /beachhead/web | grep -q 10.70.0.1" "web published" || fail "web (old server)"
bh_redis_cli set /beachhead/web '[]' >/dev/null # what SET ... GET would see at the next refresh
bh_wait_for 5 "bh_redis_cli get /beachhead/web | grep -q 10.70.0.1" "web put back" || fail "web (old server, 2)"
grep -q 'did not write' "$BH_TMP/old.err" && fail "SET ... GET was used on a server before 6.2"
[ "$(grep -c 'needs 6\.2' "$BH_TMP/old.err")" = 1 ] || fail "the info line was not said once"
kill -TERM "$pid_old"
wait "$pid_old" || fail "the daemon exited with $? after SIGTERM"
bh_check_valgrind
exit 0
