/*
 * publisher-redis internals shared by the connection manager (redis_conn.c),
 * Sentinel discovery (redis_sentinel.c), the operations / plugin table
 * (publisher_redis.c), the sweep (redis_sweep.c) and reconciliation
 * (redis_repair.c, which wires the claim and the keyspace watch: those two
 * know nothing of this struct and report through callbacks).
 */
#ifndef BH_REDIS_PUBLISHER_H
#define BH_REDIS_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>

#include "common/backoff.h"
#include <beachhead/sdk.h>
#include "redis_claim.h"
#include "redis_config.h"
#include "redis_held.h"
#include "redis_keyset.h"
#include "redis_keyspace.h"
#include "redis_metrics.h"
#include "resp_link.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
/* +-20 %: many daemons that lost the same server at the same moment must not
 * knock on it again in lockstep. */
#define BACKOFF_JITTER_PERCENT 20u

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

struct redis_sentinel;

/* The namespace sweep under way (redis_sweep.c). */
struct redis_sweep {
	char *namespace_prefix; /* NULL: no sweep wanted */
	char *pattern;          /* SCAN MATCH: the prefix, glob-escaped, then '*' */
	char *cursor;           /* where the next SCAN goes on ("0": from the start) */
	bool scanning;          /* a SCAN awaits its reply */
	struct keyset deleted;  /* keys this sweep deleted (SCAN may name a key twice) */
	bool refused_logged;    /* the server refused SCAN: said once, until a sweep works */
	/* After a complete sweep on the link, a pass sweeps one slice of the
	 * keyspace (redis_sweep.c says why): */
	bool full_done;      /* a complete sweep ran on this link */
	unsigned steps_left; /* SCAN steps this slice may still take */
	char *resume;        /* cursor the next slice goes on from; NULL: "0" */
};

struct redis_publisher {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_config cfg;

	/* Connection.  link == NULL: down, waiting for reconnect_timer. */
	struct resp_link *link;
	char *server;          /* what `link` talks to, for messages */
	bool ready;            /* handshake done: commands may go out */
	bool ever_ready;
	unsigned handshake_left; /* handshake replies still expected */
	uint64_t ready_since_ms;
	enum link_logged logged;
	struct bh_backoff backoff;

	/* Work accounting.  inflight: our commands awaiting replies.  owed:
	 * the store may lack current registrations (a publish was dropped or
	 * lost), so a replay is due on the next connect. */
	size_t inflight;
	bool owed;
	uint64_t last_progress_ms;
	bool command_timer_armed;
	struct keyset deferred_dels; /* withdrawals that still owe a DEL */
	/* Sentinel: DELs acknowledged lately (tag: when), sent again to a new
	 * master, which may never have received them (async replication). */
	struct keyset recent_dels;
	size_t recent_prune_at;

	/* Writes the server refused (OOM under maxmemory, ...): retried with
	 * backoff, reported once per episode. */
	struct keyset failed_sets; /* key -> struct failed_set (data) */
	bool write_trouble;
	char *write_error;        /* the first refusal of the episode */
	unsigned write_failures;  /* refusals in the episode */
	uint64_t write_trouble_since_ms;
	size_t retries_inflight;
	struct bh_backoff retry_backoff;
	bool retry_armed;

	/* Registrations published and not withdrawn since, with their values:
	 * what a sweep keeps and what a repair puts back. */
	struct held_set held;
	struct redis_sweep sweep;
	/* Keys refused in the current episode of write trouble: writes
	 * "succeed again" only once each of them was written. */
	struct keyset troubled;

	/* What the handshake's INFO said. */
	unsigned server_version; /* major * 10000 + minor * 100 + patch; 0: unknown */
	bool info_refused_logged;
	bool set_get;            /* SET ... GET notices foreign writers (no host id, >= 6.2) */
	bool set_get_logged;

	/* With a host id: the claim on the namespace (redis_claim.c). */
	struct redis_claim *claim;
	bool claim_refused_logged;
	bool claim_unsupported_logged;
	bool claim_failed_logged; /* the server cannot take the claim now: said */
	char *key_prefix;        /* bh_init.key_prefix: the namespace or the prefix */
	char *owner_record;      /* bh_init.owner_record (NULL: no claim possible) */
	char *owner_token;
	bool has_host_id;
	unsigned refresh;        /* seconds between passes (0: one pass) */

	/* Keyspace notifications (redis_keyspace.c) and their use
	 * (redis_repair.c). */
	struct redis_keyspace *keyspace;
	int keyspace_logged;     /* the enum keyspace_status last said; -1: none */
	struct bh_timer *probe_timer;
	bool probe_waiting;
	bool check_refused_logged; /* GET / EXISTS refused: said once */
	bool evicted_logged;       /* maxmemory evicts held keys: said once */
	/* Password rotation: the instance's name and server, which key the
	 * credentials kept across a reload (redis_credentials.c), and
	 * the credentials that worked before a reload, used when the server
	 * refuses the new ones. */
	char *instance;
	bool use_fallback;
	bool fallback_tried;
	char *fallback_user, *fallback_password;

	/* The master's address, for the keyspace watch (Sentinel names it). */
	char *master_host;
	int master_port;

	/* notify_channel: value hash last stored per key, changes since the
	 * last notice. */
	struct keyset stored;
	unsigned notify_changes;
	bool notify_armed;

	bool one_pass; /* refresh == 0: the daemon exits after one pass */
	unsigned expire;
	bool stopping;
	bool destroying;

