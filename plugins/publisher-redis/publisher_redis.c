/*
 * publisher-redis: stores each registration as `SET key value EX ttl` (plain
 * SET when ttl is 0) and deletes withdrawn ones with DEL, on our own
 * non-blocking connection driven by the core loop (resp_link.c).  Commands
 * are pipelined: they are queued at once and written whenever the socket is
 * writable.
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
 * retried with backoff; the operator reads one line when the refusals begin
 * and one when writes succeed again.
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

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_credentials.h"
#include "redis_publisher.h"

/* At exit, how many of the keys left behind the log line names. */
#define LEFT_BEHIND_SHOWN 10
/* Sentinel: how long an acknowledged DEL is sent again to a new master.
 * Asynchronous replication loses what the old master acknowledged but had
 * not passed on; a master cut off from its replicas goes on acknowledging
 * for down-after-milliseconds plus the failover itself, which a minute
 * covers for usual settings. */
#define RECENT_DEL_MS 60000u

enum op_kind {
	OP_SET,
	OP_DEL,
	OP_NOTIFY,
	/* From here on, replies go to their owners (delegated()). */
	OP_CLAIM, /* redis_claim.c's command */
	OP_CHECK, /* GET after a keyspace event (redis_repair.c) */
	OP_PROBE, /* EXISTS: did the keys vanish without an event? */
};

/* One command in flight; privdata of its reply callback. */
struct op {
	enum op_kind kind;
	bool retry;    /* a resend of a refused write */
	bool with_get; /* SET ... GET: the reply is the old value */
	bool no_get;   /* SET without GET: the key holds another type */
	char *key;
	char *event;   /* OP_CHECK: the keyspace event that asked for it */
	unsigned sets_before; /* OP_CHECK: the key's sets_sent when the GET went out */
	char *container; /* for error messages; may be NULL */
	uint64_t value_hash;
	uint64_t prev_hash; /* SET ... GET: what we wrote before (0: nothing) */
	/* SET: what to send again if the server refuses it. */
	char *value;
	size_t value_len;
	unsigned ttl;
	uint64_t sent_ms; /* write_duration_seconds */
};

/* A SET the server refused, kept for the next retry (data of failed_sets). */
struct failed_set {
	char *container;
	char *value;
	size_t value_len;
	unsigned ttl;
};

static void op_free(struct op *op)
{
	free(op->key);
	free(op->event);
	free(op->container);
	free(op->value);
	free(op);
}

static struct op *op_new(enum op_kind kind, const char *key, const char *container)
{
	struct op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->kind = kind;
	op->key = key ? strdup(key) : NULL;
	op->container = container ? strdup(container) : NULL;
	if ((key && !op->key) || (container && !op->container)) {
		op_free(op);
		return NULL;
	}
	return op;
}

static void failed_set_free(struct failed_set *f)
{
	if (!f)
		return;
	free(f->container);
	free(f->value);
	free(f);
}

static void free_failed_sets(struct redis_publisher *p)
{
	void *data;
	char *key;
	while ((key = keyset_pop(&p->failed_sets, NULL, &data)) != NULL) {
		failed_set_free(data);
		free(key);
	}
}

/* --- withdrawals owed to the store --- */

/* A withdrawal that could not reach Redis: its DEL is sent after the next
 * connect (or the next retry).  The replay that follows a connect
 * republishes anything re-registered in the meantime, so DEL-then-SET
 * ordering stays correct.  The data is the container name, for messages. */
static void defer_del(struct redis_publisher *p, const char *key, const char *container)
{
	void *old = NULL;
	char *name = container ? strdup(container) : NULL;
	if (keyset_put_data(&p->deferred_dels, key, name, &old) < 0) {
		free(name);
		p->api->report_error(p->host, container,
				     "out of memory remembering that %s must be deleted", key);
		return;
	}
	free(old);
}

static char *pop_deferred_del(struct redis_publisher *p, char **container)
{
	void *data = NULL;
	char *key = keyset_pop(&p->deferred_dels, NULL, &data);
	*container = data;
	return key;
}

static void free_deferred_dels(struct redis_publisher *p)
{
	char *container, *key;
	while ((key = pop_deferred_del(p, &container)) != NULL) {
		free(container);
		free(key);
	}
}

/* --- notifications --- */

