#!/bin/sh
# Metrics as an operator sees them, all real: a Docker Engine, the daemon
# (inspector-docker + publisher-redis) with metrics_listen, a redis-server,
# and a Prometheus (Debian's) scraping the daemon every second on loopback.
# Prometheus reports the target up; promtool finds nothing wrong in the
# exposition; values follow what happens: 3 containers -> 3 registrations;
# redis-server stopped -> publisher disconnected and /readyz 503 naming it;
# back -> connected and 200.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_engine_require_docker
bh_redis_require
command -v prometheus >/dev/null 2>&1 || bh_skip "prometheus (Debian's package) is not installed"
command -v promtool >/dev/null 2>&1 || bh_skip "promtool is not installed"
command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
bh_setup_tmp
bh_engine_start_docker
bh_engine_import_image
bh_redis_start
docker network create --subnet 172.30.53.0/24 metricsnet >/dev/null || bh_fail "network create"

cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
expire = 30;
metrics_listen = "127.0.0.1:0";
CONF
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf" --no-timestamp
bh_wait_for 60 "grep -q 'metrics: serving .* on http://127.0.0.1:[1-9]' '$BH_TMP/daemon.err'" "the listening line" ||
	{ cat "$BH_TMP/daemon.err" >&2; exit 1; }
port=$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)$|\1|p' "$BH_TMP/daemon.err")
url="http://127.0.0.1:$port"

# Prometheus, on a free loopback port, scraping every second.
mkdir -p "$BH_TMP/prometheus"
cat >"$BH_TMP/prometheus/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: beachhead
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
for attempt in 1 2 3 4 5; do
	prom_port=$(bh_redis_random_port)
	prometheus --config.file="$BH_TMP/prometheus/prometheus.yml" --storage.tsdb.path="$BH_TMP/prometheus/data" \
		--web.listen-address="127.0.0.1:$prom_port" >"$BH_TMP/prometheus/log" 2>&1 &
	prom_pid=$!
	bh_on_exit "kill -9 $prom_pid"
	bh_wait_for 20 "curl -s 'http://127.0.0.1:$prom_port/-/ready' | grep -q Ready || ! kill -0 $prom_pid" \
		"prometheus to answer" || true
	kill -0 "$prom_pid" 2>/dev/null && break
	bh_note "prometheus attempt $attempt on port $prom_port failed: $(tail -n 2 "$BH_TMP/prometheus/log")"
done
kill -0 "$prom_pid" 2>/dev/null || bh_fail "could not start prometheus"

