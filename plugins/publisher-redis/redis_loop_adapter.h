/*
 * Drives a hiredis async context from the core's event loop (hiredis 0.14
 * ships adapters for libevent, libev, ... but not for ours).
 */
#ifndef BH_REDIS_LOOP_ADAPTER_H
#define BH_REDIS_LOOP_ADAPTER_H

#include <hiredis/async.h>

#include <beachhead/plugin.h>

/* Called once when hiredis frees the context (error, disconnect, or our own
 * redisAsyncFree), after every pending reply callback ran with NULL.  err and
 * errstr describe why (err == 0: a clean or requested close). */
typedef void (*redis_gone_cb)(void *arg, int err, const char *errstr);

/* Registers the context's fd with the core loop.  On BH_ERR nothing is
 * attached and the caller still owns (and must free) the context. */
int redis_loop_attach(redisAsyncContext *ac, const struct bh_host_api *api, struct bh_host *host,
		      redis_gone_cb gone, void *arg);

#endif
