/*
 * publisher-etcd: registrations as etcd v3 keys, through the JSON gateway.
 *
 * Every key is put on the daemon's lease (etcd_session.c: granted, kept
 * alive, resumed after a restart); a daemon that dies stops the
 * keep-alives and etcd deletes its keys by itself when the lease runs out;
 * watchers (confd's etcdv3 backend) see delete events.  expire = 0: no
 * lease, keys stay until deleted.
 *
 * Values are put only when they differ from what etcd confirmed on the
 * current lease, so the refreshes of a quiet system write nothing (no
 * revision, no watch event).  A withdrawal deletes at once.  stop() leaves
 * the keys to their lease: a restart must not flap the proxy.
 *
 * Restarts resume the lease and compare what etcd holds with what the
 * daemon wants instead of putting again: a restart writes nothing, and a
 * restart while etcd refuses new leases (NOSPACE) loses no key.
 *
 * Reconciliation: the daemon watches the keys it may own (etcd_watch.c: a
 * snapshot, then the /v3/watch stream).  A key it owns that someone else
 * deletes or overwrites is put back at once, with one warning naming the
 * key and the revision.  Without a host id the prefix is shared: a put by
 * another host on one of our keys (another lease) is reported once, asking
 * for host_id, and the other host's value stands (no put-back war).
 *
 * With a host id the namespace is claimed first (etcd_owner.c, over
 * etcd_claim.c): nothing is written or swept there while another daemon's
 * claim lives.
 *
 * While the session is down, writes wait; a lost lease (cut off longer
 * than its TTL) is replaced by the session and every key is put again.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/accepted_credentials.h"
#include "common/http_multi.h"
#include "etcd_metrics.h"
#include "etcd_owner.h"
#include "etcd_session.h"
#include "etcd_sweeper.h"
#include "etcd_client.h"
#include "etcd_config.h"
#include "etcd_json.h"
#include "etcd_keys.h"
#include "etcd_lease_file.h"
#include "etcd_watch.h"

struct etcd_pub {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct etcd_settings settings;
	unsigned ttl;     /* lease TTL in seconds; 0 = no lease */
	unsigned refresh; /* seconds between passes */
	bool one_pass;    /* one pass, then the daemon exits: nothing retries */
	char *namespace;  /* key_prefix: the namespace with a host id, else shared */
	bool shared;      /* no host id: other hosts write under the same prefix */
	char *lease_path; /* the lease file, NULL without state_dir */
	int64_t resume_lease; /* from the lease file, for the session */

	struct etcd_client *client;
	struct etcd_session *session; /* the lease, or the probe without one */
	struct etcd_keys keys;
	bool stopping;

	struct etcd_watch *watch;
	bool synced;        /* the watch's snapshot is in: writes may go */
	bool had_snapshot;  /* later snapshots report what changed unwatched */
	bool read_refused_logged;
	struct bh_timer *adopt_timer; /* shared prefix: drop adopted keys nobody wants */

	char *owner_key;    /* NULL without a host id */
	char *owner_record;
	char *owner_token;
	struct etcd_owner *owner; /* the namespace's claim; NULL without a host id */

	struct etcd_sweeper *sweeper; /* the core's sweep() */
	struct etcd_metrics metrics; /* etcd_metrics.c */
};

static void kick(struct etcd_pub *p, struct etcd_key *e);
static void advance(struct etcd_pub *p);

/* No claim (no host id), or ours. */
static bool owner_held(const struct etcd_pub *p)
{
	return !p->owner || etcd_owner_state(p->owner) == ETCD_OWNER_HELD;
}

/* Both NULL-safe: publish() may come before start() made the session. */
static int64_t lease_of(const struct etcd_pub *p)
{
	return p->session ? etcd_session_lease(p->session) : 0;
}

static bool writable(const struct etcd_pub *p)
{
	return p->session && etcd_session_is_up(p->session) && p->synced && owner_held(p);
}

/* ---------------------------------------------------- what the session says */

static void give_up_pending(void *arg, struct etcd_key *e)
{
	struct etcd_pub *p = arg;
	if (e->call)
		return;
	if (!e->want) {
		etcd_keys_remove(&p->keys, e);
		return;
	}
	e->stale = false;
	e->foreign = true; /* not dirty: nothing more to wait for */
}

