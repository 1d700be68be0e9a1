#!/bin/sh
# The shipped confd recipes serve many hosts as shipped: three daemons
# publish into one store, two with host ids (keys /beachhead/HOST/CONTAINER)
# and one without (/beachhead/CONTAINER), with the same container names on
# both hosts, replicas of one domain on every host and domains of their own.
# For each of confd's redis and etcdv3 backends (a real redis-server, a real
# 3-member etcd cluster) every recipe is rendered by the confd stand-in
# (tests/recipes/standin/) and must
#   * pass its own check_cmd (the real nginx -t / haproxy -c);
#   * hold ONE upstream/backend per domain with a server per (host,
#     container): the replicas of every host and of the host-less daemon;
#   * name each server HOST:CONTAINER (CONTAINER without a host id), or
#     hex::HEX when the host id has characters a proxy refuses in a name,
#     never the same name twice in a backend;
#   * skip the daemons' namespace claims (HOST/@owner, not JSON): one
#     written here by hand for a host whose daemon is not running (so that
#     no running daemon sees a claim on its namespace that is not its own).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/etcd.sh"
. "$top_srcdir/tests/lib/recipes.sh"
bh_redis_require
bh_etcd_require
bh_recipes_require
bh_setup_tmp
bh_recipes_build_standin
RECIPES="beachhead-nginx beachhead-nginx-stream beachhead-haproxy"
# A host id may hold anything but '/', whitespace and control characters.
HOST_A=dc1.host-a_1
HOST_B='rack[2]#b;{x}'

printf '%s\n' 'up web 10.1.0.1 shop.example.org' 'up api 10.1.0.2 api.example.org:http' \
	'up odd.name_x-1 10.1.0.3 Shop.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.2.0.1 shop.example.org' 'up api 10.2.0.2 b-api.example.org' \
	>"$BH_TMP/b.script"
printf '%s\n' 'up web 10.3.0.1 shop.example.org' 'up solo 10.3.0.2 solo.example.org:https' \
	>"$BH_TMP/n.script"

# start NAME CONF [--host-id ID]: a daemon in the background.
start() {
	bh_t_name=$1
	bh_t_conf=$2
	shift 2
	$(bh_daemon_cmd) -c "$bh_t_conf" --no-timestamp --refresh 600 --expire 1200 "$@" \
		2>"$BH_TMP/$bh_t_name.err" &
	eval "pid_$bh_t_name=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}
stop_all() {
	for n in a b n; do
		eval "kill -TERM \$pid_$n; wait \$pid_$n" || { cat "$BH_TMP/$n.err" >&2; bh_fail "daemon $n exited non-zero"; }
	done
}

# name REL: the server name the recipes give the key /beachhead/REL.
name() {
	case $1 in
	*[!A-Za-z0-9._/-]*) printf 'hex::%s' "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" ;;
	*) printf '%s' "$1" | tr / : ;;
	esac
}
# A namespace's claim, as a claiming publisher writes it (plugin.h:
# BH_OWNER_KEY): key_prefix + host id + "/@owner", not a registration.
CLAIM_KEY=/beachhead/idle-host/@owner
CLAIM='hostname=idle machine_id=0123 pid=7 since=1 token=secret'

A_WEB=$(name "$HOST_A/web")
A_ODD=$(name "$HOST_A/odd.name_x-1")
B_WEB=$(name "$HOST_B/web")
[ "$A_WEB" = dc1.host-a_1:web ] && [ "$B_WEB" = "hex::$(printf '%s' "$HOST_B/web" | od -An -tx1 | tr -d ' \n')" ] ||
	bh_fail "the test's own names: $A_WEB $B_WEB"

# block FILE START: from the line START to the next "}" (nginx) or blank
# line (haproxy).
block() { sed -n "/^$2\$/,/^}\$\|^\$/p" "$1"; }
# expect_block FILE START LINE...: START occurs once, its block has exactly
# these lines besides its head, end and directives.
expect_block() {
	bh_t_file=$1
	bh_t_start=$2
	shift 2
	[ "$(grep -cx -- "$bh_t_start" "$bh_t_file")" = 1 ] || { cat "$bh_t_file" >&2; bh_fail "$WHAT: not one '$bh_t_start'"; }
	block "$bh_t_file" "$bh_t_start" | grep '^    server ' | sort >"$BH_TMP/got"
	printf '%s\n' "$@" | sort >"$BH_TMP/want"
	cmp -s "$BH_TMP/got" "$BH_TMP/want" || {
		cat "$bh_t_file" >&2
		diff "$BH_TMP/want" "$BH_TMP/got" >&2
		bh_fail "$WHAT: '$bh_t_start' does not list exactly the expected servers"
	}
}

