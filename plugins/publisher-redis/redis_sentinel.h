/*
 * Redis Sentinel (redis_sentinel.c): which server is the master, and
 * following it through failovers.  It tells its owner (the Redis link,
 * redis_conn.c) what it learns through the callbacks it is given, and asks
 * it through them how the master link stands.
 */
#ifndef BH_REDIS_SENTINEL_H
#define BH_REDIS_SENTINEL_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "redis_config.h"

struct redis_sentinel;

struct redis_sentinel_callbacks {
	/* A sentinel named the master: connect to it now (any current link
	 * goes). */
	void (*master_named)(void *arg, const char *host, int port);
	/* No sentinel named a master: try again with backoff. */
	void (*no_master)(void *arg, const char *reason);
	/* Is there a master link (connecting or ready)?  *ready (when not
	 * NULL) says whether its handshake is done. */
	bool (*linked)(void *arg, bool *ready);
};

/* Starts the +switch-master subscription; NULL when out of memory or
 * master_name is too long (logged).  cfg must outlive the sentinel. */
struct redis_sentinel *redis_sentinel_new(const struct bh_host_api *api, struct bh_host *host,
					  const struct redis_config *cfg,
					  const struct redis_sentinel_callbacks *callbacks, void *arg);
/* Ask the sentinels (in turn) for the master; the answer arrives through
 * master_named() or no_master(). */
void redis_sentinel_discover(struct redis_sentinel *s);
/* The master link is ready (ROLE said master): a failover, if one was
 * under way, is complete (logged here).  Returns true when this master is
 * not the one we wrote to before. */
bool redis_sentinel_master_ready(struct redis_sentinel *s);
/* The master link was lost (was_ready: it had been usable): remember when,
 * for the failover line; a server that never became usable makes the next
 * discovery start at the next sentinel. */
void redis_sentinel_master_lost(struct redis_sentinel *s, bool was_ready, const char *reason);
void redis_sentinel_free(struct redis_sentinel *s);

#endif
