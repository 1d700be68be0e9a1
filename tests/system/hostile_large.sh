#!/bin/sh
# Huge hostile values against the real engine, daemon and redis-server:
#   A. 5000 valid domains in one variable (docker run -e): one JSON array
#      of exactly 5000 entries, each exact;
#   B. a 1 MiB variable (through the API: the docker CLI's own argv cannot
#      carry it): the engine accepts the container, but its start fails
#      (execve: one environment string is capped at 128 KiB by the kernel,
#      MAX_ARG_STRLEN); the largest variable that runs, ~128 KiB of valid
#      domains, is registered;
#   D. a 1 MiB label that is one garbage token: refused, the message cut;
#   C. a 1 MiB label (labels are not passed to execve, so the container
#      runs): ~55000 valid domains, published whole or refused with a
#      reason, within seconds, without stalling the others (last: it is
#      the step that exposes the quadratic duplicate check).
# Throughout: the daemon stays up, a well-behaved container's key keeps its
# exact value (monitored every 100 ms; a stalled loop would let it expire),
# every value in Redis is valid JSON without raw control characters, an
# unrelated event is still acted on within a second.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
# NET, EXPIRE, REFRESH, LOG; `good` registered, its value in GOOD, watched.
bh_hostile_start hnet21 172.30.21.0/24

# domains COUNT PREFIX: COUNT valid domains, space-separated.
domains() {
	python3 -c 'import sys; n, p = int(sys.argv[1]), sys.argv[2]; sys.stdout.write(" ".join("%s%d.example.org" % (p, i) for i in range(n)))' "$1" "$2"
}
# check_array KEY COUNT PREFIX IP: the value is one JSON array of COUNT
# entries, entry i exactly PREFIXi.example.org on IP with ports 80/443.
check_array() {
	bh_redis_cli --raw get "$1" | python3 -c '
import json, sys
n, p, ip = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = sys.stdin.buffer.read().rstrip(b"\n")
assert not [b for b in raw if b < 0x20], "raw control characters"
v = json.loads(raw)
assert isinstance(v, list), "not an array"
assert len(v) == n, "%d entries, expected %d" % (len(v), n)
for i, e in enumerate(v):
    d = "%s%d.example.org" % (p, i)
    want = {"id": d.replace(".", "_"), "domain": d, "http": {"host": ip, "port": 80}, "https": {"host": ip, "port": 443}}
    assert e == want, "entry %d: %r" % (i, e)
    assert list(e) == ["id", "domain", "http", "https"], "field order %r" % list(e)
' "$2" "$3" "$4"
}
# api_create NAME BODY-JSON-FILE: POST /containers/create; prints the
# engine's answer.
api() {
	curl -s --unix-socket "$BH_DOCKER_SOCK" -H 'Content-Type: application/json' "$@"
}
# responsive: an unrelated container still gets its key at once.
responsive() {
	n=probe$1
	bh_run "$n" -e "BEACHHEAD_DOMAINS=$n.example.org"
	t0=$(( $(date +%s%N) / 1000000 ))
	# shellcheck disable=SC2034 # read by the eval in bh_wait_for
	BH_RESP_KEY=/beachhead/$n
	bh_wait_for "$(bh_t 5)" '[ "$(bh_redis_cli exists "$BH_RESP_KEY")" = 1 ]' "$n's key" || bh_fail "the daemon is not responsive ($1)"
	bh_note "$1: an unrelated container registered $(( $(date +%s%N) / 1000000 - t0 )) ms after docker run returned"
	docker rm -f "$n" >/dev/null
}

# --- A. 5000 domains in one variable.
bh_run many -e "BEACHHEAD_DOMAINS=$(domains 5000 m)"
t0=$(date +%s)
IP=$(bh_ip many $NET)
bh_wait_for "$(bh_t 10)" '[ "$(bh_redis_cli exists /beachhead/many)" = 1 ]' "the 5000-domain key" || { grep 'container many' "$LOG" | cut -c1-300 >&2; bh_fail "5000 domains not published"; }
check_array /beachhead/many 5000 m "$IP" || bh_fail "the 5000-domain value is wrong"
bh_note "A. 5000 domains: one array of 5000 entries ($(bh_redis_cli strlen /beachhead/many) bytes), published within $(( $(date +%s) - t0 )) s"
responsive A

