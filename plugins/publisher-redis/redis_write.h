/*
 * The writes (redis_write.c): SET key value [EX ttl] [GET] for each
 * registration and DEL for each withdrawal, pipelined on the Redis link;
 * the withdrawals still owed to the store, whether a replay is owed, and
 * (with Sentinel) the DELs a new master may lack.  Refused writes go to
 * the write-retry path (redis_retry.h); acknowledged ones to the notify
 * channel (redis_notify.h); what the owner counts (metrics) is reported
 * through the callbacks it is given.
 */
#ifndef BH_REDIS_WRITE_H
#define BH_REDIS_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "redis_claim.h"
#include "redis_conn.h"
#include "redis_held.h"
#include "redis_keyset.h"
#include "redis_notify.h"
#include "redis_retry.h"

struct redis_writer_callbacks {
	/* A SET (set) or DEL was acknowledged; sent_ms: when it went out. */
	void (*write_done)(void *arg, bool set, uint64_t sent_ms);
	/* The server refused a write. */
	void (*write_refused)(void *arg);
};

struct redis_writer {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_conn *conn;
	struct redis_retry *retry;
	struct redis_notify *notify;
	/* Registrations published and not withdrawn since (the owner's). */
	struct held_set *held;
	/* With a host id, the namespace's claim: nothing is written before it
	 * allows (NULL: no claim). */
	struct redis_claim *claim;
	const char *key_prefix; /* for messages */
	unsigned expire;        /* for the message naming keys left behind */
	bool one_pass;
	bool track_recent_dels; /* Sentinel: a failover may lose acknowledged DELs */
	bool closing;           /* the publisher goes away: replies are dropped */
	const struct redis_writer_callbacks *callbacks;
	void *arg;

	/* The store may lack current registrations (a publish was dropped or
	 * lost): a replay is due on the next connect. */
	bool owed;
	struct keyset deferred_dels; /* withdrawals that still owe a DEL */
	/* Sentinel: DELs acknowledged lately (tag: when), sent again to a new
	 * master, which may never have received them (async replication). */
	struct keyset recent_dels;
	size_t recent_prune_at;
};

void redis_write_init(struct redis_writer *w, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, struct redis_retry *retry,
		      struct redis_notify *notify, struct held_set *held);
/* May writes and sweeps go out (the claim, when there is one, allows
 * them)? */
bool redis_write_allowed(const struct redis_writer *w);
/* publish(): h is the registration's held entry (already updated). */
int redis_write_publish(struct redis_writer *w, const struct bh_registration *reg,
			struct held_reg *h);
/* withdraw(): DEL now, or owe it. */
void redis_write_withdraw(struct redis_writer *w, const char *key, const char *container);
/* Deletes a key no current registration backs (found by a sweep). */
void redis_write_delete_stale(struct redis_writer *w, const char *key);
/* Sends SET for a held registration (a repair, or the claim was won);
 * repair: what it replaces is known to be foreign, SET ... GET need not
 * say so again. */
void redis_write_held(struct redis_writer *w, struct held_reg *h, bool repair);
/* Every held registration again (the claim allows writes now). */
void redis_write_all_held(struct redis_writer *w);
/* The link is ready; new_master: DELs acknowledged lately go again. */
void redis_write_connected(struct redis_writer *w, bool new_master);
/* Owed DELs, then kept SETs (a one-pass run's, refused ones). */
void redis_write_flush(struct redis_writer *w);
/* The retry's backoff elapsed: owed DELs and refused SETs go again. */
void redis_write_retry(struct redis_writer *w);
/* A reload: the successor sends the owed DELs. */
void redis_write_hand_over(struct redis_writer *w, bh_withdrawal_cb cb, void *arg);
/* At exit: names the keys whose DEL never reached the store. */
void redis_write_report_left_behind(struct redis_writer *w);
void redis_write_free(struct redis_writer *w);

#endif
