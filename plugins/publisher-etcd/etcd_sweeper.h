/*
 * publisher-etcd's namespace sweep (etcd_sweeper.c): one listing of the
 * namespace's keys at a time; each key under it (never the claim, never
 * one with a NUL byte inside) goes to the publisher, which says whether it
 * deletes it.  Asked for by the core's sweep(); sent once the session may
 * write.
 */
#ifndef BH_ETCD_SWEEPER_H
#define BH_ETCD_SWEEPER_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "etcd_client.h"

/* What the publisher made of a key the listing shows. */
enum etcd_sweep_verdict {
	ETCD_SWEEP_KEPT,    /* a current registration, or a write under way */
	ETCD_SWEEP_STALE,   /* no running container backs it: being deleted */
	ETCD_SWEEP_STOP,    /* writing is no longer possible: stop here */
};

typedef enum etcd_sweep_verdict (*etcd_sweep_key_cb)(void *arg, const char *key);

struct etcd_sweeper;
/* owner_key: the claim's key, never swept (NULL: none).  NULL when out of
 * memory. */
struct etcd_sweeper *etcd_sweeper_new(const struct bh_host_api *api, struct bh_host *host,
				      struct etcd_client *client, const char *owner_key,
				      etcd_sweep_key_cb key_cb, void *arg);
/* Remembers the namespace to sweep: false when a sweep is already waiting
 * or under way (one at a time; the next pass sweeps again).  -1: out of
 * memory. */
int etcd_sweeper_want(struct etcd_sweeper *s, const char *namespace_prefix);
/* A sweep waits to be sent. */
bool etcd_sweeper_waiting(const struct etcd_sweeper *s);
/* Sends the listing of the waiting sweep (the caller knows it may write);
 * a no-op while one is under way. */
void etcd_sweeper_send(struct etcd_sweeper *s);
/* The listing is under way (its deletes are still to come). */
bool etcd_sweeper_busy(const struct etcd_sweeper *s);
/* Before the client is freed. */
void etcd_sweeper_free(struct etcd_sweeper *s);

#endif