static void on_notify_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_publisher *p = arg;
	struct op *op = privdata;
	p->inflight--;
	redis_conn_progress(p);
	if (r && r->type == REDIS_REPLY_ERROR && !p->destroying)
		BH_WARNING(p, "PUBLISH to %s failed: %s", p->cfg.notify_channel, r->str);
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
	struct op *op = op_new(OP_NOTIFY, NULL, NULL);
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

/* --- sending SET / DEL --- */

static void on_reply(void *arg, void *privdata, const redisReply *r);

static int send_set(struct redis_publisher *p, struct op *op)
{
	char ttl[24];
	snprintf(ttl, sizeof ttl, "%u", op->ttl);
	/* argv form: key and value go out byte for byte, no format parsing. */
	const char *argv[6] = {"SET", op->key, op->value, "EX", ttl, NULL};
	size_t lens[6] = {3, strlen(op->key), op->value_len, 2, strlen(ttl), 3};
	int argc = op->ttl > 0 ? 5 : 3;
	op->with_get = p->set_get && !op->no_get;
	op->sent_ms = p->api->now_ms(p->host);
	if (op->with_get) {
		argv[argc] = "GET";
		lens[argc++] = 3;
	}
	if (redis_conn_submit(p, on_reply, op, argc, argv, lens) != BH_OK)
		return BH_ERR;
	/* Its keyspace event is ours: counted, so that it costs no check. */
	struct held_reg *h = held_find(&p->held, op->key);
	if (h) {
		h->own_events++;
		h->sets_sent++;
	}
	return BH_OK;
}

static int send_del(struct redis_publisher *p, struct op *op)
{
	const char *argv[2] = {"DEL", op->key};
	size_t lens[2] = {3, strlen(op->key)};
	op->sent_ms = p->api->now_ms(p->host);
	return redis_conn_submit(p, on_reply, op, 2, argv, lens);
}

/* Queues a DEL, or owes it when the link cannot take it. */
static void del_or_defer(struct redis_publisher *p, const char *key, const char *container,
			 bool retry)
{
	bool can = redis_conn_usable(p) && redis_publisher_may_write(p);
	struct op *op = can ? op_new(OP_DEL, key, container) : NULL;
	if (op)
		op->retry = retry;
	if (!op || send_del(p, op) != BH_OK) {
		if (op)
			op_free(op);
		defer_del(p, key, container);
		return;
	}
	if (retry)
		p->retries_inflight++;
}

/* --- refused writes --- */

static void arm_retry(struct redis_publisher *p)
{
	if (p->retry_armed)
		return;
	p->retry_armed = true;
	if (p->api->timer_arm(p->host, p->retry_timer, bh_backoff_next(&p->retry_backoff)) != BH_OK)
		BH_ERROR(p, "cannot arm the retry timer: refused writes wait for the next refresh");
}

