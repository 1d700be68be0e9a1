/*
 * What this daemon holds in etcd, key by key (etcd_keys.c), and the verdict
 * on what the watch shows about a key.
 */
#ifndef BH_ETCD_KEYS_H
#define BH_ETCD_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/strmap.h>

#include "etcd_watch.h" /* struct etcd_kv */

/* One key this daemon is responsible for. */
struct etcd_pub;  /* publisher_etcd.c: opaque here */
struct etcd_call; /* etcd_client.c: opaque here */

struct etcd_key {
	struct etcd_pub *pub; /* the owner, for the client's callbacks */
	char *key;
	char *want;   /* value the core wants there; NULL = withdrawn */
	char *stored; /* value confirmed in etcd on the current lease; NULL = absent/unknown */
	bool stale;   /* delete it even though stored is unknown: found by a
			 sweep, or withdrawn before anything was confirmed */
	bool refused; /* etcd refused the last write (reported once) */
	struct etcd_call *call; /* the put or delete in flight */
	char *sent;   /* what call writes (NULL = a delete) */
	int64_t sent_lease; /* the lease call puts it on */
	int64_t stored_rev; /* revision of stored (our write, or seen in a snapshot) */
	int64_t event_rev;  /* a foreign-looking event seen while call was in flight */
	bool seen;          /* reported by the snapshot under way */
	bool foreign;       /* no host id: another host put it; its value stands */
	bool adopted;       /* found on our lease after a restart, not yet wanted */
	bool foreign_logged;
	uint64_t sent_ms;   /* when call went out (write_duration_seconds) */
	struct bh_strmap_node node; /* keyed by key */
};

struct etcd_keys {
	struct bh_strmap map;
};

int etcd_keys_init(struct etcd_keys *k);
struct etcd_key *etcd_keys_find(const struct etcd_keys *k, const char *key);
/* Finds or adds (want = stored = NULL); NULL when out of memory. */
struct etcd_key *etcd_keys_get(struct etcd_keys *k, const char *key);
void etcd_keys_remove(struct etcd_keys *k, struct etcd_key *e);
/* Calls fn for every key; fn may remove the key it is given. */
void etcd_keys_each(struct etcd_keys *k, void (*fn)(void *arg, struct etcd_key *e), void *arg);
void etcd_keys_free(struct etcd_keys *k);
/* Wants something different from what etcd holds (or a stale key). */
bool etcd_key_dirty(const struct etcd_key *e);

/* What the watch showed about a key we hold. */
enum etcd_seen {
	ETCD_SEEN_NOTHING,      /* ours, already known, or nothing to repair */
	ETCD_SEEN_DELETED,      /* someone else deleted it: put it back */
	ETCD_SEEN_OVERWRITTEN,  /* someone else wrote it: put it back */
	ETCD_SEEN_FOREIGN_HOST, /* shared prefix: another host put it on its lease */
};
/* A watch event; shared: the prefix is not ours alone (no host id). */
enum etcd_seen etcd_key_event(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease, bool shared);
/* A snapshot shows the key (marks it seen). */
enum etcd_seen etcd_key_snapshot(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease);
/* At the snapshot's end: the key was not in it (unless seen). */
enum etcd_seen etcd_key_snapshot_missing(struct etcd_key *e);
/* The lease is gone and with it whatever we stored. */
void etcd_key_forget(struct etcd_key *e);

#endif
