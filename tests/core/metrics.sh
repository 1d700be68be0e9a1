#!/bin/sh
# metrics_listen through the real core loop (scripted inspector, a test-only
# stand-in for an engine; the stdout publisher): /metrics is a valid
# exposition (promtool check metrics), /healthz and /readyz answer, anything
# else is 404; clients that stall, crowd (100 at once) or send a 1 MiB
# request line never delay a container's registration, and are dropped;
# --health-check asks /readyz; plugins of an older ABI (1.2, 1.1: no metrics
# functions) load and run, only their own metrics are absent.
. "$top_srcdir/tests/lib/common.sh"
command -v curl >/dev/null 2>&1 || bh_skip "curl is not installed"
command -v promtool >/dev/null 2>&1 || bh_skip "promtool (Debian's prometheus) is not installed"
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
bh_setup_tmp
scrapers="python3 $top_srcdir/tests/lib/scrapers.py"

cat >"$BH_TMP/script" <<SCRIPT
up web1 172.30.0.2 example.org admin.example.org:https
up web2 172.30.0.3 example.org
novar db 172.30.0.4
up typo 172.30.0.5 bad.org:http=99999
await $BH_TMP/go
up late 172.30.0.6 late.example
await $BH_TMP/never
SCRIPT
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
refresh = 600;
metrics_listen = "127.0.0.1:0";
CONF

# The effective setting, and mistakes in it, with file:line.
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --check-config --verbose >"$BH_TMP/check" 2>&1 ||
	{ cat "$BH_TMP/check" >&2; bh_fail "--check-config refused the configuration"; }
bh_expect_lines "$BH_TMP/check" "^metrics_listen \"127.0.0.1:0\"	# $BH_TMP/beachhead.conf:5"
sed 's/metrics_listen = .*/metrics_listen = "localhost:9477";/' "$BH_TMP/beachhead.conf" >"$BH_TMP/bad.conf"
$BEACHHEAD -c "$BH_TMP/bad.conf" --check-config >"$BH_TMP/bad" 2>&1 && bh_fail "a host name was accepted"
bh_expect_lines "$BH_TMP/bad" "$BH_TMP/bad.conf:5: 'metrics_listen' \"localhost:9477\": not a numeric IPv4 address"
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --metrics-listen '[::1]:99999' --check-config >"$BH_TMP/bad" 2>&1 &&
	bh_fail "port 99999 was accepted"
bh_expect_lines "$BH_TMP/bad" "--metrics-listen \"\[::1\]:99999\": the port must be a number from 0 to 65535"

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 60 "grep -q 'metrics: serving /metrics, /healthz and /readyz on http://127.0.0.1:[1-9]' '$BH_TMP/err'" \
	"the listening line" || { cat "$BH_TMP/err" >&2; exit 1; }
grep -q 'is not a loopback address' "$BH_TMP/err" && bh_fail "a loopback address was called public"
port=$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)$|\1|p' "$BH_TMP/err")
url="http://127.0.0.1:$port"
bh_wait_for 10 "grep -q '/beachhead/web2' '$BH_TMP/out'" "the first registrations" || exit 1

# libmicrohttpd is loaded because metrics are on (below: not when off).
grep -q 'libmicrohttpd' "/proc/$pid/maps" || bh_fail "libmicrohttpd is not loaded with metrics on"

# Liveness, routes, methods.
[ "$(curl -s "$url/healthz")" = ok ] || bh_fail "/healthz did not say ok"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ] || bh_fail "an unknown path is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics/")" = 404 ] || bh_fail "/metrics/ is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" = 405 ] || bh_fail "POST is not 405"

