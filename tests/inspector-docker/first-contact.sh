#!/bin/sh
# The first contact with the engine is a full pass.  The daemon starts while
# the engine's socket is not there yet (here: the path it is configured with
# appears later, as when dockerd starts after the daemon, or the socket's
# directory is mounted late); containers that already run when the engine
# first answers are registered at once, not at the next refresh (120 s
# here, far beyond the waits below).  Real dockerd, no stand-in.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup fnet42 172.30.42.0/24
for n in early1 early2 early3; do bh_run_domain fnet42 $n; done

LATE=$BH_TMP/late.sock # the daemon's engine address: nothing there yet
bh_daemon_conf "unix://$LATE"
OUT=$BH_TMP/out
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_wait_for 30 'grep -q "engine unreachable" "$OUT.err"' "the daemon to notice the missing engine" || exit 1
ln -s "$BH_DOCKER_SOCK" "$LATE" || bh_fail "ln"
bh_wait_for 40 'grep -q "engine reachable again" "$OUT.err"' "the engine to be reached" || { cat "$OUT.err" >&2; exit 1; }
for n in early1 early2 early3; do
	bh_expect_line 10 "$OUT" "$(bh_reg $n "$(bh_ip $n fnet42)")"
done
bh_wait_for 5 'grep -q "full pass 2 ends (complete)" "$OUT.err"' "the pass after the first contact" ||
	{ cat "$OUT.err" >&2; exit 1; }
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
