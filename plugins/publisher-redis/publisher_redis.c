/*
 * publisher-redis: the plugin table, and the wiring of its parts.  It stores
 * each registration as `SET key value EX ttl` (plain SET when ttl is 0) and
 * deletes withdrawn ones with DEL (redis_write.c), on our own non-blocking
 * connection driven by the core loop (redis_conn.c over resp_link.c).
 * Commands are pipelined: they are queued at once and written whenever the
 * socket is writable.
 *
 * Outages lose nothing that matters: a publish made while Redis is
 * unreachable is dropped, because the replay the core performs after the
 * reconnect republishes every current registration anyway; a withdrawal is
 * remembered and its DEL sent after the reconnect, so that a container
 * removed during the outage does not linger (confd ignores expiries).  What
 * is still owed when the publisher goes away is handed to its successor on a
 * reload (hand_over_withdrawals) or named in the log at exit.
 *
 * Writes the server refuses (OOM under maxmemory, a wrong type, ...) are
 * retried with backoff (redis_retry.c); the operator reads one line when the
 * refusals begin and one when writes succeed again.  With notify_channel,
 * changes are announced there (redis_notify.c).
 *
 * With a host id, keys in the daemon's namespace that no current
 * registration backs are deleted after every complete pass (redis_sweep.c),
 * and nothing is written or swept there before the namespace's claim is
 * ours (redis_claim.c).  Keys someone else deletes or overwrites are put
 * back from the values held here (redis_repair.c, redis_keyspace.c).
 * Without a host id, SET ... GET tells when another writer replaced a
 * value this daemon wrote.
 *
 * Settings: see redis_config.c and docs/confd.md.
 */
#include "config.h"

#include "publisher_redis.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "redis_credentials.h"

/* After a replay request, how long pending() keeps counting the replay as
 * owed: the core replays from a zero-delay timer, so 50 ms is ample, and an
 * empty registry (nothing to replay) does not hold the exit up. */
#define REPLAY_GRACE_MS 50u

/* --- what the parts report --- */

/* Owed DELs, then held SETs of a one-pass run (and refused ones), then a
 * sweep that waited. */
static void flush_owed(struct redis_publisher *p)
{
	redis_write_flush(&p->writer);
	redis_sweep_connected(&p->sweep);
}

/* A reconnect may face an emptied store (restart, FLUSHALL, failover): have
 * the core publish everything again.  The very first connect needs it only
 * when something was dropped while we were not connected. */
static void ask_replay(struct redis_publisher *p)
{
	bool replay = p->ever_ready || p->writer.owed;
	p->ever_ready = true;
	if (replay && !p->stopping) {
		p->writer.owed = true;
		p->api->request_replay(p->host);
		if (p->api->timer_arm(p->host, p->grace_timer, REPLAY_GRACE_MS) != BH_OK)
			BH_ERROR(p, "cannot arm a timer; redis %s may stall",
				 redis_conn_server(&p->conn));
		return;
	}
	/* Stopped: the core replays to us no more.  At the end of a one-pass
	 * run that means registrations lost in the outage stay unpublished:
	 * say so (and fail the run) rather than exit 0.  A daemon stopping
	 * for good or replaced by a reload loses nothing that matters (the
	 * keys expire; a reload's successor gets its own replay). */
	if (p->writer.owed && p->one_pass)
		p->api->report_error(p->host, NULL,
				     "redis %s: the connection failed during the pass and came back "
				     "only after it; registrations left unacknowledged then were not "
				     "published again",
				     redis_conn_server(&p->conn));
	p->writer.owed = false;
}

/* The handshake finished; new_master: a failover moved us to another
 * server, which may lack DELs the old one acknowledged but never
 * replicated. */
static void on_link_ready(void *arg, bool new_master)
{
	struct redis_publisher *p = arg;
	redis_metrics_connected(&p->metrics, true);
	if (new_master)
		redis_metrics_failover(&p->metrics);
	redis_write_connected(&p->writer, new_master);
	/* The claim goes first: with a host id nothing else is written
	 * before it is answered (on_writable()). */
	redis_repair_connected(&p->repair);
	if (redis_write_allowed(&p->writer))
		flush_owed(p);
	ask_replay(p);
}

static void on_link_lost(void *arg)
{
	struct redis_publisher *p = arg;
	redis_metrics_connected(&p->metrics, false);
	redis_notify_link_lost(&p->notify);
	/* Echoes of commands whose fate is unknown are checked like
	 * anyone's; whose the namespace is waits for the next answer. */
	held_forget_own_events(&p->held);
	redis_repair_link_lost(&p->repair);
}

static void on_link_failure(void *arg, enum link_logged kind)
{
	struct redis_publisher *p = arg;
	redis_metrics_link_failure(&p->metrics, kind);
}

static void on_grace_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->conn.ready)
		p->writer.owed = false;
}

static void on_write_done(void *arg, bool set, uint64_t sent_ms)
{
	struct redis_publisher *p = arg;
	redis_metrics_write_done(&p->metrics, set, sent_ms);
}

