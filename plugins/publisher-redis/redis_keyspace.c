/* See redis_keyspace.h. */
#include "config.h"

#include "redis_keyspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/backoff.h"
#include "redis_config.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
/* A server without notifications is asked again this often: an operator
 * who turns them on (CONFIG SET) is followed within a minute. */
#define RECHECK_OFF_MS 60000u

struct redis_keyspace {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_keyspace_callbacks cbs;
	void *arg;
	char *pattern;        /* __keyspace@DB__:PREFIX* (glob-escaped) */
	char *channel_prefix; /* __keyspace@DB__: */
	unsigned connect_timeout_ms;

	/* Where and as whom (copies, for reconnects). */
	char *unix_path, *host_name, *user, *password;
	int port;

	struct resp_link *link;
	bool subscribed;
	enum keyspace_status config; /* what CONFIG GET said: ON, OFF or UNKNOWN */
	char *config_detail;
	struct bh_backoff backoff;
	struct bh_timer *reconnect_timer;
	struct bh_timer *connect_timer;
};

static void open_link(struct redis_keyspace *ks);

static void set_detail(struct redis_keyspace *ks, enum keyspace_status status, const char *detail)
{
	ks->config = status;
	free(ks->config_detail);
	ks->config_detail = strdup(detail);
}

static void close_link(struct redis_keyspace *ks)
{
	struct resp_link *link = ks->link;
	ks->link = NULL;
	ks->subscribed = false;
	if (ks->connect_timer)
		ks->api->timer_disarm(ks->host, ks->connect_timer);
	resp_link_free(link); /* its callbacks see ks->link == NULL */
}

static void retry_later(struct redis_keyspace *ks)
{
	close_link(ks);
	if (ks->api->timer_arm(ks->host, ks->reconnect_timer, bh_backoff_next(&ks->backoff)) != BH_OK)
		ks->api->log(ks->host, BH_LOG_ERROR, "cannot arm the keyspace watch's timer");
}

static void on_failed(void *arg, const char *reason)
{
	struct redis_keyspace *ks = arg;
	if (!ks->link)
		return;
	ks->api->log(ks->host, BH_LOG_DEBUG, "keyspace watch: %s", reason);
	retry_later(ks);
}

/* The events a key's repair needs: K (keyspace channel), and $ (set) plus
 * g (del, expire...), or A (all of them). */
static bool needed_events_on(const char *flags)
{
	return strchr(flags, 'K') && (strchr(flags, 'A') || (strchr(flags, '$') && strchr(flags, 'g')));
}

static void on_config(struct redis_keyspace *ks, const redisReply *r)
{
	if (r->type == REDIS_REPLY_ERROR) {
		set_detail(ks, KEYSPACE_UNKNOWN, r->str);
	} else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		   r->element[1]->type == REDIS_REPLY_STRING) {
		const char *flags = r->element[1]->str;
		set_detail(ks, needed_events_on(flags) ? KEYSPACE_ON : KEYSPACE_OFF, flags);
	} else {
		set_detail(ks, KEYSPACE_UNKNOWN, "an unexpected reply to CONFIG GET");
	}
}

static void on_subscribed(struct redis_keyspace *ks)
{
	ks->subscribed = true;
	ks->api->timer_disarm(ks->host, ks->connect_timer);
	bh_backoff_reset(&ks->backoff);
	enum keyspace_status status = ks->config;
	const char *detail = ks->config_detail ? ks->config_detail : "?";
	if (status == KEYSPACE_OFF) {
		/* Nothing will come: no link kept open for nothing; looked at
		 * again in a minute, and at the next connect of the master link. */
		char *copy = strdup(detail);
		close_link(ks);
		if (ks->api->timer_arm(ks->host, ks->reconnect_timer, RECHECK_OFF_MS) != BH_OK)
			ks->api->log(ks->host, BH_LOG_ERROR, "cannot arm the keyspace watch's timer");
		ks->cbs.status(ks->arg, KEYSPACE_OFF, copy ? copy : "?");
		free(copy);
		return;
	}
	ks->cbs.status(ks->arg, status, detail);
}

static void on_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_keyspace *ks = arg;
	const char *step = privdata;
	if (!ks->link || !r)
		return;
	if (strcmp(step, "CONFIG") == 0) {
		on_config(ks, r);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		char *reason = bh_strfmt("%s refused: %s", step, r->str);
		/* Asked again: soon when the refusal may pass (maxclients,
		 * a restart), in a minute when it is the ACL's or the
		 * password's (the master link's next connect brings new ones). */
		bool lasting = strncmp(r->str, "NOPERM", 6) == 0 || strncmp(r->str, "WRONGPASS", 9) == 0;
		close_link(ks);
		if (ks->api->timer_arm(ks->host, ks->reconnect_timer,
				       lasting ? RECHECK_OFF_MS : bh_backoff_next(&ks->backoff)) != BH_OK)
			ks->api->log(ks->host, BH_LOG_ERROR, "cannot arm the keyspace watch's timer");
		ks->cbs.status(ks->arg, KEYSPACE_FAILED, reason ? reason : r->str);
		free(reason);
		return;
	}
	if (strcmp(step, "PSUBSCRIBE") == 0)
		on_subscribed(ks);
}

/* ["pmessage", pattern, "__keyspace@DB__:KEY", event] */
static void on_message(void *arg, const redisReply *r)
{
	struct redis_keyspace *ks = arg;
	size_t cp_len = strlen(ks->channel_prefix);
	if (r->elements != 4 || r->element[2]->type != REDIS_REPLY_STRING ||
	    r->element[3]->type != REDIS_REPLY_STRING)
		return;
	const redisReply *channel = r->element[2];
	if (channel->len <= cp_len || memcmp(channel->str, ks->channel_prefix, cp_len) != 0)
		return;
	ks->cbs.event(ks->arg, channel->str + cp_len, channel->len - cp_len, r->element[3]->str);
}