static void write_refused(struct redis_publisher *p, struct op *op, const char *error)
{
	redis_metrics_write_refused(p);
	if (op->kind == OP_DEL) {
		defer_del(p, op->key, op->container);
	} else {
		struct failed_set *f = calloc(1, sizeof *f);
		void *old = NULL;
		if (f) {
			f->value = op->value;
			f->value_len = op->value_len;
			f->ttl = op->ttl;
			f->container = op->container;
		}
		if (!f || keyset_put_data(&p->failed_sets, op->key, f, &old) < 0) {
			free(f);
			p->owed = true; /* the next replay sends it again */
		} else {
			op->value = op->container = NULL; /* now owned by f */
			failed_set_free(old);
		}
	}
	(void)keyset_put(&p->troubled, op->key, 0); /* OOM: the line may come early */
	p->write_failures++;
	if (!p->write_trouble) {
		p->write_trouble = true;
		p->write_trouble_since_ms = p->api->now_ms(p->host);
		free(p->write_error);
		p->write_error = strdup(error);
		/* One line for the whole episode, however many keys it hits. */
		p->api->report_error(p->host, NULL,
				     "redis %s refuses writes: %s (first: %s %s); retrying refused "
				     "writes with backoff up to %u s",
				     redis_conn_server(p), error, op->kind == OP_DEL ? "DEL" : "SET",
				     op->key, BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: refusing writes");
	} else {
		BH_DEBUG(p, "redis %s refused %s %s: %s",
			 redis_conn_server(p), op->kind == OP_DEL ? "DEL" : "SET", op->key, error);
	}
	arm_retry(p);
}

static void send_failed_sets(struct redis_publisher *p);
static void flush_owed(struct redis_publisher *p);

/* Sends every refused write and owed withdrawal again. */
static void on_retry_timer(void *arg)
{
	struct redis_publisher *p = arg;
	p->retry_armed = false;
	if (!redis_conn_usable(p) || !redis_publisher_may_write(p))
		return; /* the reconnect (or the claim) flushes DELs and replays the SETs */
	char *container, *key;
	size_t owed_dels = p->deferred_dels.map.count;
	for (size_t i = 0; i < owed_dels && (key = pop_deferred_del(p, &container)); i++) {
		del_or_defer(p, key, container, true);
		free(container);
		free(key);
	}
	send_failed_sets(p);
}

static void send_failed_sets(struct redis_publisher *p)
{
	char *key;
	void *data;
	while ((key = keyset_pop(&p->failed_sets, NULL, &data)) != NULL) {
		struct failed_set *f = data;
		struct op *op = op_new(OP_SET, NULL, NULL);
		if (!op) {
			p->owed = true;
			failed_set_free(f);
			free(key);
			continue;
		}
		op->key = key;
		op->container = f->container;
		op->value = f->value;
		op->value_len = f->value_len;
		op->ttl = f->ttl;
		op->retry = true;
		free(f);
		if (send_set(p, op) != BH_OK) {
			p->owed = true;
			op_free(op);
			continue;
		}
		p->retries_inflight++;
	}
}

/* A write of key succeeded: the episode of refusals ends once every key
 * refused in it has been written (a refresh's SET of a refused key is no
 * retry, and another key's success says nothing about it). */
static void write_succeeded(struct redis_publisher *p, const char *key)
{
	keyset_remove(&p->troubled, key);
	if (!p->write_trouble || p->failed_sets.map.count > 0 || p->deferred_dels.map.count > 0 ||
	    p->retries_inflight > 0 || p->troubled.map.count > 0)
		return;
	uint64_t took = p->api->now_ms(p->host) - p->write_trouble_since_ms;
	BH_INFO(p, "writes to redis %s succeed again after %llu.%01llu s (%u writes refused "
		"meanwhile, all retried; the first refusal: %s)",
		redis_conn_server(p), (unsigned long long)(took / 1000),
		(unsigned long long)(took % 1000 / 100), p->write_failures,
		p->write_error ? p->write_error : "?");
	p->api->set_status(p->host, "redis: connected");
	p->write_trouble = false;
	p->write_failures = 0;
	keyset_clear(&p->troubled);
	free(p->write_error);
	p->write_error = NULL;
	bh_backoff_reset(&p->retry_backoff);
	p->api->timer_disarm(p->host, p->retry_timer);
	p->retry_armed = false;
}

/* --- replies --- */

/* Errors that concern the link, not the key: reconnect (with Sentinel: ask
 * the sentinels again) instead of retrying the write on this link. */
static bool is_link_error(const char *error, enum link_logged *kind)
{
	static const char *const link_errors[] = {"READONLY", "LOADING", "MASTERDOWN"};
	if (strncmp(error, "NOAUTH", 6) == 0) {
		*kind = LINK_AUTH_FAILED;
		return true;
	}
	/* A Cluster node that the handshake could not recognise (INFO
	 * refused): nothing is written there. */
	if (strncmp(error, "MOVED ", 6) == 0 || strncmp(error, "ASK ", 4) == 0 ||
	    strncmp(error, "CLUSTERDOWN", 11) == 0) {
		*kind = LINK_CLUSTER;
		return true;
	}
	for (size_t i = 0; i < sizeof link_errors / sizeof link_errors[0]; i++) {
		if (strncmp(error, link_errors[i], strlen(link_errors[i])) == 0) {
			*kind = LINK_REFUSED;
			return true;
		}
	}
	return false;
}

/* The outcome is unknown (lost with the link) or must be redone elsewhere:
 * owe it. */
static void owe(struct redis_publisher *p, const struct op *op)
{
	if (op->kind == OP_DEL)
		defer_del(p, op->key, op->container);
	else
		p->owed = true;
}

/* Keeps recent_dels from growing with every DEL ever made: forgets those
 * older than RECENT_DEL_MS whenever the set doubled since the last time. */
static void prune_recent_dels(struct redis_publisher *p)
{
	if (p->recent_dels.map.count < p->recent_prune_at)
		return;
	uint64_t now = p->api->now_ms(p->host);
	struct keyset young;
	keyset_init(&young);
	char *key;
	uint64_t acked = 0;
	while ((key = keyset_pop(&p->recent_dels, &acked, NULL)) != NULL) {
		if (now - acked < RECENT_DEL_MS)
			(void)keyset_put(&young, key, acked);
		free(key);
	}
	keyset_clear(&p->recent_dels);
	p->recent_dels = young;
	p->recent_prune_at = 2 * young.map.count > 1024 ? 2 * young.map.count : 1024;
}

/* SET ... GET answered the value it replaced: anything but nothing, what we
 * wrote before or what we write now is another writer's. */
static void check_replaced(struct redis_publisher *p, struct held_reg *h, const struct op *op,
			   const redisReply *old)
{
	if (old->type != REDIS_REPLY_STRING || op->prev_hash == 0 || h->foreign_warned)
		return;
	uint64_t hash = keyset_hash(old->str, old->len);
	if (hash == op->prev_hash || hash == op->value_hash)
		return;
	h->foreign_warned = true;
	BH_WARNING(p, "redis %s: %s held a value this daemon did not write: another writer "
		   "(another daemon publishing the same container name under %s?) overwrites "
		   "it; give each host its own host_id", redis_conn_server(p), op->key,
		   p->key_prefix);
}

static struct op *set_op(const char *key, const char *container, const char *value,
			 size_t value_len, unsigned ttl);

/* SET ... GET met a key of another type (a list, a hash): Redis refuses
 * it with WRONGTYPE and sets nothing, so the value would never be written
 * again.  Another writer put it there: said once, and the held value goes
 * out as a plain SET, which replaces a key of any type. */
static void replace_other_type(struct redis_publisher *p, const struct op *op)
{
	struct held_reg *h = held_find(&p->held, op->key);
	if (!h)
		return; /* withdrawn meanwhile */
	if (!h->foreign_warned)
		BH_WARNING(p, "redis %s: %s held a key of another type that this daemon did not "
			   "write: another writer (another daemon publishing the same container name "
			   "under %s?) overwrites it; give each host its own host_id",
			   redis_conn_server(p), op->key, p->key_prefix);
	h->foreign_warned = true;
	struct op *again = set_op(h->key, h->container, h->value, h->value_len, h->ttl);
	if (again)
		again->no_get = true;
	if (!again || send_set(p, again) != BH_OK) {
		if (again)
			op_free(again);
		p->owed = true;
	}
}

static void on_success(struct redis_publisher *p, const struct op *op, const redisReply *r)
{
	struct held_reg *h = op->kind == OP_SET ? held_find(&p->held, op->key) : NULL;
	if (h && op->with_get)
		check_replaced(p, h, op, r);
	if (h)
		h->written_hash = op->value_hash;
	if (p->sentinel && op->kind == OP_DEL) {
		(void)keyset_put(&p->recent_dels, op->key, p->api->now_ms(p->host));
		prune_recent_dels(p);
	}
	if (!p->cfg.notify_channel)
		return;
	uint64_t old;
	if (op->kind == OP_SET) {
		if (!keyset_get(&p->stored, op->key, &old) || old != op->value_hash) {
			(void)keyset_put(&p->stored, op->key, op->value_hash);
			note_change(p);
		}
	} else if (r->integer > 0) {
		keyset_remove(&p->stored, op->key);
		note_change(p);
	}
}

/* The replies to the claim, the checks and the probes go to their owners;
 * an error there is theirs to read (or, for a check, the next write's). */
static bool delegated(struct redis_publisher *p, const struct op *op, const redisReply *r)
{
	enum link_logged kind;
	if (op->kind >= OP_CLAIM && r && r->type == REDIS_REPLY_ERROR &&
	    is_link_error(r->str, &kind)) {
		/* The link's trouble (a demoted master's READONLY, LOADING...),
		 * not the claim's or the key's: lost for its owner, and the link
		 * goes, as for a write. */
		(void)delegated(p, op, NULL);
		char *reason = bh_strfmt("%s: %s", op->kind == OP_CLAIM ? "the claim" : op->key, r->str);
		redis_conn_drop(p, kind, reason ? reason : r->str);
		free(reason);
		return true;
	}
	switch (op->kind) {
	case OP_CLAIM:
		redis_claim_reply(p->claim, r);
		return true;
	case OP_CHECK:
		redis_repair_checked(p, op->key, op->event, op->sets_before, r);
		return true;
	case OP_PROBE:
		redis_repair_probed(p, r);
		return true;
	default:
		return false;
	}
}

/* SET answers +OK, or with GET the old value (or nil); DEL a count. */
static bool expected_reply(const struct op *op, const redisReply *r)
{
	if (op->kind == OP_DEL)
		return r->type == REDIS_REPLY_INTEGER;
	if (op->with_get)
		return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL;
	return r->type == REDIS_REPLY_STATUS;
}

/* An error (or nothing) instead of the echo's SET: no event will come. */
static void no_echo(struct redis_publisher *p, const struct op *op)
{
	struct held_reg *h = op->kind == OP_SET ? held_find(&p->held, op->key) : NULL;
	if (h && h->own_events > 0)
		h->own_events--;
}

static void on_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_publisher *p = arg;
	struct op *op = privdata;
	enum link_logged kind;
	p->inflight--;
	if (op->retry)
		p->retries_inflight--;
	redis_conn_progress(p);
	if (p->destroying || delegated(p, op, r)) {
		op_free(op);
		return;
	}
	if (!r || r->type == REDIS_REPLY_ERROR)
		no_echo(p, op);
	if (!r) {
		owe(p, op);
	} else if (r->type == REDIS_REPLY_ERROR && is_link_error(r->str, &kind)) {
		owe(p, op);
		char *reason = bh_strfmt("%s %s: %s", op->kind == OP_DEL ? "DEL" : "SET", op->key,
					 r->str);
		redis_conn_drop(p, kind, reason ? reason : r->str);
		free(reason);
	} else if (r->type == REDIS_REPLY_ERROR && op->with_get &&
		   strncmp(r->str, "WRONGTYPE", 9) == 0) {
		replace_other_type(p, op);
	} else if (r->type == REDIS_REPLY_ERROR) {
		write_refused(p, op, r->str);
	} else if (!expected_reply(op, r)) {
		owe(p, op);
		redis_conn_drop(p, LINK_PROTOCOL,
				op->kind == OP_SET ? "protocol error: an unexpected reply to SET"
						   : "protocol error: an unexpected reply to DEL");
	} else {
		on_success(p, op, r);
		redis_metrics_write_done(p, op->kind == OP_SET, op->sent_ms);
		write_succeeded(p, op->key);
	}
	op_free(op);
}