# prom_value QUERY: the value of the query's first series, as Prometheus
# answers it ("" when it has none).
prom_value() {
	curl -s -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
# prom_wait QUERY VALUE WHAT: until Prometheus has scraped VALUE.
prom_wait() {
	BH_PROM_Q=$1
	BH_PROM_V=$2
	bh_wait_for 30 '[ "$(prom_value "$BH_PROM_Q")" = "$BH_PROM_V" ]' "$3" ||
		{ bh_note "$BH_PROM_Q = '$(prom_value "$BH_PROM_Q")'"; curl -s "$url/metrics" >&2; tail -n 20 "$BH_TMP/daemon.err" >&2; exit 1; }
}

prom_wait 'up{job="beachhead"}' 1 "Prometheus to report the target up"
prom_wait 'beachhead_engine_connected' 1 "the engine connected"
prom_wait 'beachhead_publisher_connected{publisher="publisher-redis[0]"}' 1 "the publisher connected"

for i in 1 2 3; do
	docker run -d --name "web$i" --network metricsnet -e "BEACHHEAD_DOMAINS=web$i.example.org" \
		bbox:latest sleep 100000 >/dev/null || bh_fail "docker run web$i"
done
prom_wait 'beachhead_registrations' 3 "3 registrations"
prom_wait 'beachhead_domains' 3 "3 domains"
# Comparisons answer only when true: wait until they have an answer.
for query in 'beachhead_publisher_writes_total{op="set"} >= 3' 'beachhead_events_total{action="start"} >= 3' \
	'beachhead_publisher_write_duration_seconds_count >= 3' 'beachhead_passes_total{result="complete"} >= 1'; do
	BH_PROM_Q=$query
	bh_wait_for 30 '[ -n "$(prom_value "$BH_PROM_Q")" ]' "$query" || { curl -s "$url/metrics" >&2; exit 1; }
done

# The exposition as scraped: promtool finds no problem in it.
curl -s "$url/metrics" >"$BH_TMP/metrics" || bh_fail "GET /metrics"
promtool check metrics <"$BH_TMP/metrics" >"$BH_TMP/lint" 2>&1 || { cat "$BH_TMP/lint" >&2; bh_fail "promtool check metrics"; }
[ -s "$BH_TMP/lint" ] && { cat "$BH_TMP/lint" >&2; bh_fail "promtool found problems"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] || { curl -s "$url/readyz" >&2; bh_fail "/readyz is not 200"; }

# The store goes away: disconnected, not ready, and /readyz says who.
bh_redis_kill TERM
prom_wait 'beachhead_publisher_connected{publisher="publisher-redis[0]"}' 0 "the publisher disconnected"
prom_wait 'beachhead_ready' 0 "not ready"
curl -s -o "$BH_TMP/ready" -w '%{http_code}' "$url/readyz" >"$BH_TMP/code"
[ "$(cat "$BH_TMP/code")" = 503 ] || { cat "$BH_TMP/ready" >&2; bh_fail "/readyz is $(cat "$BH_TMP/code") with redis down"; }
bh_expect_lines "$BH_TMP/ready" '^publisher-redis\[0\]: failed: redis: [a-z ]* (since [0-9]* s; last warning: redis 127\.0\.0\.1:[0-9]*: .*)$' \
	'^inspector-docker: ok$' '^full pass: ok'
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --metrics-listen "127.0.0.1:$port" --health-check >"$BH_TMP/hc" 2>&1 &&
	bh_fail "--health-check succeeded with redis down"
bh_expect_lines "$BH_TMP/hc" '^publisher-redis\[0\]: failed'

# Back: connected again, ready, a reconnect counted.
bh_redis_restart
prom_wait 'beachhead_publisher_connected{publisher="publisher-redis[0]"}' 1 "the publisher connected again"
prom_wait 'beachhead_ready' 1 "ready again"
bh_wait_for 10 "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$url/readyz')\" = 200 ]" "/readyz 200 again" ||
	{ curl -s "$url/readyz" >&2; exit 1; }
$BEACHHEAD -c "$BH_TMP/beachhead.conf" --metrics-listen "127.0.0.1:$port" --health-check >"$BH_TMP/hc" 2>&1 ||
	{ cat "$BH_TMP/hc" >&2; bh_fail "--health-check failed once redis was back"; }
prom_wait 'beachhead_publisher_reconnects_total' 1 "one reconnect counted"
bh_redis_wait_keys 3 10 || bh_fail "the registrations were not written again"

# A reload replaces the plugin instances; their counters carry on (a reset
# would read as a restart of the daemon in rate() and in alerts).
writes_line() { curl -s "$url/metrics" | grep '^beachhead_publisher_writes_total{publisher="publisher-redis\[0\]",op="set"}'; }
before=$(writes_line | sed 's/.* //')
[ -n "$before" ] || bh_fail "no writes_total{op=set} before the reload"
kill -HUP "$BH_DAEMON_PID"
bh_wait_for 30 "grep -q 'reloaded $BH_TMP/beachhead.conf' '$BH_TMP/daemon.err'" "the reload" || exit 1
bh_wait_for 10 "[ -n \"\$(writes_line)\" ]" "writes_total after the reload" || exit 1
after=$(writes_line | sed 's/.* //')
[ "$after" -ge "$before" ] || bh_fail "writes_total went from $before to $after across a reload"

bh_daemon_stop || bh_fail "daemon exited non-zero"
bh_check_valgrind
