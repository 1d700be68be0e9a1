#!/bin/sh
# Every change reaches haproxy, even changes that follow each other closely.
# haproxy in master-worker mode (as Debian's unit runs it) drops a reload
# signal that arrives while it is still reloading; confd runs the
# resource's reload_cmd once per change, one after the other.  Three
# changes rendered back to back by the confd stand-in, each followed by the
# resource's reload_cmd (adapted to the test's paths, as in tests/recipes/traffic_*.sh;
# the check_cmd that confd runs in between only spaces the reloads by
# chance, more on a slow machine, less on a fast one) must give three
# reloads, and the live worker must have the last change's backend.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/recipes.sh"
. "$top_srcdir/tests/lib/traffic.sh"
bh_traffic_enter "$@"
bh_setup_tmp
bh_recipes_build_standin
bh_redis_start
R=beachhead-haproxy
H=$BH_TMP/haproxy
mkdir -p "$H"
reload=$(bh_traffic_reload_cmd $R "$H") || exit 1
bh_recipe_render $R "$H/haproxy.cfg"
/usr/sbin/haproxy -W -f "$H/haproxy.cfg" -p "$H/haproxy.pid" -S "$H/master.sock" >"$H/log" 2>&1 &
echo $! >"$BH_TMP/haproxy.pid"
bh_on_exit 'kill "$(cat "$BH_TMP/haproxy.pid")"; wait'
master() { echo "$1" | socat - "$H/master.sock" 2>/dev/null; }
reloads() { master 'show proc' | awk '$2 == "master" { print $3 }'; }
bh_wait_for 10 '[ "$(reloads)" = 0 ]' "haproxy's master CLI" || { cat "$H/log" >&2; exit 1; }

for d in a b c; do
	bh_redis_cli set "/beachhead/web-$d" \
		"[{\"id\":\"${d}_example_org\",\"domain\":\"$d.example.org\",\"http\":{\"host\":\"127.0.0.1\",\"port\":8080}}]" >/dev/null
	bh_recipe_render $R "$H/haproxy.cfg"
	/bin/sh -c "$reload" || { cat "$H/log" >&2; bh_fail "change $d: reload_cmd failed"; }
done
# A reload that is still under way is not lost: wait for the count.
bh_wait_for 10 '[ "$(reloads)" = 3 ]' "3 reloads" || { master 'show proc' >&2; cat "$H/log" >&2; bh_fail "haproxy reloaded $(reloads) times for 3 changes"; }
master '@1 show backend' >"$BH_TMP/backends"
grep -qx 'beachhead_http_c.example.org' "$BH_TMP/backends" ||
	{ cat "$BH_TMP/backends" >&2; bh_fail "the live worker lacks the last change's backend"; }