/* --- one pass without a connection yet --- */

/* A SET kept (in failed_sets: same shape, sent by the same code) until the
 * connection is ready. */
static void hold_set(struct redis_publisher *p, struct op *op)
{
	struct failed_set *f = calloc(1, sizeof *f);
	void *old = NULL;
	if (!f || keyset_put_data(&p->failed_sets, op->key, f, &old) < 0) {
		free(f);
		p->owed = true; /* reported at the end of the run */
		op_free(op);
		return;
	}
	f->value = op->value;
	f->value_len = op->value_len;
	f->ttl = op->ttl;
	f->container = op->container;
	op->value = op->container = NULL;
	failed_set_free(old);
	op_free(op);
}

/* --- the publisher functions --- */

/* A SET of key with value (copied), or NULL when out of memory. */
static struct op *set_op(const char *key, const char *container, const char *value,
			 size_t value_len, unsigned ttl)
{
	struct op *op = op_new(OP_SET, key, container);
	if (op && !(op->value = malloc(value_len + 1))) {
		op_free(op);
		return NULL;
	}
	if (!op)
		return NULL;
	memcpy(op->value, value, value_len);
	op->value[value_len] = '\0';
	op->value_len = value_len;
	op->ttl = ttl;
	op->value_hash = keyset_hash(value, value_len);
	return op;
}

