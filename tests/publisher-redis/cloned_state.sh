#!/bin/sh
# A cloned machine: its image was taken after the daemon had run, so it
# carries the same state_dir (the same owner token) and the same host id,
# but the clone got its own machine id (as systemd-firstboot, cloud-init
# or virt-sysprep give it).  Against a real redis-server: the clone's
# daemon must not take the first daemon's live claim for its own restart;
# it reports the conflict and writes and sweeps nothing there, and the
# first daemon's keys stay.  The clone's machine id is a file bind-mounted
# over /etc/machine-id in a mount namespace of the clone's daemon alone.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
[ "$(id -u)" = 0 ] || bh_skip "needs root to give the clone a machine id of its own (unshare -m, mount --bind)"
[ -f /etc/machine-id ] || bh_skip "no /etc/machine-id to give the clone another one over"
bh_redis_setup
fail() { for f in "$BH_TMP"/*.err; do echo "== $f" >&2; cat "$f" >&2; done; bh_fail "$@"; }
present() { [ "$(bh_redis_cli exists "$@")" = "$#" ]; }

printf '%s\n' 'up web 10.84.0.1 web.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up db 10.84.1.1 db.example.org' >"$BH_TMP/b.script"
for name in a b; do
	{
		printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\n' "$BH_TMP/$name.script"
		printf 'publishers = ( { plugin = "publisher-redis"; socket = "%s"; } );\n' "$BH_REDIS_SOCK"
		printf 'enumerate = true;\nexpire = 6;\nrefresh = 1;\nhost_id = "dup";\n'
	} >"$BH_TMP/$name.conf" || bh_fail "cannot write $name.conf"
done
mkdir -p "$BH_TMP/state-a"
BEACHHEAD_STATE_DIR="$BH_TMP/state-a" $(bh_daemon_cmd) -c "$BH_TMP/a.conf" --no-timestamp 2>"$BH_TMP/a.err" &
pid_a=$!
bh_on_exit "kill -9 $pid_a 2>/dev/null"
bh_redis_wait_keys 2 10 /beachhead/dup/web /beachhead/dup/@owner || fail "a's key or claim never appeared"

# The clone: a copy of a's state_dir, another machine id.
cp -a "$BH_TMP/state-a" "$BH_TMP/state-b" || bh_fail "cannot copy state_dir"
machine=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$machine" >"$BH_TMP/machine-id"
BEACHHEAD_STATE_DIR="$BH_TMP/state-b" unshare -m sh -c "mount --bind '$BH_TMP/machine-id' /etc/machine-id &&
	exec $(bh_daemon_cmd) -c '$BH_TMP/b.conf' --no-timestamp" 2>"$BH_TMP/b.err" &
pid_b=$!
bh_on_exit "kill -9 $pid_b 2>/dev/null"
bh_wait_for 10 "grep -q 'error: .*namespace /beachhead/dup/ is claimed by another daemon (hostname=.* pid=$pid_a ' '$BH_TMP/b.err'" \
	"the clone's conflict" || fail "the clone took a's claim for its own"
# A few refreshes of both: a's key at every sample, the clone's never.
end=$(( $(date +%s) + 4 ))
while [ "$(date +%s)" -lt "$end" ]; do
	present /beachhead/dup/web || fail "a's key went missing"
	present /beachhead/dup/db && fail "the clone published into a's namespace"
	sleep 0.1
done
bh_redis_cli get /beachhead/dup/@owner | grep -q "pid=$pid_a " || fail "the claim is not a's any more"
for pid in $pid_b $pid_a; do
	kill -TERM "$pid"
	wait "$pid" || fail "a daemon exited with $? after SIGTERM"
done
bh_check_valgrind
exit 0
