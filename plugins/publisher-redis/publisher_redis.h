/*
 * The publisher-redis plugin (publisher_redis.c): the instance, made of
 * its parts, each owning its state: the Redis link (redis_conn.h, with
 * Sentinel below it), the writes (redis_write.h), the write-retry path
 * (redis_retry.h), the notify channel (redis_notify.h), the namespace
 * sweep (redis_sweep.h) and reconciliation (redis_repair.h).  The parts
 * report up to this one through callbacks; only this one counts metrics
 * (redis_metrics.h).
 */
#ifndef BH_PUBLISHER_REDIS_H
#define BH_PUBLISHER_REDIS_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "redis_config.h"
#include "redis_conn.h"
#include "redis_held.h"
#include "redis_metrics.h"
#include "redis_notify.h"
#include "redis_repair.h"
#include "redis_retry.h"
#include "redis_sweep.h"
#include "redis_write.h"

struct redis_publisher {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_config cfg;

	/* Password rotation: the instance's name and server, which key the
	 * credentials kept across a reload (redis_credentials.c). */
	char *instance;
	char *key_prefix;   /* bh_init.key_prefix: the namespace or the prefix */
	char *owner_record; /* bh_init.owner_record (NULL: no claim possible) */
	char *owner_token;
	bool has_host_id;
	bool one_pass; /* bh_init.one_pass: the daemon exits after one pass */
	unsigned refresh;
	unsigned expire;
	bool stopping;

	/* The replay after a reconnect: due when the link was ready before,
	 * or when something was dropped meanwhile (writer.owed). */
	bool ever_ready;
	struct bh_timer *grace_timer;

	/* Registrations published and not withdrawn since, with their values:
	 * what a sweep keeps and what a repair puts back. */
	struct held_set held;

	struct redis_conn conn;
	struct redis_retry retry;
	struct redis_notify notify;
	struct redis_writer writer;
	struct redis_sweep sweep;
	struct redis_repair repair;
	struct redis_metrics metrics; /* redis_metrics.c */
};

#endif