bool redis_publisher_may_write(const struct redis_publisher *p)
{
	return !p->claim || redis_claim_writable(p->claim);
}

void redis_publisher_send_held(struct redis_publisher *p, struct held_reg *h, bool repair)
{
	if (!redis_conn_usable(p) || !redis_publisher_may_write(p))
		return; /* sent when the link, or the claim, allows */
	struct op *op = set_op(h->key, h->container, h->value, h->value_len, h->ttl);
	if (op && !repair)
		op->prev_hash = h->written_hash;
	if (!op || send_set(p, op) != BH_OK) {
		if (op)
			op_free(op);
		p->owed = true;
	}
}

static int redis_publish(void *self, const struct bh_registration *reg)
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
	/* This SET supersedes a refused one, and a DEL still owed. */
	failed_set_free(keyset_take(&p->failed_sets, reg->key));
	free(keyset_take(&p->deferred_dels, reg->key));
	if (!redis_publisher_may_write(p))
		return BH_OK; /* the claim's answer sends what is held */
	if (!redis_conn_usable(p) && !p->one_pass) {
		p->owed = true; /* the replay after the reconnect brings it back */
		return BH_OK;
	}
	struct op *op = set_op(reg->key, reg->container, reg->value, reg->value_len, reg->ttl);
	if (!op) {
		p->api->report_error(p->host, reg->container, "out of memory publishing %s", reg->key);
		return BH_ERR;
	}
	op->prev_hash = h->written_hash;
	if (!redis_conn_usable(p)) {
		/* One pass: no replay will follow (the pass ends before the
		 * sentinels name the master, say): keep the SET itself. */
		hold_set(p, op);
		return BH_OK;
	}
	if (send_set(p, op) != BH_OK) {
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
	held_remove(&p->held, key);
	keyset_remove(&p->troubled, key);
	failed_set_free(keyset_take(&p->failed_sets, key));
	del_or_defer(p, key, container, false);
	return BH_OK;
}