static void on_session_gave_up(void *arg)
{
	struct etcd_pub *p = arg;
	etcd_keys_each(&p->keys, give_up_pending, p);
}

static void kick_one(void *arg, struct etcd_key *e)
{
	kick(arg, e);
}

static void on_session_up(void *arg)
{
	struct etcd_pub *p = arg;
	etcd_watch_follow_client(p->watch);
	advance(p);
}

static void on_session_retry(void *arg)
{
	advance(arg);
}

/* The lease is gone: so are our keys in etcd.  Stale keys were on it too. */
static void forget_stored(void *arg, struct etcd_key *e)
{
	struct etcd_pub *p = arg;
	etcd_key_forget(e);
	if (!e->want && !e->call)
		etcd_keys_remove(&p->keys, e);
}

static void on_lease_lost(void *arg, int64_t old_lease, unsigned ttl)
{
	struct etcd_pub *p = arg;
	BH_WARNING(p, "etcd lease %" PRId64 " expired (cut off longer than %u s): "
		   "granting a new one and putting %zu keys again", old_lease, ttl, p->keys.map.count);
	etcd_keys_each(&p->keys, forget_stored, p);
	/* The claim was on the lease too. */
	if (p->owner)
		etcd_owner_lease_lost(p->owner);
}

/* ------------------------------------------------- what the owner says */

static void on_owner_held(void *arg)
{
	struct etcd_pub *p = arg;
	/* Read the keys again, now as their owner. */
	p->synced = false;
	etcd_watch_stop(p->watch);
	advance(p);
}

static void on_owner_refused(void *arg, bool one_pass)
{
	struct etcd_pub *p = arg;
	p->synced = false;
	if (one_pass)
		etcd_keys_each(&p->keys, give_up_pending, p);
}

static void on_owner_lease_gone(void *arg)
{
	struct etcd_pub *p = arg;
	etcd_session_lease_lost(p->session);
}

static void on_owner_failed(void *arg, const struct etcd_reply *reply)
{
	struct etcd_pub *p = arg;
	etcd_session_reply_failed(p->session, reply);
}

static void on_owner_retry_later(void *arg)
{
	struct etcd_pub *p = arg;
	etcd_session_retry_later(p->session);
}

/* ---------------------------------------------------------------- the watch */

static void warn_seen(struct etcd_pub *p, struct etcd_key *e, enum etcd_seen seen, int64_t revision)
{
	if (seen == ETCD_SEEN_DELETED || seen == ETCD_SEEN_OVERWRITTEN)
		etcd_metrics_reconciled(&p->metrics);
	if (seen == ETCD_SEEN_DELETED)
		BH_WARNING(p, "etcd: %s was deleted at revision %" PRId64 " (not by this daemon); putting it back",
			   e->key, revision);
	else if (seen == ETCD_SEEN_OVERWRITTEN)
		BH_WARNING(p, "etcd: %s was overwritten at revision %" PRId64 " (not by this daemon); putting it back",
			   e->key, revision);
	else if (seen == ETCD_SEEN_FOREIGN_HOST && !e->foreign_logged) {
		BH_WARNING(p, "etcd: another host put %s at revision %" PRId64 " (on its own lease): two daemons "
			   "publish the same container name under %s. Set a distinct host_id on each host; "
			   "until then the other host's value stands", e->key, revision, p->namespace);
		e->foreign_logged = true;
	}
}

/* A key on our lease that we do not (yet) want: a restart's, kept until the
 * first pass (or the sweep) says whether a container still backs it. */
static void adopt(struct etcd_pub *p, const struct etcd_kv *kv)
{
	if (lease_of(p) == 0 && p->shared)
		return; /* no lease: nothing says it is ours */
	struct etcd_key *e = etcd_keys_get(&p->keys, kv->key);
	if (!e)
		return;
	e->pub = p;
	e->adopted = true;
	(void)etcd_key_snapshot(e, kv, lease_of(p));
	if (!e->stored)
		etcd_keys_remove(&p->keys, e);
}

