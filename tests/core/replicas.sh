#!/bin/sh
# Replicas and the `domains.sharing` policies through the real core loop
# (driven by the scripted inspector):
#  1. default ("any"): every container asking for one domain is published;
#  2. "same-rule": replicas granted by one rule share a domain, a container
#     granted it by another rule is refused (no "registering" line, no DEL
#     of a key never written) and takes over when the last replica is gone;
#  3. "exclusive": a claimant refused within a full pass was never written:
#     no "registering" line and no DEL for it; and once a conflict is over,
#     withdrawals of unrelated containers request no extra full pass.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

# run_daemon NAME: runs the daemon on $BH_TMP/NAME.conf until the stdout
# publisher printed the key /beachhead/last.
run_daemon() {
	$(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp --verbose >"$BH_TMP/$1.out" 2>"$BH_TMP/$1.err" &
	pid=$!
	bh_on_exit "kill -9 $pid 2>/dev/null"
	bh_wait_for 30 "grep -q '/beachhead/last' '$BH_TMP/$1.out'" "$1: the last registration" ||
		{ cat "$BH_TMP/$1.err" >&2; exit 1; }
	kill -TERM $pid
	wait $pid || bh_fail "$1: daemon exited non-zero"
}
conf() { # conf NAME [DOMAINS GROUP BODY]
	cat >"$BH_TMP/$1.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/$1.script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
refresh = 600;
${2:-}
CONF
}
# ops NAME: the publisher's operations on /beachhead/*, values cut off;
# a set of a key whose last operation was a set is a refresh: folded.
ops() {
	sed -n 's/^{"op":"\([a-z]*\)","key":"\([^"]*\)".*/\1 \2/p' "$BH_TMP/$1.out" |
		awk '$1 != last[$2] { print } { last[$2] = $1 }'
}

# --- 1. default: three replicas, three keys ---
cat >"$BH_TMP/any.script" <<'SCRIPT'
up web-1 10.0.0.1 shop.example.org
up web-2 10.0.0.2 shop.example.org:http=8080
up web-3 10.0.0.3 shop.example.org www.example.org
wait 200
up last 10.0.0.9 last.example.org
SCRIPT
conf any
run_daemon any
for n in 1 2 3; do
	grep -q "\"op\":\"set\",\"key\":\"/beachhead/web-$n\"" "$BH_TMP/any.out" || bh_fail "replica web-$n not published"
done
! grep -q "claimed\|not published" "$BH_TMP/any.err" || { cat "$BH_TMP/any.err" >&2; bh_fail "a replica was refused by default"; }

# --- 2. same-rule: a tenant's replicas share, another tenant waits ---
cat >"$BH_TMP/rule.script" <<'SCRIPT'
labeled blue-1 10.0.1.1 tenant=blue shop.example.com
labeled blue-2 10.0.1.2 tenant=blue shop.example.com
labeled red-1 10.0.2.1 tenant=red shop.example.com red.example.com
wait 200
down blue-1
wait 200
down blue-2
wait 300
up last 10.0.0.9 last.example.net
SCRIPT
conf rule 'domains = {
  sharing = "same-rule";
  rules = ( { label = "tenant=blue"; allow = [ ".example.com" ]; },
            { label = "tenant=red"; allow = [ ".example.com" ]; } );
};'
run_daemon rule
ops rule | grep -v /beachhead/last >"$BH_TMP/rule.ops"
cat >"$BH_TMP/rule.expected" <<'EXPECTED'
set /beachhead/blue-1
set /beachhead/blue-2
del /beachhead/blue-1
del /beachhead/blue-2
set /beachhead/red-1
EXPECTED
diff -u "$BH_TMP/rule.expected" "$BH_TMP/rule.ops" || bh_fail "same-rule: wrong publisher operations"
grep -q "container red-1: domain 'shop.example.com' is already claimed by the older container blue-1" "$BH_TMP/rule.err" ||
	{ cat "$BH_TMP/rule.err" >&2; bh_fail "same-rule: no refusal for red-1"; }
# red-1 is announced exactly once: when it is finally written.
[ "$(grep -c 'container red-1: registering' "$BH_TMP/rule.err")" = 1 ] ||
	{ cat "$BH_TMP/rule.err" >&2; bh_fail "same-rule: red-1 announced while refused"; }

# --- 3. exclusive: in-pass refusal, then no passes for unrelated churn ---
{
	# Present before the daemon starts (no events): the first full pass
	# reports zeta first, then alpha, which takes the domain (ties of
	# unknown age go to the smaller name).
	echo 'exists alpha 10.0.0.4 shared.example.org'
	echo 'exists zeta 10.0.0.3 shared.example.org'
	echo 'wait 300'
	i=0
	while [ $i -lt 6 ]; do
		echo "up churn-$i 10.0.3.$i churn-$i.example.org"
		echo 'wait 30'
		echo "down churn-$i"
		echo 'wait 30'
		i=$((i + 1))
	done
	echo 'down alpha'
	echo 'wait 300'
	i=0
	while [ $i -lt 6 ]; do
		echo "up again-$i 10.0.4.$i again-$i.example.org"
		echo 'wait 30'
		echo "down again-$i"
		echo 'wait 30'
		i=$((i + 1))
	done
	echo 'wait 200'
	echo 'up last 10.0.0.9 last.example.org'
} >"$BH_TMP/exclusive.script"
conf exclusive 'domains = { sharing = "exclusive"; };'
run_daemon exclusive
# zeta is announced once, when it takes over, not when the pass saw it.
announced=$(grep -n 'container zeta: registering' "$BH_TMP/exclusive.err" | cut -d: -f1)
alpha_gone=$(grep -n 'container alpha: withdrawing' "$BH_TMP/exclusive.err" | cut -d: -f1)
[ -n "$alpha_gone" ] && [ "$(echo "$announced" | wc -l)" = 1 ] && [ "${announced:-0}" -gt "$alpha_gone" ] ||
	{ sed -n '/zeta\|alpha/p' "$BH_TMP/exclusive.err" >&2; bh_fail "exclusive: zeta announced although it was refused"; }
ops exclusive | grep 'zeta\|alpha' >"$BH_TMP/exclusive.ops"
cat >"$BH_TMP/exclusive.expected" <<'EXPECTED'
set /beachhead/alpha
del /beachhead/alpha
set /beachhead/zeta
EXPECTED
diff -u "$BH_TMP/exclusive.expected" "$BH_TMP/exclusive.ops" ||
	bh_fail "exclusive: a DEL for a key never written, or no takeover"
# Passes: the first one, and the one that lets zeta take over when alpha
# stops.  Churn of containers nobody contends for requests none.
passes=$(grep -c 'full pass [0-9]* begins' "$BH_TMP/exclusive.err")
[ "$passes" = 2 ] || { grep "full pass\|withdrawing\|registering" "$BH_TMP/exclusive.err" >&2; bh_fail "exclusive: $passes full passes, expected 2"; }
bh_check_valgrind