void redis_publisher_delete_stale(struct redis_publisher *p, const char *key)
{
	del_or_defer(p, key, NULL, false);
}

/* ABI 1.2. */
static int redis_sweep(void *self, const char *namespace_prefix)
{
	struct redis_publisher *p = self;
	if (p->stopping)
		return BH_ERR;
	if (p->claim && redis_claim_refused(p->claim)) {
		BH_DEBUG(p, "redis %s: not sweeping %s: its claim is not ours",
			 redis_conn_server(p), namespace_prefix);
		return BH_OK;
	}
	/* Before the claim's first answer the sweep waits like it waits for
	 * a connection (redis_publisher_writable() starts it). */
	return redis_sweep_start(p, namespace_prefix);
}

/* A new master after a failover: DELs the old one acknowledged lately may
 * be missing there.  Sent again (their success records them anew); older
 * ones are forgotten. */
static void resend_recent_dels(struct redis_publisher *p)
{
	uint64_t now = p->api->now_ms(p->host);
	char *key;
	uint64_t acked = 0;
	size_t resent = 0;
	while ((key = keyset_pop(&p->recent_dels, &acked, NULL)) != NULL) {
		if (now - acked < RECENT_DEL_MS) {
			del_or_defer(p, key, NULL, false);
			resent++;
		}
		free(key);
	}
	if (resent > 0)
		BH_DEBUG(p, "sent %zu DEL(s) of the last %u s again to the new master", resent,
			 RECENT_DEL_MS / 1000u);
}

void redis_publisher_connected(struct redis_publisher *p, bool new_master)
{
	if (new_master)
		redis_metrics_failover(p);
	if (new_master)
		resend_recent_dels(p);
	/* The claim goes first: with a host id nothing else is written
	 * before it is answered (redis_publisher_writable()). */
	redis_repair_connected(p);
	if (redis_publisher_may_write(p))
		flush_owed(p);
}

/* Owed DELs, then held SETs of a one-pass run (and refused ones), then a
 * sweep that waited. */
static void flush_owed(struct redis_publisher *p)
{
	char *container, *key;
	/* Sent before the replay's SETs (the core replays from the loop, after
	 * this returns), so a key re-registered meanwhile ends up set. */
	size_t owed_dels = p->deferred_dels.map.count;
	for (size_t i = 0; i < owed_dels && (key = pop_deferred_del(p, &container)); i++) {
		del_or_defer(p, key, container, false);
		free(container);
		free(key);
	}
	send_failed_sets(p);
	redis_sweep_connected(p);
}

