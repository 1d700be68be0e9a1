/*
 * The writes: each registration is stored as `SET key value EX ttl` (plain
 * SET when ttl is 0) and each withdrawn one deleted with DEL, on the Redis
 * link (redis_conn.c).  Commands are pipelined: queued at once and written
 * whenever the socket is writable.
 *
 * Outages lose nothing that matters: a publish made while Redis is
 * unreachable is dropped, because the replay the core performs after the
 * reconnect republishes every current registration anyway; a withdrawal is
 * remembered and its DEL sent after the reconnect, so that a container
 * removed during the outage does not linger (confd ignores expiries).  What
 * is still owed when the publisher goes away is handed to its successor on a
 * reload (redis_write_hand_over) or named in the log at exit.
 *
 * Without a host id, SET ... GET tells when another writer replaced a value
 * this daemon wrote.
 */
#include "config.h"

#include "redis_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

/* At exit, how many of the keys left behind the log line names. */
#define LEFT_BEHIND_SHOWN 10
/* Sentinel: how long an acknowledged DEL is sent again to a new master.
 * Asynchronous replication loses what the old master acknowledged but had
 * not passed on; a master cut off from its replicas goes on acknowledging
 * for down-after-milliseconds plus the failover itself, which a minute
 * covers for usual settings. */
#define RECENT_DEL_MS 60000u

/* One SET or DEL in flight; privdata of its reply callback. */
struct op {
	struct redis_writer *w;
	bool del;      /* DEL, else SET */
	bool retry;    /* a resend of a refused write */
	bool with_get; /* SET ... GET: the reply is the old value */
	bool no_get;   /* SET without GET: the key holds another type */
	char *key;
	char *container; /* for error messages; may be NULL */
	uint64_t value_hash;
	uint64_t prev_hash; /* SET ... GET: what we wrote before (0: nothing) */
	/* SET: what to send again if the server refuses it. */
	char *value;
	size_t value_len;
	unsigned ttl;
	uint64_t sent_ms; /* write_duration_seconds */
};

static void op_free(struct op *op)
{
	free(op->key);
	free(op->container);
	free(op->value);
	free(op);
}

static struct op *op_new(struct redis_writer *w, bool del, const char *key, const char *container)
{
	struct op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->w = w;
	op->del = del;
	op->key = key ? strdup(key) : NULL;
	op->container = container ? strdup(container) : NULL;
	if ((key && !op->key) || (container && !op->container)) {
		op_free(op);
		return NULL;
	}
	return op;
}

