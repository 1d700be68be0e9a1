#!/bin/sh
# An inspector that reports from init() (before start(): at start-up, and
# again while a reload builds the new configuration beside the running one)
# is ignored with a warning naming the call: nothing is registered from it,
# the running registrations stay, and the daemon starts, reloads and drains.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

printf 'up web1 10.0.0.1 one.example\n' >"$BH_TMP/script"
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; report_in_init = true; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 10 "grep -q '/beachhead/web1' '$BH_TMP/out'" "web1's registration" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
for call in pass_begin container_up pass_end; do
	grep -q "warning: inspector-scripted: called $call before start(); ignored" "$BH_TMP/err" ||
		{ cat "$BH_TMP/err" >&2; bh_fail "no warning for $call from init()"; }
done

# A reload: the new inspector's init() reports while the old set runs.
kill -HUP $pid
bh_wait_for 10 "grep -q 'reloaded $BH_TMP/c.conf' '$BH_TMP/err'" "the reload" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
[ "$(grep -c 'called container_up before start(); ignored' "$BH_TMP/err")" -eq 2 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the reload's early report was not ignored with a warning"; }
kill -TERM $pid
bh_wait_for 10 "! kill -0 $pid 2>/dev/null" "the drain" || bh_fail "no exit after SIGTERM"
wait $pid
status=$?
[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "exit status $status after SIGTERM"; }
grep -q 'early' "$BH_TMP/out" && bh_fail "a report from init() was published: $(grep early "$BH_TMP/out")"
grep -q '"op":"del"' "$BH_TMP/out" && bh_fail "something was withdrawn: $(grep '"op":"del"' "$BH_TMP/out")"
exit 0
