/*
 * Whether this daemon owns its namespace (etcd_owner.c): with a host id the
 * namespace is claimed first (the record at namespace + BH_OWNER_KEY,
 * etcd_claim.c), and nothing is written or swept there while another
 * daemon's claim lives.  This part acts on what the claim answers and on
 * what the watch shows of the owner key: it says so once, puts our record
 * back when someone deletes, rewrites or forges it, and retries a claim
 * that is refused.
 *
 * It tells the publisher through the callbacks it is given; the lease it
 * claims with is passed in by the publisher at each step.
 */
#ifndef BH_ETCD_OWNER_H
#define BH_ETCD_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "etcd_client.h"
#include "etcd_watch.h" /* struct etcd_kv */

enum etcd_ownership {
	ETCD_OWNER_WANTED,  /* a claim is due (or under way) */
	ETCD_OWNER_HELD,    /* ours, on our lease */
	ETCD_OWNER_REFUSED, /* another daemon's live claim */
};

struct etcd_owner_callbacks {
	/* The claim is held now: read the keys again, as their owner. */
	void (*held)(void *arg);
	/* Another daemon's claim stands: stop counting on what was read.
	 * one_pass: nothing will retry (the error is reported already). */
	void (*refused)(void *arg, bool one_pass);
	/* The claim named a lease etcd does not know. */
	void (*lease_gone)(void *arg);
	/* No answer (or one-pass mode): the session's failure. */
	void (*failed)(void *arg, const struct etcd_reply *reply);
	/* etcd refused the claim (permissions): try again after a backoff. */
	void (*retry_later)(void *arg);
};

struct etcd_owner_settings {
	const char *namespace; /* for messages */
	const char *owner_key; /* namespace + BH_OWNER_KEY */
	const char *record;    /* bh_init.owner_record */
	const char *token;     /* bh_init.owner_token */
	bool one_pass;
};

struct etcd_owner;
/* Strings are copied.  NULL when out of memory. */
struct etcd_owner *etcd_owner_new(const struct bh_host_api *api, struct bh_host *host,
				  struct etcd_client *client, const struct etcd_owner_settings *settings,
				  const struct etcd_owner_callbacks *cb, void *arg);
enum etcd_ownership etcd_owner_state(const struct etcd_owner *o);
/* The key is the owner record's. */
bool etcd_owner_is_key(const struct etcd_owner *o, const char *key);
/* The session may write: claims unless held or a claim is under way
 * (also the retry while refused). */
void etcd_owner_advance(struct etcd_owner *o, int64_t lease);
/* The lease is gone, and a held claim with it. */
void etcd_owner_lease_lost(struct etcd_owner *o);
/* The owner key as a snapshot or a watch event shows it. */
void etcd_owner_seen(struct etcd_owner *o, const struct etcd_kv *kv, bool snapshot, int64_t lease);
/* A snapshot begins. */
void etcd_owner_snapshot_begin(struct etcd_owner *o);
/* A snapshot ended while the claim is not held: only watched for the
 * other daemon's claim to go (and claimed again when it has).  False when
 * the claim is held: the snapshot is the keys' too. */
bool etcd_owner_snapshot_not_held(struct etcd_owner *o, int64_t lease);
/* A snapshot ended while the claim is held: true when it showed our
 * record; else it is put back (with a warning) and false. */
bool etcd_owner_snapshot_showed_claim(struct etcd_owner *o, int64_t revision, int64_t lease);
void etcd_owner_free(struct etcd_owner *o);

#endif
