#!/bin/sh
# sd_notify for real: a datagram socket plays systemd; the daemon must send
# READY=1 once started, STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC
# from its loop, RELOADING=1/READY=1 around a reload and STOPPING=1 at exit.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/script"
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
"$BH_NOTIFY_LISTENER" "$BH_TMP/notify.sock" >"$BH_TMP/notes" 2>"$BH_TMP/listener.err" &
listener=$!
bh_on_exit "kill $listener"
bh_wait_for 5 "[ -S '$BH_TMP/notify.sock' ]" "the notify socket" || exit 1

NOTIFY_SOCKET="$BH_TMP/notify.sock" WATCHDOG_USEC=200000 \
	$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"

if [ "$BH_HAVE_SYSTEMD" != yes ]; then
	# Built --without-systemd: the daemon runs and says nothing to systemd.
	bh_wait_for 10 "grep -q '/beachhead/web' '$BH_TMP/out'" "a registration" || exit 1
	sleep 0.5
	kill -TERM $pid
	wait $pid || bh_fail "daemon failed"
	[ ! -s "$BH_TMP/notes" ] || bh_fail "a build without systemd sent: $(cat "$BH_TMP/notes")"
	exit 0
fi

bh_wait_for 10 "grep -qx 'READY=1' '$BH_TMP/notes'" "READY=1" || { cat "$BH_TMP/err" >&2; exit 1; }
bh_wait_for 10 "grep -q '^STATUS=1 registered, 0 errors' '$BH_TMP/notes'" "STATUS with one registration" ||
	{ cat "$BH_TMP/notes" >&2; exit 1; }
# WATCHDOG_USEC=200 ms -> a ping every 100 ms: at least 5 within a second.
before=$(grep -c '^WATCHDOG=1$' "$BH_TMP/notes")
sleep 1
after=$(grep -c '^WATCHDOG=1$' "$BH_TMP/notes")
[ $((after - before)) -ge 5 ] || bh_fail "only $((after - before)) watchdog pings in 1 s"

kill -HUP $pid
bh_wait_for 10 "grep -q '^RELOADING=1|MONOTONIC_USEC=' '$BH_TMP/notes'" "RELOADING=1" || exit 1
bh_wait_for 10 "[ \$(grep -cx 'READY=1' '$BH_TMP/notes') -ge 2 ]" "READY=1 after the reload" || exit 1

kill -TERM $pid
wait $pid || bh_fail "daemon exited non-zero"
# The listener writes what it received on its own time: wait for it.
bh_wait_for 5 "grep -qx 'STOPPING=1' '$BH_TMP/notes'" "STOPPING=1" || bh_fail "no STOPPING=1"
bh_check_valgrind
