#!/bin/sh
# A Redis host name whose DNS server never answers must not stall the
# daemon: the lookup runs off the loop, connect_timeout_ms ends it as a
# failed attempt (logged once, naming the host), and meanwhile SIGUSR1 is
# answered, a container event reaches the other (working) publishers, and
# SIGTERM ends the daemon at once.  Before lookups left the loop, each one
# froze the whole daemon for timeout x attempts (here 5 s x 2).
# Alongside: a name answered after 300 ms connects (the lookup's answer
# reaches the loop), and one answered only after the connect timeout never
# does (the late answer is dropped; its thread ends on its own).  Last, a
# reload unloads publisher-redis while a lookup is in flight: the thread
# returns into the module's code later, which must still be mapped.
#
# The daemon runs in a mount namespace of its own in which /etc/resolv.conf
# names a stand-in DNS server (tests/publisher-redis/standin-dns.py) that receives
# queries and answers them late or never; the publishers that work write to
# a real redis-server, over its unix socket and over 127.0.0.1.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
[ "$(id -u)" = 0 ] || bh_skip "needs root to give the daemon a resolv.conf of its own (unshare -m, mount --bind)"
command -v unshare >/dev/null 2>&1 || bh_skip "unshare (util-linux) is not installed"
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
grep -Eq '^hosts:.*[[:space:]]dns([[:space:]]|$)' /etc/nsswitch.conf ||
	bh_skip "/etc/nsswitch.conf does not look host names up in DNS"
bh_redis_setup

name=redis.invalid-stall.example # never answered
slow=redis.slow-dns.example       # answered after 300 ms
late=redis.late-dns.example       # answered after 1500 ms, past the timeout
for n in $name $slow $late; do
	grep -q "$n" /etc/hosts && bh_fail "$n is in /etc/hosts"