# --- B. A 1 MiB variable, through the API.
# (One invalid token: if the container ever runs, its rejection is cheap;
# the cost of a 1 MiB list of valid domains is step C's subject.)
python3 -c '
import json, sys
json.dump({"Image": "bbox:latest", "Cmd": ["sleep", "100000"], "Env": ["BEACHHEAD_DOMAINS=" + "b" * 1048576],
           "HostConfig": {"NetworkMode": sys.argv[1]}}, sys.stdout)' $NET >"$BH_TMP/big.json"
created=$(api -d @"$BH_TMP/big.json" "http://d/containers/create?name=bigenv")
bh_note "B. 1 MiB variable: create: $(printf '%s' "$created" | cut -c1-120)"
started=$(api -X POST "http://d/containers/bigenv/start")
bh_note "B. 1 MiB variable: start: $(printf '%s' "$started" | cut -c1-200)"
sleep 0.5
running=$(docker inspect -f '{{.State.Running}}' bigenv 2>/dev/null)
bh_note "B. 1 MiB variable: state: $(docker inspect -f '{{.State.Status}} exit={{.State.ExitCode}} error={{.State.Error}}' bigenv | cut -c1-200)"
if [ "$running" = true ]; then
	bh_note "B. the engine ran a 1 MiB variable"
	MAXENV=bigenv
else
	# The largest single environment string execve takes: 128 KiB with its
	# NUL.  Valid domains "e<i>.example.org" filling it.
	python3 -c '
import json, sys
limit = 131072 - 1 - len("BEACHHEAD_DOMAINS=")
parts, size, i = [], 0, 0
while True:
    d = "e%d.example.org" % i
    if size + len(d) + (1 if parts else 0) > limit:
        break
    size += len(d) + (1 if parts else 0)
    parts.append(d)
    i += 1
sys.stderr.write("%d\n" % len(parts))
json.dump({"Image": "bbox:latest", "Cmd": ["sleep", "100000"], "Env": ["BEACHHEAD_DOMAINS=" + " ".join(parts)],
           "HostConfig": {"NetworkMode": sys.argv[1]}}, sys.stdout)' $NET >"$BH_TMP/max.json" 2>"$BH_TMP/max.count"
	api -d @"$BH_TMP/max.json" "http://d/containers/create?name=maxenv" >/dev/null
	started=$(api -X POST "http://d/containers/maxenv/start")
	[ "$(docker inspect -f '{{.State.Running}}' maxenv 2>/dev/null)" = true ] ||
		bh_fail "B. even a 128 KiB variable does not run: $started"
	MAXENV=maxenv
	MAXN=$(cat "$BH_TMP/max.count")
	bh_note "B. the largest variable that runs: $(( $(wc -c <"$BH_TMP/max.json") / 1024 )) KiB, $MAXN domains"
	t0=$(date +%s)
	bh_wait_for "$(bh_t 10)" '[ "$(bh_redis_cli exists /beachhead/maxenv)" = 1 ]' "the 128 KiB key" || { grep 'container maxenv' "$LOG" | cut -c1-300 >&2; bh_fail "the 128 KiB variable was not published"; }
	check_array /beachhead/maxenv "$MAXN" e "$(bh_ip maxenv $NET)" || bh_fail "the 128 KiB value is wrong"
	bh_note "B. $MAXN domains published within $(( $(date +%s) - t0 )) s ($(bh_redis_cli strlen /beachhead/maxenv) bytes)"
fi
responsive B
bh_verify_daemon_alive "$LOG"

# --- D. A 1 MiB garbage token as a label: refused; the message is cut.
python3 -c '
import json, sys
json.dump({"Image": "bbox:latest", "Cmd": ["sleep", "100000"], "Labels": {"beachhead.domains": "g" * 1048000 + ".org"},
           "HostConfig": {"NetworkMode": sys.argv[1]}}, sys.stdout)' $NET >"$BH_TMP/garbage.json"
api -d @"$BH_TMP/garbage.json" "http://d/containers/create?name=garbage" >/dev/null
api -X POST "http://d/containers/garbage/start" >/dev/null
bh_wait_for "$(bh_t 5)" "grep -q \"core: error: container garbage: label beachhead.domains: domain 'gggg.*\\.\\.\\.': invalid DNS name: it is longer than 253 characters\" '$LOG'" \
	"the garbage label's rejection" || { grep 'container garbage' "$LOG" | cut -c1-300 >&2; exit 1; }