void redis_publisher_writable(struct redis_publisher *p)
{
	if (!redis_conn_usable(p))
		return;
	flush_owed(p);
	struct bh_strmap_iter it = bh_strmap_iter(&p->held.map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		redis_publisher_send_held(p, BH_STRMAP_ENTRY(n, struct held_reg, node), false);
}

/* Submits an op that only reads (or claims); BH_ERR when it cannot go out. */
static int submit_op(struct redis_publisher *p, struct op *op, int argc, const char **argv,
		     const size_t *lens)
{
	if (!op || redis_conn_submit(p, on_reply, op, argc, argv, lens) != BH_OK) {
		if (op)
			op_free(op);
		return BH_ERR;
	}
	return BH_OK;
}

int redis_publisher_send_claim(void *arg, int argc, const char **argv, const size_t *lens)
{
	return submit_op(arg, op_new(OP_CLAIM, NULL, NULL), argc, argv, lens);
}

int redis_publisher_send_check(struct redis_publisher *p, const char *key, const char *event)
{
	struct op *op = op_new(OP_CHECK, key, NULL);
	if (op && !(op->event = strdup(event))) {
		op_free(op);
		op = NULL;
	}
	const struct held_reg *h = held_find(&p->held, key);
	if (op && h)
		op->sets_before = h->sets_sent;
	const char *argv[2] = {"GET", key};
	size_t lens[2] = {3, strlen(key)};
	return submit_op(p, op, 2, argv, lens);
}

int redis_publisher_send_probe(struct redis_publisher *p, const char *key)
{
	const char *argv[2] = {"EXISTS", key};
	size_t lens[2] = {6, strlen(key)};
	return submit_op(p, op_new(OP_PROBE, key, NULL), 2, argv, lens);
}

static size_t redis_pending(void *self)
{
	const struct redis_publisher *p = self;
	/* A one-pass run refused by the server has already reported the error;
	 * retrying for the core's whole drain period would not fix a password. */
	if (p->one_pass && (p->logged == LINK_AUTH_FAILED || p->logged == LINK_CLUSTER))
		return p->inflight;
	/* owed is worth waiting for only where a replay (or, at the end of a
	 * one-pass run, the error saying it is lost) can still follow: a
	 * stopped daemon-mode publisher gets no replay (see became_ready()),
	 * so it must not hold up the exit or a reload's switch for nothing. */
	bool owed = p->owed && (!p->stopping || p->one_pass);
	/* Until the claim is answered, what is held waits for it. */
	bool claim_owed = p->claim && !redis_claim_settled(p->claim) && (!p->stopping || p->one_pass);
	return p->inflight + p->deferred_dels.map.count + p->failed_sets.map.count + (owed ? 1u : 0u) +
	       (claim_owed ? 1u : 0u) + redis_sweep_waiting(p);
}

/* ABI 1.2: a reload retires this publisher; its successor sends the DELs. */
static void redis_hand_over_withdrawals(void *self, bh_withdrawal_cb cb, void *arg)
{
	struct redis_publisher *p = self;
	char *container, *key;
	while ((key = pop_deferred_del(p, &container)) != NULL) {
		cb(arg, key, container);
		free(container);
		free(key);
	}
}

/* At exit: the keys whose DEL never reached the store stay there (until
 * they expire; forever with expire = 0).  Name them so that the operator
 * can delete them by hand. */
static void report_left_behind(struct redis_publisher *p)
{
	size_t n = p->deferred_dels.map.count;
	if (n == 0)
		return;
	char *list = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&list, &size);
	char *container, *key;
	for (size_t i = 0; (key = pop_deferred_del(p, &container)) != NULL; i++) {
		if (out && i < LEFT_BEHIND_SHOWN)
			fprintf(out, "%s%s", i ? " " : "", key);
		free(container);
		free(key);
	}
	if (out && n > LEFT_BEHIND_SHOWN)
		fprintf(out, " and %zu more", n - LEFT_BEHIND_SHOWN);
	if (out && fclose(out) != 0) {
		free(list);
		list = NULL;
	}
	char expiry[64];
	if (p->expire > 0)
		snprintf(expiry, sizeof expiry, "they expire within %u s", p->expire);
	else
		snprintf(expiry, sizeof expiry, "with expire = 0 they never expire");
	BH_WARNING(p, "redis %s: %zu withdrawn key(s) left behind, their DEL never reached the "
		   "server (%s): %s",
		   redis_conn_server(p), n, expiry, list ? list : "(out of memory listing them)");
	free(list);
}

/* --- life cycle --- */

/* One setting for --check-config --verbose; a string is quoted as the
 * configuration spells it (value NULL: unset). */