# The exposition: valid, and what the core knows.
curl -s -D "$BH_TMP/headers" "$url/metrics" >"$BH_TMP/metrics" || bh_fail "GET /metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$BH_TMP/headers" || bh_fail "content type: $(cat "$BH_TMP/headers")"
promtool check metrics <"$BH_TMP/metrics" >"$BH_TMP/lint" 2>&1 || { cat "$BH_TMP/lint" "$BH_TMP/metrics" >&2; bh_fail "promtool check metrics"; }
[ -s "$BH_TMP/lint" ] && { cat "$BH_TMP/lint" >&2; bh_fail "promtool found problems"; }
bh_wait_for 10 "curl -s '$url/metrics' | grep -qx 'beachhead_passes_total{result=\"complete\"} 1'" "one complete pass counted" ||
	{ curl -s "$url/metrics" >&2; exit 1; }
curl -s "$url/metrics" >"$BH_TMP/metrics"
for line in 'beachhead_registrations 2' 'beachhead_domains 2' \
	'beachhead_containers{state="registered"} 2' 'beachhead_containers{state="invalid"} 1' \
	'beachhead_containers{state="no_domains"} 1' 'beachhead_containers{state="refused"} 0' \
	'beachhead_passes_total{result="incomplete"} 0' 'beachhead_pass_duration_seconds_count 1' 'beachhead_ready 1' \
	"beachhead_build_info{version=\"[0-9.]*\",abi=\"1\\.[0-9]*\"} 1" \
	'beachhead_publisher_pending{publisher="publisher-stdout\[0\]"} 0' \
	'process_open_fds [1-9][0-9]*' 'process_max_fds [1-9][0-9]*' 'process_resident_memory_bytes [1-9][0-9]*' \
	'process_cpu_seconds_total [0-9.e-]*' 'process_start_time_seconds [1-9][0-9.]*' 'beachhead_start_time_seconds [1-9][0-9.]*'; do
	grep -qx "$line" "$BH_TMP/metrics" || { cat "$BH_TMP/metrics" >&2; bh_fail "no line: $line"; }
done

# Readiness: the scripted inspector and the stdout publisher keep no
# connection gauge (taken at their word); the first pass completed.
curl -s -o "$BH_TMP/ready" -w '%{http_code}' "$url/readyz" >"$BH_TMP/code"
[ "$(cat "$BH_TMP/code")" = 200 ] || { cat "$BH_TMP/ready" >&2; bh_fail "/readyz is not 200"; }
bh_expect_lines "$BH_TMP/ready" '^inspector-scripted: ok' '^full pass: ok (last complete [0-9]* s ago)$' \
	'^publisher-stdout\[0\]: ok'
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --metrics-listen "127.0.0.1:$port" --health-check >"$BH_TMP/hc" 2>&1 ||
	{ cat "$BH_TMP/hc" >&2; bh_fail "--health-check failed on a ready daemon"; }
bh_expect_lines "$BH_TMP/hc" '^full pass: ok'

# Hostile clients, then a container starts: its registration must not wait
# for them.  20 that connect and send nothing (more than the 16 slots), a
# 1 MiB request line, 100 scrapes at once.
$scrapers stall 127.0.0.1 "$port" 20 30 >"$BH_TMP/stall" 2>&1 &
stall_pid=$!
bh_on_exit "kill -9 $stall_pid"
$scrapers huge 127.0.0.1 "$port" 1048576 >"$BH_TMP/huge" 2>&1 &
huge_pid=$!
$scrapers crowd 127.0.0.1 "$port" 100 >"$BH_TMP/crowd" 2>&1 &
crowd_pid=$!
sleep 0.5
start=$(date +%s%N)
touch "$BH_TMP/go"
bh_wait_for 10 "grep -q 'late.example' '$BH_TMP/out'" "the registration of a container started among hostile clients" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
bh_note "registered $(( ($(date +%s%N) - start) / 1000000 )) ms after the cue, with 20 stalled clients, a 1 MiB request and 100 scrapers"
wait "$huge_pid"
case $(cat "$BH_TMP/huge") in
"HTTP/1.1 200"*) bh_fail "a 1 MiB request line was answered: $(cat "$BH_TMP/huge")" ;;
esac
bh_note "1 MiB request line: $(cat "$BH_TMP/huge")"
wait "$crowd_pid"
grep -q '^ok=[0-9]* dropped=[0-9]*$' "$BH_TMP/crowd" || bh_fail "crowd: $(cat "$BH_TMP/crowd")"
bh_note "100 scrapers at once: $(cat "$BH_TMP/crowd")"
wait "$stall_pid" || { cat "$BH_TMP/stall" >&2; bh_fail "stalled clients were not dropped within 30 s"; }
bh_note "stalled clients: $(cat "$BH_TMP/stall")"
# Every slot is free again: answers as before.
bh_wait_for 10 "[ \"\$(curl -s --max-time 2 '$url/healthz')\" = ok ]" "/healthz after the hostile clients" || exit 1
curl -s "$url/metrics" | grep -qx 'beachhead_registrations 3' || bh_fail "the late container is not counted"

kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "daemon exited with $status"; }
bh_check_valgrind
# Off: no listener, and libmicrohttpd (with GnuTLS) not even loaded.
grep -v metrics_listen "$BH_TMP/beachhead.conf" >"$BH_TMP/nometrics.conf"
rm -f "$BH_TMP/go"
$BEACHHEAD -c "$BH_TMP/nometrics.conf" --no-timestamp >"$BH_TMP/off.out" 2>"$BH_TMP/off.err" &
off_pid=$!
bh_on_exit "kill -9 $off_pid"
bh_wait_for 30 "grep -q '/beachhead/web2' '$BH_TMP/off.out'" "the registrations without metrics" || exit 1
grep -q 'metrics:' "$BH_TMP/off.err" && bh_fail "metrics are said to be served while off"
grep -q 'libmicrohttpd' "/proc/$off_pid/maps" && bh_fail "libmicrohttpd is loaded with metrics off"
kill -TERM $off_pid
wait $off_pid || bh_fail "the daemon without metrics exited non-zero"

# Gone with the daemon: --health-check says so and fails.
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --metrics-listen "127.0.0.1:$port" --health-check >"$BH_TMP/hc" 2>&1 &&
	bh_fail "--health-check succeeded without a daemon"
bh_expect_lines "$BH_TMP/hc" "health check: cannot connect to 127.0.0.1:$port"
# BEACHHEAD_METRICS_LISTEN (what the container image sets) serves the
# daemon and --health-check alike; the setting and the option win over it.
BEACHHEAD_METRICS_LISTEN=127.0.0.1:0 $BEACHHEAD -c "$BH_TMP/nometrics.conf" --check-config --verbose >"$BH_TMP/env" 2>&1 ||
	{ cat "$BH_TMP/env" >&2; bh_fail "BEACHHEAD_METRICS_LISTEN was refused"; }
bh_expect_lines "$BH_TMP/env" '^metrics_listen "127.0.0.1:0"	# environment (BEACHHEAD_METRICS_LISTEN)$'
BEACHHEAD_METRICS_LISTEN=127.0.0.1:1 $BEACHHEAD -c "$BH_TMP/beachhead.conf" --check-config --verbose >"$BH_TMP/env" 2>&1
bh_expect_lines "$BH_TMP/env" "^metrics_listen \"127.0.0.1:0\"	# $BH_TMP/beachhead.conf:5"
BEACHHEAD_METRICS_LISTEN=nonsense $BEACHHEAD -c "$BH_TMP/nometrics.conf" --check-config >"$BH_TMP/env" 2>&1 &&
	bh_fail "a bad BEACHHEAD_METRICS_LISTEN was accepted"
bh_expect_lines "$BH_TMP/env" 'BEACHHEAD_METRICS_LISTEN "nonsense": expected ADDRESS:PORT'
BEACHHEAD_METRICS_LISTEN="127.0.0.1:$port" $BEACHHEAD -c "$BH_TMP/nometrics.conf" --health-check >"$BH_TMP/hc" 2>&1 &&
	bh_fail "--health-check succeeded without a daemon (environment)"
