#!/bin/sh
# Real HTTP through haproxy (master-worker) configured by the shipped recipe
# (etc/confd/beachhead-haproxy, rendered by the confd stand-in in -watch mode,
# checked by its check_cmd, haproxy reloaded as its reload_cmd does) to busybox
# httpd containers, all in namespaces of the test's own: a new container's
# domain answers 200; a rolling update under load (2 old replicas replaced
# by 2 new ones, each old one draining 2 s after SIGTERM) fails no request;
# the last replica stopped -> the domain is gone.  Twice: replicas that
# listen at once, and replicas that listen 3 s after they start.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/recipes.sh"
. "$top_srcdir/tests/lib/traffic.sh"
bh_traffic_test haproxy "$@"
