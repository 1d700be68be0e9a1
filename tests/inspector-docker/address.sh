#!/bin/sh
# Address modes and per-plugin settings against a real dockerd, one pass
# each: ip on a configured network, first network in name order, network
# none (name fallback), name mode (--docker-network), published mode without
# advertise_address, custom and disabled label, skip_unhealthy,
# and max_response_bytes (an oversized inspect is a clear error for that
# container, not a crash).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup znet 172.30.3.0/24 anet 172.30.4.0/24
OUT=$BH_TMP/out

# Two networks: joined znet first, anet second.
docker run -d --name multi --network znet -e BEACHHEAD_DOMAINS=multi.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
docker network connect anet multi || bh_fail "network connect"
docker run -d --name iso1 --network none -e BEACHHEAD_DOMAINS=iso1.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run

# conf NAME 'settings...': a configuration file with these inspector settings.
conf() {
	printf 'inspector = { plugin = "inspector-docker"; %s };\npublishers = ( { plugin = "publisher-stdout"; } );\n' "$2" >"$BH_TMP/$1.conf"
}
# pass STATUS CONF ARGS...
pass() {
	want=$1
	cf=$2
	shift 2
	timeout 30 $(bh_daemon_cmd) -c "$BH_TMP/$cf.conf" --dry-run --refresh 0 --no-timestamp --docker-url "$BH_DOCKER_URL" "$@" >"$OUT" 2>"$OUT.err"
	got=$?
	[ "$got" = "$want" ] || { cat "$OUT" "$OUT.err" >&2; bh_fail "exit status $got, expected $want, for $cf: $*"; }
}
has() {
	bh_has_line "$OUT" "$1" || { cat "$OUT" "$OUT.err" >&2; bh_fail "missing line: $1"; }
}

# ip mode: the configured network wins; without one, the first in name order.
conf znet 'network = "znet";'
pass 0 znet multi
has "$(bh_reg multi "$(bh_ip multi znet)")"
conf plain ''
pass 0 plain multi
has "$(bh_reg multi "$(bh_ip multi anet)")"
# A configured network the container is not on: warn, fall back.
conf other 'network = "elsewhere";'
pass 0 other multi
has "$(bh_reg multi "$(bh_ip multi anet)")"
grep -q "container multi has no address on network 'elsewhere'" "$OUT.err" || bh_fail "no fallback warning"
# network none: the name, with a warning.
pass 0 plain iso1
has "$(bh_reg iso1 iso1)"

# name mode, through the original's --docker-network flag and the setting.
pass 0 plain --docker-network multi
has "$(bh_reg multi multi)"
conf name 'address = "name";'
pass 0 name multi
has "$(bh_reg multi multi)"

# published mode (the port bindings themselves): tests/inspector-docker/published.sh.
# published without advertise_address is a configuration error.
conf pubbad 'address = "published";'
pass 2 pubbad pub1

# Labels: a custom label name; label = "" switches labels off.
docker run -d --name lab1 --network znet --label my.domains=lab1.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
conf mylabel 'label = "my.domains";'
pass 0 mylabel lab1
has "$(bh_reg lab1 "$(bh_ip lab1 znet)")"
conf nolabel 'label = "";'
pass 1 nolabel lab1
grep -q 'container lab1: no env BEACHHEAD_DOMAINS on this container' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "label not ignored"; }

# skip_unhealthy: only healthy containers are published.
docker run -d --name well --network znet --health-cmd true --health-interval 1s \
	-e BEACHHEAD_DOMAINS=well.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
docker run -d --name sick --network znet --health-cmd false --health-interval 1s --health-retries 1 \
	-e BEACHHEAD_DOMAINS=sick.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
bh_wait_for 20 '[ "$(docker inspect -f "{{.State.Health.Status}}" well)" = healthy ] && [ "$(docker inspect -f "{{.State.Health.Status}}" sick)" = unhealthy ]' "health checks" || exit 1
conf health 'skip_unhealthy = true;'
pass 0 health well sick
has "$(bh_reg well "$(bh_ip well znet)")"
grep -q '/beachhead/sick' "$OUT" && bh_fail "an unhealthy container was published"
pass 0 plain well sick
has "$(bh_reg sick "$(bh_ip sick znet)")"

# max_response_bytes: a 40 kB environment exceeds a 16 kB cap (a plain inspect document is about 7 kB).
big=$(head -c 40000 /dev/zero | tr '\0' x)
docker run -d --name big1 --network znet -e BEACHHEAD_DOMAINS=big.example.org -e "PADDING=$big" bbox:latest sleep 1000 >/dev/null || bh_fail run
conf small 'max_response_bytes = 16384;'
pass 1 small multi big1
grep -q 'container big1: larger than max_response_bytes (16384); not registered' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "no clear error for big1"; }
has "$(bh_reg multi "$(bh_ip multi anet)")"

bh_check_valgrind
exit 0
