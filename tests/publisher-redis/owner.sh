#!/bin/sh
# One owner per namespace, against a real redis-server: two daemons with the
# same host id (cloned machines share a hostname), each with its own
# state_dir, so each its own owner token:
#   1. the second logs the conflict once, at error level, within one
#      refresh, naming the other owner; it neither writes nor sweeps: the
#      first daemon's keys are present at every sample (sampled without pause for
#      10 s: five refreshes of each daemon, and before this change the
#      second one's sweep deleted them at every refresh) and the second's
#      own container is never published;
#   2. a one-pass run with that host id (a third identity) exits 1 with the
#      same error, at once, and touches nothing;
#   3. SIGKILL of the first: the second takes over within one expiry (6 s),
#      publishes and sweeps the first one's leftovers; the sweep never
#      deletes the claim itself;
#   4. a restart of the same daemon (same state_dir, so the same token) is
#      no conflict: it takes its own claim over at once;
#   5. a claim that changed hands under a running owner stops it (same
#      error), until that claim expires.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

printf '%s\n' 'up web 10.50.0.1 web.example.org' 'up api 10.50.0.2 api.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up db 10.50.1.1 db.example.org' >"$BH_TMP/b.script"
# conf NAME: expire 6 s, refresh 2 s
conf() {
	{
		printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\n' "$BH_TMP/$1.script"
		printf 'publishers = ( { plugin = "publisher-redis"; socket = "%s"; } );\n' "$BH_REDIS_SOCK"
		printf 'enumerate = true;\nexpire = 6;\nrefresh = 2;\nhost_id = "dup";\n'
	} >"$BH_TMP/$1.conf" || bh_fail "cannot write $1.conf"
}
# start NAME: the daemon with its own state_dir; pid in $pid_NAME
start() {
	mkdir -p "$BH_TMP/state-$1"
	BEACHHEAD_STATE_DIR="$BH_TMP/state-$1" $(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp \
		2>"$BH_TMP/$1.err" &
	eval "pid_$1=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}
fail() { for f in "$BH_TMP"/*.err; do echo "== $f" >&2; cat "$f" >&2; done; bh_fail "$@"; }
present() { [ "$(bh_redis_cli exists "$@")" = "$#" ]; }
conf a
conf b
start a

bh_redis_wait_keys 2 10 /beachhead/dup/web /beachhead/dup/api || fail "a's keys never appeared"
bh_redis_cli get /beachhead/dup/@owner | grep -q "^hostname=.* machine_id=.* pid=$pid_a since=.* token=" ||
	fail "no claim of a: $(bh_redis_cli get /beachhead/dup/@owner)"

# 1. The second daemon.
start b
bh_wait_for 10 "grep -q 'connected to redis' '$BH_TMP/b.err'" "b's connection" || fail "b did not connect"
bh_wait_for 3 "grep -q 'error: .*namespace /beachhead/dup/ is claimed by another daemon (hostname=.* pid=$pid_a since=' '$BH_TMP/b.err'" \
	"the conflict within one refresh" || fail "b did not report the conflict within one refresh"
grep 'claimed by another daemon' "$BH_TMP/b.err" | grep -q 'token=' && fail "the message shows the owner's token"
grep 'claimed by another daemon' "$BH_TMP/b.err" | grep -q 'host_id' || fail "the message does not say what to do"
end=$(( $(date +%s) + 10 ))
samples=0
while [ "$(date +%s)" -lt "$end" ]; do
	present /beachhead/dup/web /beachhead/dup/api || fail "a's keys went missing (sample $samples)"
	present /beachhead/dup/db && fail "b published into a's namespace (sample $samples)"
	samples=$((samples + 1))
	sleep 0.1
done
bh_note "$samples samples: a's keys present at every one"
[ "$(grep -c 'claimed by another daemon' "$BH_TMP/b.err")" = 1 ] || fail "the conflict was not logged once"
grep -q 'deleting' "$BH_TMP/b.err" && fail "b swept a's namespace"
kill -0 "$pid_b" || fail "b died"

# 2. A one-pass run of a third identity: exit 1, at once, nothing touched.
printf 'up db 10.50.2.1 db.example.org\n' >"$BH_TMP/c.script"
conf c
mkdir -p "$BH_TMP/state-c"
BEACHHEAD_STATE_DIR="$BH_TMP/state-c" timeout 20 $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp \
	--refresh 0 2>"$BH_TMP/c.err"
status=$?
# Nothing waits for the refused writes (else the core's 5 s drain ends
# with "N operations still unacknowledged").
grep -q 'still unacknowledged' "$BH_TMP/c.err" && fail "the one-pass run waited for writes it refused"
[ "$status" = 1 ] || fail "one pass with the namespace claimed: exit status $status, expected 1"
grep -q 'error: .*namespace /beachhead/dup/ is claimed by another daemon' "$BH_TMP/c.err" ||
	fail "the one-pass run did not say why"
present /beachhead/dup/web /beachhead/dup/api || fail "the one-pass run touched a's keys"
present /beachhead/dup/db && fail "the one-pass run published"

# 3. The first one dies; its claim ends within one expiry.
kill -9 "$pid_a"
killed=$(date +%s)
bh_wait_for 12 "present /beachhead/dup/db" "b to take over" || fail "b never took over"
took=$(( $(date +%s) - killed ))
[ "$took" -le 9 ] || fail "b took over after $took s (expiry 6 s, retries every second)"
bh_note "b took over $took s after a's SIGKILL"
grep -q "namespace /beachhead/dup/ is ours now" "$BH_TMP/b.err" || fail "the takeover was not logged"
bh_redis_wait_keys 0 5 /beachhead/dup/web /beachhead/dup/api || fail "a's leftovers were not swept"
bh_redis_cli get /beachhead/dup/@owner | grep -q "pid=$pid_b " || fail "the claim is not b's"
sleep 3 # a sweep or two more
present /beachhead/dup/@owner /beachhead/dup/db || fail "the sweep deleted the claim or b's key"

# 4. b restarts with its state_dir: its own claim, no conflict.
kill -TERM "$pid_b"
wait "$pid_b" || fail "b exited with $? after SIGTERM"
mv "$BH_TMP/b.err" "$BH_TMP/b1.log"
start b
bh_wait_for 5 "bh_redis_cli get /beachhead/dup/@owner | grep -q 'pid=$pid_b '" "b's new claim" ||
	fail "the restarted daemon did not take its own claim over"
present /beachhead/dup/db || fail "b's key after the restart"
grep -q 'claimed by another daemon' "$BH_TMP/b.err" && fail "a restart of the same daemon was a conflict"

# 5. Another daemon's record appears in b's claim (b was cut off longer
#    than the expiry, say): b's next renewal finds it, b stops writing
#    there with the same error, and takes the namespace again once that
#    claim has expired.
bh_redis_cli set /beachhead/dup/@owner 'hostname=other machine_id=m2 pid=7 since=then token=t2' EX 4 >/dev/null
bh_wait_for 5 "grep -q 'error: .*namespace /beachhead/dup/ was taken over by another daemon (hostname=other machine_id=m2 pid=7 since=then)' '$BH_TMP/b.err'" \
	"the lost claim" || fail "b did not notice that its claim changed hands"
bh_wait_for 8 "grep -q 'namespace /beachhead/dup/ is ours now' '$BH_TMP/b.err'" "b's claim again" ||
	fail "b did not claim the namespace again after the other claim expired"
bh_redis_cli get /beachhead/dup/@owner | grep -q "pid=$pid_b " || fail "the claim is not b's again"
kill -TERM "$pid_b"
wait "$pid_b" || fail "b exited with $? after SIGTERM"
bh_check_valgrind
exit 0
