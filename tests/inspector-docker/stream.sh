#!/bin/sh
# The event stream misbehaves; a real dockerd behind tests/inspector-docker/engine-proxy.py
# (a STAND-IN proxy: every request goes to the real engine, the proxy only
# does to the stream what a real engine cannot be made to do on demand):
#   A. the stream is ended cleanly every 2 s: every end is followed by the
#      shortest reconnect delay (no growing backoff: each of those
#      connections succeeded) and a new stream, each new stream by a complete full
#      pass, and a container removed meanwhile is withdrawn;
#   B. half an event, then nothing for 4 s: one warning, the stream is
#      reopened, the half is never glued to the next event (no "ignoring an
#      event"), a container started during the stall is registered;
#   D. the stream refused (HTTP 500) while the API answers: full passes run
#      and complete, and withdraw a removed container;
#   E. the stop signal during a pass that a reconnection asked to repeat
#      (the stream ended while the pass's listing was late): the pass is
#      abandoned, and no new one begins on the way out;
#   C. /version says API 1.41.3: refused with one line, no request path
#      carries it.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy snet43 172.30.43.0/24
EVLOG=$BH_PROXY_LOG.events

run() { bh_run_domain snet43 "$@"; }
bh_daemon_conf "unix://$BH_PROXY_SOCK" "event_stall_ms = 1000;"
OUT=$BH_TMP/out

# --- A. A stream ended every 2 s.
run web
echo 2 >"$CTL/stream_end"
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web "$(bh_ip web snet43)")"
ends() { grep -c ' end$' "$EVLOG"; }
bh_wait_for 30 '[ "$(ends)" -ge 5 ]' "five ends of the stream" || exit 1
docker rm -f web >/dev/null || bh_fail "rm -f"
bh_expect_line 10 "$OUT" "$(bh_del web)"
echo 0 >"$CTL/stream_end"
# Every end is followed by the shortest reconnect delay (0.5 s; a backoff
# would double it at each end: 1, 2, 4 s) and, as the proxy saw it, by the
# next stream within 3 s (a generous bound for a loaded machine; the
# doubling passes it at the fourth end).
delays=$(grep 'closed the event stream; reconnecting in' "$OUT.err" | sed 's/.*reconnecting in //' | sort -u | tr '\n' ' ')
[ "$delays" = "0.5 s " ] || { cat "$OUT.err" >&2; bh_fail "reconnect delays after streams that had answered: $delays"; }
awk '$2 == "end" { end = $1 } $2 == "open" && end { gap = $1 - end; if (gap > max) max = gap; end = 0 }
     END { printf "%.3f\n", max }' "$EVLOG" >"$BH_TMP/gap"
bh_note "A. longest gap between an end of the stream and the next stream: $(cat "$BH_TMP/gap") s"
awk '{ exit !($1 < 3) }' "$BH_TMP/gap" || { cat "$EVLOG" "$OUT.err" >&2; bh_fail "the stream was reopened late after streams that had answered"; }
# A complete pass for every stream (the last one's may still run).
bh_wait_for 10 '[ "$(grep -c "full pass [0-9]* ends (complete)" "$OUT.err")" -ge "$(grep -c " open$" "$EVLOG")" ]' \
	"a complete pass after every stream" || { cat "$EVLOG" "$OUT.err" >&2; exit 1; }
grep -q 'ends (incomplete)' "$OUT.err" && { cat "$OUT.err" >&2; bh_fail "a pass ended incomplete while the API answered"; }

# --- B. Half an event, then a stall.
echo 4 >"$CTL/stall"
bh_wait_for 5 'grep -q " stall$" "$EVLOG"' "the stall" || exit 1
run web2
bh_expect_line 10 "$OUT" "$(bh_reg web2 "$(bh_ip web2 snet43)")"
sleep 4 # the stalled stream's next bytes would come now
[ "$(grep -c 'warning: event stream stalled' "$OUT.err")" = 1 ] ||
	{ cat "$OUT.err" >&2; bh_fail "expected one warning about the stalled stream"; }
grep -q 'ignoring an event' "$OUT.err" && { cat "$OUT.err" >&2; bh_fail "a partial event was glued to the next one"; }
run web3
bh_expect_line 5 "$OUT" "$(bh_reg web3 "$(bh_ip web3 snet43)")"
bh_daemon_stop || bh_fail "daemon exit status $?"

# --- D. The event stream refused (HTTP 500) while the API answers: full
# passes run and complete all the same (refresh 2 s), and withdraw.
touch "$CTL/refuse_events"
sed 's/^refresh = 120;$/refresh = 2;/; s/^expire = 300;$/expire = 10;/' "$BH_TMP/c.conf" >"$BH_TMP/d.conf"
BH_TTL=10
run web4
bh_daemon_start "$OUT" -c "$BH_TMP/d.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web4 "$(bh_ip web4 snet43)")"
bh_wait_for 20 '[ "$(grep -c " refused$" "$EVLOG")" -ge 2 ] && [ "$(grep -c "ends (complete)" "$OUT.err")" -ge 3 ]' \
	"three complete passes while the stream is refused" || { cat "$OUT.err" >&2; exit 1; }
docker rm -f web4 >/dev/null || bh_fail "rm -f"
bh_expect_line 15 "$OUT" "$(bh_del web4)"
grep -q 'ends (incomplete)' "$OUT.err" && { cat "$OUT.err" >&2; bh_fail "a pass ended incomplete while the API answered"; }
bh_daemon_stop || bh_fail "daemon exit status $?"
rm -f "$CTL/refuse_events"

# --- E. Stopped during a pass that is to run once more.
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_wait_for 15 'grep -q "full pass 1 ends" "$OUT.err"' "the first pass" || { cat "$OUT.err" >&2; exit 1; }
echo 20 >"$CTL/list_delay"
echo 1 >"$CTL/stream_end"
# The stream ends: a pass (its listing held 20 s); the next stream ends too,
# and its reconnection comes during that pass.
bh_wait_for 15 '[ "$(grep -c "closed the event stream" "$OUT.err")" -ge 2 ] && [ "$(grep -c "^inspector-docker: info: connected to" "$OUT.err")" -ge 3 ]' \
	"a reconnection during the pass" || { cat "$OUT.err" >&2; exit 1; }
echo 0 >"$CTL/stream_end"
bh_daemon_stop || bh_fail "daemon exit status $?"
rm -f "$CTL/list_delay"
last=$(grep 'full pass [0-9]* \(begins\|ends\)' "$OUT.err" | tail -n 1)
case $last in
*"ends (incomplete)") ;;
*) grep 'full pass\|closed the event\|connected to' "$OUT.err" >&2; bh_fail "the last pass line on the way out: $last" ;;
esac

# --- C. An API version that is not MAJOR.MINOR.
echo 1.41.3 >"$CTL/api_version"
: >"$BH_PROXY_LOG"
timeout 30 $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --refresh 0 --expire 0 >"$OUT" 2>"$OUT.err"
rc=$?
[ "$rc" = 1 ] || { cat "$OUT.err" >&2; bh_fail "API 1.41.3: exit $rc, expected 1"; }
[ "$(grep -c "API version '1.41.3' is not MAJOR.MINOR" "$OUT.err")" = 1 ] ||
	{ cat "$OUT.err" >&2; bh_fail "API 1.41.3 not refused with one line"; }
grep -q '1\.41\.3' "$BH_PROXY_LOG" && { cat "$BH_PROXY_LOG" >&2; bh_fail "1.41.3 went into a request path"; }
bh_check_valgrind
exit 0
