#!/bin/sh
# publisher-etcd puts back what someone else changed in its namespace, from
# its watch (refresh 30 s here: the refresh cannot be what repairs it):
#   - etcdctl del of an owned key: back, one warning naming key and revision;
#   - etcdctl put of a foreign value: the daemon's value back, one warning;
#   - compaction + defrag while watching, a restarted member (the stream
#     breaks; the daemon reads the namespace again), a backlog and a
#     compaction while the daemon is frozen: still reconciles;
#   - deleting the namespace's claim (@owner): put back;
#   - unchanged refreshes with the watch running write nothing.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23715
TTL=40
NS=/beachhead/hostA

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --verbose --expire $TTL --refresh 30 --host-id hostA \
	>"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 10 $NS/ "$NS/api $NS/web" || { cat "$BH_TMP/err" >&2; bh_fail "first keys"; }
web=$(bh_etcd_get $NS/web)
api=$(bh_etcd_get $NS/api)
lease=$(bh_etcd_field $NS/web lease)
sleep 1 # the watch is open once the keys are written; give it a moment anyway

# back_within SECONDS KEY VALUE: KEY holds VALUE on the daemon's lease again.
back_within() {
	back_key=$2
	back_value=$3
	bh_wait_for "$1" '[ "$(bh_etcd_get "$back_key")" = "$back_value" ] &&
		[ "$(bh_etcd_field "$back_key" lease)" = "$lease" ]' "$2 back on lease $lease"
}

rev=$(($(bh_etcd_revision) + 1)) # the delete's
bh_etcdctl del $NS/web >/dev/null || bh_fail "etcdctl del"
back_within 5 $NS/web "$web" || { cat "$BH_TMP/err" >&2; bh_fail "a deleted key was not put back"; }
grep -q "warning: etcd: $NS/web was deleted at revision $rev (not by this daemon); putting it back" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the put-back was not logged with the key and the revision"; }

rev=$(($(bh_etcd_revision) + 1))
bh_etcdctl put $NS/api 'not yours' >/dev/null || bh_fail "etcdctl put"
back_within 5 $NS/api "$api" || { cat "$BH_TMP/err" >&2; bh_fail "an overwritten key was not put back"; }
grep -q "warning: etcd: $NS/api was overwritten at revision $rev" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the overwrite was not logged with the key and the revision"; }
[ "$(grep -c "was deleted at\|was overwritten at" "$BH_TMP/err")" = 2 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "one warning per repair expected"; }

# Quiet: unchanged state writes nothing, watch or not.
r1=$(bh_etcd_revision)
sleep 3
[ "$(bh_etcd_revision)" = "$r1" ] || bh_fail "the daemon wrote $(($(bh_etcd_revision) - r1)) revisions while nothing changed"

# Compaction + defragmentation while the daemon watches.
bh_etcdctl compact "$(bh_etcd_revision)" >/dev/null || bh_fail "compact"
bh_etcdctl defrag >/dev/null || bh_fail "defrag"
bh_etcdctl del $NS/web >/dev/null || bh_fail "etcdctl del after compaction"
back_within 5 $NS/web "$web" || { cat "$BH_TMP/err" >&2; bh_fail "not reconciled after compaction + defrag"; }

# The member the daemon talks to (the first endpoint: nothing failed so far)
# killed and started again: the stream breaks; the daemon reads the
# namespace through another member and watches on.
kill -9 "$(bh_etcd_pid 1)"
bh_etcd_launch 1
bh_wait_for 60 "bh_etcdctl_at 1 endpoint health" "member m1 back" || bh_fail "member m1 did not come back"
grep -q "debug: etcd: the watch on $NS/ is lost (" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the broken stream went unnoticed"; }
bh_etcdctl del $NS/api >/dev/null || bh_fail "etcdctl del after the restart"
back_within 10 $NS/api "$api" || { cat "$BH_TMP/err" >&2; bh_fail "not reconciled after the stream broke"; }

