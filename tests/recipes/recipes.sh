#!/bin/sh
# The shipped confd recipes (nginx HTTP, nginx stream SNI passthrough,
# haproxy) render from REAL registrations (publisher-redis writing to a real
# redis-server) into configurations that pass the real `nginx -t` /
# `haproxy -c`, through each resource's own check_cmd:
#   * a replica set (three containers, one domain, mixed case) becomes ONE
#     virtual host / map entry / backend listing all three;
#   * an http-only domain is absent from the TLS side, an https-only domain
#     from the HTTP side;
#   * values that used to break nginx for everyone render: two domains of
#     one container whose ids collide, container+id names that collide
#     across containers, single-label names that are nginx map keywords,
#     an IPv6 backend address, one domain in two cases in one container;
#   * an empty store renders a valid configuration too.
# confd itself is not packaged in Debian: tests/recipes/standin/ is a
# stand-in (Go's text/template with confd's documented functions).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/recipes.sh"
bh_redis_require
bh_recipes_require
bh_setup_tmp
bh_redis_start
bh_recipes_build_standin
RECIPES="beachhead-nginx beachhead-nginx-stream beachhead-haproxy"

# --- an empty store ---
for r in $RECIPES; do
	bh_recipe_render $r "$BH_TMP/empty-$r.conf"
	bh_recipe_check $r "$BH_TMP/empty-$r.conf" || bh_fail "$r: the empty store does not pass its check_cmd"
done

# --- registrations written by the daemon ---
cat >"$BH_TMP/script" <<'SCRIPT'
up web-1 10.0.0.1 shop.example.org
up web-2 10.0.0.2 shop.example.org:http=8080:https=8443
up web-3 10.0.0.3 Shop.Example.org
up plain 10.0.0.4 plain.example.org:http
up secure 10.0.0.5 secure.example.org:https
up multi 10.0.0.6 a-b.example.org a.b-example.org
up xx 10.0.0.7 y-z.example.net
up xx_y 10.0.0.8 z.example.net
up kw 10.0.0.9 default include hostnames
up v6 fd00::10 v6.example.org
up casey 10.0.0.11 Case.example.org case.example.org
SCRIPT
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'refresh = 600;' 'expire = 1200;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 11 20 || { cat "$BH_TMP/err" >&2; bh_fail "the daemon did not write 11 keys"; }

for r in $RECIPES; do
	bh_recipe_render $r "$BH_TMP/$r.conf"
	bh_recipe_check $r "$BH_TMP/$r.conf" || { cat "$BH_TMP/$r.conf" >&2; bh_fail "$r: check_cmd failed"; }
done

# count FILE PATTERN: lines matching the basic regular expression.
count() { grep -c -- "$2" "$1"; }
# block FILE START: the lines from START up to the next line that is "}"
# (nginx) or blank (haproxy).
block() { sed -n "/^$2\$/,/^}\$\|^\$/p" "$1"; }

H=$BH_TMP/beachhead-nginx.conf
[ "$(count "$H" 'server_name shop.example.org;')" = 1 ] || { cat "$H" >&2; bh_fail "nginx: not one server block for the replicas"; }
block "$H" 'upstream beachhead_http_shop.example.org {' >"$BH_TMP/up"
for s in 10.0.0.1:80 10.0.0.2:8080 10.0.0.3:80; do
	grep -q "server $s;" "$BH_TMP/up" || { cat "$H" >&2; bh_fail "nginx: replica $s missing from the shop upstream"; }
done
[ "$(count "$H" '^upstream ')" = "$(count "$H" 'server_name ')" ] || bh_fail "nginx: upstreams and servers differ in number"
grep -q 'server_name plain.example.org;' "$H" || bh_fail "nginx: the http-only domain is missing"
! grep -q 'secure.example.org' "$H" || bh_fail "nginx: the https-only domain has an HTTP virtual host"
grep -q 'server \[fd00::10\]:80;' "$H" || bh_fail "nginx: the IPv6 backend is not bracketed"

S=$BH_TMP/beachhead-nginx-stream.conf
[ "$(count "$S" '\\shop.example.org ')" = 1 ] || { cat "$S" >&2; bh_fail "stream: not one map entry for the replicas"; }
block "$S" 'upstream beachhead_tls_shop.example.org {' >"$BH_TMP/up"
for s in 10.0.0.1:443 10.0.0.2:8443 10.0.0.3:443; do
	grep -q "server $s;" "$BH_TMP/up" || { cat "$S" >&2; bh_fail "stream: replica $s missing from the shop upstream"; }
done
for k in default include hostnames; do
	grep -q "^    \\\\$k beachhead_tls_$k;" "$S" || { cat "$S" >&2; bh_fail "stream: keyword-named domain $k is not an escaped map entry"; }
done
grep -q '\\secure.example.org ' "$S" || bh_fail "stream: the https-only domain is missing"
! grep -q 'plain.example.org' "$S" || bh_fail "stream: the http-only domain has a TLS entry"

P=$BH_TMP/beachhead-haproxy.conf
[ "$(count "$P" 'use_backend beachhead_http_shop.example.org ')" = 1 ] || { cat "$P" >&2; bh_fail "haproxy: not one HTTP rule for the replicas"; }
block "$P" 'backend beachhead_tls_shop.example.org' >"$BH_TMP/bk"
for s in 'web-1 10.0.0.1:443' 'web-2 10.0.0.2:8443' 'web-3 10.0.0.3:443'; do
	grep -q "server $s\$" "$BH_TMP/bk" || { cat "$P" >&2; bh_fail "haproxy: replica '$s' missing from the shop TLS backend"; }
done
! grep -q 'beachhead_tls_plain' "$P" || bh_fail "haproxy: the http-only domain has a TLS backend"
! grep -q 'beachhead_http_secure' "$P" || bh_fail "haproxy: the https-only domain has an HTTP backend"
bh_redis_stop_daemon
