#!/bin/sh
# Replicas end to end, all real: a Docker Engine, the daemon (default
# sharing policy), a redis-server, the shipped confd recipes rendered from
# what the daemon wrote (tests/recipes/standin/ stands in for confd) and
# checked by the real nginx -t / haproxy -c:
#   * three containers started for one domain (a scaled service) are all
#     published and become ONE nginx upstream / haproxy backend with three
#     servers, at their real addresses;
#   * an http-only and an https-only domain land on their side only;
#   * `docker stop` of one replica takes it out of the rendered upstream
#     while the other two stay.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/recipes.sh"
bh_engine_require_docker
bh_redis_require
bh_recipes_require
bh_setup_tmp
bh_recipes_build_standin
bh_engine_start_docker
bh_engine_import_image
bh_redis_start
docker network create --subnet 172.30.51.0/24 replicanet >/dev/null || bh_fail "network create"

for n in 1 2 3; do
	docker run -d --name "shop-$n" --network replicanet -e BEACHHEAD_DOMAINS=shop.example.org \
		bbox:latest sleep 100000 >/dev/null || bh_fail "docker run shop-$n"
done
docker run -d --name plain --network replicanet -e 'BEACHHEAD_DOMAINS=plain.example.org:http' \
	bbox:latest sleep 100000 >/dev/null || bh_fail "docker run plain"
docker run -d --name secure --network replicanet -e 'BEACHHEAD_DOMAINS=secure.example.org:https' \
	bbox:latest sleep 100000 >/dev/null || bh_fail "docker run secure"

cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
CONF
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf" --no-timestamp
bh_redis_wait_keys 5 20 || { cat "$BH_TMP/daemon.err" >&2; bh_fail "not every container was published"; }

render_all() { # render_all TAG: every recipe rendered and checked
	for r in beachhead-nginx beachhead-nginx-stream beachhead-haproxy; do
		bh_recipe_render $r "$BH_TMP/$1-$r.conf"
		bh_recipe_check $r "$BH_TMP/$1-$r.conf" || { cat "$BH_TMP/$1-$r.conf" >&2; bh_fail "$1: $r fails its check_cmd"; }
	done
}
# servers FILE START: the server lines of the block that starts with START.
servers() { sed -n "/^$2/,/^}\$\|^\$/p" "$1" | grep -c '^    server '; }

render_all all
H=$BH_TMP/all-beachhead-nginx.conf
P=$BH_TMP/all-beachhead-haproxy.conf
[ "$(servers "$H" 'upstream beachhead_http_shop.example.org {')" = 3 ] || { cat "$H" >&2; bh_fail "nginx: not 3 replicas in one upstream"; }
[ "$(grep -c 'server_name shop.example.org;' "$H")" = 1 ] || bh_fail "nginx: not one virtual host for the replicas"
for n in 1 2 3; do
	grep -q "server $(bh_ip "shop-$n" replicanet):80;  # shop-$n" "$H" || { cat "$H" >&2; bh_fail "nginx: shop-$n missing"; }
	grep -q "server shop-$n $(bh_ip "shop-$n" replicanet):443\$" "$P" || { cat "$P" >&2; bh_fail "haproxy: shop-$n missing"; }
done
[ "$(servers "$P" 'backend beachhead_tls_shop.example.org')" = 3 ] || { cat "$P" >&2; bh_fail "haproxy: not 3 replicas in one backend"; }
grep -q 'server_name plain.example.org;' "$H" || bh_fail "nginx: http-only domain missing"
! grep -q 'secure.example.org' "$H" || bh_fail "nginx: https-only domain on the HTTP side"
! grep -q 'plain.example.org' "$BH_TMP/all-beachhead-nginx-stream.conf" || bh_fail "stream: http-only domain on the TLS side"

# One replica stops: it leaves the upstream, the others stay.
docker stop -t 1 shop-2 >/dev/null || bh_fail "docker stop"
bh_redis_wait_keys 0 10 /beachhead/shop-2 || bh_fail "shop-2 was not withdrawn"
render_all after-stop
[ "$(servers "$BH_TMP/after-stop-beachhead-nginx.conf" 'upstream beachhead_http_shop.example.org {')" = 2 ] ||
	{ cat "$BH_TMP/after-stop-beachhead-nginx.conf" >&2; bh_fail "nginx: the stopped replica is still in the upstream"; }
bh_daemon_stop || { cat "$BH_TMP/daemon.err" >&2; bh_fail "daemon exited non-zero"; }