static void on_watch_kv(void *arg, const struct etcd_kv *kv, bool snapshot)
{
	struct etcd_pub *p = arg;
	if (p->owner && etcd_owner_is_key(p->owner, kv->key)) {
		etcd_owner_seen(p->owner, kv, snapshot, lease_of(p));
		return;
	}
	if (!owner_held(p))
		return;
	struct etcd_key *e = etcd_keys_find(&p->keys, kv->key);
	if (!e) {
		if (snapshot && kv->lease == lease_of(p))
			adopt(p, kv);
		return;
	}
	enum etcd_seen seen = snapshot ? etcd_key_snapshot(e, kv, lease_of(p))
				       : etcd_key_event(e, kv, lease_of(p), p->shared);
	warn_seen(p, e, seen, kv->mod_revision);
	if (p->synced)
		kick(p, e);
}

static void clear_seen(void *arg, struct etcd_key *e)
{
	(void)arg;
	e->seen = false;
}

static void on_snapshot_begin(void *arg)
{
	struct etcd_pub *p = arg;
	if (p->owner)
		etcd_owner_snapshot_begin(p->owner);
	etcd_keys_each(&p->keys, clear_seen, NULL);
}

struct missing_ctx {
	struct etcd_pub *p;
	int64_t revision;
};

static void check_missing(void *arg, struct etcd_key *e)
{
	struct missing_ctx *ctx = arg;
	enum etcd_seen seen = etcd_key_snapshot_missing(e);
	if (ctx->p->had_snapshot)
		warn_seen(ctx->p, e, seen, ctx->revision);
}

static void on_snapshot_end(void *arg, int64_t revision)
{
	struct etcd_pub *p = arg;
	if (p->owner && etcd_owner_snapshot_not_held(p->owner, lease_of(p)))
		return;
	struct missing_ctx ctx = {p, revision};
	etcd_keys_each(&p->keys, check_missing, &ctx);
	if (p->owner && !etcd_owner_snapshot_showed_claim(p->owner, revision, lease_of(p)))
		return;
	if (p->shared && !p->had_snapshot && !p->one_pass && lease_of(p) != 0 &&
	    p->api->timer_arm(p->host, p->adopt_timer, (uint64_t)p->refresh * 1000u + 1000u) < 0)
		BH_ERROR(p, "cannot arm the timer that drops a restart's leftovers");
	p->had_snapshot = true;
	p->synced = true;
	if (p->read_refused_logged)
		BH_INFO(p, "etcd: %s can be listed again", p->namespace);
	p->read_refused_logged = false;
	advance(p);
}

static void on_watch_failed(void *arg, const struct etcd_reply *reply)
{
	struct etcd_pub *p = arg;
	/* One pass: nothing else would end the wait for the first read. */
	if (!p->synced && p->one_pass) {
		etcd_session_reply_failed(p->session, reply);
		return;
	}
	/* An answer, not an outage (which the session reports): most likely
	 * a user without read permission.  Writes wait for this read. */
	if (reply->json && !p->read_refused_logged) {
		BH_ERROR(p, "etcd refuses to list %s: %s; nothing is written until it can (the user needs "
			 "read-write on the prefix: the daemon compares and watches what it writes)",
			 p->namespace, reply->error ? reply->error : "?");
		p->read_refused_logged = true;
	}
}

/* Shared prefix (no sweep): a restart's keys on our lease that no container
 * wanted within a refresh and a second are leftovers: delete them. */
static void drop_unwanted(void *arg, struct etcd_key *e)
{
	struct etcd_pub *p = arg;
	if (e->adopted && !e->want) {
		e->stale = true;
		e->adopted = false;
		kick(p, e);
	}
}

static void on_adopt_timer(void *arg)
{
	struct etcd_pub *p = arg;
	etcd_keys_each(&p->keys, drop_unwanted, p);
}

/* Next step of bringing the session to writing: claim, watch, writes. */
static void advance(struct etcd_pub *p)
{
	if (!etcd_session_is_up(p->session))
		return;
	/* Stopping: pending writes still flush, nothing new starts. */
	if (p->owner && !p->stopping)
		etcd_owner_advance(p->owner, lease_of(p)); /* also the retry while refused */
	if ((!p->owner || etcd_owner_state(p->owner) != ETCD_OWNER_WANTED) && !p->stopping)
		etcd_watch_start(p->watch);
	if (!writable(p))
		return;
	etcd_keys_each(&p->keys, kick_one, p);
	if (etcd_sweeper_waiting(p->sweeper))
		etcd_sweeper_send(p->sweeper);
}

