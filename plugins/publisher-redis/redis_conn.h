/*
 * The Redis link (redis_conn.c): the connection to the master, its
 * handshake, command timeouts and reconnecting with backoff.  The parts
 * above it (writes, notify channel, sweep, repair) send their commands
 * through it; it tells its owner that the link became ready or was lost
 * through the callbacks it is given.
 */
#ifndef BH_REDIS_CONN_H
#define BH_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "common/backoff.h"
#include "redis_config.h"
#include "resp_link.h"

struct redis_sentinel;

/* What we last told the operator about the link: we log on changes only, so
 * an outage produces one line, not one per retry. */
enum link_logged {
	LINK_UNKNOWN,
	LINK_UP,
	LINK_DOWN,        /* unreachable, closed, timed out */
	LINK_REFUSED,     /* answered the handshake with an error */
	LINK_AUTH_FAILED, /* refused our credentials or database */
	LINK_PROTOCOL,    /* spoke something other than RESP to our commands */
	LINK_NO_MASTER,   /* Sentinel: no sentinel named a usable master */
	LINK_CLUSTER      /* a Redis Cluster node: not supported */
};

struct redis_conn_callbacks {
	/* The handshake finished: commands go out.  new_master: a failover
	 * moved us to another server than the one we wrote to before. */
	void (*ready)(void *arg, bool new_master);
	/* The link went (the callbacks of its commands ran with NULL). */
	void (*lost)(void *arg);
	/* An attempt failed or the link broke, of this kind (for counting). */
	void (*failure)(void *arg, enum link_logged kind);
};

struct redis_conn {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_config *cfg; /* owned by the publisher; the password may be re-read */
	const char *instance;     /* keys the credentials kept across a reload */
	bool has_host_id;         /* SET ... GET is not needed with a claim */
	const struct redis_conn_callbacks *callbacks;
	void *arg;

	/* link == NULL: down, waiting for reconnect_timer. */
	struct resp_link *link;
	char *server;            /* what `link` talks to, for messages */
	bool ready;              /* handshake done: commands may go out */
	unsigned handshake_left; /* handshake replies still expected */
	uint64_t ready_since_ms;
	enum link_logged logged;
	struct bh_backoff backoff;

	/* Commands awaiting replies, and when one was last answered. */
	size_t inflight;
	uint64_t last_progress_ms;
	bool command_timer_armed;

	/* What the handshake's INFO said. */
	unsigned server_version; /* major * 10000 + minor * 100 + patch; 0: unknown */
	bool info_refused_logged;
	bool set_get;            /* SET ... GET notices foreign writers (no host id, >= 6.2) */
	bool set_get_logged;

	/* The credentials that worked before a reload, used when the server
	 * refuses the new ones (redis_credentials.h). */
	bool use_fallback;
	bool fallback_tried;
	char *fallback_user, *fallback_password;

	/* The master's address (Sentinel names it), for the keyspace watch. */
	char *master_host;
	int master_port;

	bool destroying;
	struct bh_timer *reconnect_timer;
	struct bh_timer *connect_timer;
	struct bh_timer *command_timer;
	struct redis_sentinel *sentinel; /* NULL without `sentinels` */
};

void redis_conn_init(struct redis_conn *c, const struct bh_host_api *api, struct bh_host *host,
		     struct redis_config *cfg, const char *instance, bool has_host_id,
		     const struct redis_conn_callbacks *callbacks, void *arg);
/* Creates the timers (and the Sentinel watch) and connects. */
int redis_conn_start(struct redis_conn *c);
/* Drops the link (running the callbacks of its commands) and frees. */
void redis_conn_destroy(struct redis_conn *c);
/* Sends one command; the reply (or NULL when the connection dies first)
 * arrives at cb with arg = c, and the callback must then call
 * redis_conn_replied().  Returns BH_ERR when nothing was queued. */
int redis_conn_submit(struct redis_conn *c, resp_reply_fn cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen);
/* A command sent with redis_conn_submit() was answered (or lost). */
void redis_conn_replied(struct redis_conn *c);
/* Drops the connection (safe from inside a reply callback) and reconnects
 * with backoff; kind and reason say why, for the log. */
void redis_conn_drop(struct redis_conn *c, enum link_logged kind, const char *reason);
bool redis_conn_usable(const struct redis_conn *c);
/* The user and password the next AUTH sends (password NULL: no AUTH). */
void redis_conn_credentials(const struct redis_conn *c, const char **user, const char **password);
/* The name messages use for the server (never NULL). */
const char *redis_conn_server(const struct redis_conn *c);
/* Errors that concern the link, not the key (READONLY, LOADING, NOAUTH, a
 * Cluster's MOVED...): the caller drops the link with *kind instead of
 * retrying on it. */
bool redis_conn_is_link_error(const char *error, enum link_logged *kind);

#endif
