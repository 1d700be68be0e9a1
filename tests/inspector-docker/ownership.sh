#!/bin/sh
# Domain ownership against a real engine: with sharing = "exclusive" the
# oldest container holds a contested domain whatever the names and event
# order; allow-lists per label
# and per network confine tenants; refusals name container, domain and rule.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup greennet 172.30.5.0/25 plainnet 172.30.5.128/25

cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$BH_DOCKER_URL"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
refresh = 600;
domains = {
  allow = [ ".example.org" ];
  rules = (
    { label = "tenant=blue"; allow = [ "*.blue.example.com" ]; },
    { network = "greennet"; allow = [ ".green.example.com" ]; }
  );
  sharing = "exclusive";
};
CONF
run() { # run NAME ARGS... -> detached busybox
	name=$1
	shift
	docker run -d --name "$name" "$@" bbox:latest sleep 100000 >/dev/null || bh_fail "docker run $name"
}
# zz-old is created first: it must keep shared.example.org although its
# name sorts last and aa-new's start event comes later.
run zz-old --network plainnet -e 'BEACHHEAD_DOMAINS=shared.example.org'
sleep 1.1
run aa-new --network plainnet -e 'BEACHHEAD_DOMAINS=shared.example.org aa.example.org'
run blue-ok --network none --label tenant=blue -e 'BEACHHEAD_DOMAINS=shop.blue.example.com'
run blue-bad --network none --label tenant=blue -e 'BEACHHEAD_DOMAINS=shop.blue.example.com www.example.org'
run green-ok --network greennet -e 'BEACHHEAD_DOMAINS=green.example.com api.green.example.com'
run green-bad --network greennet -e 'BEACHHEAD_DOMAINS=blue.example.com'

bh_daemon_start "$BH_TMP/out" -c "$BH_TMP/beachhead.conf" --no-timestamp
bh_wait_for 20 "grep -q 'full pass\|started' '$BH_TMP/out.err' && grep -q '/beachhead/green-ok' '$BH_TMP/out'" \
	"the first pass" || { cat "$BH_TMP/out.err" >&2; exit 1; }
sleep 0.5
for name in zz-old blue-ok green-ok; do
	grep -q "\"key\":\"/beachhead/$name\"" "$BH_TMP/out" || bh_fail "$name not published"
done
# Not even briefly: a full pass publishes only once it has seen every
# container; and no DEL either for a key that was never written.
for name in aa-new blue-bad green-bad; do
	! grep -q "\"key\":\"/beachhead/$name\"" "$BH_TMP/out" || bh_fail "$name published or deleted"
	! grep -q "container $name: registering" "$BH_TMP/out.err" || bh_fail "$name announced as registering"
done
# Which message depends on the order the pass reports them in.
grep -Eq "container aa-new: (domain 'shared.example.org' is already claimed by the older container zz-old|an older container, zz-old, claims one of its domains)" \
	"$BH_TMP/out.err" || { cat "$BH_TMP/out.err" >&2; bh_fail "no conflict message for aa-new"; }
grep -q "container blue-bad: domain 'www.example.org' is not allowed for label tenant=blue (domains rule at $BH_TMP/beachhead.conf:8)" \
	"$BH_TMP/out.err" || { cat "$BH_TMP/out.err" >&2; bh_fail "no label-rule refusal"; }
grep -q "container green-bad: domain 'blue.example.com' is not allowed for network greennet" "$BH_TMP/out.err" ||
	bh_fail "no network-rule refusal"

# The holder stops: the contender takes the domain at once.
docker stop -t 0 zz-old >/dev/null
bh_expect_line 10 "$BH_TMP/out" '{"op":"del","key":"/beachhead/zz-old"}'
bh_wait_for 10 "grep -q '\"op\":\"set\",\"key\":\"/beachhead/aa-new\"' '$BH_TMP/out'" "aa-new taking over" ||
	{ cat "$BH_TMP/out.err" >&2; exit 1; }
bh_daemon_stop || bh_fail "daemon exited non-zero"
bh_check_valgrind