/* ------------------------------------------------------------------ writes */

static void on_written(void *arg, const struct etcd_reply *reply);

static void kick(struct etcd_pub *p, struct etcd_key *e)
{
	if (e->call || !writable(p))
		return;
	if (!etcd_key_dirty(e)) {
		if (!e->want && (!e->adopted || !e->stored))
			etcd_keys_remove(&p->keys, e);
		return;
	}
	json_object *body = etcd_key_body(e->key);
	bool ok = body != NULL;
	free(e->sent);
	e->sent = NULL;
	e->sent_lease = lease_of(p);
	e->event_rev = 0;
	if (ok && e->want)
		ok = etcd_json_add_b64(body, "value", e->want) && (e->sent = strdup(e->want)) != NULL &&
		     (lease_of(p) == 0 || etcd_json_add_lease(body, "lease", lease_of(p)));
	if (!ok) {
		json_object_put(body);
		etcd_session_failed(p->session, "cannot build a request (out of memory)", false);
		return;
	}
	e->sent_ms = p->api->now_ms(p->host);
	e->call = etcd_call_start(p->client, e->want ? "/v3/kv/put" : "/v3/kv/deleterange", body,
				  on_written, e);
	if (!e->call)
		etcd_session_failed(p->session, "cannot queue a request (out of memory)", false);
}

static void written(struct etcd_pub *p, struct etcd_key *e, const struct etcd_reply *reply)
{
	e->refused = false;
	free(e->stored);
	e->stored = e->sent;
	e->stored_rev = etcd_reply_revision(reply);
	e->sent = NULL;
	e->stale = false;
	e->adopted = false;
	if (e->event_rev > e->stored_rev && e->stored) {
		/* Someone wrote it after us, while our answer was on its way. */
		BH_WARNING(p, "etcd: %s was changed at revision %" PRId64 " (not by this daemon); putting it back",
			   e->key, e->event_rev);
		etcd_metrics_reconciled(&p->metrics);
		free(e->stored);
		e->stored = NULL;
	}
	e->event_rev = 0;
	kick(p, e); /* a newer value, or done (removed when withdrawn) */
}

static void on_written(void *arg, const struct etcd_reply *reply)
{
	struct etcd_key *e = arg;
	struct etcd_pub *p = e->pub;
	e->call = NULL;
	if (e->sent && e->sent_lease != lease_of(p)) {
		/* Written on a lease lost meanwhile: it counts for nothing. */
		kick(p, e);
		return;
	}
	if (reply->ok) {
		etcd_metrics_write_done(&p->metrics, e->sent != NULL, e->sent_ms);
		written(p, e, reply);
		return;
	}
	if (reply->code == ETCD_CODE_NOT_FOUND && e->sent) {
		etcd_session_lease_lost(p->session);
		return;
	}
	if (!reply->json || reply->code == ETCD_CODE_UNAVAILABLE) {
		etcd_session_reply_failed(p->session, reply);
		return;
	}
	/* Refused for this key (permissions, size, NOSPACE): the next publish
	 * or reconnect tries again; the operator must see it. */
	etcd_metrics_error(&p->metrics, ETCD_ERR_WRITE);
	if (!e->refused)
		p->api->report_error(p->host, NULL, "etcd refused to %s %s: %s",
				     e->sent ? "put" : "delete", e->key, reply->error ? reply->error : "?");
	e->refused = true;
	if (!e->want && !e->stale)
		etcd_keys_remove(&p->keys, e);
}

/* ------------------------------------------------------------------- sweep */

/* A key the sweep's listing shows under the namespace. */
static enum etcd_sweep_verdict sweep_key(void *arg, const char *key)
{
	struct etcd_pub *p = arg;
	if (!writable(p))
		return ETCD_SWEEP_STOP;
	struct etcd_key *e = etcd_keys_find(&p->keys, key);
	/* Backed: a current registration, or a write already under way. */
	if (e && (e->want || e->call))
		return ETCD_SWEEP_KEPT;
	e = etcd_keys_get(&p->keys, key);
	if (!e)
		return ETCD_SWEEP_KEPT;
	e->pub = p;
	e->stale = true;
	kick(p, e);
	return ETCD_SWEEP_STALE;
}

/* ------------------------------------------------------- plugin interface */