	struct bh_timer *reconnect_timer;
	struct bh_timer *connect_timer;
	struct bh_timer *command_timer;
	struct bh_timer *grace_timer;
	struct bh_timer *notify_timer;
	struct bh_timer *retry_timer;

	struct redis_sentinel *sentinel; /* NULL without `sentinels` */
	struct redis_metrics metrics;    /* redis_metrics.c */
};

/* --- redis_conn.c --- */
int redis_conn_start(struct redis_publisher *p);
/* The capped, jittered backoff every retry of this plugin uses. */
void redis_backoff_init(struct bh_backoff *b);
void redis_conn_destroy(struct redis_publisher *p);
/* Sends one command; the reply (or NULL when the connection dies first)
 * arrives at cb with arg = p.  Returns BH_ERR when nothing was queued. */
int redis_conn_submit(struct redis_publisher *p, resp_reply_fn cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen);
/* Called by reply callbacks for every reply or loss. */
void redis_conn_progress(struct redis_publisher *p);
/* Drops the connection (safe from inside a reply callback) and reconnects
 * with backoff; kind and reason say why, for the log. */
void redis_conn_drop(struct redis_publisher *p, enum link_logged kind, const char *reason);
bool redis_conn_usable(const struct redis_publisher *p);
/* Sentinel named the master: connect to it now (any current link goes). */
void redis_conn_connect_master(struct redis_publisher *p, const char *host, int port);
/* Sentinel found no master: try again with backoff. */
void redis_conn_no_master(struct redis_publisher *p, const char *reason);
/* The user and password the next AUTH sends (password NULL: no AUTH). */
void redis_conn_credentials(const struct redis_publisher *p, const char **user,
			    const char **password);
/* The name messages use for the server (never NULL). */
const char *redis_conn_server(const struct redis_publisher *p);

/* --- publisher_redis.c --- */
/* The handshake finished: flush deferred withdrawals (called by
 * redis_conn.c); new_master: a failover moved us to another server, which
 * may lack DELs the old one acknowledged but never replicated. */
void redis_publisher_connected(struct redis_publisher *p, bool new_master);

/* Deletes a key no current registration backs (found by a sweep). */
void redis_publisher_delete_stale(struct redis_publisher *p, const char *key);

/* Sends SET for a held registration (a repair, or the claim was won);
 * repair: what it replaces is known to be foreign, SET ... GET need not
 * say so again. */
void redis_publisher_send_held(struct redis_publisher *p, struct held_reg *h, bool repair);
/* May writes and sweeps go out (the claim, when there is one, allows
 * them)? */
bool redis_publisher_may_write(const struct redis_publisher *p);
/* Sends GET key; the reply reaches redis_repair_checked(). */
int redis_publisher_send_check(struct redis_publisher *p, const char *key, const char *event);
/* Sends the claim's command (redis_claim_callbacks.send; arg = p). */
int redis_publisher_send_claim(void *arg, int argc, const char **argv, const size_t *lens);
/* The claim allows writes now (won, or the server cannot hold one): what
 * waited for it goes out. */
void redis_publisher_writable(struct redis_publisher *p);
/* Sends EXISTS key; the reply reaches redis_repair_probed(). */
int redis_publisher_send_probe(struct redis_publisher *p, const char *key);

/* --- redis_repair.c --- */
/* Keyspace watch and claim wiring: called from redis_start(). */
int redis_repair_start(struct redis_publisher *p);
/* The master link is ready (after the handshake). */
void redis_repair_connected(struct redis_publisher *p);
/* The answer to a check (GET) or a probe (EXISTS); reply NULL: lost. */
/* sets_before: the key's held_reg.sets_sent when the GET went out. */
void redis_repair_checked(struct redis_publisher *p, const char *key, const char *event,
			  unsigned sets_before,
			  const redisReply *reply);
void redis_repair_probed(struct redis_publisher *p, const redisReply *reply);
void redis_repair_destroy(struct redis_publisher *p);

/* --- redis_sweep.c --- */
/* The plugin's sweep(): deletes the keys under namespace_prefix that are not
 * current registrations, in SCAN steps on the loop.  One at a time: while
 * one runs, another is ignored (the next pass sweeps again). */
int redis_sweep_start(struct redis_publisher *p, const char *namespace_prefix);
/* The link to the master is ready: a sweep that waited, or that a lost
 * connection interrupted, starts (again) from the beginning. */
void redis_sweep_connected(struct redis_publisher *p);
/* 1 while a sweep waits for a connection it will still get, else 0 (the
 * SCAN in flight counts among the commands in flight). */
size_t redis_sweep_waiting(const struct redis_publisher *p);
/* stop(): a daemon that goes away leaves the sweep to its successor; the
 * end of a one-pass run finishes it. */
void redis_sweep_stop(struct redis_publisher *p);
void redis_sweep_free(struct redis_publisher *p);

/* --- redis_sentinel.c --- */
int redis_sentinel_start(struct redis_publisher *p);
/* Ask the sentinels (in turn) for the master; the answer arrives through
 * redis_conn_connect_master() or redis_conn_no_master(). */
void redis_sentinel_discover(struct redis_publisher *p);
/* The master link is ready (ROLE said master): a failover, if one was
 * under way, is complete (logged here).  Returns true when this master is
 * not the one we wrote to before. */
bool redis_sentinel_master_ready(struct redis_publisher *p);
/* The master link was lost (was_ready: it had been usable): remember when,
 * for the failover line; a server that never became usable makes the next
 * discovery start at the next sentinel. */
void redis_sentinel_master_lost(struct redis_publisher *p, bool was_ready, const char *reason);
void redis_sentinel_destroy(struct redis_publisher *p);

#endif
