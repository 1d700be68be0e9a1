#!/bin/bash
# Traffic through the proxies, measured: runs tests/recipes/traffic_nginx.sh and
# tests/recipes/traffic_haproxy.sh (real HTTP through nginx / haproxy configured by
# the confd recipes, to busybox httpd replicas that listen at once or 3 s
# after start; see tests/lib/traffic.sh) RUNS times each, with
#   shipped      the recipes of etc/confd
#   no-failover  the same recipes without trying another replica when one
#                refuses the connection: nginx `proxy_next_upstream off`,
#                haproxy without `retries 3` / `option redispatch 1` /
#                `retry-on conn-failure` (its defaults: 3 retries on the
#                same server, 1 s apart)
# and prints, per recipe set, proxy and kind of replica: the median time
# from `docker run` to the first 200 from the new container through the
# proxy, the requests of the rolling updates (2 -> 2 replicas under load)
# and how many failed (error, non-200, or no answer within 3 s), the worst
# latency, the longest time an old replica still got requests after its
# `docker stop` (it drains for 2 s), and the median time from the last
# replica's `docker stop` to the proxy answering for the domain as for an
# unknown one.  The raw figures go to stderr.
#
#   bench/traffic.sh [RUNS]      (root; from a built tree: make first)
#
# no-failover runs are expected to fail their test (failed requests); the
# figures are printed before the test's assertions, so they still count.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
RUNS=${1:-3}
bench_require_built
bh_setup_tmp

# The variant: the shipped recipes with the failover lines taken out.
mkdir -p "$BH_TMP/no-failover"
cp -r "$top_srcdir/etc/confd/." "$BH_TMP/no-failover/"
sed -i -e '/^    retries 3$/d' -e '/^    option redispatch 1$/d' -e '/^    retry-on conn-failure$/d' \
	"$BH_TMP/no-failover/templates/beachhead-haproxy.cfg.tmpl"
sed -i 's/^        proxy_next_upstream error timeout;$/        proxy_next_upstream off;/' \
	"$BH_TMP/no-failover/templates/beachhead-nginx.conf.tmpl"
for f in beachhead-haproxy.cfg.tmpl beachhead-nginx.conf.tmpl; do
	! cmp -s "$top_srcdir/etc/confd/templates/$f" "$BH_TMP/no-failover/templates/$f" ||
		bh_fail "no-failover: $f unchanged (the recipe's failover lines moved?)"
done

for variant in shipped no-failover; do
	recipes=$top_srcdir/etc/confd
	[ $variant = shipped ] || recipes=$BH_TMP/no-failover
	for proxy in nginx haproxy; do
		for run in $(seq "$RUNS"); do
			echo "# $variant $proxy run $run" >&2
			BH_RECIPES=$recipes sh "$top_srcdir/tests/recipes/traffic_$proxy.sh" 2>"$BH_TMP/log" >/dev/null
			sed -n "s/^# figures: /variant=$variant /p" "$BH_TMP/log" >>"$BH_TMP/figures"
		done
	done
done

cat "$BH_TMP/figures" >&2
echo "| recipes | proxy | replicas | start -> served, median ms | rolling updates: requests | failed | worst latency ms | stop -> last request, worst ms | last stop -> gone, median ms |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for variant in shipped no-failover; do
	for proxy in nginx haproxy; do
		for starter in prompt slow; do
			sel=$(grep "^variant=$variant proxy=$proxy starter=$starter " "$BH_TMP/figures")
			val() { printf '%s\n' "$sel" | sed -n "s/.* $1=\([0-9,]*\).*/\1/p"; }
			served=$(val start_to_served_ms | bench_median)
			requests=$(val rolling_requests | awk '{ s += $1 } END { print s + 0 }')
			failed=$(val rolling_failed | awk '{ s += $1 } END { print s + 0 }')
			worst=$(val rolling_max_latency_ms | sort -n | tail -1)
			out=$(val stop_to_last_request_ms | tr ',' '\n' | sort -n | tail -1)
			runs=$(val rolling_requests | wc -l)
			gone=$(val gone_ms | bench_median)
			label=prompt
			[ $starter = prompt ] || label="listen 3 s late"
			echo "| $variant | $proxy | $label | ${served:--} | $requests ($runs runs) | $failed | ${worst:--} | ${out:--} | ${gone:--} |"
		done
	done
done
