#!/bin/sh
# End to end through the real core loop: the scripted inspector (test-only
# stand-in for an engine) makes containers appear, change and disappear; the
# stdout publisher shows exactly what the core published and withdrew (one
# line per change: the refreshes of the passes print nothing).
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

cat >"$BH_TMP/script" <<'SCRIPT'
up web1 172.30.0.2 example.org admin.example.org:https app.example.org:http=8080:https=8043
novar db 172.30.0.3
up typo 172.30.0.4 good.org bad.org:http=99999
up warned 10.0.0.12 w.example:http:later=1
wait 300
down web1
up web2 10.0.0.9 x.org:HTTP=81:future=1
wait 300
up web2 10.0.0.10 x.org:HTTP=81:future=1
vanish web2
resync
up last 10.0.0.11 last.example
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 60;
refresh = 600;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 30 "grep -q last.example '$BH_TMP/out'" "the last registration" || { cat "$BH_TMP/err" >&2; exit 1; }
kill -TERM $pid
wait $pid
status=$?
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "daemon exited with $status after SIGTERM"

# A pass publishes what changed only (the first pass finds web1 and warned
# unchanged since the script's events, so does the resync); unchanged
# registrations are republished by the refresh timer (600 s here).
V1='[{"id":"example_org","domain":"example.org","http":{"host":"172.30.0.2","port":80},"https":{"host":"172.30.0.2","port":443}},{"id":"admin_example_org","domain":"admin.example.org","https":{"host":"172.30.0.2","port":443}},{"id":"app_example_org","domain":"app.example.org","http":{"host":"172.30.0.2","port":8080},"https":{"host":"172.30.0.2","port":8043}}]'
cat >"$BH_TMP/expected" <<EXPECTED
{"op":"set","key":"/beachhead/web1","ttl":60,"value":$V1}
{"op":"set","key":"/beachhead/warned","ttl":60,"value":[{"id":"w_example","domain":"w.example","http":{"host":"10.0.0.12","port":80}}]}
{"op":"del","key":"/beachhead/web1"}
{"op":"set","key":"/beachhead/web2","ttl":60,"value":[{"id":"x_org","domain":"x.org","http":{"host":"10.0.0.9","port":81}}]}
{"op":"set","key":"/beachhead/web2","ttl":60,"value":[{"id":"x_org","domain":"x.org","http":{"host":"10.0.0.10","port":81}}]}
{"op":"del","key":"/beachhead/web2"}
{"op":"set","key":"/beachhead/last","ttl":60,"value":[{"id":"last_example","domain":"last.example","http":{"host":"10.0.0.11","port":80},"https":{"host":"10.0.0.11","port":443}}]}
EXPECTED
diff -u "$BH_TMP/expected" "$BH_TMP/out" || bh_fail "published lines differ"

# The invalid container is named with domain and option, and never published.
grep -q "container typo: env BEACHHEAD_DOMAINS: domain 'bad.org': option 'http': port '99999' is not a number from 1 to 65535; registration not published" "$BH_TMP/err" ||
	bh_fail "no specific error for the invalid spec"
! grep -q '/beachhead/typo' "$BH_TMP/out" || bh_fail "invalid container was published"
grep -q "container web2: .*unknown option 'future' ignored" "$BH_TMP/err" || bh_fail "no warning for the unknown option"
grep -q "withdrawing /beachhead/web2 (not seen in the full pass)" "$BH_TMP/err" || bh_fail "sweep not logged"
# Every pass reports every container again: a warning or an error about an
# unchanged container is logged once, not once per pass.
[ "$(grep -c "container warned: .*unknown option 'later' ignored" "$BH_TMP/err")" -eq 1 ] ||
	bh_fail "the warning for 'warned' was not logged exactly once"
[ "$(grep -c "core: error: container typo:" "$BH_TMP/err")" -eq 1 ] ||
	bh_fail "the error for 'typo' was not logged exactly once"
bh_check_valgrind
