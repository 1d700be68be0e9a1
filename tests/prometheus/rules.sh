#!/bin/sh
# The alerting rules operators copy (etc/prometheus/beachhead-rules.yml):
# valid for Prometheus (promtool check rules), and each alert fires when its
# condition held long enough, not before (promtool test rules).
. "$top_srcdir/tests/lib/common.sh"
command -v promtool >/dev/null 2>&1 || bh_skip "promtool (Debian's prometheus) is not installed"
bh_setup_tmp
rules="$top_srcdir/etc/prometheus/beachhead-rules.yml"
promtool check rules "$rules" >"$BH_TMP/check" 2>&1 || { cat "$BH_TMP/check" >&2; bh_fail "promtool check rules"; }
bh_expect_lines "$BH_TMP/check" 'SUCCESS: 5 rules found'
# The test file names the rules relative to itself.
mkdir -p "$BH_TMP/tests/prometheus" "$BH_TMP/etc/prometheus"
cp "$rules" "$BH_TMP/etc/prometheus/"
cp "$top_srcdir/tests/prometheus/beachhead-rules.test.yml" "$BH_TMP/tests/prometheus/"
(cd "$BH_TMP/tests/prometheus" && promtool test rules beachhead-rules.test.yml) >"$BH_TMP/test" 2>&1 ||
	{ cat "$BH_TMP/test" >&2; bh_fail "promtool test rules"; }
# Every alert docs/metrics.md promises is in the file.
for alert in BeachheadDown BeachheadNotReady BeachheadPublisherDisconnected BeachheadPassesIncomplete \
	BeachheadRefusedContainers; do
	grep -q "alert: $alert\$" "$rules" || bh_fail "no alert $alert in $rules"
	grep -q "$alert" "$top_srcdir/docs/metrics.md" || bh_fail "docs/metrics.md does not explain $alert"
done
exit 0