# check_all BACKEND: render and check every recipe, then their contents.
check_all() {
	for r in $RECIPES; do
		bh_recipe_render $r "$BH_TMP/$1-$r.conf"
		bh_recipe_check $r "$BH_TMP/$1-$r.conf" || { cat "$BH_TMP/$1-$r.conf" >&2; bh_fail "$1: $r fails its check_cmd"; }
	done
	! grep -q 'token=' "$BH_TMP/$1-"*.conf || bh_fail "$1: a claim was rendered"
	WHAT="$1 nginx"
	H=$BH_TMP/$1-beachhead-nginx.conf
	expect_block "$H" 'upstream beachhead_http_shop.example.org {' \
		'    server 10.3.0.1:80;  # web' "    server 10.1.0.1:80;  # $A_WEB" \
		"    server 10.1.0.3:80;  # $A_ODD" "    server 10.2.0.1:80;  # $B_WEB"
	expect_block "$H" 'upstream beachhead_http_api.example.org {' "    server 10.1.0.2:80;  # $(name "$HOST_A/api")"
	expect_block "$H" 'upstream beachhead_http_b-api.example.org {' "    server 10.2.0.2:80;  # $(name "$HOST_B/api")"
	[ "$(grep -c '^upstream ' "$H")" = 3 ] && [ "$(grep -c 'server_name ' "$H")" = 3 ] ||
		{ cat "$H" >&2; bh_fail "$WHAT: not three upstreams and virtual hosts"; }

	WHAT="$1 nginx-stream"
	S=$BH_TMP/$1-beachhead-nginx-stream.conf
	expect_block "$S" 'upstream beachhead_tls_shop.example.org {' \
		'    server 10.3.0.1:443;  # web' "    server 10.1.0.1:443;  # $A_WEB" \
		"    server 10.1.0.3:443;  # $A_ODD" "    server 10.2.0.1:443;  # $B_WEB"
	expect_block "$S" 'upstream beachhead_tls_solo.example.org {' '    server 10.3.0.2:443;  # solo'
	expect_block "$S" 'upstream beachhead_tls_b-api.example.org {' "    server 10.2.0.2:443;  # $(name "$HOST_B/api")"
	[ "$(grep -c '^    \\' "$S")" = 3 ] || { cat "$S" >&2; bh_fail "$WHAT: not three map entries"; }

	WHAT="$1 haproxy"
	P=$BH_TMP/$1-beachhead-haproxy.conf
	expect_block "$P" 'backend beachhead_http_shop.example.org' \
		'    server web 10.3.0.1:80' "    server $A_WEB 10.1.0.1:80" \
		"    server $A_ODD 10.1.0.3:80" "    server $B_WEB 10.2.0.1:80"
	expect_block "$P" 'backend beachhead_tls_shop.example.org' \
		'    server web 10.3.0.1:443' "    server $A_WEB 10.1.0.1:443" \
		"    server $A_ODD 10.1.0.3:443" "    server $B_WEB 10.2.0.1:443"
	expect_block "$P" 'backend beachhead_http_api.example.org' "    server $(name "$HOST_A/api") 10.1.0.2:80"
	expect_block "$P" 'backend beachhead_tls_b-api.example.org' "    server $(name "$HOST_B/api") 10.2.0.2:443"
	[ "$(grep -c "^backend " "$P")" = 6 ] && [ "$(grep -c "^    use_backend " "$P")" = 6 ] ||
		{ cat "$P" >&2; bh_fail "$WHAT: not 6 backends and rules (http: shop, api, b-api; tls: shop, b-api, solo)"; }
}

# --- confd's redis backend ---
bh_redis_start
for n in a b n; do
	printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\npublishers = ( { plugin = "publisher-redis"; socket = "%s"; } );\nenumerate = true;\n' \
		"$BH_TMP/$n.script" "$BH_REDIS_SOCK" >"$BH_TMP/redis-$n.conf"
done
start a "$BH_TMP/redis-a.conf" --host-id "$HOST_A"
start b "$BH_TMP/redis-b.conf" --host-id "$HOST_B"
start n "$BH_TMP/redis-n.conf"
# 7 registrations (and each host id's claim on its namespace, HOST/@owner).
bh_wait_for 20 '[ "$(bh_redis_keys "/beachhead/*" | grep -vc "/@owner\$")" = 7 ]' "7 registrations in redis" ||
	{ bh_redis_keys "/beachhead/*" >&2; cat "$BH_TMP"/*.err >&2; exit 1; }
bh_redis_cli set "$CLAIM_KEY" "$CLAIM" >/dev/null || bh_fail "redis: writing a claim"
check_all redis
stop_all

# --- confd's etcdv3 backend ---
bh_etcd_start 23880
for n in a b n; do
	bh_etcd_config "$BH_TMP/etcd-$n.conf" "$BH_TMP/$n.script"
done
start a "$BH_TMP/etcd-a.conf" --host-id "$HOST_A"
start b "$BH_TMP/etcd-b.conf" --host-id "$HOST_B"
start n "$BH_TMP/etcd-n.conf"
bh_wait_for 20 '[ "$(bh_etcd_keys /beachhead/ | grep -vc "/@owner\$")" = 7 ]' "7 registrations in etcd" ||
	{ bh_etcd_keys /beachhead/ >&2; cat "$BH_TMP"/*.err >&2; exit 1; }
bh_etcdctl put "$CLAIM_KEY" "$CLAIM" >/dev/null || bh_fail "etcd: writing a claim"
BH_CONFD_BACKEND=etcdv3 BH_CONFD_NODE=$BH_ETCD_ENDPOINTS check_all etcd
stop_all