# A backlog and a compaction while the daemon is frozen: 400 changes of
# 100 KB in its namespace (more than etcd queues for a watcher, 128 answers),
# a foreign delete, then a compaction past all of it.  Depending on how far
# etcd got with the frozen stream, the daemon either reads the backlog and
# sees the delete, or etcd cancels the watch (compact_revision: the daemon
# reads the namespace and resumes); either way the key comes back and the
# delete is reported.
kill -STOP "$pid"
python3 - "$(bh_etcd_url 1)" "$NS/zz-filler" <<'PY' || bh_fail "filler puts"
import base64, http.client, os, sys, urllib.parse
url, key = urllib.parse.urlsplit(sys.argv[1]), base64.b64encode(sys.argv[2].encode()).decode()
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
for i in range(400):
    body = '{"key":"%s","value":"%s"}' % (key, base64.b64encode(os.urandom(100000)).decode())
    conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit("put %d: HTTP %d" % (i, answer.status))
PY
bh_etcdctl del $NS/zz-filler >/dev/null && bh_etcdctl del $NS/web >/dev/null || bh_fail "etcdctl del while frozen"
bh_etcdctl compact "$(bh_etcd_revision)" >/dev/null || bh_fail "compact while frozen"
kill -CONT "$pid"
# (generous: the daemon first parses the backlog the stream still holds)
back_within 30 $NS/web "$web" || { cat "$BH_TMP/err" >&2; bh_fail "not reconciled after a compacted watch"; }
[ "$(grep -c "warning: etcd: $NS/web was deleted at revision" "$BH_TMP/err")" = 3 ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the delete while frozen was not reported"; }
bh_etcdctl defrag >/dev/null || bh_fail "defrag after the filler"

# The claim is an owned key too.
owner=$(bh_etcd_get $NS/@owner)
bh_etcdctl del $NS/@owner >/dev/null || bh_fail "etcdctl del @owner"
bh_wait_for 5 '[ "$(bh_etcd_get $NS/@owner)" = "$owner" ]' "the claim back" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the deleted claim was not put back"; }
! grep -q "error" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "errors logged"; }

# Another daemon's claim in its place (it claimed the namespace in between:
# our record gone, a new one created; the daemon is frozen meanwhile so that
# it does not put its own back first): this daemon stops writing and says
# so; once that claim is gone it claims the namespace again and repairs
# what changed meanwhile.  (A record written over ours in place is no
# claim: clone.sh.)
kill -STOP "$pid"
bh_etcdctl del $NS/@owner >/dev/null &&
	bh_etcdctl put $NS/@owner "hostname=intruder machine_id=0123 pid=99 since=2026-01-01T00:00:00Z token=0badc0de" \
	>/dev/null || { kill -CONT "$pid"; bh_fail "etcdctl put of another claim"; }
kill -CONT "$pid"
bh_wait_for 5 'grep -q "error: etcd: the namespace $NS/ is claimed by another daemon (hostname=intruder machine_id=0123 pid=99 since=2026-01-01T00:00:00Z)" "$BH_TMP/err"' \
	"the lost claim reported" || { cat "$BH_TMP/err" >&2; bh_fail "a lost claim was not reported"; }
bh_etcdctl del $NS/web >/dev/null || bh_fail "etcdctl del while the claim is lost"
sleep 2
[ -z "$(bh_etcd_get $NS/web)" ] || bh_fail "the daemon wrote into a namespace another daemon claims"
bh_etcdctl del $NS/@owner >/dev/null || bh_fail "etcdctl del of the other claim"
back_within 5 $NS/web "$web" || { cat "$BH_TMP/err" >&2; bh_fail "not repaired after claiming the namespace again"; }
bh_wait_for 5 '[ "$(bh_etcd_get $NS/@owner)" = "$owner" ]' "our claim back" || bh_fail "the claim was not taken again"
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
