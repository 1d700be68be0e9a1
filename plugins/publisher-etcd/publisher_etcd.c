/*
 * publisher-etcd: registrations as etcd v3 keys, through the JSON gateway.
 *
 * One lease per daemon with TTL = expire; every key is put on it and a
 * keep-alive runs at a third of the TTL.  A daemon that dies stops the
 * keep-alives and etcd deletes its keys by itself when the lease runs out;
 * watchers (confd's etcdv3 backend) see delete events.  expire = 0: no
 * lease, keys stay until deleted.
 *
 * Values are put only when they differ from what etcd confirmed on the
 * current lease, so the refreshes of a quiet system write nothing (no
 * revision, no watch event).  A withdrawal deletes at once.  stop() leaves
 * the keys to their lease: a restart must not flap the proxy; the new
 * process puts them on its own lease.
 *
 * The session (lease granted, cluster reachable) is UP or DOWN.  DOWN:
 * writes wait, a timer retries with capped backoff; the first keep-alive
 * that works tells whether the lease survived.  A lost lease (cut off longer
 * than its TTL) is replaced at once and every key is put again.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/backoff.h"
#include "common/http_multi.h"
#include "etcd_metrics.h"
#include "etcd_publisher.h"

#define RETRY_MIN_MS 200u
#define RETRY_MAX_MS 5000u

struct etcd_pub {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct etcd_settings settings;
	unsigned ttl;     /* lease TTL in seconds; 0 = no lease */
	unsigned refresh; /* 0 = one pass, then exit */
	const char *instance;

	struct etcd_client *client;
	struct etcd_keys keys;
	int64_t lease; /* 0 = none granted yet */
	bool up;
	bool stopping;
	bool down_logged;
	struct etcd_call *session_call; /* grant, keep-alive or probe in flight */
	enum { SESSION_GRANT, SESSION_KEEPALIVE, SESSION_PROBE } session_kind;
	struct bh_timer *keepalive_timer;
	struct bh_timer *retry_timer;
	bool retry_armed; /* many failing writes arm it once, not once each */
	struct bh_backoff backoff;

	char *sweep_namespace; /* a sweep waits for the session */
	struct etcd_call *sweep_call;
	struct etcd_metrics metrics; /* etcd_metrics.c */
};

static void connect_session(struct etcd_pub *p);
static void kick(struct etcd_pub *p, struct etcd_key *e);

static char *lease_text(int64_t lease)
{
	return bh_strfmt("%" PRId64, lease);
}

/* {"key": base64(key)}; the caller adds the rest. */
static json_object *key_body(const char *key)
{
	char *b64 = etcd_b64_encode(key, strlen(key));
	json_object *body = json_object_new_object();
	json_object *k = b64 ? json_object_new_string(b64) : NULL;
	free(b64);
	if (!body || !k || json_object_object_add(body, "key", k) != 0) {
		json_object_put(k);
		json_object_put(body);
		return NULL;
	}
	return body;
}

