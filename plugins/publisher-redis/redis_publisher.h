/*
 * publisher-redis internals shared by the connection manager (redis_conn.c)
 * and the operations / plugin table (publisher_redis.c).
 */
#ifndef BH_REDIS_PUBLISHER_H
#define BH_REDIS_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/async.h>

#include <beachhead/plugin.h>

#include "redis_config.h"
#include "redis_keyset.h"

/* What we last told the operator about the link: we log on changes only, so
 * an outage produces one line, not one per retry. */
enum link_logged { LINK_UNKNOWN, LINK_UP, LINK_DOWN, LINK_AUTH_FAILED };

struct redis_publisher {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_config cfg;

	/* Connection.  ac == NULL: down, waiting for reconnect_timer. */
	redisAsyncContext *ac;
	bool ready;            /* handshake (AUTH/SELECT) done */
	bool doomed;           /* being dropped: queue nothing more on ac */
	bool handshake_failed; /* the current drop is an AUTH/SELECT refusal */
	bool ever_ready;
	unsigned handshake_left; /* AUTH/SELECT replies still expected */
	char *drop_reason;       /* why we drop ac ourselves, for the log */
	enum link_logged logged;
	uint64_t backoff_ms;

	/* Work accounting.  inflight: commands handed to hiredis and not yet
	 * answered.  owed: the store may lack current registrations (a publish
	 * was dropped or lost), so a replay is due on the next connect. */
	size_t inflight;
	bool owed;
	uint64_t last_progress_ms;
	bool command_timer_armed;
	struct keyset deferred_dels; /* withdrawals that still owe a DEL */

	/* notify_channel: value hash last stored per key, changes since the
	 * last notice. */
	struct keyset stored;
	unsigned notify_changes;
	bool notify_armed;

	bool one_pass; /* refresh == 0: the daemon exits after one pass */
	bool stopping;
	bool destroying;

	struct bh_timer *reconnect_timer;
	struct bh_timer *connect_timer;
	struct bh_timer *command_timer;
	struct bh_timer *kill_timer;
	struct bh_timer *grace_timer;
	struct bh_timer *notify_timer;
};

/* --- redis_conn.c --- */
int redis_conn_start(struct redis_publisher *p);
void redis_conn_destroy(struct redis_publisher *p);
/* Hands one command to hiredis; the reply (or NULL when the connection
 * dies first) arrives at cb.  Returns BH_ERR when nothing was queued. */
int redis_conn_submit(struct redis_publisher *p, redisCallbackFn *cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen);
/* Called by reply callbacks for every reply or loss. */
void redis_conn_progress(struct redis_publisher *p);
/* Drops the connection from inside a hiredis callback (deferred to the loop). */
void redis_conn_drop_later(struct redis_publisher *p, const char *reason);
/* The server refused our credentials (AUTH/SELECT or NOAUTH). */
void redis_conn_auth_failed(struct redis_publisher *p, const char *what, const char *error);
bool redis_conn_usable(const struct redis_publisher *p);

/* --- publisher_redis.c --- */
/* The handshake finished: flush deferred withdrawals (called by redis_conn.c). */
void redis_publisher_connected(struct redis_publisher *p);

#endif