static void on_write_refused(void *arg)
{
	struct redis_publisher *p = arg;
	redis_metrics_write_refused(&p->metrics);
}

static void on_retry_due(void *arg)
{
	struct redis_publisher *p = arg;
	redis_write_retry(&p->writer);
}

/* The claim allows writes now (won, or the server cannot hold one): what
 * waited for it goes out. */
static void on_writable(void *arg)
{
	struct redis_publisher *p = arg;
	if (!redis_conn_usable(&p->conn))
		return;
	flush_owed(p);
	redis_write_all_held(&p->writer);
}

/* --- the publisher functions --- */

static int publisher_redis_publish(void *self, const struct bh_registration *reg)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	/* Held from now on, also while it waits for a connection or the
	 * claim: a sweep must not delete it, a repair puts it back. */
	struct held_reg *h = held_put(&p->held, reg);
	if (!h) {
		p->api->report_error(p->host, reg->container, "out of memory publishing %s", reg->key);
		return BH_ERR;
	}
	return redis_write_publish(&p->writer, reg, h);
}

static int publisher_redis_withdraw(void *self, const char *key, const char *container)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	held_remove(&p->held, key);
	redis_write_withdraw(&p->writer, key, container);
	return BH_OK;
}

/* ABI 1.2. */
static int publisher_redis_sweep(void *self, const char *namespace_prefix)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	if (p->repair.claim && redis_claim_refused(p->repair.claim)) {
		BH_DEBUG(p, "redis %s: not sweeping %s: its claim is not ours",
			 redis_conn_server(&p->conn), namespace_prefix);
		return BH_OK;
	}
	/* Before the claim's first answer the sweep waits like it waits for
	 * a connection (on_writable() starts it). */
	return redis_sweep_start(&p->sweep, namespace_prefix);
}

static size_t publisher_redis_pending(void *self)
{
	const struct redis_publisher *p = self;
	const struct redis_conn *c = &p->conn;
	/* A one-pass run refused by the server has already reported the error;
	 * retrying for the core's whole drain period would not fix a password. */
	if (p->one_pass && (c->logged == LINK_AUTH_FAILED || c->logged == LINK_CLUSTER))
		return c->inflight;
	/* owed is worth waiting for only where a replay (or, at the end of a
	 * one-pass run, the error saying it is lost) can still follow: a
	 * stopped daemon-mode publisher gets no replay (see ask_replay()), so
	 * it must not hold up the exit or a reload's switch for nothing. */
	bool still_wanted = !p->stopping || p->one_pass;
	bool owed = p->writer.owed && still_wanted;
	/* Until the claim is answered, what is held waits for it. */
	const struct redis_claim *claim = p->repair.claim;
	bool claim_owed = claim && !redis_claim_settled(claim) && still_wanted;
	return c->inflight + p->writer.deferred_dels.map.count + p->retry.kept.map.count +
	       (owed ? 1u : 0u) + (claim_owed ? 1u : 0u) + redis_sweep_waiting(&p->sweep);
}

/* ABI 1.2: a reload retires this publisher; its successor sends the DELs. */
static void publisher_redis_hand_over_withdrawals(void *self, bh_withdrawal_cb cb, void *arg)
{
	struct redis_publisher *p = self;
	redis_write_hand_over(&p->writer, cb, arg);
}

/* --- life cycle --- */

static void free_identity(struct redis_publisher *p)
{
	free(p->instance);
	free(p->key_prefix);
	free(p->owner_record);
	free(p->owner_token);
}

/* The identity the daemon gave (bh_init): namespace, claim, instance. */
static int copy_identity(struct redis_publisher *p, const struct bh_init *args)
{
	p->has_host_id = args->size >= offsetof(struct bh_init, owner_record) + sizeof(char *) &&
			 args->host_id;
	p->key_prefix = strdup(args->key_prefix ? args->key_prefix : "");
	p->instance = strdup(args->instance ? args->instance : "publisher-redis");
	if (p->has_host_id && args->owner_record && args->owner_token) {
		p->owner_record = strdup(args->owner_record);
		p->owner_token = strdup(args->owner_token);
	}
	if (!p->key_prefix || !p->instance ||
	    (p->has_host_id && args->owner_record && !p->owner_token)) {
		free_identity(p);
		return BH_ERR;
	}
	return BH_OK;
}

/* The credentials kept across a reload belong to this instance and this
 * server: a reload that points publishers[0] at another server must not
 * send it the password the first one accepted. */
static int key_credentials(struct redis_publisher *p)
{
	char *keyed = bh_strfmt("%s %s%s%s", p->instance, p->cfg.server,
				p->cfg.n_sentinels ? " via " : "",
				p->cfg.n_sentinels ? p->cfg.sentinels[0] : "");
	if (!keyed)
		return BH_ERR;
	free(p->instance);
	p->instance = keyed;
	return BH_OK;
}

