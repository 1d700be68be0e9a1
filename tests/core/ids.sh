#!/bin/sh
# Through the real core loop with the scripted inspector (test-only stand-in
# for an engine), the ABI 1.2 calls and the refresh from memory:
#   * container_gone(id, name) about an old container leaves the
#     registration a new container with the same name made (name reuse);
#     with the matching id it withdraws;
#   * container_keep(id, name): a container the passes cannot read keeps its
#     registration through every sweep;
#   * the refresh timer republishes every registration, also those no pass
#     reports (refresh 1 s: db is refreshed while it is unreadable).
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

cat >"$BH_TMP/script" <<'SCRIPT'
up web@aaa 10.0.0.1 web.example
up web@bbb 10.0.0.2 web.example
gone web aaa
up db@ccc 10.0.0.3 db.example
unreadable db
resync
wait 2500
gone web bbb
up last 10.0.0.9 last.example
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 60;
refresh = 1;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --verbose >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 30 "grep -q last.example '$BH_TMP/out'" "the last registration" || { cat "$BH_TMP/err" >&2; exit 1; }
kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "daemon exited with $status after SIGTERM"; }

reg() { printf '{"op":"set","key":"/beachhead/%s","ttl":60,"value":[{"id":"%s","domain":"%s","http":{"host":"%s","port":80},"https":{"host":"%s","port":443}}]}' "$1" "$(printf '%s' "$3" | tr . _)" "$3" "$2" "$2"; }
fail() { cat "$BH_TMP/out" "$BH_TMP/err" >&2; bh_fail "$*"; }
# The old web's late "gone" did not withdraw the new one; the new one's did.
grep -qxF '{"op":"del","key":"/beachhead/web"}' "$BH_TMP/out" || fail "web not withdrawn by its own id"
sed -n '1,/"del","key":"\/beachhead\/web"/p' "$BH_TMP/out" | grep -c '"del"' | grep -qx 1 || fail "a withdrawal before the matching gone"
grep -qxF "$(reg web 10.0.0.2 web.example)" "$BH_TMP/out" || fail "the new web was not registered"
grep -q "container web: script: gone (aaa), but the name now belongs to bbb; kept" "$BH_TMP/err" || fail "the ignored gone was not logged"
# db: never withdrawn, and republished by the refresh timer although no
# pass reported it (the stdout publisher prints changes only: the core's
# log counts the refreshes; web and db were registered at every tick).
grep -q '"del","key":"/beachhead/db"' "$BH_TMP/out" && fail "the unreadable db was withdrawn"
grep -q 'withdrawing /beachhead/db' "$BH_TMP/err" && fail "the unreadable db was withdrawn"
n=$(grep -c 'refreshing 2 registrations' "$BH_TMP/err")
[ "$n" -ge 2 ] || fail "$n refreshes of web and db in 2.5 s with refresh 1 s, expected at least 2"
bh_check_valgrind
exit 0
