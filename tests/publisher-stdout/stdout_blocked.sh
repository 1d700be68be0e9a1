#!/bin/sh
# publisher-stdout never blocks the loop: with a reader that holds the pipe
# open but stops reading, the daemon keeps answering signals, buffers up to
# its bound, drops (and counts) what does not fit, and a SIGTERM still ends
# it within the drain limit.  A reader that catches up gets whole lines and
# a warning with the number dropped.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

# 400 containers with 40 domains each: about 2.5 MB of JSON lines, far more
# than a pipe (64 KiB) and the publisher's buffer (1 MiB) hold.
awk 'BEGIN { for (i = 0; i < 400; i++) {
	line = sprintf("up c%d 10.0.%d.%d", i, int(i / 200), i % 200 + 1)
	for (j = 0; j < 40; j++) line = line sprintf(" d%d.c%d.example.org", j, i)
	print line } }' >"$BH_TMP/script"
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF

mkfifo "$BH_TMP/fifo"
# The stalled reader: opens the FIFO and never reads from it.
sleep 600 <"$BH_TMP/fifo" &
reader=$!
bh_on_exit "kill $reader 2>/dev/null"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/fifo" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"

bh_wait_for 20 "grep -q 'started: ' '$BH_TMP/err'" "the start" || { cat "$BH_TMP/err" >&2; exit 1; }
bh_wait_for 20 "grep -q 'stdout reader is not reading' '$BH_TMP/err'" "the drop warning" ||
	{ tail -5 "$BH_TMP/err" >&2; bh_fail "no warning about dropped lines"; }
# The loop still turns: a signal is answered at once.
kill -USR1 $pid
bh_wait_for 5 "grep -q 'status (SIGUSR1): 400 registered' '$BH_TMP/err'" "the status summary" ||
	{ tail -5 "$BH_TMP/err" >&2; bh_fail "the loop is blocked by its stdout"; }

# A reader that catches up gets whole JSON lines and the count of what was dropped.
kill $reader
cat "$BH_TMP/fifo" >"$BH_TMP/out" &
catter=$!
bh_on_exit "kill $catter 2>/dev/null"
bh_wait_for 20 "grep -q 'lines were dropped while it was not reading' '$BH_TMP/err'" "the drop count" ||
	{ tail -5 "$BH_TMP/err" >&2; bh_fail "no count of dropped lines"; }
dropped=$(sed -n 's/.*caught up; \([0-9]*\) lines were dropped.*/\1/p' "$BH_TMP/err" | head -1)
[ "$dropped" -gt 0 ] || bh_fail "dropped count '$dropped'"
# Every line that arrived is whole: it parses as JSON (the first may be the
# tail of a line the stalled reader's pipe held when it was killed, the last
# may still be on its way).
tail -n +2 "$BH_TMP/out" | python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 2):
    if not line.endswith("\n"):
        break
    try:
        json.loads(line)
    except ValueError:
        sys.exit("line %d is broken: %.80s" % (n, line))
' || bh_fail "a broken line reached the reader"

kill -TERM $pid
wait $pid
status=$?
[ $status -eq 0 ] || { tail -5 "$BH_TMP/err" >&2; bh_fail "exit status $status after SIGTERM"; }

# A second daemon, its reader stalled from the start: SIGTERM ends it
# within the 5 s drain although its buffer never empties.
sleep 600 <"$BH_TMP/fifo" &
reader=$!
bh_on_exit "kill $reader 2>/dev/null"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/fifo" 2>"$BH_TMP/err2" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_wait_for 20 "grep -q 'stdout reader is not reading' '$BH_TMP/err2'" "the second drop warning" ||
	{ tail -5 "$BH_TMP/err2" >&2; bh_fail "no warning about dropped lines (second run)"; }
t0=$(date +%s)
kill -TERM $pid
bh_wait_for 15 "! kill -0 $pid 2>/dev/null" "the exit after SIGTERM" ||
	{ tail -5 "$BH_TMP/err2" >&2; bh_fail "SIGTERM did not end the daemon with a stalled stdout"; }
[ $(( $(date +%s) - t0 )) -le 8 ] || bh_fail "SIGTERM took $(( $(date +%s) - t0 )) s"
wait $pid
status=$?
[ $status -eq 0 ] || { tail -5 "$BH_TMP/err2" >&2; bh_fail "exit status $status after SIGTERM (second run)"; }
grep -q 'still unacknowledged after 5000 ms; exiting anyway' "$BH_TMP/err2" ||
	{ tail -5 "$BH_TMP/err2" >&2; bh_fail "the drain did not wait for the stalled reader"; }
bh_check_valgrind
exit 0