/* Each part gets what it needs of the others, and its callbacks here. */
static void wire_parts(struct redis_publisher *p)
{
	static const struct redis_conn_callbacks conn_callbacks = {
		.ready = on_link_ready, .lost = on_link_lost, .failure = on_link_failure};
	static const struct redis_retry_callbacks retry_callbacks = {.due = on_retry_due};
	static const struct redis_writer_callbacks writer_callbacks = {
		.write_done = on_write_done, .write_refused = on_write_refused};
	static const struct redis_repair_callbacks repair_callbacks = {.writable = on_writable};
	held_init(&p->held);
	redis_conn_init(&p->conn, p->api, p->host, &p->cfg, p->instance, p->has_host_id,
			&conn_callbacks, p);
	redis_retry_init(&p->retry, p->api, p->host, &p->conn, &retry_callbacks, p);
	redis_notify_init(&p->notify, p->api, p->host, &p->conn, p->cfg.notify_channel);
	redis_write_init(&p->writer, p->api, p->host, &p->conn, &p->retry, &p->notify, &p->held);
	p->writer.key_prefix = p->key_prefix;
	p->writer.expire = p->expire;
	p->writer.one_pass = p->one_pass;
	p->writer.track_recent_dels = p->cfg.sentinels != NULL;
	p->writer.callbacks = &writer_callbacks;
	p->writer.arg = p;
	redis_sweep_init(&p->sweep, p->api, p->host, &p->conn, &p->writer, p->one_pass);
	struct redis_repair_settings repair = {
		.cfg = &p->cfg, .conn = &p->conn,
		.writer = &p->writer, .sweep = &p->sweep, .key_prefix = p->key_prefix,
		.owner_record = p->owner_record, .owner_token = p->owner_token,
		.has_host_id = p->has_host_id, .one_pass = p->one_pass, .refresh = p->refresh,
		.expire = p->expire};
	redis_repair_init(&p->repair, p->api, p->host, &repair, &repair_callbacks, p);
}

static int publisher_redis_init(const struct bh_init *args, void **self)
{
	struct redis_publisher *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	p->api = args->api;
	p->host = args->host;
	p->one_pass = bh_init_one_pass(args);
	p->expire = args->expire;
	p->refresh = args->refresh;
	if (copy_identity(p, args) != BH_OK) {
		free(p);
		return BH_ERR;
	}
	if (redis_config_parse(args, &p->cfg) != BH_OK) {
		free_identity(p);
		free(p);
		return BH_ERR;
	}
	if (key_credentials(p) != BH_OK) {
		redis_config_free(&p->cfg);
		free_identity(p);
		free(p);
		return BH_ERR;
	}
	redis_config_describe(args, &p->cfg);
	wire_parts(p);
	redis_credentials_hold();
	*self = p;
	return BH_OK;
}

static int publisher_redis_start(void *self)
{
	struct redis_publisher *p = self;
	redis_metrics_register(&p->metrics, p->api, p->host);
	p->grace_timer = p->api->timer_new(p->host, on_grace_timer, p);
	if (!p->grace_timer || redis_retry_start(&p->retry) != BH_OK ||
	    redis_notify_start(&p->notify) != BH_OK)
		return BH_ERR;
	if (redis_repair_start(&p->repair) != BH_OK)
		return BH_ERR;
	p->writer.claim = p->repair.claim;
	return redis_conn_start(&p->conn);
}

static void publisher_redis_stop(void *self)
{
	struct redis_publisher *p = self;
	/* New work is refused; what is in flight keeps flushing for as long as
	 * the core polls pending(). */
	p->stopping = true;
	redis_sweep_stop(&p->sweep);
}

static void publisher_redis_destroy(void *self)
{
	struct redis_publisher *p = self;
	/* The replies the link's end runs are dropped: nothing is owed now. */
	p->writer.closing = p->notify.closing = p->sweep.closing = p->repair.closing = true;
	redis_conn_destroy(&p->conn);
	/* The writer borrowed the claim from the repair part: it goes first. */
	p->writer.claim = NULL;
	redis_repair_destroy(&p->repair);
	redis_write_report_left_behind(&p->writer);
	redis_notify_free(&p->notify);
	redis_retry_free(&p->retry);
	redis_write_free(&p->writer);
	if (p->grace_timer)
		p->api->timer_free(p->host, p->grace_timer);
	held_clear(&p->held);
	redis_sweep_free(&p->sweep);
	free_identity(p);
	redis_credentials_release();
	redis_config_free(&p->cfg);
	free(p);
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-redis",
	.version = PACKAGE_VERSION,
	.description = "Redis (or Sentinel): SET key value EX ttl, DEL on removal (pipelined), "
		       "namespace sweep",
	.init = publisher_redis_init,
	.start = publisher_redis_start,
	.stop = publisher_redis_stop,
	.destroy = publisher_redis_destroy,
	.publish = publisher_redis_publish,
	.withdraw = publisher_redis_withdraw,
	.pending = publisher_redis_pending,
	.sweep = publisher_redis_sweep,
	.hand_over_withdrawals = publisher_redis_hand_over_withdrawals,
};
