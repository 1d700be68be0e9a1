#!/bin/sh
# Hostile and malformed engine answers must give a clear error for that
# container and never a crash.  A real engine cannot be made to send them,
# so this test talks to a STAND-IN (tests/inspector-docker/standin-engine.py, named as
# such); everything a real engine produces is tested against dockerd and
# Podman.  Also checks API version capping (engine says 1.99, we use 1.43)
# and that only GET requests are made (read-only socket proxies).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is needed for the stand-in engine"
SOCK=$BH_TMP/standin.sock
python3 "$top_srcdir/tests/inspector-docker/standin-engine.py" "$SOCK" "$BH_TMP/requests" 2>"$BH_TMP/standin.err" &
STANDIN=$!
bh_on_exit "kill $STANDIN"
bh_wait_for 10 '[ -S "$SOCK" ]' "the stand-in engine" || exit 1
OUT=$BH_TMP/out
printf 'inspector = { plugin = "inspector-docker"; max_response_bytes = 16384; };\npublishers = ( { plugin = "publisher-stdout"; } );\n' >"$BH_TMP/c.conf"

# One pass: errors reported (exit 1), the good containers still published.
timeout 30 $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --dry-run --refresh 0 --enumerate --no-timestamp \
	--docker-url "unix://$SOCK" >"$OUT" 2>"$OUT.err"
rc=$?
[ "$rc" = 1 ] || { cat "$OUT" "$OUT.err" >&2; bh_fail "one pass: exit $rc, expected 1"; }
bh_has_line "$OUT" "$(bh_reg good 172.30.9.2)" || { cat "$OUT" "$OUT.err" >&2; bh_fail "good not published"; }
# ddd: its list entry has no usable name, its inspect document does.
bh_has_line "$OUT" "$(bh_reg weird weird)" || { cat "$OUT" "$OUT.err" >&2; bh_fail "weird not published"; }
for want in 'container broken: malformed JSON from the engine' \
	'container notobj: inspect document is not a JSON object' \
	'container noname: inspect document lacks Id, Name or State' \
	'container err500: inspect failed: HTTP 500: stand-in says: internal error'; do
	grep -qF "$want" "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "missing message: $want"; }
done
grep -v '^GET ' "$BH_TMP/requests" && bh_fail "a request other than GET was made"
grep -q '^GET /v1.43/containers/json' "$BH_TMP/requests" || bh_fail "API version not capped to 1.43: $(cat "$BH_TMP/requests")"

# Daemon mode: garbage and oversized event lines are skipped, the stream
# goes on (start -> set, die -> del).
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --dry-run --enumerate --no-timestamp --docker-url "unix://$SOCK"
bh_expect_line 10 "$OUT" "$(bh_del good)"
# (The start event's set repeats the pass's value: one line per change.)
[ "$(grep -c '"/beachhead/good"' "$OUT")" -ge 2 ] || { cat "$OUT" >&2; bh_fail "expected set (pass), del (die) for good"; }
grep -q 'dropping an event larger than max_response_bytes (16384)' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "oversized event not reported"; }
grep -q 'ignoring an event: malformed JSON' "$OUT.err" || bh_fail "garbage event not reported"
kill -0 "$BH_DAEMON_PID" || bh_fail "the daemon died"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
