/*
 * Refused writes are retried with backoff; the operator reads one line when
 * the refusals begin and one when writes succeed again, however many keys
 * the episode hits.  The kept SETs are also where a one-pass run keeps its
 * SETs until the link is ready: same shape, sent by the same code.
 */
#include "config.h"

#include "redis_retry.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

void redis_kept_set_free(struct redis_kept_set *set)
{
	if (!set)
		return;
	free(set->container);
	free(set->value);
	free(set);
}

int redis_retry_keep(struct redis_retry *r, const char *key, char **container, char **value,
		     size_t value_len, unsigned ttl)
{
	struct redis_kept_set *set = calloc(1, sizeof *set);
	void *old = NULL;
	if (!set || keyset_put_data(&r->kept, key, set, &old) < 0) {
		free(set);
		return BH_ERR;
	}
	set->container = *container;
	set->value = *value;
	set->value_len = value_len;
	set->ttl = ttl;
	*container = *value = NULL;
	redis_kept_set_free(old);
	return BH_OK;
}

char *redis_retry_pop(struct redis_retry *r, struct redis_kept_set **set)
{
	void *data = NULL;
	char *key = keyset_pop(&r->kept, NULL, &data);
	*set = data;
	return key;
}

void redis_retry_forget(struct redis_retry *r, const char *key)
{
	redis_kept_set_free(keyset_take(&r->kept, key));
}

static void arm(struct redis_retry *r)
{
	if (r->armed)
		return;
	r->armed = true;
	if (r->api->timer_arm(r->host, r->timer, bh_backoff_next(&r->backoff)) != BH_OK)
		BH_ERROR(r, "cannot arm the retry timer: refused writes wait for the next refresh");
}

void redis_retry_refused(struct redis_retry *r, const char *what, const char *key,
			 const char *error)
{
	(void)keyset_put(&r->troubled, key, 0); /* OOM: the line may come early */
	r->failures++;
	if (!r->trouble) {
		r->trouble = true;
		r->trouble_since_ms = r->api->now_ms(r->host);
		free(r->first_error);
		r->first_error = strdup(error);
		/* One line for the whole episode, however many keys it hits. */
		r->api->report_error(r->host, NULL,
				     "redis %s refuses writes: %s (first: %s %s); retrying refused "
				     "writes with backoff up to %u s",
				     redis_conn_server(r->conn), error, what, key,
				     REDIS_BACKOFF_MAX_MS / 1000u);
		r->api->set_status(r->host, "redis: refusing writes");
	} else {
		BH_DEBUG(r, "redis %s refused %s %s: %s", redis_conn_server(r->conn), what, key,
			 error);
	}
	arm(r);
}

/* A write of key succeeded: the episode of refusals ends once every key
 * refused in it has been written (a refresh's SET of a refused key is no
 * retry, and another key's success says nothing about it). */
void redis_retry_succeeded(struct redis_retry *r, const char *key, size_t owed_dels)
{
	keyset_remove(&r->troubled, key);
	if (!r->trouble || r->kept.map.count > 0 || owed_dels > 0 || r->inflight > 0 ||
	    r->troubled.map.count > 0)
		return;
	uint64_t took = r->api->now_ms(r->host) - r->trouble_since_ms;
	BH_INFO(r, "writes to redis %s succeed again after %llu.%01llu s (%u writes refused "
		"meanwhile, all retried; the first refusal: %s)",
		redis_conn_server(r->conn), (unsigned long long)(took / 1000),
		(unsigned long long)(took % 1000 / 100), r->failures,
		r->first_error ? r->first_error : "?");
	r->api->set_status(r->host, "redis: connected");
	r->trouble = false;
	r->failures = 0;
	keyset_clear(&r->troubled);
	free(r->first_error);
	r->first_error = NULL;
	bh_backoff_reset(&r->backoff);
	r->api->timer_disarm(r->host, r->timer);
	r->armed = false;
}

static void on_retry_timer(void *arg)
{
	struct redis_retry *r = arg;
	r->armed = false;
	r->callbacks->due(r->arg);
}

void redis_retry_init(struct redis_retry *r, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, const struct redis_retry_callbacks *callbacks,
		      void *arg)
{
	*r = (struct redis_retry){.api = api, .host = host, .conn = conn, .callbacks = callbacks,
				  .arg = arg};
	keyset_init(&r->kept);
	keyset_init(&r->troubled);
	redis_config_backoff_init(&r->backoff);
}

int redis_retry_start(struct redis_retry *r)
{
	r->timer = r->api->timer_new(r->host, on_retry_timer, r);
	return r->timer ? BH_OK : BH_ERR;
}

void redis_retry_free(struct redis_retry *r)
{
	if (r->timer)
		r->api->timer_free(r->host, r->timer);
	r->timer = NULL;
	struct redis_kept_set *set;
	char *key;
	while ((key = redis_retry_pop(r, &set)) != NULL) {
		redis_kept_set_free(set);
		free(key);
	}
	keyset_clear(&r->kept);
	keyset_clear(&r->troubled);
	free(r->first_error);
	r->first_error = NULL;
}
