#!/bin/sh
# A namespace bigger than one answer may be (8 MiB): five values of 1.4 MiB
# (etcd accepts up to 1.5 MiB per request) written under a daemon's
# namespace by someone else.  The daemon's read of its namespace must not
# fail for good on the answer's size (before: "response too large", retried
# forever, nothing ever written or swept, not even an error): it reads the
# namespace in smaller pages, publishes, and sweeps the junk.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23880
NS=/beachhead/big

head -c 1400000 /dev/zero | tr '\0' x >"$BH_TMP/junk"
for i in 1 2 3 4 5; do
	bh_etcdctl put $NS/junk$i <"$BH_TMP/junk" >/dev/null || bh_fail "seeding junk$i"
done
printf '%s\n' 'up web 10.0.0.1 web.example.org' >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script"
BEACHHEAD_STATE_DIR="$BH_TMP/state" $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --expire 9 --refresh 1 \
	--host-id big >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 20 $NS/ $NS/web || { cat "$BH_TMP/err" >&2; bh_fail "the daemon never wrote into its big namespace"; }
# Reconciliation works on it too.
bh_etcdctl del $NS/web >/dev/null
bh_etcd_expect_keys 10 $NS/ $NS/web || { cat "$BH_TMP/err" >&2; bh_fail "a deleted key was not put back"; }
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
