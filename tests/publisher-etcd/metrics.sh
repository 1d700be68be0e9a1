#!/bin/sh
# publisher-etcd's metrics against a real 3-member cluster: connected, the
# lease's TTL, writes by op, the reconciliation counter (at 0), a valid
# exposition; the whole cluster frozen (SIGSTOP) -> disconnected, /readyz
# 503 naming publisher-etcd[0]; thawed -> connected, a reconnect counted,
# ready again.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
command -v curl >/dev/null 2>&1 || bh_skip "curl is not installed"
command -v promtool >/dev/null 2>&1 || bh_skip "promtool (Debian's prometheus) is not installed"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23870

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' \
	"await $BH_TMP/never" >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/beachhead.conf" "$BH_TMP/script" 'timeout_ms = 1000;'
echo 'metrics_listen = "127.0.0.1:0";' >>"$BH_TMP/beachhead.conf"
$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --expire 6 --refresh 1 >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_wait_for 60 "grep -q 'metrics: serving .* on http://127.0.0.1:[1-9]' '$BH_TMP/err'" "the listening line" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }
url="http://127.0.0.1:$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)$|\1|p' "$BH_TMP/err")"
bh_etcd_expect_keys 20 /beachhead/ "/beachhead/api /beachhead/web" || bh_fail "the keys"

P='{publisher="publisher-etcd\[0\]"}'
# metric_is LINE-REGEX: the exposition has a line matching it.
metric_is() { curl -s "$url/metrics" | grep -qx "$1"; }
bh_wait_for 10 "metric_is 'beachhead_publisher_connected$P 1'" "connected" || { curl -s "$url/metrics" >&2; exit 1; }
bh_wait_for 10 "metric_is 'beachhead_publisher_writes_total{publisher=\"publisher-etcd\[0\]\",op=\"set\"} [2-9]'" \
	"2 puts counted" || { curl -s "$url/metrics" >&2; exit 1; }
curl -s "$url/metrics" >"$BH_TMP/metrics"
for line in "beachhead_etcd_lease_ttl_seconds$P [1-6]" "beachhead_etcd_reconciled_total$P 0" \
	"beachhead_publisher_reconnects_total$P 0" "beachhead_publisher_write_duration_seconds_count$P [2-9]" \
	'beachhead_publisher_errors_total{publisher="publisher-etcd\[0\]",kind="lease_lost"} 0' \
	"beachhead_publisher_pending$P 0"; do
	grep -qx "$line" "$BH_TMP/metrics" || { cat "$BH_TMP/metrics" >&2; bh_fail "no line: $line"; }
done
promtool check metrics <"$BH_TMP/metrics" >"$BH_TMP/lint" 2>&1 && [ ! -s "$BH_TMP/lint" ] ||
	{ cat "$BH_TMP/lint" >&2; bh_fail "promtool check metrics"; }
bh_wait_for 10 "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$url/readyz')\" = 200 ]" "ready" ||
	{ curl -s "$url/readyz" >&2; exit 1; }

# The whole cluster stops answering.
for i in 1 2 3; do kill -STOP "$(bh_etcd_pid "$i")"; done
bh_on_exit "for i in 1 2 3; do kill -CONT \$(bh_etcd_pid \$i) 2>/dev/null; done"
bh_wait_for 30 "metric_is 'beachhead_publisher_connected$P 0'" "disconnected" || { curl -s "$url/metrics" >&2; exit 1; }
curl -s -o "$BH_TMP/ready" -w '%{http_code}' "$url/readyz" >"$BH_TMP/code"
[ "$(cat "$BH_TMP/code")" = 503 ] || { cat "$BH_TMP/ready" >&2; bh_fail "/readyz is not 503 with etcd frozen"; }
bh_expect_lines "$BH_TMP/ready" '^publisher-etcd\[0\]: failed: etcd unreachable: .* (since [0-9]* s; last warning: etcd unreachable: .*)$'
curl -s "$url/metrics" | grep -q '^beachhead_publisher_errors_total{publisher="publisher-etcd\[0\]",kind="session"} [1-9]' ||
	bh_fail "the session errors are not counted"

for i in 1 2 3; do kill -CONT "$(bh_etcd_pid "$i")"; done
bh_wait_for 30 "metric_is 'beachhead_publisher_connected$P 1'" "connected again" || { curl -s "$url/metrics" >&2; exit 1; }
bh_wait_for 10 "metric_is 'beachhead_publisher_reconnects_total$P [1-9]'" "a reconnect counted" || exit 1
bh_wait_for 10 "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$url/readyz')\" = 200 ]" "ready again" ||
	{ curl -s "$url/readyz" >&2; exit 1; }

kill -TERM $pid
wait $pid || { cat "$BH_TMP/err" >&2; bh_fail "the daemon exited non-zero"; }
bh_check_valgrind
