#!/bin/sh
# A rename drops the answers of inspections of that container still under
# way: they may carry the old name, which no container has any longer.  A
# real dockerd behind tests/inspector-docker/engine-proxy.py (a STAND-IN proxy: every
# request goes to the real engine; it only holds the answers back, as an
# engine that answers slowly, which a real engine cannot be made to do on
# demand).  The daemon follows one explicitly named container, web:
#   an inspection of web (after a network connect) is answered by the
#   engine before the rename and delivered after it; web, renamed web-old,
#   must stay withdrawn (no container named web exists).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup --proxy rnet46 172.30.46.0/24 rnet47 172.30.47.0/24

bh_daemon_conf "unix://$BH_PROXY_SOCK"
sed -i 's/^enumerate = true;/enumerate = false;\ncontainers = ["web"];/' "$BH_TMP/c.conf"
OUT=$BH_TMP/out
bh_run_domain rnet46 web
ID=$(docker inspect -f '{{.Id}}' web)
bh_daemon_start "$OUT" -c "$BH_TMP/c.conf" --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web "$(bh_ip web rnet46)")"
bh_wait_for 10 'grep -q "full pass 1 ends" "$OUT.err"' "the first pass" || exit 1

# Answers are now held 4 s (taken from the engine when asked).
echo 4 >"$CTL/delay"
before=$(grep -c "/containers/$ID/json" "$BH_PROXY_LOG")
docker network connect rnet47 web || bh_fail "docker network connect"
bh_wait_for 5 '[ "$(grep -c "/containers/$ID/json" "$BH_PROXY_LOG")" -gt "$before" ]' \
	"the inspection after the network connect" || { cat "$OUT.err" >&2; exit 1; }
sleep 0.5 # the proxy has the engine's answer (name web) by now
docker rename web web-old || bh_fail "docker rename"
bh_expect_line 5 "$OUT" "$(bh_del web)"
# The held answer arrives (4 s after it was asked for), then some slack.
sleep 5
last=$(grep '"/beachhead/web"' "$OUT" | tail -n 1)
[ "$last" = "$(bh_del web)" ] ||
	{ cat "$OUT" >&2; grep -i 'web' "$OUT.err" | tail -n 20 >&2; bh_fail "web is registered again after its rename: $last"; }
rm -f "$CTL/delay"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