bh_expect_lines "$BH_TMP/hc" "health check: cannot connect to 127.0.0.1:$port"

# Without metrics_listen there is nothing to ask.
printf 'enumerate = true;\n' >"$BH_TMP/off.conf"
$BEACHHEAD -c "$BH_TMP/off.conf" --health-check >"$BH_TMP/hc" 2>&1 && bh_fail "--health-check succeeded without metrics_listen"
bh_expect_lines "$BH_TMP/hc" "metrics_listen is not set"

# Plugins of ABI 1.2 and 1.1 (before the metrics functions of 1.3): they
# load and run; the core's metrics are there, theirs are not.
cat >"$BH_TMP/old-script" <<SCRIPT
up old 172.30.0.9 old.example
await $BH_TMP/never
SCRIPT
cat >"$BH_TMP/old.conf" <<CONF
inspector = { plugin = "inspector-scripted-abi12"; script = "$BH_TMP/old-script"; };
publishers = ( { plugin = "publisher-abi11"; } );
enumerate = true;
metrics_listen = "[::1]:0";
CONF
: >"$BH_TMP/err"
$(bh_daemon_cmd) -c "$BH_TMP/old.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
bh_wait_for 60 "grep -q 'on http://\[::1\]:[1-9]' '$BH_TMP/err'" "the listening line (IPv6)" || { cat "$BH_TMP/err" >&2; exit 1; }
bh_expect_lines "$BH_TMP/err" 'inspector: inspector-scripted [0-9.]* (plugin ABI 1\.2)' \
	'publishers\[0\]: publisher-abi11 [0-9.]* (plugin ABI 1\.1)'
port=$(sed -n 's|.*on http://\[::1\]:\([0-9]*\)$|\1|p' "$BH_TMP/err")
url="http://[::1]:$port"
bh_wait_for 10 "curl -s -g '$url/metrics' | grep -qx 'beachhead_registrations 1'" "the old plugins' registration counted" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
curl -s -g "$url/metrics" >"$BH_TMP/metrics"
promtool check metrics <"$BH_TMP/metrics" >/dev/null 2>&1 || bh_fail "promtool check metrics (old plugins)"
grep -q '^beachhead_publisher_connected' "$BH_TMP/metrics" && bh_fail "an ABI 1.1 publisher has a connection gauge"
grep -q '^beachhead_engine_connected' "$BH_TMP/metrics" && bh_fail "an ABI 1.2 inspector has a connection gauge"
grep -qx 'beachhead_publisher_pending{publisher="publisher-abi11\[0\]"} 0' "$BH_TMP/metrics" ||
	bh_fail "the core's pending gauge is missing for the ABI 1.1 publisher"
curl -s -g "$url/readyz" >"$BH_TMP/ready"
bh_expect_lines "$BH_TMP/ready" '^inspector-scripted: ok (does not report its connection)$' \
	'^publisher-abi11\[0\]: ok (does not report its connection)$'
kill -TERM $pid
wait $pid || bh_fail "the daemon with plugins of ABI 1.2 and 1.1 exited non-zero"
bh_check_valgrind

# A non-loopback address says who can read it (inside a network namespace
# of its own: nothing outside can reach it).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	unshare -n sh -c "ip link set lo up; $BEACHHEAD -c '$BH_TMP/beachhead.conf' --metrics-listen 0.0.0.0:0 --refresh 0 --no-timestamp" \
		>/dev/null 2>"$BH_TMP/public" || true
	bh_expect_lines "$BH_TMP/public" "info: metrics: 0.0.0.0:[0-9]* is not a loopback address: anyone who can reach this host"
	[ "$(grep -c 'is not a loopback address' "$BH_TMP/public")" = 1 ] || bh_fail "the public-address line is not said once"
else
	bh_note "not root: the non-loopback bind line is not checked here"
fi
exit 0
