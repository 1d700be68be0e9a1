#!/bin/sh
# docs/confd.md "The proxy kit, step by step", steps 4, 7 and 8, on this
# machine's nginx:
#   * Debian's own /etc/nginx/nginx.conf with the stream block step 4 tells
#     the reader to append (read from the page itself), the conf.d/ and
#     stream.d/ includes pointed at this test's directory;
#   * both nginx recipes rendered there from a registration in a real
#     redis-server (tests/recipes/standin/ stands in for confd, which Debian
#     does not package);
#   * `nginx -t` passes on the whole configuration, and `nginx -T` shows that
#     both rendered files are part of it (the stream file only through step
#     4's block);
#   * the shipped unit etc/confd/confd.service passes `systemd-analyze
#     verify` (with a stand-in executable at confd's path: confd is not
#     installed here).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/recipes.sh"
bh_redis_require
bh_recipes_require
bh_require_root "nginx -t opens nginx's logs"
[ -r /etc/nginx/nginx.conf ] || bh_skip "no /etc/nginx/nginx.conf (nginx)"
command -v systemd-analyze >/dev/null 2>&1 || bh_skip "systemd-analyze is not installed (systemd)"
bh_setup_tmp
T=$BH_TMP
bh_redis_start
bh_recipes_build_standin

# A registration as the daemon writes it (the consumer contract).
bh_redis_cli set /beachhead/web1 '[{"id":"web1_example_org","domain":"web1.example.org","http":{"host":"172.30.0.2","port":8080},"https":{"host":"172.30.0.2","port":8443}}]' >/dev/null
mkdir -p "$T/conf.d" "$T/stream.d"
bh_recipe_render beachhead-nginx "$T/conf.d/beachhead.conf"
bh_recipe_render beachhead-nginx-stream "$T/stream.d/beachhead.conf"

# Step 4's block, as the page prints it (the here-document's body).
awk '/^    cat >>\/etc\/nginx\/nginx.conf <</ { on = 1; next }
	on && /^    EOF$/ { exit }
	on { print substr($0, 5) }' "$top_srcdir/docs/confd.md" >"$T/step4"
grep -q 'include /etc/nginx/stream.d/\*.conf;' "$T/step4" || { cat "$T/step4" >&2; bh_fail "docs/confd.md step 4: no stream include"; }
grep -q '^    mkdir -p /etc/nginx/stream.d$' "$top_srcdir/docs/confd.md" || bh_fail "docs/confd.md step 4: no mkdir of stream.d"
cat /etc/nginx/nginx.conf "$T/step4" |
	sed -e "s|/etc/nginx/conf\.d/|$T/conf.d/|g" -e "s|/etc/nginx/stream\.d/|$T/stream.d/|g" >"$T/nginx.conf"
grep -q "include $T/conf.d/\*.conf;" "$T/nginx.conf" || bh_fail "Debian's nginx.conf no longer includes conf.d/"

# Step 8.
/usr/sbin/nginx -t -c "$T/nginx.conf" >"$T/nginx-t.log" 2>&1 || { cat "$T/nginx-t.log" >&2; bh_fail "nginx -t"; }
grep -q 'test is successful' "$T/nginx-t.log" || { cat "$T/nginx-t.log" >&2; bh_fail "nginx -t did not say 'test is successful'"; }
/usr/sbin/nginx -T -c "$T/nginx.conf" >"$T/nginx-T.log" 2>&1 || bh_fail "nginx -T"
grep -q '172.30.0.2:8080' "$T/nginx-T.log" || bh_fail "the rendered HTTP configuration is not part of nginx's"
grep -q '172.30.0.2:8443' "$T/nginx-T.log" || bh_fail "the rendered stream configuration is not part of nginx's (step 4)"

# Step 7's unit.
printf '#!/bin/sh\n# STAND-IN for confd (not installed here): systemd-analyze only checks it exists.\nexit 0\n' >"$T/confd"
chmod +x "$T/confd"
sed "s|/usr/local/bin/confd|$T/confd|g" "$top_srcdir/etc/confd/confd.service" >"$T/confd.service"
grep -q "^ExecStart=$T/confd -backend redis -node 127.0.0.1:6379/0 -confdir /etc/confd -watch" "$T/confd.service" ||
	bh_fail "etc/confd/confd.service: ExecStart is not confd -watch on the local Redis"
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$T/confd.service" >"$T/verify.log" 2>&1 ||
	{ cat "$T/verify.log" >&2; bh_fail "systemd-analyze verify etc/confd/confd.service"; }
exit 0