static bool add_string(json_object *o, const char *name, char *value /* consumed */)
{
	json_object *v = value ? json_object_new_string(value) : NULL;
	free(value);
	if (!v || json_object_object_add(o, name, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static int64_t get_int64(json_object *o, const char *name)
{
	json_object *v = NULL;
	/* The gateway writes int64 as JSON strings; json-c parses either. */
	return o && json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

/* ------------------------------------------------------------- the session */

static void set_status(struct etcd_pub *p, const char *fmt, const char *arg) BH_PRINTF(2, 0);
static void set_status(struct etcd_pub *p, const char *fmt, const char *arg)
{
	char *text = bh_strfmt(fmt, arg);
	if (text)
		p->api->set_status(p->host, text);
	free(text);
}

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
	free(e->stored);
	e->stored = strdup(e->want);
}

static void session_failed(struct etcd_pub *p, const char *why)
{
	p->up = false;
	etcd_metrics_connected(&p->metrics, false);
	etcd_metrics_error(&p->metrics, ETCD_ERR_SESSION);
	if (p->keepalive_timer)
		p->api->timer_disarm(p->host, p->keepalive_timer);
	if (p->refresh == 0) {
		/* One pass: nothing will retry; say so and let the daemon exit. */
		if (!p->down_logged)
			p->api->report_error(p->host, NULL, "etcd: %s", why);
		p->down_logged = true;
		etcd_keys_each(&p->keys, give_up_pending, p);
		return;
	}
	if (!p->down_logged) {
		BH_WARNING(p, "etcd unreachable: %s (retrying)", why);
		set_status(p, "etcd unreachable: %s", why);
		p->down_logged = true;
	}
	if (p->retry_armed)
		return;
	if (p->api->timer_arm(p->host, p->retry_timer, bh_backoff_next(&p->backoff)) < 0)
		BH_ERROR(p, "cannot arm the retry timer");
	else
		p->retry_armed = true;
}

static void kick_one(void *arg, struct etcd_key *e)
{
	kick(arg, e);
}

static void run_sweep(struct etcd_pub *p);

static void session_up(struct etcd_pub *p)
{
	bool was_up = p->up;
	p->up = true;
	etcd_metrics_connected(&p->metrics, true);
	bh_backoff_reset(&p->backoff);
	if (p->down_logged) {
		BH_INFO(p, "etcd reachable again at %s", etcd_endpoint(p->client));
		p->down_logged = false;
	}
	if (!was_up)
		set_status(p, "etcd at %s", etcd_endpoint(p->client));
	if (p->ttl > 0 && !p->stopping &&
	    p->api->timer_arm(p->host, p->keepalive_timer, (uint64_t)p->ttl * 1000u / 3u) < 0)
		BH_ERROR(p, "cannot arm the keep-alive timer");
	etcd_keys_each(&p->keys, kick_one, p);
	if (p->sweep_namespace)
		run_sweep(p);
}

/* The lease is gone: so are our keys in etcd.  Stale keys were on it too. */
static void forget_stored(void *arg, struct etcd_key *e)
{
	struct etcd_pub *p = arg;
	free(e->stored);
	e->stored = NULL;
	e->stale = false;
	if (!e->want && !e->call)
		etcd_keys_remove(&p->keys, e);
}

static void lease_lost(struct etcd_pub *p)
{
	if (p->lease == 0)
		return;
	BH_WARNING(p, "etcd lease %" PRId64 " expired (cut off longer than %u s): "
		   "granting a new one and putting %zu keys again", p->lease, p->ttl, p->keys.map.count);
	p->lease = 0;
	p->up = false;
	etcd_metrics_connected(&p->metrics, false);
	etcd_metrics_error(&p->metrics, ETCD_ERR_LEASE_LOST);
	etcd_metrics_lease_ttl(&p->metrics, 0);
	etcd_keys_each(&p->keys, forget_stored, p);
	connect_session(p);
}

static void on_session(void *arg, const struct etcd_reply *reply)
{
	struct etcd_pub *p = arg;
	p->session_call = NULL;
	if (!reply->ok) {
		session_failed(p, reply->error ? reply->error : "?");
		return;
	}
	if (p->session_kind == SESSION_PROBE) {
		session_up(p);
		return;
	}
	if (p->session_kind == SESSION_GRANT) {
		p->lease = get_int64(reply->json, "ID");
		if (p->lease == 0) {
			session_failed(p, "lease grant answered without an ID");
			return;
		}
		BH_DEBUG(p, "etcd lease %" PRId64 " granted, TTL %u s", p->lease, p->ttl);
		etcd_metrics_lease_ttl(&p->metrics, get_int64(reply->json, "TTL"));
		session_up(p);
		return;
	}
	/* An answer to keep-alive: {"result": {"ID": .., "TTL": ..}}; no TTL
	 * means the lease no longer exists. */
	json_object *result = NULL;
	(void)json_object_object_get_ex(reply->json, "result", &result);
	if (p->lease == 0 || get_int64(result, "ID") != p->lease) {
		/* The lease was declared lost while this was under way. */
		connect_session(p);
		return;
	}
	if (get_int64(result, "TTL") <= 0) {
		lease_lost(p);
		return;
	}
	etcd_metrics_lease_ttl(&p->metrics, get_int64(result, "TTL"));
	session_up(p);
}

static void connect_session(struct etcd_pub *p)
{
	if (p->session_call)
		return;
	const char *path;
	json_object *body;
	if (p->ttl > 0 && p->lease == 0) {
		p->session_kind = SESSION_GRANT;
		path = "/v3/lease/grant";
		body = json_object_new_object();
		if (body && json_object_object_add(body, "TTL", json_object_new_int64(p->ttl)) != 0) {
			json_object_put(body);
			body = NULL;
		}
	} else if (p->ttl > 0) {
		p->session_kind = SESSION_KEEPALIVE;
		path = "/v3/lease/keepalive";
		body = json_object_new_object();
		if (body && !add_string(body, "ID", lease_text(p->lease))) {
			json_object_put(body);
			body = NULL;
		}
	} else {
		/* No lease to keep: a cheap read proves the cluster answers. */
		p->session_kind = SESSION_PROBE;
		path = "/v3/kv/range";
		body = key_body("/");
		if (body && json_object_object_add(body, "count_only", json_object_new_boolean(1)) != 0) {
			json_object_put(body);
			body = NULL;
		}
	}
	p->session_call = body ? etcd_call(p->client, path, body, on_session, p) : NULL;
	if (!p->session_call)
		session_failed(p, "cannot queue a request (out of memory)");
}

static void on_keepalive_timer(void *arg)
{
	connect_session(arg);
}

static void on_retry_timer(void *arg)
{
	struct etcd_pub *p = arg;
	p->retry_armed = false;
	if (p->up)
		etcd_keys_each(&p->keys, kick_one, p);
	else
		connect_session(p);
}

/* ------------------------------------------------------------------ writes */

static void on_written(void *arg, const struct etcd_reply *reply);

static void kick(struct etcd_pub *p, struct etcd_key *e)
{
	if (e->call || !p->up)
		return;
	if (!etcd_key_dirty(e)) {
		if (!e->want)
			etcd_keys_remove(&p->keys, e);
		return;
	}
	json_object *body = key_body(e->key);
	bool ok = body != NULL;
	free(e->sent);
	e->sent = NULL;
	e->sent_lease = p->lease;
	if (ok && e->want) {
		char *value = etcd_b64_encode(e->want, strlen(e->want));
		ok = add_string(body, "value", value) && (e->sent = strdup(e->want)) != NULL &&
		     (p->lease == 0 || add_string(body, "lease", lease_text(p->lease)));
	}
	if (!ok) {
		json_object_put(body);
		session_failed(p, "cannot build a request (out of memory)");
		return;
	}
	e->sent_ms = p->api->now_ms(p->host);
	e->call = etcd_call(p->client, e->want ? "/v3/kv/put" : "/v3/kv/deleterange", body,
			    on_written, e);
	if (!e->call)
		session_failed(p, "cannot queue a request (out of memory)");
}

static void on_written(void *arg, const struct etcd_reply *reply)
{
	struct etcd_key *e = arg;
	struct etcd_pub *p = e->pub;
	e->call = NULL;
	if (e->sent && e->sent_lease != p->lease) {
		/* Written on a lease lost meanwhile: it counts for nothing. */
		kick(p, e);
		return;
	}
	if (reply->ok) {
		etcd_metrics_write_done(&p->metrics, e->sent != NULL, e->sent_ms);
		e->refused = false;
		free(e->stored);
		e->stored = e->sent;
		e->sent = NULL;
		e->stale = false;
		kick(p, e); /* a newer value, or done (removed when withdrawn) */
		return;
	}
	if (reply->code == ETCD_CODE_NOT_FOUND && e->sent) {
		lease_lost(p);
		return;
	}
	if (!reply->json || reply->code == ETCD_CODE_UNAVAILABLE) {
		session_failed(p, reply->error ? reply->error : "?");
		return;
	}
	/* Refused for this key (permissions, size): the next publish or
	 * reconnect tries again; the operator must see it. */
	etcd_metrics_error(&p->metrics, ETCD_ERR_WRITE);
	if (!e->refused)
		p->api->report_error(p->host, NULL, "etcd refused to %s %s: %s",
				     e->sent ? "put" : "delete", e->key, reply->error ? reply->error : "?");
	e->refused = true;
	if (!e->want && !e->stale)
		etcd_keys_remove(&p->keys, e);
}

/* ------------------------------------------------------------------- sweep */

/* The first key after every key that starts with prefix (etcd's range_end
 * for a prefix); NULL when prefix is all 0xff bytes or out of memory. */
static char *prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	size_t n = end ? strlen(end) : 0;
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		end[--n] = '\0';
	if (n == 0) {
		free(end);
		return NULL;
	}
	end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	return end;
}

static void on_swept(void *arg, const struct etcd_reply *reply)
{
	struct etcd_pub *p = arg;
	p->sweep_call = NULL;
	if (!reply->ok) {
		/* An outage is reported by the session; a refusal (e.g. no
		 * read permission) is the operator's to fix. */
		p->api->log(p->host, reply->json ? BH_LOG_WARNING : BH_LOG_DEBUG,
			    "etcd: cannot list %s for the sweep: %s (next pass)", p->sweep_namespace,
			    reply->error ? reply->error : "?");
		free(p->sweep_namespace);
		p->sweep_namespace = NULL;
		return;
	}
	json_object *kvs = NULL;
	size_t n = 0, stale = 0;
	if (json_object_object_get_ex(reply->json, "kvs", &kvs) && json_object_is_type(kvs, json_type_array))
		n = json_object_array_length(kvs);
	size_t ns_len = strlen(p->sweep_namespace);
	for (size_t i = 0; i < n; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i), *k = NULL;
		if (!json_object_object_get_ex(kv, "key", &k) || !json_object_is_type(k, json_type_string))
			continue;
		size_t len = 0;
		char *key = etcd_b64_decode(json_object_get_string(k), &len);
		/* Never outside the namespace, never a key with a NUL inside. */
		bool ours = key && len == strlen(key) && strncmp(key, p->sweep_namespace, ns_len) == 0;
		struct etcd_key *e = ours ? etcd_keys_find(&p->keys, key) : NULL;
		/* Backed: a current registration, or a write already under way. */
		if (ours && !(e && (e->want || e->call))) {
			e = etcd_keys_get(&p->keys, key);
			if (e) {
				e->pub = p;
				e->stale = true;
				stale++;
				kick(p, e);
			}
		}
		free(key);
	}
	if (stale > 0)
		BH_INFO(p, "etcd: deleting %zu keys under %s that no running container backs", stale,
			p->sweep_namespace);
	free(p->sweep_namespace);
	p->sweep_namespace = NULL;
}

static void run_sweep(struct etcd_pub *p)
{
	if (p->sweep_call || !p->up)
		return;
	char *end = prefix_end(p->sweep_namespace);
	json_object *body = key_body(p->sweep_namespace);
	bool ok = end && body && add_string(body, "range_end", etcd_b64_encode(end, strlen(end))) &&
		  json_object_object_add(body, "keys_only", json_object_new_boolean(1)) == 0;
	free(end);
	if (!ok) {
		json_object_put(body);
		BH_WARNING(p, "etcd: cannot build the sweep request (out of memory)");
		return;
	}
	p->sweep_call = etcd_call(p->client, "/v3/kv/range", body, on_swept, p);
}

/* ------------------------------------------------------- plugin interface */

static void pub_free(struct etcd_pub *p)
{
	if (!p)
		return;
	etcd_client_free(p->client); /* no callbacks after this */
	if (p->keepalive_timer)
		p->api->timer_free(p->host, p->keepalive_timer);
	if (p->retry_timer)
		p->api->timer_free(p->host, p->retry_timer);
	etcd_keys_free(&p->keys);
	etcd_settings_free(&p->settings);
	free(p->sweep_namespace);
	free(p);
	bh_http_library_cleanup();
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
	p->api = args->api;
	p->host = args->host;
	p->ttl = args->expire;
	p->refresh = args->refresh;
	bh_backoff_init(&p->backoff, RETRY_MIN_MS, RETRY_MAX_MS);
	if (etcd_settings_parse(args, &p->settings) != BH_OK) {
		free(p);
		bh_http_library_cleanup();
		return BH_ERR;
	}
	if (etcd_keys_init(&p->keys) < 0) {
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
	etcd_metrics_register(&p->metrics, p->api, p->host);
	p->client = etcd_client_new(p->api, p->host, &p->settings);
	p->keepalive_timer = p->api->timer_new(p->host, on_keepalive_timer, p);
	p->retry_timer = p->api->timer_new(p->host, on_retry_timer, p);
	if (!p->client || !p->keepalive_timer || !p->retry_timer) {
		BH_ERROR(p, "cannot set up the etcd client");
		return BH_ERR;
	}
	BH_DEBUG(p, "etcd at %s (%zu endpoints), %s", etcd_endpoint(p->client), p->settings.n_endpoints,
		 p->ttl ? "keys on a lease" : "no lease (expire = 0)");
	connect_session(p);
	return BH_OK;
}

static void etcd_stop(void *self)
{
	struct etcd_pub *p = self;
	/* Keys stay on their lease; pending writes still flush. */
	p->stopping = true;
	if (p->keepalive_timer)
		p->api->timer_disarm(p->host, p->keepalive_timer);
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
	size_t n = p->sweep_call ? 1 : 0;
	etcd_keys_each(&p->keys, count_pending, &n);
	return n;
}

static int etcd_sweep(void *self, const char *namespace_prefix)
{
	struct etcd_pub *p = self;
	if (p->sweep_namespace || p->sweep_call)
		return BH_OK; /* one at a time; the next pass sweeps again */
	p->sweep_namespace = strdup(namespace_prefix);
	if (!p->sweep_namespace)
		return BH_ERR;
	run_sweep(p); /* or when the session comes up */
	return BH_OK;
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-etcd",
	.version = PACKAGE_VERSION,
	.description = "etcd v3 (JSON gateway): keys on one lease per daemon, written only when they change",
	.init = etcd_init,
	.start = etcd_start,
	.stop = etcd_stop,
	.destroy = etcd_destroy,
	.publish = etcd_publish,
	.withdraw = etcd_withdraw,
	.pending = etcd_pending,
	.sweep = etcd_sweep,
};
