#!/bin/sh
# publisher-stdout prints one line per change: the full passes that
# refresh every registration print nothing when nothing changed; a changed
# value, a withdrawal and a registration after it are printed.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

cat >"$BH_TMP/script" <<'SCRIPT'
up web 10.0.0.1 web.example.org
resync
resync
up web 10.0.0.1 web.example.org
up web 10.0.0.2 web.example.org
resync
down web
resync
up web 10.0.0.2 web.example.org
resync
up last 10.0.0.9 last.example.org
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
refresh = 600;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --verbose >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_wait_for 30 "grep -q /beachhead/last '$BH_TMP/out'" "the last registration" || { cat "$BH_TMP/err" >&2; exit 1; }
kill -TERM $pid
wait $pid || bh_fail "daemon exited non-zero"
# Five passes and seven reports of web happened (the core refreshed it).
[ "$(grep -c 'container web: refreshing' "$BH_TMP/err")" -ge 4 ] || { cat "$BH_TMP/err" >&2; bh_fail "the core did not refresh web"; }
sed -n 's/.*"key":"\/beachhead\/web".*"host":"\([0-9.]*\)".*/set \1/p; s/.*"op":"del","key":"\/beachhead\/web".*/del/p' \
	"$BH_TMP/out" >"$BH_TMP/lines"
printf 'set 10.0.0.1\nset 10.0.0.2\ndel\nset 10.0.0.2\n' >"$BH_TMP/expected"
diff -u "$BH_TMP/expected" "$BH_TMP/lines" || bh_fail "publisher-stdout: not one line per change"
bh_check_valgrind
