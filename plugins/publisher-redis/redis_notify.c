/*
 * The notify channel: counts the changes the store acknowledged and
 * publishes one notice per loop iteration (a zero-delay timer), however
 * many keys changed in it: a full refresh that changed 500 keys is one
 * notice, not 500.  A refused PUBLISH is logged; nothing retries it (the
 * next change notifies again).
 */
#include "config.h"

#include "redis_notify.h"

#include <stdio.h>
#include <string.h>

#include <beachhead/sdk.h>

static void on_notify_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_notify *n = privdata;
	redis_conn_replied(arg);
	if (r && r->type == REDIS_REPLY_ERROR && !n->closing)
		BH_WARNING(n, "PUBLISH to %s failed: %s", n->channel, r->str);
}

static void on_notify_timer(void *arg)
{
	struct redis_notify *n = arg;
	n->armed = false;
	if (n->changes == 0 || !redis_conn_usable(n->conn))
		return;
	char message[32];
	snprintf(message, sizeof message, "%u changed", n->changes);
	n->changes = 0;
	const char *argv[3] = {"PUBLISH", n->channel, message};
	size_t lens[3] = {7, strlen(n->channel), strlen(message)};
	(void)redis_conn_submit(n->conn, on_notify_reply, n, 3, argv, lens);
}

static void note_change(struct redis_notify *n)
{
	n->changes++;
	if (!n->armed && n->timer)
		n->armed = n->api->timer_arm(n->host, n->timer, 0) == BH_OK;
}

void redis_notify_stored(struct redis_notify *n, const char *key, uint64_t value_hash)
{
	uint64_t old;
	if (!n->channel)
		return;
	if (!keyset_get(&n->stored, key, &old) || old != value_hash) {
		(void)keyset_put(&n->stored, key, value_hash);
		note_change(n);
	}
}

void redis_notify_deleted(struct redis_notify *n, const char *key, bool deleted)
{
	if (!n->channel || !deleted)
		return;
	keyset_remove(&n->stored, key);
	note_change(n);
}

void redis_notify_link_lost(struct redis_notify *n)
{
	keyset_clear(&n->stored);
}

void redis_notify_init(struct redis_notify *n, const struct bh_host_api *api,
		       struct bh_host *host, struct redis_conn *conn, const char *channel)
{
	*n = (struct redis_notify){.api = api, .host = host, .conn = conn, .channel = channel};
	keyset_init(&n->stored);
}

int redis_notify_start(struct redis_notify *n)
{
	if (!n->channel)
		return BH_OK;
	n->timer = n->api->timer_new(n->host, on_notify_timer, n);
	return n->timer ? BH_OK : BH_ERR;
}

void redis_notify_free(struct redis_notify *n)
{
	if (n->timer)
		n->api->timer_free(n->host, n->timer);
	n->timer = NULL;
	keyset_clear(&n->stored);
}
