#!/bin/sh
# Without a host id, two hosts that publish the same container name into one
# prefix overwrite each other (the layout allows it): each daemon notices it
# with SET ... GET (Redis 7 here) and warns once per key, naming the key and
# saying to set host_id; keys nobody else writes cause no warning.  No
# keyspace notifications here: the refresh (every second) is what writes.
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
bh_check_valgrind
exit 0