static void describe(const struct bh_init *args, const char *name, const char *value, bool quote)
{
	char *text = value ? (quote ? bh_strfmt("\"%s\"", value) : strdup(value)) : NULL;
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
	/* Sentinel: the list as one value, as the configuration spells it. */
	char *list = NULL;
	size_t size = 0;
	FILE *out = cfg->n_sentinels ? open_memstream(&list, &size) : NULL;
	for (size_t i = 0; out && i < cfg->n_sentinels; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "[ ", cfg->sentinels[i]);
	bool listed = false;
	if (out) {
		listed = fputs(" ]", out) >= 0;
		listed = fclose(out) == 0 && listed;
	}
	describe(args, "sentinels", listed ? list : NULL, false);
	free(list);
	describe(args, "master_name", cfg->master_name, true);
	describe(args, "sentinel_user", cfg->sentinel_user, true);
	describe(args, "sentinel_password", cfg->sentinel_password ? "(hidden)" : NULL, false);
}

static void free_identity(struct redis_publisher *p)
{
	free(p->instance);
	free(p->key_prefix);
	free(p->owner_record);
	free(p->owner_token);
}

static int redis_init(const struct bh_init *args, void **self)
{
	struct redis_publisher *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	p->api = args->api;
	p->host = args->host;
	p->one_pass = args->refresh == 0;
	p->expire = args->expire;
	p->refresh = args->refresh;
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
		free(p);
		return BH_ERR;
	}
	if (redis_config_parse(args, &p->cfg) != BH_OK) {
		free_identity(p);
		free(p);
		return BH_ERR;
	}
	/* The credentials kept across a reload belong to this instance and
	 * this server: a reload that points publishers[0] at another server
	 * must not send it the password the first one accepted. */
	char *keyed = bh_strfmt("%s %s%s%s", p->instance, p->cfg.server,
				p->cfg.n_sentinels ? " via " : "",
				p->cfg.n_sentinels ? p->cfg.sentinels[0] : "");
	if (!keyed) {
		redis_config_free(&p->cfg);
		free_identity(p);
		free(p);
		return BH_ERR;
	}
	free(p->instance);
	p->instance = keyed;
	describe_settings(args, &p->cfg);
	keyset_init(&p->deferred_dels);
	keyset_init(&p->failed_sets);
	keyset_init(&p->recent_dels);
	p->recent_prune_at = 1024;
	keyset_init(&p->stored);
	keyset_init(&p->troubled);
	held_init(&p->held);
	redis_backoff_init(&p->retry_backoff);
	redis_credentials_hold();
	*self = p;
	return BH_OK;
}

static int redis_start(void *self)
{
	struct redis_publisher *p = self;
	redis_metrics_register(p);
	p->retry_timer = p->api->timer_new(p->host, on_retry_timer, p);
	if (!p->retry_timer)
		return BH_ERR;
	if (p->cfg.notify_channel) {
		p->notify_timer = p->api->timer_new(p->host, on_notify_timer, p);
		if (!p->notify_timer)
			return BH_ERR;
	}
	if (redis_repair_start(p) != BH_OK)
		return BH_ERR;
	return redis_conn_start(p);
}

static void redis_stop(void *self)
{
	struct redis_publisher *p = self;
	/* New work is refused; what is in flight keeps flushing for as long as
	 * the core polls pending(). */
	p->stopping = true;
	redis_sweep_stop(p);
}

static void redis_destroy(void *self)
{
	struct redis_publisher *p = self;
	redis_conn_destroy(p);
	redis_repair_destroy(p);
	report_left_behind(p);
	if (p->notify_timer)
		p->api->timer_free(p->host, p->notify_timer);
	if (p->retry_timer)
		p->api->timer_free(p->host, p->retry_timer);
	free_deferred_dels(p);
	free_failed_sets(p);
	keyset_clear(&p->deferred_dels);
	keyset_clear(&p->failed_sets);
	keyset_clear(&p->recent_dels);
	keyset_clear(&p->stored);
	keyset_clear(&p->troubled);
	held_clear(&p->held);
	redis_sweep_free(p);
	free(p->write_error);
	free_identity(p);
	free(p->master_host);
	free(p->fallback_user);
	redis_free_secret(p->fallback_password);
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
	.init = redis_init,
	.start = redis_start,
	.stop = redis_stop,
	.destroy = redis_destroy,
	.publish = redis_publish,
	.withdraw = redis_withdraw,
	.pending = redis_pending,
	.sweep = redis_sweep,
	.hand_over_withdrawals = redis_hand_over_withdrawals,
};
