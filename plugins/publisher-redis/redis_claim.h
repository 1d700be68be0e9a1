/*
 * The claim on the daemon's namespace (with a host id): the key
 * key_prefix + "@owner" holds the owner's record ("hostname=H machine_id=M
 * pid=P since=T token=X") with an expiry.  One small Lua script does the
 * check-and-set atomically: it writes our record when the key is absent or
 * holds our token and machine id (a restart of this daemon with the same
 * state_dir; the token alone could be a clone's copy of state_dir), and
 * otherwise answers the other owner's record without touching it.  The
 * same script renews the claim every refresh interval, so a renewal can
 * never take over a claim that changed hands meanwhile.
 *
 * This file only builds the command, reads its answer and keeps the
 * timers; the publisher sends the command on its master link and learns
 * the outcome through the callbacks.
 */
#ifndef BH_REDIS_CLAIM_H
#define BH_REDIS_CLAIM_H

#include <stdbool.h>

#include <hiredis/hiredis.h>

#include <beachhead/plugin.h>

struct redis_claim;

struct redis_claim_callbacks {
	/* Sends the claim's command (argv form) on the master link; BH_ERR
	 * when it cannot go out now: redis_claim_connected() sends it again.
	 * Its reply must come back through redis_claim_reply(). */
	int (*send)(void *arg, int argc, const char **argv, const size_t *lens);
	/* The namespace is ours, first or again (after another owner, a lost
	 * link, a vanished claim): everything held may be written. */
	void (*owned)(void *arg);
	/* Another daemon's live claim holds the namespace.  owner: its record
	 * for messages (no token); was_owned: we held it until now. */
	void (*refused)(void *arg, const char *owner, bool was_owned);
	/* The server refused the command itself (an ACL without +eval, no
	 * scripting): error is its answer. */
	void (*unsupported)(void *arg, const char *error);
	/* The server cannot take the claim now (OOM under maxmemory, MISCONF,
	 * BUSY...): no other owner, but no claim either, so writes wait;
	 * tried again every retry_s. */
	void (*failed)(void *arg, const char *error, bool was_owned);
};

struct redis_claim_settings {
	const char *owner_key; /* key_prefix + BH_OWNER_KEY */
	const char *record;    /* bh_init.owner_record */
	const char *token;     /* bh_init.owner_token */
	unsigned ttl_s;        /* the claim's expiry (never 0) */
	unsigned renew_s;      /* how often an owned claim is renewed */
	unsigned retry_s;      /* how often a refused claim is tried again */
};

/* NULL when out of memory or without a timer. */
struct redis_claim *redis_claim_new(const struct bh_host_api *api, struct bh_host *host,
				    const struct redis_claim_settings *settings,
				    const struct redis_claim_callbacks *callbacks, void *arg);
/* The master link is ready: claim now (the answer decides whether the
 * writes held meanwhile go out). */
void redis_claim_connected(struct redis_claim *c);
/* The master link is gone: whose the namespace is is unknown until the
 * next answer. */
void redis_claim_link_lost(struct redis_claim *c);
/* The owner key changed or vanished (a keyspace event, a probe): ask now. */
void redis_claim_check_now(struct redis_claim *c);
/* The reply to a command sent through callbacks.send (NULL: lost). */
void redis_claim_reply(struct redis_claim *c, const redisReply *reply);
/* Writes and sweeps may go out: the claim is ours, or the server cannot
 * hold one (unsupported, said once by the publisher). */
bool redis_claim_writable(const struct redis_claim *c);
/* An answer came since the link was last (re)made. */
bool redis_claim_settled(const struct redis_claim *c);
/* The claim is ours (not merely writable: the server may hold none). */
bool redis_claim_owned(const struct redis_claim *c);
/* Another daemon holds the namespace, or the server cannot take the
 * claim now: nothing is written or swept there. */
bool redis_claim_refused(const struct redis_claim *c);
const char *redis_claim_key(const struct redis_claim *c);
/* No more renewals or retries (the end of a one-pass run). */
void redis_claim_stop(struct redis_claim *c);
void redis_claim_free(struct redis_claim *c);

#endif