static void pub_free(struct etcd_pub *p)
{
	if (!p)
		return;
	etcd_watch_free(p->watch);
	etcd_owner_free(p->owner);
	etcd_session_free(p->session);
	etcd_sweeper_free(p->sweeper);
	etcd_client_free(p->client); /* no callbacks after this */
	if (p->adopt_timer)
		p->api->timer_free(p->host, p->adopt_timer);
	etcd_keys_free(&p->keys);
	etcd_settings_free(&p->settings);
	free(p->namespace);
	free(p->lease_path);
	free(p->owner_key);
	free(p->owner_record);
	free(p->owner_token);
	free(p);
	bh_accepted_credentials_release();
	bh_http_library_cleanup();
}

/* Namespace, claim identity, lease file: what init() keeps of bh_init. */
static bool keep_identity(struct etcd_pub *p, const struct bh_init *args)
{
	bool v13 = args->size >= offsetof(struct bh_init, owner_record) + sizeof args->owner_record;
	const char *host_id = v13 ? args->host_id : NULL;
	p->namespace = strdup(args->key_prefix ? args->key_prefix : "");
	p->shared = !host_id;
	if (!p->namespace)
		return false;
	if (v13 && args->state_dir)
		p->resume_lease = etcd_lease_file_read(p->lease_path =
							      etcd_lease_file_path(args->state_dir, &p->settings,
											   p->namespace));
	if (host_id && v13 && args->owner_record && args->owner_token) {
		p->owner_key = bh_strfmt("%s%s", p->namespace, BH_OWNER_KEY);
		p->owner_record = strdup(args->owner_record);
		p->owner_token = strdup(args->owner_token);
		if (!p->owner_key || !p->owner_record || !p->owner_token)
			return false;
	}
	return true;
}

static int etcd_init(const struct bh_init *args, void **self)
{
	struct etcd_pub *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	if (!bh_http_library_init(args->api, args->host)) {
		free(p);
		return BH_ERR;
	}
	bh_accepted_credentials_hold();
	p->api = args->api;
	p->host = args->host;
	p->ttl = args->expire;
	p->refresh = args->refresh;
	p->one_pass = bh_init_one_pass(args);
	if (etcd_settings_parse(args, &p->settings) != BH_OK) {
		free(p);
		bh_accepted_credentials_release();
		bh_http_library_cleanup();
		return BH_ERR;
	}
	if (etcd_keys_init(&p->keys) < 0 || !keep_identity(p, args)) {
		BH_ERROR(p, "out of memory");
		pub_free(p);
		return BH_ERR;
	}
	*self = p;
	return BH_OK;
}

static int etcd_start(void *self)
{
	struct etcd_pub *p = self;
	static const struct etcd_watch_callbacks watch_cb = {
		.snapshot_begin = on_snapshot_begin,
		.kv = on_watch_kv,
		.snapshot_end = on_snapshot_end,
		.failed = on_watch_failed,
	};
	static const struct etcd_owner_callbacks owner_cb = {
		.held = on_owner_held,
		.refused = on_owner_refused,
		.lease_gone = on_owner_lease_gone,
		.failed = on_owner_failed,
		.retry_later = on_owner_retry_later,
	};
	static const struct etcd_session_callbacks session_cb = {
		.up = on_session_up,
		.gave_up = on_session_gave_up,
		.lease_lost = on_lease_lost,
		.retry = on_session_retry,
	};
	etcd_metrics_register(&p->metrics, p->api, p->host);
	p->client = etcd_client_new(p->api, p->host, &p->settings);
	const struct etcd_session_settings session = {.ttl = p->ttl, .lease_path = p->lease_path,
						      .resume_lease = p->resume_lease, .one_pass = p->one_pass};
	if (p->client)
		p->session = etcd_session_new(p->api, p->host, p->client, &p->metrics, &session,
					      &session_cb, p);
	if (p->client)
		p->sweeper = etcd_sweeper_new(p->api, p->host, p->client, p->owner_key, sweep_key, p);
	p->adopt_timer = p->api->timer_new(p->host, on_adopt_timer, p);
	p->watch = p->client ? etcd_watch_new(p->api, p->host, p->client, p->namespace, &watch_cb, p) : NULL;
	const struct etcd_owner_settings owner = {.namespace = p->namespace, .owner_key = p->owner_key,
						  .record = p->owner_record, .token = p->owner_token,
						  .one_pass = p->one_pass};
	if (p->client && p->owner_key)
		p->owner = etcd_owner_new(p->api, p->host, p->client, &owner, &owner_cb, p);
	if (!p->client || !p->session || !p->sweeper || !p->adopt_timer || !p->watch ||
	    (p->owner_key && !p->owner)) {
		BH_ERROR(p, "cannot set up the etcd client");
		return BH_ERR;
	}
	BH_DEBUG(p, "etcd at %s (%zu endpoints), %s", etcd_endpoint(p->client), p->settings.n_endpoints,
		 p->ttl ? "keys on a lease" : "no lease (expire = 0)");
	etcd_session_connect(p->session);
	return BH_OK;
}

