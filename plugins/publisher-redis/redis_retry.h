/*
 * The write-retry path (redis_retry.c): the SETs the server refused (OOM
 * under maxmemory, a wrong type...) and the SETs a one-pass run keeps until
 * the link is ready, kept per key until they are sent again, and the
 * episode of refusals: one line when it begins, one when every refused key
 * was written again.  When its backoff timer fires it tells its owner
 * through due(), which sends again what is kept (redis_write.c).
 */
#ifndef BH_REDIS_RETRY_H
#define BH_REDIS_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "common/backoff.h"
#include "redis_conn.h"
#include "redis_keyset.h"

/* A SET kept to be sent again. */
struct redis_kept_set {
	char *container;
	char *value;
	size_t value_len;
	unsigned ttl;
};

struct redis_retry_callbacks {
	/* The backoff elapsed: send again what was refused. */
	void (*due)(void *arg);
};

struct redis_retry {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_conn *conn; /* names the server in messages */
	const struct redis_retry_callbacks *callbacks;
	void *arg;
	struct keyset kept; /* key -> struct redis_kept_set (data) */
	/* The episode of refusals. */
	bool trouble;
	char *first_error;  /* the first refusal of the episode */
	unsigned failures;  /* refusals in the episode */
	uint64_t trouble_since_ms;
	/* Keys refused in the episode: writes "succeed again" only once each
	 * of them was written. */
	struct keyset troubled;
	size_t inflight; /* resent writes awaiting replies */
	struct bh_backoff backoff;
	bool armed;
	struct bh_timer *timer;
};

void redis_retry_init(struct redis_retry *r, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, const struct redis_retry_callbacks *callbacks,
		      void *arg);
int redis_retry_start(struct redis_retry *r);
/* Keeps a SET of key to send again; takes *container and *value (setting
 * them to NULL) on success.  BH_ERR: out of memory, nothing kept. */
int redis_retry_keep(struct redis_retry *r, const char *key, char **container, char **value,
		     size_t value_len, unsigned ttl);
/* The next kept SET (and its key, both the caller's to free), or NULL. */
char *redis_retry_pop(struct redis_retry *r, struct redis_kept_set **set);
/* A newer write or a withdrawal of key supersedes the kept SET. */
void redis_retry_forget(struct redis_retry *r, const char *key);
void redis_kept_set_free(struct redis_kept_set *set);
/* The server refused a write of key (what: "SET" or "DEL"): counted in
 * the episode, reported when it begins, and a retry is armed. */
void redis_retry_refused(struct redis_retry *r, const char *what, const char *key,
			 const char *error);
/* A write of key succeeded; owed_dels: withdrawals still owed.  Ends the
 * episode once every refused key was written. */
void redis_retry_succeeded(struct redis_retry *r, const char *key, size_t owed_dels);
void redis_retry_free(struct redis_retry *r);

#endif