len=$(grep 'container garbage' "$LOG" | head -n 1 | wc -c)
[ "$len" -lt 400 ] || bh_fail "the rejection line is $len bytes long (not cut)"
[ "$(bh_redis_cli exists /beachhead/garbage)" = 0 ] || bh_fail "garbage was published"

# --- C. A 1 MiB label of valid domains (no variable: the label is read).
python3 -c '
import json, sys
limit = 1048576
parts, size, i = [], 0, 0
while True:
    d = "l%d.example.org" % i
    if size + len(d) + (1 if parts else 0) > limit:
        break
    size += len(d) + (1 if parts else 0)
    parts.append(d)
    i += 1
sys.stderr.write("%d\n" % len(parts))
json.dump({"Image": "bbox:latest", "Cmd": ["sleep", "100000"], "Labels": {"beachhead.domains": " ".join(parts)},
           "HostConfig": {"NetworkMode": sys.argv[1]}}, sys.stdout)' $NET >"$BH_TMP/label.json" 2>"$BH_TMP/label.count"
LABELN=$(cat "$BH_TMP/label.count")
api -d @"$BH_TMP/label.json" "http://d/containers/create?name=biglabel" >/dev/null
t0=$(( $(date +%s%N) / 1000000 ))
started=$(api -X POST "http://d/containers/biglabel/start")
[ "$(docker inspect -f '{{.State.Running}}' biglabel 2>/dev/null)" = true ] || bh_fail "C. the 1 MiB label container does not run: $started"
# Published whole, or refused with a reason (a documented cap): either is
# fine, within seconds, and without stalling the daemon for the others.
if bh_wait_for "$(bh_t 20)" '[ "$(bh_redis_cli exists /beachhead/biglabel)" = 1 ] || grep -q "core: error: container biglabel: " "$LOG"' \
	"the 1 MiB label to be published or refused"; then
	took=$(( $(date +%s%N) / 1000000 - t0 ))
	if [ "$(bh_redis_cli exists /beachhead/biglabel)" = 1 ]; then
		check_array /beachhead/biglabel "$LABELN" l "$(bh_ip biglabel $NET)" || bh_fail "C. the 1 MiB label value is wrong"
		bh_note "C. 1 MiB label: $LABELN domains published after $took ms ($(bh_redis_cli strlen /beachhead/biglabel) bytes)"
	else
		bh_note "C. 1 MiB label: refused after $took ms: $(grep 'core: error: container biglabel: ' "$LOG" | head -n 1 | cut -c1-300)"
	fi
else
	grep 'container biglabel' "$LOG" | cut -c1-300 >&2
	[ ! -s "$BH_TMP/good.violations" ] || bh_note "meanwhile the well-behaved key lapsed: $(head -n 1 "$BH_TMP/good.violations")"
	bh_fail "C. the 1 MiB label ($LABELN domains) was neither published nor refused within $(bh_t 20) s (the loop stalls: see core/registrations/domain_spec.c list_has_domain, O(n^2))"
fi
responsive C
bh_verify_daemon_alive "$LOG"
# Over a few refreshes, the good key never lapsed (a pass that blocks the
# loop for longer than the expiry would let it expire).
sleep "$(bh_t $((REFRESH * 2)))"
responsive C2

# --- The end: all values clean JSON, good untouched, removals act.
bh_verify_all_json || bh_fail "a value in Redis is not clean JSON"
docker rm -f many biglabel "$MAXENV" >/dev/null
bh_verify_converges "$(bh_t 5)" $NET $EXPIRE || bh_fail "the big containers' keys were not deleted"
[ "$(bh_redis_cli dbsize)" = 1 ] || bh_fail "keys left: $(bh_redis_keys '/beachhead/*' | tr '\n' ' ')"
kill "$BH_MONITOR_PID"
wait "$BH_MONITOR_PID" 2>/dev/null
if [ -s "$BH_TMP/good.violations" ]; then
	head -n 5 "$BH_TMP/good.violations" | cut -c1-200 >&2
	bh_fail "the well-behaved container's key changed or vanished"
fi
bh_verify_daemon_alive "$LOG"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
