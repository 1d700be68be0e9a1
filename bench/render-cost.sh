#!/bin/bash
# Benchmark: what the shipped nginx recipe costs confd (the stand-in,
# tests/recipes/standin.go) and nginx -t as registrations grow, by how many
# distinct domains they carry:
#
#   bench/render-cost.sh [REGISTRATIONS...]     (default 500 1000 2000)
#
# For each size R, a redis-server holds R registrations written directly
# (no daemon: the render is the point), /beachhead/h<i/50>/c<i%50>, in two
# layouts: "replicas" (50 domains, app<i%50>.example.org, each served by
# R/50 containers: bench/fleet.sh's fleet) and "unique" (one domain per
# registration).  The recipe groups by domain: for every domain it walks
# every registration, so its cost goes with domains x registrations.  If the
# shipped recipe renders nothing under host ids (it reads one key level), a
# copy reading two levels is rendered instead, and said so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_source redis recipes fleet
[ $# -gt 0 ] || set -- 500 1000 2000
bh_redis_require
bh_recipes_require
bh_setup_tmp
bh_recipes_build_standin
bh_redis_start

# seed R DOMAINS-EXPRESSION(Lua, of i)
seed() {
	bh_redis_cli flushall >/dev/null
	bh_redis_cli eval "for i = 0, $1 - 1 do
		local d = $2
		local a = '10.' .. math.floor(i / 50 / 256) .. '.' .. (math.floor(i / 50) % 256) .. '.' .. (i % 50 + 1)
		redis.call('SET', '/beachhead/h' .. math.floor(i / 50) .. '/c' .. (i % 50),
			'[{\"id\":\"' .. string.gsub(d, '%.', '_') .. '\",\"domain\":\"' .. d ..
			'\",\"http\":{\"host\":\"' .. a .. '\",\"port\":80}}]')
	end" 0 >/dev/null || bh_fail "seeding $1 registrations"
}

# row R LAYOUT: renders and checks; prints a table row.
row() {
	fleet_render_nginx "$BH_TMP/nginx.conf"
	echo "| $1 | $2 | $(grep -c '^server {' "$BH_TMP/nginx.conf") | $FLEET_RENDER_MS | $FLEET_CHECK_MS | $(wc -c <"$BH_TMP/nginx.conf") |"
}

seed 50 "'app' .. (i % 50) .. '.example.org'"
bh_recipe_render beachhead-nginx "$BH_TMP/probe.conf"
recipe="shipped recipe"
if ! grep -q '^server {' "$BH_TMP/probe.conf"; then
	BH_RECIPES=$(fleet_two_level_recipes "$BH_TMP/recipes")
	recipe="copy of the shipped recipe reading two key levels (the shipped one renders no host-id key)"
fi
echo "Recipe: $recipe; $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| registrations | layout | server blocks | render (ms) | nginx -t (ms) | bytes |"
echo "|---:|---|---:|---:|---:|---:|"
for r in "$@"; do
	seed "$r" "'app' .. (i % 50) .. '.example.org'"
	row "$r" replicas
	seed "$r" "'d' .. i .. '.example.org'"
	row "$r" unique
done
