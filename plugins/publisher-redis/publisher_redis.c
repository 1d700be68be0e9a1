/*
 * publisher-redis: stores each registration as `SET key value EX ttl` (plain
 * SET when ttl is 0) and deletes withdrawn ones with DEL, on a non-blocking
 * hiredis connection driven by the core loop.  Commands are pipelined: they
 * are queued at once and written whenever the socket is writable.
 *
 * Outages lose nothing that matters: a publish made while Redis is
 * unreachable is dropped, because the replay the core performs after the
 * reconnect republishes every current registration anyway; a withdrawal is
 * remembered and its DEL sent after the reconnect, so that a container
 * removed during the outage does not linger (confd ignores expiries).
 *
 * Settings: see redis_config.c and docs/confd.md.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_publisher.h"

enum op_kind { OP_SET, OP_DEL, OP_NOTIFY };

/* One command in flight; privdata of its hiredis callback. */
struct op {
	struct redis_publisher *p;
	enum op_kind kind;
	char *key;
	char *container; /* for error messages; may be NULL */
	uint64_t value_hash;
};

static void op_free(struct op *op)
{
	free(op->key);
	free(op->container);
	free(op);
}

static struct op *op_new(struct redis_publisher *p, enum op_kind kind, const char *key,
			 const char *container)
{
	struct op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->p = p;
	op->kind = kind;
	op->key = key ? strdup(key) : NULL;
	op->container = container ? strdup(container) : NULL;
	if ((key && !op->key) || (container && !op->container)) {
		op_free(op);
		return NULL;
	}
	return op;
}

/* A withdrawal that could not reach Redis: its DEL is sent after the next
 * connect.  The replay that follows republishes anything re-registered in
 * the meantime, so DEL-then-SET ordering stays correct. */
static void defer_del(struct redis_publisher *p, const char *key, const char *container)
{
	p->owed = true;
	if (keyset_put(&p->deferred_dels, key, 0) < 0)
		p->api->report_error(p->host, container,
				     "out of memory remembering that %s must be deleted", key);
}

/* --- notifications --- */

static void on_notify_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_publisher *p = ac->data;
	struct op *op = privdata;
	redisReply *r = reply;
	p->inflight--;
	redis_conn_progress(p);
	if (r && r->type == REDIS_REPLY_ERROR && !p->destroying)
		p->api->log(p->host, BH_LOG_WARNING, "PUBLISH to %s failed: %s",
			    p->cfg.notify_channel, r->str);
	op_free(op);
}

/* One notice per loop iteration, however many keys changed in it: a full
 * refresh that changed 500 keys is one notice, not 500. */
static void on_notify_timer(void *arg)
{
	struct redis_publisher *p = arg;
	p->notify_armed = false;
	if (p->notify_changes == 0 || !redis_conn_usable(p))
		return;
	char message[32];
	snprintf(message, sizeof message, "%u changed", p->notify_changes);
	p->notify_changes = 0;
	struct op *op = op_new(p, OP_NOTIFY, NULL, NULL);
	const char *argv[3] = {"PUBLISH", p->cfg.notify_channel, message};
	size_t lens[3] = {7, strlen(p->cfg.notify_channel), strlen(message)};
	if (!op || redis_conn_submit(p, on_notify_reply, op, 3, argv, lens) != BH_OK) {
		if (op)
			op_free(op);
	}
}

static void note_change(struct redis_publisher *p)
{
	p->notify_changes++;
	if (!p->notify_armed && p->notify_timer) {
		p->notify_armed = p->api->timer_arm(p->host, p->notify_timer, 0) == BH_OK;
	}
}

/* --- SET / DEL --- */

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_publisher *p = ac->data;
	struct op *op = privdata;
	redisReply *r = reply;
	p->inflight--;
	redis_conn_progress(p);
	if (p->destroying) {
		op_free(op);
		return;
	}
	if (!r || (r->type == REDIS_REPLY_ERROR && p->doomed)) {
		/* Lost with the connection: the outcome is unknown, so do it
		 * again after the reconnect. */
		if (op->kind == OP_DEL)
			defer_del(p, op->key, op->container);
		else
			p->owed = true;
	} else if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOAUTH", 6) == 0) {
			/* Missing credentials: a link problem, not a per-key one
			 * (NOPERM is per key or command: reported below); report
			 * once and retry with backoff. */
			if (op->kind == OP_DEL)
				defer_del(p, op->key, op->container);
			else
				p->owed = true;
			redis_conn_auth_failed(p, op->kind == OP_DEL ? "DEL" : "SET", r->str);
		} else {
			p->api->report_error(p->host, op->container, "%s %s on redis %s failed: %s",
					     op->kind == OP_DEL ? "DEL" : "SET", op->key,
					     p->cfg.server, r->str);
		}
	} else if (p->cfg.notify_channel) {
		uint64_t old;
		if (op->kind == OP_SET) {
			if (!keyset_get(&p->stored, op->key, &old) || old != op->value_hash) {
				(void)keyset_put(&p->stored, op->key, op->value_hash);
				note_change(p);
			}
		} else if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
			keyset_remove(&p->stored, op->key);
			note_change(p);
		}
	}
	op_free(op);
}