/* A SET of key with value (copied), or NULL when out of memory. */
static struct op *set_op(struct redis_writer *w, const char *key, const char *container,
			 const char *value, size_t value_len, unsigned ttl)
{
	struct op *op = op_new(w, false, key, container);
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

/* --- withdrawals owed to the store --- */

/* A withdrawal that could not reach Redis: its DEL is sent after the next
 * connect (or the next retry).  The replay that follows a connect
 * republishes anything re-registered in the meantime, so DEL-then-SET
 * ordering stays correct.  The data is the container name, for messages. */
static void defer_del(struct redis_writer *w, const char *key, const char *container)
{
	void *old = NULL;
	char *name = container ? strdup(container) : NULL;
	if (keyset_put_data(&w->deferred_dels, key, name, &old) < 0) {
		free(name);
		w->api->report_error(w->host, container,
				     "out of memory remembering that %s must be deleted", key);
		return;
	}
	free(old);
}

static char *pop_deferred_del(struct redis_writer *w, char **container)
{
	void *data = NULL;
	char *key = keyset_pop(&w->deferred_dels, NULL, &data);
	*container = data;
	return key;
}

/* --- sending SET / DEL --- */

static void on_reply(void *arg, void *privdata, const redisReply *r);

static int send_set(struct redis_writer *w, struct op *op)
{
	char ttl[24];
	snprintf(ttl, sizeof ttl, "%u", op->ttl);
	/* argv form: key and value go out byte for byte, no format parsing. */
	const char *argv[6] = {"SET", op->key, op->value, "EX", ttl, NULL};
	size_t lens[6] = {3, strlen(op->key), op->value_len, 2, strlen(ttl), 3};
	int argc = op->ttl > 0 ? 5 : 3;
	op->with_get = w->conn->set_get && !op->no_get;
	op->sent_ms = w->api->now_ms(w->host);
	if (op->with_get) {
		argv[argc] = "GET";
		lens[argc++] = 3;
	}
	if (redis_conn_submit(w->conn, on_reply, op, argc, argv, lens) != BH_OK)
		return BH_ERR;
	/* Its keyspace event is ours: counted, so that it costs no check. */
	struct held_reg *h = held_find(w->held, op->key);
	if (h) {
		h->own_events++;
		h->sets_sent++;
	}
	return BH_OK;
}

/* Sends op, or owes a replay when it cannot go out (op is then freed). */
static void send_set_or_owe(struct redis_writer *w, struct op *op)
{
	if (!op || send_set(w, op) != BH_OK) {
		if (op)
			op_free(op);
		w->owed = true;
	}
}

static int send_del(struct redis_writer *w, struct op *op)
{
	const char *argv[2] = {"DEL", op->key};
	size_t lens[2] = {3, strlen(op->key)};
	op->sent_ms = w->api->now_ms(w->host);
	return redis_conn_submit(w->conn, on_reply, op, 2, argv, lens);
}

/* Queues a DEL, or owes it when the link cannot take it. */
static void del_or_defer(struct redis_writer *w, const char *key, const char *container,
			 bool retry)
{
	bool can = redis_conn_usable(w->conn) && redis_write_allowed(w);
	struct op *op = can ? op_new(w, true, key, container) : NULL;
	if (op)
		op->retry = retry;
	if (!op || send_del(w, op) != BH_OK) {
		if (op)
			op_free(op);
		defer_del(w, key, container);
		return;
	}
	if (retry)
		w->retry->inflight++;
}

/* Sends every owed DEL again (retry: as a retry of refused ones). */
static void send_deferred_dels(struct redis_writer *w, bool retry)
{
	char *container, *key;
	size_t owed_dels = w->deferred_dels.map.count;
	for (size_t i = 0; i < owed_dels && (key = pop_deferred_del(w, &container)); i++) {
		del_or_defer(w, key, container, retry);
		free(container);
		free(key);
	}
}

/* --- refused writes --- */

static void write_refused(struct redis_writer *w, struct op *op, const char *error)
{
	w->callbacks->write_refused(w->arg);
	if (op->del)
		defer_del(w, op->key, op->container);
	else if (redis_retry_keep(w->retry, op->key, &op->container, &op->value, op->value_len,
				  op->ttl) != BH_OK)
		w->owed = true; /* the next replay sends it again */
	redis_retry_refused(w->retry, op->del ? "DEL" : "SET", op->key, error);
}

static void send_kept_sets(struct redis_writer *w)
{
	char *key;
	struct redis_kept_set *f;
	while ((key = redis_retry_pop(w->retry, &f)) != NULL) {
		struct op *op = op_new(w, false, NULL, NULL);
		if (!op) {
			w->owed = true;
			redis_kept_set_free(f);
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
		if (send_set(w, op) != BH_OK) {
			w->owed = true;
			op_free(op);
			continue;
		}
		w->retry->inflight++;
	}
}

void redis_write_retry(struct redis_writer *w)
{
	if (!redis_conn_usable(w->conn) || !redis_write_allowed(w))
		return; /* the reconnect (or the claim) flushes DELs and replays the SETs */
	send_deferred_dels(w, true);
	send_kept_sets(w);
}

/* --- replies --- */

/* The outcome is unknown (lost with the link) or must be redone elsewhere:
 * owe it. */
static void owe(struct redis_writer *w, const struct op *op)
{
	if (op->del)
		defer_del(w, op->key, op->container);
	else
		w->owed = true;
}

/* Keeps recent_dels from growing with every DEL ever made: forgets those
 * older than RECENT_DEL_MS whenever the set doubled since the last time. */
static void prune_recent_dels(struct redis_writer *w)
{
	if (w->recent_dels.map.count < w->recent_prune_at)
		return;
	uint64_t now = w->api->now_ms(w->host);
	struct keyset young;
	keyset_init(&young);
	char *key;
	uint64_t acked = 0;
	while ((key = keyset_pop(&w->recent_dels, &acked, NULL)) != NULL) {
		if (now - acked < RECENT_DEL_MS)
			(void)keyset_put(&young, key, acked);
		free(key);
	}
	keyset_clear(&w->recent_dels);
	w->recent_dels = young;
	w->recent_prune_at = 2 * young.map.count > 1024 ? 2 * young.map.count : 1024;
}

/* SET ... GET answered the value it replaced: anything but nothing, what we
 * wrote before or what we write now is another writer's. */
static void check_replaced(struct redis_writer *w, struct held_reg *h, const struct op *op,
			   const redisReply *old)
{
	if (old->type != REDIS_REPLY_STRING || op->prev_hash == 0 || h->foreign_warned)
		return;
	uint64_t hash = keyset_hash(old->str, old->len);
	if (hash == op->prev_hash || hash == op->value_hash)
		return;
	h->foreign_warned = true;
	BH_WARNING(w, "redis %s: %s held a value this daemon did not write: another writer "
		   "(another daemon publishing the same container name under %s?) overwrites "
		   "it; give each host its own host_id", redis_conn_server(w->conn), op->key,
		   w->key_prefix);
}

/* SET ... GET met a key of another type (a list, a hash): Redis refuses
 * it with WRONGTYPE and sets nothing, so the value would never be written
 * again.  Another writer put it there: said once, and the held value goes
 * out as a plain SET, which replaces a key of any type. */
static void replace_other_type(struct redis_writer *w, const struct op *op)
{
	struct held_reg *h = held_find(w->held, op->key);
	if (!h)
		return; /* withdrawn meanwhile */
	if (!h->foreign_warned)
		BH_WARNING(w, "redis %s: %s held a key of another type that this daemon did not "
			   "write: another writer (another daemon publishing the same container name "
			   "under %s?) overwrites it; give each host its own host_id",
			   redis_conn_server(w->conn), op->key, w->key_prefix);
	h->foreign_warned = true;
	struct op *again = set_op(w, h->key, h->container, h->value, h->value_len, h->ttl);
	if (again)
		again->no_get = true;
	send_set_or_owe(w, again);
}

static void on_success(struct redis_writer *w, const struct op *op, const redisReply *r)
{
	struct held_reg *h = op->del ? NULL : held_find(w->held, op->key);
	if (h && op->with_get)
		check_replaced(w, h, op, r);
	if (h)
		h->written_hash = op->value_hash;
	if (w->track_recent_dels && op->del) {
		(void)keyset_put(&w->recent_dels, op->key, w->api->now_ms(w->host));
		prune_recent_dels(w);
	}
	if (op->del)
		redis_notify_deleted(w->notify, op->key, r->integer > 0);
	else
		redis_notify_stored(w->notify, op->key, op->value_hash);
}

/* SET answers +OK, or with GET the old value (or nil); DEL a count. */
static bool expected_reply(const struct op *op, const redisReply *r)
{
	if (op->del)
		return r->type == REDIS_REPLY_INTEGER;
	if (op->with_get)
		return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL;
	return r->type == REDIS_REPLY_STATUS;
}

/* An error (or nothing) instead of the echo's SET: no event will come. */
static void no_echo(struct redis_writer *w, const struct op *op)
{
	struct held_reg *h = op->del ? NULL : held_find(w->held, op->key);
	if (h && h->own_events > 0)
		h->own_events--;
}

/* The link's trouble, not the key's: owed, and the link goes. */
static void link_trouble(struct redis_writer *w, const struct op *op, enum link_logged kind,
			 const char *error)
{
	owe(w, op);
	char *reason = bh_strfmt("%s %s: %s", op->del ? "DEL" : "SET", op->key, error);
	redis_conn_drop(w->conn, kind, reason ? reason : error);
	free(reason);
}

static void on_reply(void *arg, void *privdata, const redisReply *r)
{
	struct op *op = privdata;
	struct redis_writer *w = op->w;
	enum link_logged kind;
	redis_conn_replied(arg);
	if (op->retry)
		w->retry->inflight--;
	if (w->closing) {
		op_free(op);
		return;
	}
	if (!r || r->type == REDIS_REPLY_ERROR)
		no_echo(w, op);
	if (!r) {
		owe(w, op);
	} else if (r->type == REDIS_REPLY_ERROR && redis_conn_is_link_error(r->str, &kind)) {
		link_trouble(w, op, kind, r->str);
	} else if (r->type == REDIS_REPLY_ERROR && op->with_get &&
		   strncmp(r->str, "WRONGTYPE", 9) == 0) {
		replace_other_type(w, op);
	} else if (r->type == REDIS_REPLY_ERROR) {
		write_refused(w, op, r->str);
	} else if (!expected_reply(op, r)) {
		owe(w, op);
		redis_conn_drop(w->conn, LINK_PROTOCOL,
				op->del ? "protocol error: an unexpected reply to DEL"
					: "protocol error: an unexpected reply to SET");
	} else {
		on_success(w, op, r);
		w->callbacks->write_done(w->arg, !op->del, op->sent_ms);
		redis_retry_succeeded(w->retry, op->key, w->deferred_dels.map.count);
	}
	op_free(op);
}

/* --- what the publisher asks --- */

bool redis_write_allowed(const struct redis_writer *w)
{
	return !w->claim || redis_claim_writable(w->claim);
}

void redis_write_held(struct redis_writer *w, struct held_reg *h, bool repair)
{
	if (!redis_conn_usable(w->conn) || !redis_write_allowed(w))
		return; /* sent when the link, or the claim, allows */
	struct op *op = set_op(w, h->key, h->container, h->value, h->value_len, h->ttl);
	if (op && !repair)
		op->prev_hash = h->written_hash;
	send_set_or_owe(w, op);
}

void redis_write_all_held(struct redis_writer *w)
{
	struct bh_strmap_iter it = bh_strmap_iter(&w->held->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		redis_write_held(w, BH_STRMAP_ENTRY(n, struct held_reg, node), false);
}

int redis_write_publish(struct redis_writer *w, const struct bh_registration *reg,
			struct held_reg *h)
{
	/* This SET supersedes a refused one, and a DEL still owed. */
	redis_retry_forget(w->retry, reg->key);
	free(keyset_take(&w->deferred_dels, reg->key));
	if (!redis_write_allowed(w))
		return BH_OK; /* the claim's answer sends what is held */
	if (!redis_conn_usable(w->conn) && !w->one_pass) {
		w->owed = true; /* the replay after the reconnect brings it back */
		return BH_OK;
	}
	struct op *op = set_op(w, reg->key, reg->container, reg->value, reg->value_len, reg->ttl);
	if (!op) {
		w->api->report_error(w->host, reg->container, "out of memory publishing %s", reg->key);
		return BH_ERR;
	}
	op->prev_hash = h->written_hash;
	if (!redis_conn_usable(w->conn)) {
		/* One pass: no replay will follow (the pass ends before the
		 * sentinels name the master, say): keep the SET itself, until
		 * the connection is ready. */
		if (redis_retry_keep(w->retry, op->key, &op->container, &op->value, op->value_len,
				     op->ttl) != BH_OK)
			w->owed = true; /* reported at the end of the run */
		op_free(op);
		return BH_OK;
	}
	send_set_or_owe(w, op);
	return BH_OK;
}

void redis_write_withdraw(struct redis_writer *w, const char *key, const char *container)
{
	keyset_remove(&w->retry->troubled, key);
	redis_retry_forget(w->retry, key);
	del_or_defer(w, key, container, false);
}

void redis_write_delete_stale(struct redis_writer *w, const char *key)
{
	del_or_defer(w, key, NULL, false);
}

/* A new master after a failover: DELs the old one acknowledged lately may
 * be missing there.  Sent again (their success records them anew); older
 * ones are forgotten. */
static void resend_recent_dels(struct redis_writer *w)
{
	uint64_t now = w->api->now_ms(w->host);
	char *key;
	uint64_t acked = 0;
	size_t resent = 0;
	while ((key = keyset_pop(&w->recent_dels, &acked, NULL)) != NULL) {
		if (now - acked < RECENT_DEL_MS) {
			del_or_defer(w, key, NULL, false);
			resent++;
		}
		free(key);
	}
	if (resent > 0)
		BH_DEBUG(w, "sent %zu DEL(s) of the last %u s again to the new master", resent,
			 RECENT_DEL_MS / 1000u);
}

void redis_write_connected(struct redis_writer *w, bool new_master)
{
	if (new_master)
		resend_recent_dels(w);
}

void redis_write_flush(struct redis_writer *w)
{
	/* Sent before the replay's SETs (the core replays from the loop, after
	 * this returns), so a key re-registered meanwhile ends up set. */
	send_deferred_dels(w, false);
	send_kept_sets(w);
}

void redis_write_hand_over(struct redis_writer *w, bh_withdrawal_cb cb, void *arg)
{
	char *container, *key;
	while ((key = pop_deferred_del(w, &container)) != NULL) {
		cb(arg, key, container);
		free(container);
		free(key);
	}
}

/* The keys whose DEL never reached the store stay there (until they
 * expire; forever with expire = 0).  Name them so that the operator can
 * delete them by hand. */
void redis_write_report_left_behind(struct redis_writer *w)
{
	size_t n = w->deferred_dels.map.count;
	if (n == 0)
		return;
	char *list = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&list, &size);
	char *container, *key;
	for (size_t i = 0; (key = pop_deferred_del(w, &container)) != NULL; i++) {
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
	if (w->expire > 0)
		snprintf(expiry, sizeof expiry, "they expire within %u s", w->expire);
	else
		snprintf(expiry, sizeof expiry, "with expire = 0 they never expire");
	BH_WARNING(w, "redis %s: %zu withdrawn key(s) left behind, their DEL never reached the "
		   "server (%s): %s",
		   redis_conn_server(w->conn), n, expiry, list ? list : "(out of memory listing them)");
	free(list);
}

void redis_write_init(struct redis_writer *w, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, struct redis_retry *retry,
		      struct redis_notify *notify, struct held_set *held)
{
	*w = (struct redis_writer){.api = api, .host = host, .conn = conn, .retry = retry,
				   .notify = notify, .held = held, .recent_prune_at = 1024};
	keyset_init(&w->deferred_dels);
	keyset_init(&w->recent_dels);
}

void redis_write_free(struct redis_writer *w)
{
	char *container, *key;
	while ((key = pop_deferred_del(w, &container)) != NULL) {
		free(container);
		free(key);
	}
	keyset_clear(&w->deferred_dels);
	keyset_clear(&w->recent_dels);
}
