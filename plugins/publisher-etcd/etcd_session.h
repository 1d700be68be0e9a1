/*
 * publisher-etcd's session with the cluster (etcd_session.c): the lease the
 * keys are on (granted, resumed from the previous run, kept alive at a
 * third of its TTL) or, without a lease, a cheap read that proves the
 * cluster answers; retried with capped backoff while etcd is unreachable.
 *
 * It tells the publisher what happened through the callbacks it is given;
 * it knows nothing of keys, the claim or the watch.
 */
#ifndef BH_ETCD_SESSION_H
#define BH_ETCD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "etcd_client.h"
#include "etcd_metrics.h"

struct etcd_session_callbacks {
	/* The lease was granted or kept alive (or the cluster answered):
	 * writes may go. */
	void (*up)(void *arg);
	/* One-pass mode, and the session failed: nothing will retry, so
	 * whatever waits for the session is given up (the error is
	 * reported already). */
	void (*gave_up)(void *arg);
	/* The lease expired while we were cut off, and every key on it with
	 * it (old_lease: its id, ttl its TTL); a new one is asked for once
	 * this returns. */
	void (*lease_lost)(void *arg, int64_t old_lease, unsigned ttl);
	/* The retry timer fired while the session is up: a claim or a write
	 * the publisher deferred (etcd_session_retry_later) may go again. */
	void (*retry)(void *arg);
};

struct etcd_session_settings {
	unsigned ttl;           /* lease TTL in seconds; 0 = no lease */
	const char *lease_path; /* the lease file (copied), NULL without state_dir */
	int64_t resume_lease;   /* from the lease file (0: none) */
	bool one_pass;          /* nothing retries: report and give up */
};

struct etcd_session;
/* NULL when out of memory (or a timer cannot be made). */
struct etcd_session *etcd_session_new(const struct bh_host_api *api, struct bh_host *host,
				      struct etcd_client *client, struct etcd_metrics *metrics,
				      const struct etcd_session_settings *settings,
				      const struct etcd_session_callbacks *cb, void *arg);
/* Grants, resumes or keeps alive the lease (or probes); a no-op while a
 * request of the session is under way. */
void etcd_session_connect(struct etcd_session *s);
/* A request of the publisher found no answer, or etcd said no to it
 * (answered): the session is down until it is made again. */
void etcd_session_failed(struct etcd_session *s, const char *why, bool answered);
/* The same, from a failed reply (answered when etcd sent a document). */
void etcd_session_reply_failed(struct etcd_session *s, const struct etcd_reply *reply);
/* A request of the publisher named our lease and etcd does not know it. */
void etcd_session_lease_lost(struct etcd_session *s);
/* Calls back retry after the next backoff delay (once, however often it
 * is asked before that). */
void etcd_session_retry_later(struct etcd_session *s);
bool etcd_session_is_up(const struct etcd_session *s);
/* The lease the keys go on; 0 while none is granted (or expire = 0). */
int64_t etcd_session_lease(const struct etcd_session *s);
/* stop(): no more keep-alives (the keys stay on their lease). */
void etcd_session_stop(struct etcd_session *s);
/* Before the client is freed. */
void etcd_session_free(struct etcd_session *s);

#endif