static int redis_publish(void *self, const struct bh_registration *reg)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	if (!redis_conn_usable(p)) {
		p->owed = true; /* the replay after the reconnect brings it back */
		return BH_OK;
	}
	struct op *op = op_new(p, OP_SET, reg->key, reg->container);
	if (!op) {
		p->api->report_error(p->host, reg->container, "out of memory publishing %s", reg->key);
		return BH_ERR;
	}
	if (p->cfg.notify_channel)
		op->value_hash = keyset_hash(reg->value, reg->value_len);
	char ttl[24];
	snprintf(ttl, sizeof ttl, "%u", reg->ttl);
	/* argv form: key and value go out byte for byte, no format parsing. */
	const char *argv[5] = {"SET", reg->key, reg->value, "EX", ttl};
	size_t lens[5] = {3, strlen(reg->key), reg->value_len, 2, strlen(ttl)};
	if (redis_conn_submit(p, on_reply, op, reg->ttl > 0 ? 5 : 3, argv, lens) != BH_OK) {
		op_free(op);
		p->owed = true;
	}
	return BH_OK;
}

static int redis_withdraw(void *self, const char *key, const char *container)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	if (!redis_conn_usable(p)) {
		defer_del(p, key, container);
		return BH_OK;
	}
	struct op *op = op_new(p, OP_DEL, key, container);
	const char *argv[2] = {"DEL", key};
	size_t lens[2] = {3, strlen(key)};
	if (!op || redis_conn_submit(p, on_reply, op, 2, argv, lens) != BH_OK) {
		if (op)
			op_free(op);
		defer_del(p, key, container);
	}
	return BH_OK;
}

void redis_publisher_connected(struct redis_publisher *p)
{
	char *key;
	/* Sent before the replay's SETs (the core replays from the loop, after
	 * this returns), so a key re-registered meanwhile ends up set. */
	while ((key = keyset_pop(&p->deferred_dels)) != NULL) {
		struct op *op = op_new(p, OP_DEL, key, NULL);
		const char *argv[2] = {"DEL", key};
		size_t lens[2] = {3, strlen(key)};
		if (!op || redis_conn_submit(p, on_reply, op, 2, argv, lens) != BH_OK) {
			if (op)
				op_free(op);
			p->api->report_error(p->host, NULL,
					     "could not queue the deferred DEL of %s on redis %s", key,
					     p->cfg.server);
		}
		free(key);
	}
}

static size_t redis_pending(void *self)
{
	const struct redis_publisher *p = self;
	/* A one-pass run refused by the server has already reported the error;
	 * retrying for the core's whole drain period would not fix a password. */
	if (p->one_pass && p->logged == LINK_AUTH_FAILED)
		return p->inflight;
	/* owed is worth waiting for only where a replay (or, at the end of a
	 * one-pass run, the error saying it is lost) can still follow: a
	 * stopped daemon-mode publisher gets no replay (see became_ready()),
	 * so it must not hold up the exit or a reload's switch for nothing. */
	bool owed = p->owed && (!p->stopping || p->one_pass);
	return p->inflight + p->deferred_dels.count + (owed ? 1u : 0u);
}

/* --- life cycle --- */

/* One setting for --check-config --verbose; a string is quoted as the
 * configuration spells it (value NULL: unset). */
static void describe(const struct bh_init *args, const char *name, const char *value, bool quote)
{
	char *text = NULL;
	if (value && asprintf(&text, quote ? "\"%s\"" : "%s", value) < 0)
		text = NULL;
	args->api->describe_setting(args->host, name, text,
				    config_setting_get_member(args->config, name), "default");
	free(text);
}

static void describe_number(const struct bh_init *args, const char *name, long long value)
{
	char text[32];
	snprintf(text, sizeof text, "%lld", value);
	describe(args, name, text, false);
}

static void describe_settings(const struct bh_init *args, const struct redis_config *cfg)
{
	describe(args, "host", cfg->host, true);
	describe_number(args, "port", cfg->port);
	describe(args, "socket", cfg->socket, true);
	describe(args, "user", cfg->user, true);
	/* The password itself is never printed (the core hides it too). */
	const config_setting_t *file = config_setting_get_member(args->config, "password_file");
	describe(args, "password", cfg->password && !file ? "(hidden)" : NULL, false);
	describe(args, "password_file", file ? config_setting_get_string(file) : NULL, true);
	describe_number(args, "database", cfg->database);
	describe_number(args, "connect_timeout_ms", cfg->connect_timeout_ms);
	describe_number(args, "command_timeout_ms", cfg->command_timeout_ms);
	describe(args, "notify_channel", cfg->notify_channel, true);
}

static int redis_init(const struct bh_init *args, void **self)
{
	struct redis_publisher *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	p->api = args->api;
	p->host = args->host;
	p->one_pass = args->refresh == 0;
	if (redis_config_parse(args, &p->cfg) != BH_OK) {
		free(p);
		return BH_ERR;
	}
	describe_settings(args, &p->cfg);
	keyset_init(&p->deferred_dels);
	keyset_init(&p->stored);
	*self = p;
	return BH_OK;
}

static int redis_start(void *self)
{
	struct redis_publisher *p = self;
	if (p->cfg.notify_channel) {
		p->notify_timer = p->api->timer_new(p->host, on_notify_timer, p);
		if (!p->notify_timer)
			return BH_ERR;
	}
	return redis_conn_start(p);
}

static void redis_stop(void *self)
{
	struct redis_publisher *p = self;
	/* New work is refused; what is in flight keeps flushing for as long as
	 * the core polls pending(). */
	p->stopping = true;
}

static void redis_destroy(void *self)
{
	struct redis_publisher *p = self;
	redis_conn_destroy(p);
	if (p->notify_timer)
		p->api->timer_free(p->host, p->notify_timer);
	keyset_clear(&p->deferred_dels);
	keyset_clear(&p->stored);
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
	.description = "Redis: SET key value EX ttl, DEL on removal (hiredis, pipelined)",
	.init = redis_init,
	.start = redis_start,
	.stop = redis_stop,
	.destroy = redis_destroy,
	.publish = redis_publish,
	.withdraw = redis_withdraw,
	.pending = redis_pending,
};