static int send_step(struct redis_keyspace *ks, const char *step, int argc, const char **argv)
{
	size_t lens[4];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return resp_link_send(ks->link, on_reply, (void *)step, argc, argv, lens);
}

static int send_handshake(struct redis_keyspace *ks)
{
	if (ks->password) {
		const char *argv[3] = {"AUTH", ks->user ? ks->user : ks->password, ks->password};
		if (send_step(ks, "AUTH", ks->user ? 3 : 2, argv) != BH_OK)
			return BH_ERR;
	}
	const char *config[3] = {"CONFIG", "GET", "notify-keyspace-events"};
	const char *sub[2] = {"PSUBSCRIBE", ks->pattern};
	if (send_step(ks, "CONFIG", 3, config) != BH_OK ||
	    send_step(ks, "PSUBSCRIBE", 2, sub) != BH_OK)
		return BH_ERR;
	return BH_OK;
}

static void open_link(struct redis_keyspace *ks)
{
	static const struct resp_link_callbacks callbacks = {.failed = on_failed,
							     .message = on_message};
	struct resp_address address = {.unix_path = ks->unix_path, .host = ks->host_name,
				       .port = ks->port};
	char *error = NULL;
	set_detail(ks, KEYSPACE_UNKNOWN, "no answer to CONFIG GET");
	ks->link = resp_link_open(ks->api, ks->host, &address, &callbacks, ks, &error);
	if (!ks->link || send_handshake(ks) != BH_OK) {
		ks->api->log(ks->host, BH_LOG_DEBUG, "keyspace watch: %s",
			     error ? error : "out of memory");
		free(error);
		retry_later(ks);
		return;
	}
	if (ks->api->timer_arm(ks->host, ks->connect_timer, ks->connect_timeout_ms) != BH_OK)
		ks->api->log(ks->host, BH_LOG_ERROR, "cannot arm the keyspace watch's timer");
}

static void on_reconnect_timer(void *arg)
{
	struct redis_keyspace *ks = arg;
	if (!ks->link)
		open_link(ks);
}

static void on_connect_timer(void *arg)
{
	struct redis_keyspace *ks = arg;
	if (ks->link && !ks->subscribed) {
		ks->api->log(ks->host, BH_LOG_DEBUG, "keyspace watch: not subscribed within %u ms",
			     ks->connect_timeout_ms);
		retry_later(ks);
	}
}

static int replace(char **field, const char *value, bool secret)
{
	char *copy = value ? strdup(value) : NULL;
	if (value && !copy)
		return BH_ERR;
	if (secret)
		redis_free_secret(*field);
	else
		free(*field);
	*field = copy;
	return BH_OK;
}

void redis_keyspace_connect(struct redis_keyspace *ks, const struct resp_address *address,
			    const char *user, const char *password)
{
	close_link(ks);
	ks->api->timer_disarm(ks->host, ks->reconnect_timer);
	bh_backoff_reset(&ks->backoff);
	ks->port = address->port;
	if (replace(&ks->unix_path, address->unix_path, false) != BH_OK ||
	    replace(&ks->host_name, address->unix_path ? NULL : address->host, false) != BH_OK ||
	    replace(&ks->user, user, false) != BH_OK ||
	    replace(&ks->password, password, true) != BH_OK) {
		ks->cbs.status(ks->arg, KEYSPACE_FAILED, "out of memory");
		return;
	}
	open_link(ks);
}

bool redis_keyspace_active(const struct redis_keyspace *ks)
{
	return ks->link && ks->subscribed;
}

struct redis_keyspace *redis_keyspace_new(const struct bh_host_api *api, struct bh_host *host,
					  const struct redis_keyspace_settings *s,
					  const struct redis_keyspace_callbacks *callbacks, void *arg)
{
	struct redis_keyspace *ks = calloc(1, sizeof *ks);
	if (!ks)
		return NULL;
	ks->api = api;
	ks->host = host;
	ks->cbs = *callbacks;
	ks->arg = arg;
	ks->connect_timeout_ms = s->connect_timeout_ms;
	ks->channel_prefix = bh_strfmt("__keyspace@%d__:", s->database);
	char *escaped = resp_match_pattern(s->prefix);
	ks->pattern = escaped && ks->channel_prefix ? bh_strfmt("%s%s", ks->channel_prefix, escaped)
						    : NULL;
	free(escaped);
	bh_backoff_init(&ks->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	bh_backoff_jitter(&ks->backoff, 20);
	ks->reconnect_timer = api->timer_new(host, on_reconnect_timer, ks);
	ks->connect_timer = api->timer_new(host, on_connect_timer, ks);
	if (!ks->pattern || !ks->reconnect_timer || !ks->connect_timer) {
		redis_keyspace_free(ks);
		return NULL;
	}
	return ks;
}

void redis_keyspace_free(struct redis_keyspace *ks)
{
	if (!ks)
		return;
	close_link(ks);
	if (ks->reconnect_timer)
		ks->api->timer_free(ks->host, ks->reconnect_timer);
	if (ks->connect_timer)
		ks->api->timer_free(ks->host, ks->connect_timer);
	free(ks->pattern);
	free(ks->channel_prefix);
	free(ks->config_detail);
	free(ks->unix_path);
	free(ks->host_name);
	free(ks->user);
	redis_free_secret(ks->password);
	free(ks);
}