done
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The stand-in DNS server, on a loopback address of its own (port 53 is
# fixed by resolv.conf, the address is not).
for attempt in 1 2 3 4 5; do
	dns=127.53.$(( $(od -An -N1 -tu1 /dev/urandom) )).$(( $(od -An -N1 -tu1 /dev/urandom) % 250 + 2 ))
	: >"$BH_TMP/queries"
	python3 "$top_srcdir/tests/publisher-redis/standin-dns.py" "$dns" "$BH_TMP/queries" \
		127.0.0.1 $slow 300 $late 1500 >"$BH_TMP/dns.out" 2>&1 &
	dns_pid=$!
	bh_on_exit "kill $dns_pid"
	bh_wait_for 5 "grep -q ready '$BH_TMP/dns.out' || ! kill -0 $dns_pid" "the stand-in DNS server"
	grep -q ready "$BH_TMP/dns.out" && break
	bh_note "stand-in DNS server on $dns: $(cat "$BH_TMP/dns.out")"
	[ "$attempt" -lt 5 ] || bh_fail "could not start the stand-in DNS server"
done
printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$dns" >"$BH_TMP/resolv.conf"

cat >"$BH_TMP/script" <<SCRIPT
up early 10.9.0.2 early.example.org
await $BH_TMP/cue
up late 10.9.0.3 late.example.org
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = (
	{ plugin = "publisher-redis"; host = "$name"; port = 6379; connect_timeout_ms = 1000; },
	{ plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; },
	{ plugin = "publisher-redis"; host = "$slow"; port = $BH_REDIS_PORT; connect_timeout_ms = 1000; },
	{ plugin = "publisher-redis"; host = "$late"; port = $BH_REDIS_PORT; connect_timeout_ms = 1000; }
);
enumerate = true;
CONF

# start_daemon CONF: the daemon in its namespace, stderr to $BH_TMP/err; sets pid.
start_daemon() {
	unshare -m sh -c "mount --bind '$BH_TMP/resolv.conf' /etc/resolv.conf &&
		exec $(bh_daemon_cmd) -c '$1' --no-timestamp" 2>"$BH_TMP/err" &
	pid=$!
	bh_on_exit "kill -9 $pid"
}
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
start_daemon "$BH_TMP/beachhead.conf"

# The lookup is under way: the stand-in got the query.
bh_wait_for 20 "grep -q ' $name\$' '$BH_TMP/queries'" "a DNS query for $name" ||
	fail "the daemon never asked the stand-in DNS server"
bh_wait_for 20 "grep -q 'started: ' '$BH_TMP/err'" "the start" || fail "the daemon did not start"

# While the resolver is silent, the loop turns: a status request is
# answered within 1 s ...
t0=$(now_ms)
kill -USR1 $pid
bh_wait_for 1 "grep -q 'status (SIGUSR1)' '$BH_TMP/err'" "the status line" ||
	fail "SIGUSR1 not answered within 1 s while $name was being resolved"
bh_note "SIGUSR1 answered after $(( $(now_ms) - t0 )) ms"

# ... the working publishers have the container that was running at the
# start (the one behind the slow name connected once its answer came) ...
bh_redis_wait_keys 1 2 /beachhead/early || fail "/beachhead/early never reached the working redis"
bh_wait_for 2 "grep -q 'connected to redis $slow:$BH_REDIS_PORT' '$BH_TMP/err'" "the slow name's connection" ||
	fail "the publisher on $slow did not connect once the name was resolved"

# ... and a container event mid-run reaches it within 1 s.
t0=$(now_ms)
touch "$BH_TMP/cue"
bh_redis_wait_keys 1 1 /beachhead/late ||
	fail "a container event took over 1 s to reach the working publisher"
bh_note "container event published after $(( $(now_ms) - t0 )) ms"

# connect_timeout_ms ends the lookup as a failed connection, logged once,
# naming the host; the next attempt follows with the backoff (another query).
bh_wait_for 3 "grep -q 'resolving $name timed out after 1000 ms' '$BH_TMP/err'" "the lookup timeout" ||
	fail "no 'resolving $name timed out' warning"
queries=$(wc -l <"$BH_TMP/queries")
bh_wait_for 3 "[ \$(wc -l <'$BH_TMP/queries') -gt $queries ]" "the next attempt's query" ||
	fail "no new lookup after the timeout"
sleep 1.5 # a second attempt timed out meanwhile: it must not be logged again
[ "$(grep -c "warning: .*$name" "$BH_TMP/err")" = 1 ] ||
	fail "the failing lookups were not logged exactly once"
# The late answers (1.5 s after each query) came after their attempts timed
# out: dropped, never connected.
grep -q "resolving $late timed out after 1000 ms" "$BH_TMP/err" || fail "no 'resolving $late timed out' warning"
grep -q "connected to redis $late" "$BH_TMP/err" && fail "a late answer for $late was used"
kill -USR1 $pid
bh_wait_for 1 "[ \$(grep -c 'status (SIGUSR1)' '$BH_TMP/err') = 2 ]" "the second status line" ||
	fail "the second SIGUSR1 was not answered within 1 s"

# SIGTERM while lookups still wait for the resolver: the daemon exits at once.
# (valgrind's leak check at the exit takes seconds of its own.)
limit=2
[ -z "${BH_VALGRIND:-}" ] || limit=8
t0=$(now_ms)
kill -TERM $pid
bh_wait_for $limit "! kill -0 $pid 2>/dev/null" "the exit" || fail "SIGTERM did not end the daemon within $limit s"
bh_note "exited $(( $(now_ms) - t0 )) ms after SIGTERM"
wait $pid
status=$?
[ $status -eq 0 ] || fail "exit status $status after SIGTERM"

# A reload to a configuration without publisher-redis unloads the module
# while a lookup is in flight: its thread returns into the module's code
# later (here within 1.5 s), which must still be mapped.  (Nothing is
# registered, so the old publisher owes nothing and goes at once.)
echo '# no containers' >"$BH_TMP/empty-script"
cat >"$BH_TMP/late.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/empty-script"; };
publishers = ( { plugin = "publisher-redis"; host = "$late"; port = $BH_REDIS_PORT; connect_timeout_ms = 1000; } );
enumerate = true;
CONF
queries=$(wc -l <"$BH_TMP/queries")
start_daemon "$BH_TMP/late.conf"
bh_wait_for 20 "[ \$(wc -l <'$BH_TMP/queries') -gt $queries ]" "a DNS query for $late" ||
	fail "the second daemon never asked the stand-in DNS server"
bh_wait_for 20 "grep -q 'started: ' '$BH_TMP/err'" "the second start" || fail "the second daemon did not start"
cat >"$BH_TMP/late.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/empty-script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
threads() { ls "/proc/$pid/task" 2>/dev/null | wc -l; }
bh_wait_for 3 "[ \$(threads) -gt 1 ]" "a lookup thread" || fail "no lookup thread in flight before the reload"
kill -HUP $pid
bh_wait_for 5 "grep -q 'reloaded ' '$BH_TMP/err'" "the reload" || fail "the reload did not happen"
bh_wait_for 10 "[ \$(threads) -le 1 ]" "the lookup threads' end" ||
	fail "lookup threads still running 10 s after the reload"
kill -0 $pid 2>/dev/null || fail "the daemon died when a lookup returned into the unloaded publisher-redis"
kill -TERM $pid
wait $pid
status=$?
[ $status -eq 0 ] || fail "exit status $status after the reload and SIGTERM"
bh_check_valgrind
exit 0
