/* See etcd_sweeper.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_json.h"
#include "etcd_sweeper.h"

struct etcd_sweeper {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct etcd_client *client;
	char *owner_key;           /* NULL without a claim */
	etcd_sweep_key_cb key_cb;
	void *arg;
	char *namespace;           /* a sweep waits for the session, or runs */
	struct etcd_call *call;    /* the listing */
};

struct etcd_sweeper *etcd_sweeper_new(const struct bh_host_api *api, struct bh_host *host,
				      struct etcd_client *client, const char *owner_key,
				      etcd_sweep_key_cb key_cb, void *arg)
{
	struct etcd_sweeper *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	*s = (struct etcd_sweeper){.api = api, .host = host, .client = client, .key_cb = key_cb,
				   .arg = arg};
	if (owner_key && !(s->owner_key = strdup(owner_key))) {
		free(s);
		return NULL;
	}
	return s;
}

void etcd_sweeper_free(struct etcd_sweeper *s)
{
	if (!s)
		return;
	etcd_cancel(s->client, s->call);
	free(s->owner_key);
	free(s->namespace);
	free(s);
}

int etcd_sweeper_want(struct etcd_sweeper *s, const char *namespace_prefix)
{
	if (s->namespace || s->call)
		return 0;
	s->namespace = strdup(namespace_prefix);
	return s->namespace ? 1 : -1;
}

bool etcd_sweeper_waiting(const struct etcd_sweeper *s)
{
	return s->namespace != NULL;
}

bool etcd_sweeper_busy(const struct etcd_sweeper *s)
{
	return s->call != NULL;
}

static void sweep_done(struct etcd_sweeper *s)
{
	free(s->namespace);
	s->namespace = NULL;
}

/* Never outside the namespace, never a key with a NUL inside, never the
 * claim. */
static bool sweepable(const struct etcd_sweeper *s, const char *key, size_t len)
{
	return len == strlen(key) && strncmp(key, s->namespace, strlen(s->namespace)) == 0 &&
	       !(s->owner_key && strcmp(key, s->owner_key) == 0);
}

static void on_listed(void *arg, const struct etcd_reply *reply)
{
	struct etcd_sweeper *s = arg;
	s->call = NULL;
	if (!reply->ok) {
		/* An outage is reported by the session; a refusal (e.g. no
		 * read permission) is the operator's to fix. */
		s->api->log(s->host, reply->json ? BH_LOG_WARNING : BH_LOG_DEBUG,
			    "etcd: cannot list %s for the sweep: %s (next pass)", s->namespace,
			    reply->error ? reply->error : "?");
		sweep_done(s);
		return;
	}
	json_object *kvs = NULL;
	size_t n = 0, stale = 0;
	if (json_object_object_get_ex(reply->json, "kvs", &kvs) && json_object_is_type(kvs, json_type_array))
		n = json_object_array_length(kvs);
	enum etcd_sweep_verdict verdict = ETCD_SWEEP_KEPT;
	for (size_t i = 0; i < n && verdict != ETCD_SWEEP_STOP; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i), *k = NULL;
		if (!json_object_object_get_ex(kv, "key", &k) || !json_object_is_type(k, json_type_string))
			continue;
		size_t len = 0;
		char *key = etcd_b64_decode(json_object_get_string(k), &len);
		verdict = key && sweepable(s, key, len) ? s->key_cb(s->arg, key) : ETCD_SWEEP_KEPT;
		stale += verdict == ETCD_SWEEP_STALE;
		free(key);
	}
	if (stale > 0)
		BH_INFO(s, "etcd: deleting %zu keys under %s that no running container backs", stale,
			s->namespace);
	sweep_done(s);
}

void etcd_sweeper_send(struct etcd_sweeper *s)
{
	if (s->call || !s->namespace)
		return;
	char *end = etcd_prefix_end(s->namespace);
	json_object *body = etcd_key_body(s->namespace);
	bool ok = end && body && etcd_json_add_b64(body, "range_end", end) &&
		  json_object_object_add(body, "keys_only", json_object_new_boolean(1)) == 0;
	free(end);
	if (!ok) {
		json_object_put(body);
		BH_WARNING(s, "etcd: cannot build the sweep request (out of memory)");
		return;
	}
	s->call = etcd_call_start(s->client, "/v3/kv/range", body, on_listed, s);
}
