/*
 * The keyspace watch: a second link to the master (like the Sentinel
 * subscription) that reads `notify-keyspace-events` (CONFIG GET, where
 * the ACL allows it) and subscribes to `__keyspace@DB__:PREFIX*`, so that
 * the publisher learns within milliseconds that a key under its prefix was
 * deleted, overwritten or expired by anyone.  It reports upward through
 * callbacks; deciding what an event means (ours? put it back?) is the
 * publisher's business.
 */
#ifndef BH_REDIS_KEYSPACE_H
#define BH_REDIS_KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

#include "resp_link.h"

enum keyspace_status {
	KEYSPACE_ON,      /* subscribed, the server publishes the events we need */
	KEYSPACE_OFF,     /* the server publishes none (or lacks K, $ or g) */
	KEYSPACE_UNKNOWN, /* subscribed, but CONFIG GET was refused: events may not come */
	KEYSPACE_FAILED,  /* the server refused the subscription (or AUTH) */
};

struct redis_keyspace_callbacks {
	/* A keyspace event for key (key_len bytes, may hold any byte). */
	void (*event)(void *arg, const char *key, size_t key_len, const char *event);
	/* What the watch found out at each (re)connect: detail is the
	 * server's setting (ON/OFF) or its refusal (UNKNOWN/FAILED). */
	void (*status)(void *arg, enum keyspace_status status, const char *detail);
};

struct redis_keyspace_settings {
	const char *prefix; /* bh_init.key_prefix */
	int database;
	unsigned connect_timeout_ms;
};

struct redis_keyspace *redis_keyspace_new(const struct bh_host_api *api, struct bh_host *host,
					  const struct redis_keyspace_settings *settings,
					  const struct redis_keyspace_callbacks *callbacks, void *arg);
/* (Re)connects to the master at address with these credentials (user and
 * password may be NULL), dropping any earlier watch link.  A watch link that
 * breaks later is made again with backoff, to the same address. */
void redis_keyspace_connect(struct redis_keyspace *ks, const struct resp_address *address,
			    const char *user, const char *password);
/* Subscribed and not known to be off: events can be relied on. */
bool redis_keyspace_active(const struct redis_keyspace *ks);
void redis_keyspace_free(struct redis_keyspace *ks);

#endif
