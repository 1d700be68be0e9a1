/*
 * The notify channel (redis_notify.c): with notify_channel set, one
 * `PUBLISH channel "N changed"` per loop iteration in which stored values
 * changed, so that a confd in watch mode (or any subscriber) renders once
 * per burst, not once per key.
 */
#ifndef BH_REDIS_NOTIFY_H
#define BH_REDIS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "redis_conn.h"
#include "redis_keyset.h"

struct redis_notify {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_conn *conn;
	const char *channel; /* NULL: no notices */
	/* The value hash last stored per key (a SET of the same value is no
	 * change), and the changes since the last notice. */
	struct keyset stored;
	unsigned changes;
	bool armed;
	bool closing; /* the publisher goes away: replies are not reported */
	struct bh_timer *timer;
};

void redis_notify_init(struct redis_notify *n, const struct bh_host_api *api,
		       struct bh_host *host, struct redis_conn *conn, const char *channel);
int redis_notify_start(struct redis_notify *n);
/* The store acknowledged SET key (value_hash) or DEL key (deleted: it
 * removed something). */
void redis_notify_stored(struct redis_notify *n, const char *key, uint64_t value_hash);
void redis_notify_deleted(struct redis_notify *n, const char *key, bool deleted);
/* The link went: what the next server holds is unknown. */
void redis_notify_link_lost(struct redis_notify *n);
void redis_notify_free(struct redis_notify *n);

#endif
