#!/bin/sh
# SIGHUP reloads: an invalid file is reported with file:line and the old
# configuration keeps running with nothing withdrawn; a valid one takes over
# with nothing withdrawn unless it no longer covers it (here: a new key
# prefix withdraws the old keys); a storm of alternating reloads is survived.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

printf 'up web1 10.0.0.1 one.example\nup web2 10.0.0.2 two.example\n' >"$BH_TMP/script"
write_config() { # write_config PREFIX
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
key_prefix = "$1";
CONF
}
write_invalid() {
	printf 'inspector = { plugin = "inspector-scripted"; script = "%s/script"; };\npublishers = ( { plugin = "publisher-stdout"; } );\nenumerate = maybe;\n' "$BH_TMP" >"$BH_TMP/c.conf"
}

write_config /a/
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 10 "grep -q '/a/web2' '$BH_TMP/out'" "the first registrations" || exit 1

# Invalid: reported with file:line, old configuration untouched.
write_invalid
kill -HUP $pid
bh_wait_for 10 "grep -q 'reload: $BH_TMP/c.conf:3: .*keeping the running configuration' '$BH_TMP/err'" \
	"the reload error with file:line" || { cat "$BH_TMP/err" >&2; exit 1; }
kill -0 $pid || bh_fail "daemon died on an invalid reload"
! grep -q '"op":"del"' "$BH_TMP/out" || bh_fail "an invalid reload withdrew something"

# Valid, same prefix: republished, nothing withdrawn.
write_config /a/
lines=$(wc -l <"$BH_TMP/out")
kill -HUP $pid
bh_wait_for 10 "grep -q 'reloaded $BH_TMP/c.conf' '$BH_TMP/err'" "the reload" || { cat "$BH_TMP/err" >&2; exit 1; }
bh_wait_for 10 "[ \$(tail -n +$((lines + 1)) '$BH_TMP/out' | grep -c '/a/web') -ge 2 ]" "republication" || exit 1
! grep -q '"op":"del"' "$BH_TMP/out" || bh_fail "a reload with the same coverage withdrew something"

# New prefix: the old keys are no longer covered and are withdrawn, the new ones set.
write_config /b/
kill -HUP $pid
bh_wait_for 10 "grep -q '\"key\":\"/b/web1\"' '$BH_TMP/out' && grep -q '\"key\":\"/b/web2\"' '$BH_TMP/out'" "new keys" || exit 1
grep -q '{"op":"del","key":"/a/web1"}' "$BH_TMP/out" || bh_fail "old key /a/web1 not withdrawn"
grep -q '{"op":"del","key":"/a/web2"}' "$BH_TMP/out" || bh_fail "old key /a/web2 not withdrawn"
first_new=$(grep -n '"key":"/b/web1"' "$BH_TMP/out" | head -1 | cut -d: -f1)
last_del=$(grep -n '"op":"del"' "$BH_TMP/out" | tail -1 | cut -d: -f1)
[ "$last_del" -lt "$first_new" ] || bh_fail "withdrawals came after the new registrations"

# Storm: alternating valid and invalid reloads, as fast as signals go.
i=0
while [ $i -lt 20 ]; do
	if [ $((i % 2)) -eq 0 ]; then write_invalid; else write_config /b/; fi
	kill -HUP $pid || bh_fail "daemon died in the storm"
	i=$((i + 1))
	sleep 0.02
done
write_config /b/
sleep 0.5
kill -HUP $pid
sleep 1
kill -0 $pid || bh_fail "daemon died after the storm"
lines=$(wc -l <"$BH_TMP/out")
kill -HUP $pid
bh_wait_for 10 "[ \$(tail -n +$((lines + 1)) '$BH_TMP/out' | grep -c '/b/web') -ge 2 ]" "registrations after the storm" || exit 1
kill -TERM $pid
wait $pid || bh_fail "daemon exited non-zero after the storm"
bh_check_valgrind
