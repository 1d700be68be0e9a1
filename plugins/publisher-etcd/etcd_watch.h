/*
 * The snapshot and the /v3/watch stream of publisher-etcd's namespace
 * (etcd_watch.c), reported through the callbacks it is given.
 */
#ifndef BH_ETCD_WATCH_H
#define BH_ETCD_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "etcd_client.h"

/* One key as a snapshot or a watch event shows it. */
struct etcd_kv {
	const char *key;
	const char *value; /* "" for a delete */
	size_t value_len;
	int64_t lease;
	int64_t mod_revision;
	int64_t create_revision;
	bool deleted;
};

struct etcd_watch_callbacks {
	/* A ranged read of the prefix begins to report (after a start, or a
	 * lost watch): what is not reported before snapshot_end is absent. */
	void (*snapshot_begin)(void *arg);
	void (*kv)(void *arg, const struct etcd_kv *kv, bool snapshot);
	void (*snapshot_end)(void *arg, int64_t revision);
	/* The snapshot could not be read (it is retried). */
	void (*failed)(void *arg, const struct etcd_reply *reply);
};

struct etcd_watch;
struct etcd_watch *etcd_watch_new(const struct bh_host_api *api, struct bh_host *host,
				  struct etcd_client *client, const char *prefix,
				  const struct etcd_watch_callbacks *cb, void *arg);
/* Reads the prefix, then follows it; a no-op while running. */
void etcd_watch_start(struct etcd_watch *w);
void etcd_watch_stop(struct etcd_watch *w);
/* The client moved to another member: the stream follows. */
void etcd_watch_follow_client(struct etcd_watch *w);
void etcd_watch_free(struct etcd_watch *w);

#endif
