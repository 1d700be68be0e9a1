#!/bin/sh
# The namespace sweep of publisher-redis against a real redis-server (keys
# without expiry, so only a DEL removes anything):
#   1. two daemons with host ids hostA and hostB run side by side: after a
#      complete pass hostA deletes its leftovers (hundreds of them, among
#      thousands of other keys: several SCAN steps) and nothing else, not
#      hostB's keys, not /beachhead/hostAB/web (an id that starts with
#      "hostA"), not single-host or foreign keys; a leftover that appears
#      later goes with the next pass;
#   2. a one-pass run sweeps before it exits, also in a namespace full of
#      glob characters (the SCAN pattern must escape them);
#   3. with the documented ACL (+scan) the sweep works; without +scan the
#      daemon says what is missing and publishes anyway;
#   4. keys are judged when the listing arrives, not when the sweep began:
#      a container that starts right after the pass keeps its key, though
#      the key was a leftover when the sweep was asked for.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

# conf FILE SCRIPT [publisher settings]
conf() {
	{
		printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\n' "$2"
		printf 'publishers = ( { plugin = "publisher-redis"; socket = "%s"; %s } );\n' \
			"$BH_REDIS_SOCK" "${3:-}"
		printf 'enumerate = true;\nexpire = 0;\n'
	} >"$1" || bh_fail "cannot write $1"
}
# start NAME HOST-ID: a daemon refreshing every second; pid in $pid_NAME
start() {
	$(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp --refresh 1 --host-id "$2" \
		2>"$BH_TMP/$1.err" &
	eval "pid_$1=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}
fail() { cat "$BH_TMP"/*.err >&2; bh_fail "$@"; }
set_key() { [ "$(bh_redis_cli set "$1" '[]')" = OK ] || bh_fail "SET $1"; }
present() { [ "$(bh_redis_cli exists "$1")" = 1 ]; }

# 1. Two hosts side by side.
set_key /beachhead/hostA/ghost
set_key /beachhead/hostAB/web
set_key /beachhead/web
set_key /other/hostA/web
bh_redis_cli eval "for i = 1, 3000 do redis.call('SET', '/other/k' .. i, 'x') end
	for i = 1, 600 do redis.call('SET', '/beachhead/hostA/stale' .. i, '[]') end" 0 >/dev/null ||
	bh_fail "seeding"

printf '%s\n' 'up web 10.40.0.1 web.example.org' 'up api 10.40.0.2 api.example.org' \
	"await $BH_TMP/stop-api" 'down api' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.40.1.1 web.example.org' 'up api 10.40.1.2 api.example.org' >"$BH_TMP/b.script"
conf "$BH_TMP/a.conf" "$BH_TMP/a.script"
conf "$BH_TMP/b.conf" "$BH_TMP/b.script"
start a hostA
start b hostB

# (Besides the daemon's claim on its namespace, /beachhead/hostA/@owner.)
bh_wait_for 10 '[ "$(bh_redis_keys "/beachhead/hostA/*" | grep -v @owner | tr "\n" " ")" = "/beachhead/hostA/api /beachhead/hostA/web " ]' \
	"hostA's namespace to hold only api and web" ||
	fail "hostA's leftovers stayed: $(bh_redis_keys '/beachhead/hostA/*' | wc -l) keys there"
grep -q "deleting 601 keys under /beachhead/hostA/ that no running container backs" "$BH_TMP/a.err" ||
	fail "the sweep was not logged once with its count"
bh_redis_wait_keys 2 5 /beachhead/hostB/web /beachhead/hostB/api || fail "hostB's keys"
sleep 2 # two more passes of each daemon, each with its sweep
for key in /beachhead/hostA/web /beachhead/hostA/api /beachhead/hostB/web /beachhead/hostB/api \
	/beachhead/hostAB/web /beachhead/web /other/hostA/web /other/k1 /other/k3000; do
	present "$key" || fail "the sweep deleted $key"
done
[ "$(bh_redis_keys '/other/k*' | wc -l)" = 3000 ] || fail "keys outside the prefix went"
grep -q "deleting" "$BH_TMP/b.err" && fail "hostB swept something: $(grep deleting "$BH_TMP/b.err")"

# A leftover that appears while the daemon runs goes with the next pass; a
# stopped container's key goes at once (its DEL).
set_key /beachhead/hostA/late
bh_redis_wait_keys 0 5 /beachhead/hostA/late || fail "a later leftover stayed"
touch "$BH_TMP/stop-api"
bh_redis_wait_keys 0 5 /beachhead/hostA/api || fail "the stopped container's key stayed"
present /beachhead/hostA/web && present /beachhead/hostB/api || fail "a live key went"
for name in a b; do
	eval "pid=\$pid_$name"
	kill -TERM "$pid"
	wait "$pid" || fail "daemon $name exited with $? after SIGTERM"
done

# 2. A one-pass run sweeps, in a namespace full of glob characters: the
#    unescaped pattern /beachhead/g[1]?*\/* would miss the leftover below
#    and match /beachhead/g1x/web instead.
id='g[1]?*\'
set_key "/beachhead/$id/ghost"
set_key /beachhead/g1x/web
set_key '/beachhead/g[1]x/web'
printf 'up web 10.40.2.1 web.example.org\n' >"$BH_TMP/c.script"
conf "$BH_TMP/c.conf" "$BH_TMP/c.script"
bh_redis_cli config resetstat >/dev/null || bh_fail "CONFIG RESETSTAT"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --refresh 0 --host-id "$id" 2>"$BH_TMP/c.err" ||
	fail "one pass: exit status $?"
# 3000+ keys: bounded SCAN steps, not one sweeping reply.
scans=$(bh_redis_cli info commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p')
[ "${scans:-0}" -ge 4 ] || fail "one pass: the sweep took ${scans:-0} SCAN steps over 3000 keys"
! present "/beachhead/$id/ghost" || fail "one pass: the leftover in its namespace stayed"
present "/beachhead/$id/web" || fail "one pass: its own key is missing"
present /beachhead/g1x/web && present '/beachhead/g[1]x/web' ||
	fail "one pass: the sweep left its namespace"

# 3. ACLs: the documented one sweeps; one without +scan is named.
bh_redis_cli acl setuser beachhead on '>pw' '~/beachhead/*' +set +del +ping >/dev/null ||
	bh_fail "ACL SETUSER"
set_key /beachhead/hostD/ghost
printf 'up web 10.40.3.1 web.example.org\n' >"$BH_TMP/d.script"
conf "$BH_TMP/d.conf" "$BH_TMP/d.script" 'user = "beachhead"; password = "pw";'
$(bh_daemon_cmd) -c "$BH_TMP/d.conf" --no-timestamp --refresh 0 --host-id hostD 2>"$BH_TMP/d.err" ||
	fail "ACL without +scan: exit status $?"
grep -q "refused SCAN, so leftovers under /beachhead/hostD/ stay: NOPERM.*(the ACL user needs +scan)" \
	"$BH_TMP/d.err" || fail "no clear warning for the missing +scan"
present /beachhead/hostD/web && present /beachhead/hostD/ghost || fail "ACL without +scan: keys"
bh_redis_cli acl setuser beachhead +scan >/dev/null || bh_fail "ACL SETUSER +scan"
$(bh_daemon_cmd) -c "$BH_TMP/d.conf" --no-timestamp --refresh 0 --host-id hostD 2>"$BH_TMP/d.err" ||
	fail "ACL with +scan: exit status $?"
! present /beachhead/hostD/ghost || fail "ACL with +scan: the leftover stayed"

# 4. A pass (and its sweep) at the cue, and at once a container whose key
#    is there from before: its SET goes out after the SCAN; deciding
#    against the registrations of the pass's end would DEL it after that.
set_key /beachhead/hostE/ghost
printf '%s\n' 'up web 10.40.4.1 web.example.org' "await $BH_TMP/cue" 'resync' \
	'up late 10.40.4.2 late.example.org' >"$BH_TMP/e.script"
conf "$BH_TMP/e.conf" "$BH_TMP/e.script"
$(bh_daemon_cmd) -c "$BH_TMP/e.conf" --no-timestamp --refresh 60 --host-id hostE 2>"$BH_TMP/e.err" &
pid_e=$!
bh_on_exit "kill -9 $pid_e 2>/dev/null"
bh_redis_wait_keys 0 5 /beachhead/hostE/ghost || fail "the first sweep did not run"
set_key /beachhead/hostE/late
touch "$BH_TMP/cue"
bh_wait_for 5 'bh_redis_cli get /beachhead/hostE/late | grep -q 10.40.4.2' "hostE/late to be published" ||
	fail "hostE/late was not published"
sleep 1
bh_redis_cli get /beachhead/hostE/late | grep -q 10.40.4.2 ||
	fail "the sweep deleted a key registered while it ran"
kill -TERM "$pid_e"
wait "$pid_e" || fail "daemon e exited with $? after SIGTERM"
bh_check_valgrind
exit 0