static void etcd_stop(void *self)
{
	struct etcd_pub *p = self;
	/* Keys stay on their lease; pending writes still flush. */
	p->stopping = true;
	if (p->session)
		etcd_session_stop(p->session);
	if (p->adopt_timer)
		p->api->timer_disarm(p->host, p->adopt_timer);
	if (p->watch)
		etcd_watch_stop(p->watch);
}

static void etcd_destroy(void *self)
{
	pub_free(self);
}

static int etcd_publish(void *self, const struct bh_registration *r)
{
	struct etcd_pub *p = self;
	struct etcd_key *e = etcd_keys_get(&p->keys, r->key);
	char *value = e ? strdup(r->value) : NULL;
	if (!value) {
		p->api->report_error(p->host, r->container, "out of memory");
		return BH_ERR;
	}
	e->pub = p;
	/* Another host's value stands until ours changes. */
	if (e->foreign && (!e->want || strcmp(e->want, value) != 0))
		e->foreign = false;
	free(e->want);
	e->want = value;
	kick(p, e);
	return BH_OK;
}

static int etcd_withdraw(void *self, const char *key, const char *container)
{
	struct etcd_pub *p = self;
	struct etcd_key *e = etcd_keys_get(&p->keys, key);
	if (!e) {
		p->api->report_error(p->host, container, "out of memory");
		return BH_ERR;
	}
	e->pub = p;
	free(e->want);
	e->want = NULL;
	e->adopted = false;
	if (e->foreign) {
		/* Another host's key: not ours to delete. */
		if (!e->call)
			etcd_keys_remove(&p->keys, e);
		return BH_OK;
	}
	/* Unknown to us is not absent from etcd (a previous process, a put
	 * that timed out): delete anyway. */
	if (!e->stored)
		e->stale = true;
	kick(p, e);
	return BH_OK;
}

static void count_pending(void *arg, struct etcd_key *e)
{
	if (e->call || etcd_key_dirty(e))
		++*(size_t *)arg;
}

static size_t etcd_pending(void *self)
{
	struct etcd_pub *p = self;
	/* A listing under way counts: in one-pass mode the daemon must not
	 * exit before the deletes it leads to are sent. */
	size_t n = p->sweeper && etcd_sweeper_busy(p->sweeper) ? 1 : 0;
	etcd_keys_each(&p->keys, count_pending, &n);
	return n;
}

static int etcd_sweep(void *self, const char *namespace_prefix)
{
	struct etcd_pub *p = self;
	if (!p->sweeper || (p->owner && etcd_owner_state(p->owner) == ETCD_OWNER_REFUSED))
		return BH_OK; /* not started, or not ours to sweep */
	int wanted = etcd_sweeper_want(p->sweeper, namespace_prefix);
	if (wanted < 0)
		return BH_ERR;
	if (wanted > 0 && writable(p))
		etcd_sweeper_send(p->sweeper); /* or when the session is ready to write */
	return BH_OK; /* wanted == 0: one at a time; the next pass sweeps again */
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-etcd",
	.version = PACKAGE_VERSION,
	.description = "etcd v3 (JSON gateway): keys on one lease per daemon, written only when they change, "
		       "watched and put back when someone else changes them",
	.init = etcd_init,
	.start = etcd_start,
	.stop = etcd_stop,
	.destroy = etcd_destroy,
	.publish = etcd_publish,
	.withdraw = etcd_withdraw,
	.pending = etcd_pending,
	.sweep = etcd_sweep,
};
