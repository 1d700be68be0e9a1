/*
 * Reconciliation (redis_repair.c): the namespace's claim (redis_claim.h)
 * and the keyspace watch (redis_keyspace.h) wired to the writes: what
 * another client deletes or overwrites is put back, and nothing is written
 * before the claim allows.  It tells its owner that writes may go out
 * through the callbacks it is given.
 */
#ifndef BH_REDIS_REPAIR_H
#define BH_REDIS_REPAIR_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "redis_claim.h"
#include "redis_config.h"
#include "redis_conn.h"
#include "redis_keyspace.h"
#include "redis_sweep.h"
#include "redis_write.h"

struct redis_repair_callbacks {
	/* The claim allows writes now (won, or the server cannot hold one):
	 * what waited for it goes out. */
	void (*writable)(void *arg);
};

struct redis_repair_settings {
	const struct redis_config *cfg;
	struct redis_conn *conn;
	struct redis_writer *writer;
	struct redis_sweep *sweep; /* abandoned when a one-pass run cannot claim */
	const char *key_prefix;    /* bh_init.key_prefix: the namespace or the prefix */
	const char *owner_record;  /* bh_init.owner_record (NULL: no claim possible) */
	const char *owner_token;
	bool has_host_id;
	bool one_pass;
	unsigned refresh; /* seconds between passes */
	unsigned expire;
};

struct redis_repair {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_repair_settings s;
	const struct redis_repair_callbacks *callbacks;
	void *arg;
	bool closing; /* the publisher goes away: replies are dropped */

	/* With a host id: the claim on the namespace (redis_claim.c). */
	struct redis_claim *claim;
	bool claim_refused_logged;
	bool claim_unsupported_logged;
	bool claim_failed_logged; /* the server cannot take the claim now: said */

	/* Keyspace notifications (redis_keyspace.c) and the probe for what
	 * publishes none (FLUSHALL). */
	struct redis_keyspace *keyspace;
	int keyspace_logged;       /* the enum keyspace_status last said; -1: none */
	struct bh_timer *probe_timer;
	bool probe_waiting;
	bool check_refused_logged; /* GET / EXISTS refused: said once */
	bool evicted_logged;       /* maxmemory evicts held keys: said once */
};

void redis_repair_init(struct redis_repair *r, const struct bh_host_api *api, struct bh_host *host,
		       const struct redis_repair_settings *settings,
		       const struct redis_repair_callbacks *callbacks, void *arg);
/* The claim (with a host id) and the keyspace watch (unless one pass). */
int redis_repair_start(struct redis_repair *r);
/* The master link is ready (after the handshake): claim, watch. */
void redis_repair_connected(struct redis_repair *r);
/* The master link went. */
void redis_repair_link_lost(struct redis_repair *r);
void redis_repair_destroy(struct redis_repair *r);

#endif
