/*
 * The store converges to what this daemon holds:
 *
 *   - the namespace claim (redis_claim.c, with a host id): writes and
 *     sweeps wait for it; a live claim of another daemon stops them, with
 *     one error naming that owner, until the claim is ours;
 *   - keyspace events (redis_keyspace.c): an event on a held key that is
 *     not the echo of our own SET is checked with GET, and the key is put
 *     back when it is missing or holds another value (one warning per
 *     repair).  Our own SETs are counted per key, so their echoes cost
 *     nothing; anything uncounted is checked, never trusted, so a wrong
 *     count costs one GET, never a loop.  A key overwritten again within a
 *     refresh interval after a repair is left to the refresh (said once):
 *     two writers that put their own value back at once would otherwise
 *     flap the key at network speed;
 *   - FLUSHDB / FLUSHALL publish no keyspace event: while events flow, a
 *     probe (EXISTS of the owner key, or of one held key) every
 *     PROBE_INTERVAL_MS notices the keys' absence and puts everything back.
 *
 * Without notifications the core's refresh repairs (said once at start).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_repair.h"

#include <beachhead/sdk.h>

/* FLUSHALL leaves no event: how often the probe looks.  Two EXISTS a
 * second, and a flushed store is repaired within about half a second. */
#define PROBE_INTERVAL_MS 500u
/* A claim without expiry would lock a namespace for good after a crash:
 * with expire = 0 it expires after three refresh intervals, at least this. */
#define NO_EXPIRY_CLAIM_S 60u

static unsigned refresh_s(const struct redis_repair *r)
{
	return r->s.refresh ? r->s.refresh : r->s.expire;
}

/* --- commands: the claim's, checks (GET) and probes (EXISTS) --- */

enum repair_op_kind { OP_CLAIM, OP_CHECK, OP_PROBE };

/* One command in flight; privdata of its reply callback. */
struct repair_op {
	struct redis_repair *r;
	enum repair_op_kind kind;
	char *key;            /* OP_CHECK, OP_PROBE */
	char *event;          /* OP_CHECK: the keyspace event that asked for it */
	unsigned sets_before; /* OP_CHECK: the key's sets_sent when the GET went out */
};

static void repair_op_free(struct repair_op *op)
{
	free(op->key);
	free(op->event);
	free(op);
}

static struct repair_op *repair_op_new(struct redis_repair *r, enum repair_op_kind kind,
				       const char *key)
{
	struct repair_op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->r = r;
	op->kind = kind;
	if (key && !(op->key = strdup(key))) {
		free(op);
		return NULL;
	}
	return op;
}

static void checked(struct redis_repair *r, const char *key, const char *event,
		    unsigned sets_before, const redisReply *reply);
static void probed(struct redis_repair *r, const redisReply *reply);

/* The answer (reply NULL: lost) goes to whom asked. */
static void deliver(struct repair_op *op, const redisReply *reply)
{
	switch (op->kind) {
	case OP_CLAIM:
		redis_claim_reply(op->r->claim, reply);
		break;
	case OP_CHECK:
		checked(op->r, op->key, op->event, op->sets_before, reply);
		break;
	case OP_PROBE:
		probed(op->r, reply);
		break;
	}
}

static void on_repair_reply(void *arg, void *privdata, const redisReply *reply)
{
	struct repair_op *op = privdata;
	struct redis_repair *r = op->r;
	enum link_logged kind;
	redis_conn_replied(arg);
	if (r->closing) {
		repair_op_free(op);
		return;
	}
	if (reply && reply->type == REDIS_REPLY_ERROR && redis_conn_is_link_error(reply->str, &kind)) {
		/* The link's trouble (a demoted master's READONLY, LOADING...),
		 * not the claim's or the key's: lost for its owner, and the link
		 * goes, as for a write. */
		deliver(op, NULL);
		char *reason = bh_strfmt("%s: %s", op->kind == OP_CLAIM ? "the claim" : op->key,
					 reply->str);
		redis_conn_drop(r->s.conn, kind, reason ? reason : reply->str);
		free(reason);
	} else {
		deliver(op, reply);
	}
	repair_op_free(op);
}

/* Submits op; BH_ERR when it cannot go out (op is then freed). */
static int submit(struct redis_repair *r, struct repair_op *op, int argc, const char **argv,
		  const size_t *lens)
{
	if (!op || redis_conn_submit(r->s.conn, on_repair_reply, op, argc, argv, lens) != BH_OK) {
		if (op)
			repair_op_free(op);
		return BH_ERR;
	}
	return BH_OK;
}

/* The claim's command (redis_claim_callbacks.send). */
static int send_claim(void *arg, int argc, const char **argv, const size_t *lens)
{
	struct redis_repair *r = arg;
	return submit(r, repair_op_new(r, OP_CLAIM, NULL), argc, argv, lens);
}

/* GET key; the answer reaches checked(). */
static int send_check(struct redis_repair *r, const char *key, const char *event)
{
	struct repair_op *op = repair_op_new(r, OP_CHECK, key);
	if (op && !(op->event = strdup(event))) {
		repair_op_free(op);
		op = NULL;
	}
	const struct held_reg *h = held_find(r->s.writer->held, key);
	if (op && h)
		op->sets_before = h->sets_sent;
	const char *argv[2] = {"GET", key};
	size_t lens[2] = {3, strlen(key)};
	return submit(r, op, 2, argv, lens);
}

/* EXISTS key; the answer reaches probed(). */
static int send_probe(struct redis_repair *r, const char *key)
{
	const char *argv[2] = {"EXISTS", key};
	size_t lens[2] = {6, strlen(key)};
	return submit(r, repair_op_new(r, OP_PROBE, key), 2, argv, lens);
}

/* --- the claim --- */

static void claim_owned(void *arg)
{
	struct redis_repair *r = arg;
	if (r->claim_refused_logged || r->claim_failed_logged)
		BH_INFO(r, "redis %s: namespace %s is ours now (claim %s); publishing and sweeping "
			"there again", redis_conn_server(r->s.conn), r->s.key_prefix, redis_claim_key(r->claim));
	else
		BH_DEBUG(r, "redis %s: claimed namespace %s", redis_conn_server(r->s.conn), r->s.key_prefix);
	r->claim_refused_logged = false;
	r->claim_failed_logged = false;
	r->api->set_status(r->host, "redis: connected");
	r->callbacks->writable(r->arg);
}

/* A one-pass run that cannot claim ends here (exit status 1, the error
 * said): nothing waits for the claim, no sweep waits for the namespace. */
static void end_one_pass(struct redis_repair *r)
{
	if (r->s.one_pass) {
		redis_claim_stop(r->claim);
		redis_sweep_free(r->s.sweep);
	}
}

static void claim_refused(void *arg, const char *owner, bool was_owned)
{
	struct redis_repair *r = arg;
	if (r->claim_refused_logged) {
		BH_DEBUG(r, "redis %s: namespace %s still claimed by %s", redis_conn_server(r->s.conn),
			 r->s.key_prefix, owner);
		return;
	}
	r->claim_refused_logged = true;
	/* report_error: error level, and a one-pass run exits 1. */
	r->api->report_error(
		r->host, NULL,
		"redis %s: namespace %s %s another daemon (%s): not publishing or sweeping there "
		"while its claim %s lives; each host needs its own host_id (cloned machines "
		"share a hostname, so --host-id \"$(hostname -s)\" is not unique there), or "
		"stop the other daemon; trying again every few seconds",
		redis_conn_server(r->s.conn), r->s.key_prefix, was_owned ? "was taken over by" : "is claimed by",
		owner, redis_claim_key(r->claim));
	r->api->set_status(r->host, "redis: namespace claimed by another daemon");
	end_one_pass(r);
}

/* Not another daemon: the server's state (OOM, MISCONF, BUSY) keeps it
 * from writing the claim, so nothing else may be written either. */
static void claim_failed(void *arg, const char *error, bool was_owned)
{
	struct redis_repair *r = arg;
	if (!r->claim_failed_logged)
		r->api->report_error(r->host, NULL,
				     "redis %s refused to %s the claim on namespace %s (%s): not "
				     "publishing or sweeping there until it accepts it; trying again "
				     "every few seconds", redis_conn_server(r->s.conn),
				     was_owned ? "renew" : "write", r->s.key_prefix, error);
	r->claim_failed_logged = true;
	r->api->set_status(r->host, "redis: the namespace's claim is refused");
	end_one_pass(r);
}

static void claim_unsupported(void *arg, const char *error)
{
	struct redis_repair *r = arg;
	if (!r->claim_unsupported_logged)
		BH_WARNING(r, "redis %s refused the claim on namespace %s (%s): publishing without "
			   "one, so a second daemon with the same host_id is not stopped; give the "
			   "ACL user +eval (see docs/redis-acl.md)",
			   redis_conn_server(r->s.conn), r->s.key_prefix, error);
	r->claim_unsupported_logged = true;
	r->callbacks->writable(r->arg);
}

static int start_claim(struct redis_repair *r)
{
	unsigned ttl = r->s.expire;
	if (ttl == 0)
		ttl = 3 * r->s.refresh > NO_EXPIRY_CLAIM_S ? 3 * r->s.refresh : NO_EXPIRY_CLAIM_S;
	unsigned renew = refresh_s(r) && refresh_s(r) < ttl ? refresh_s(r) : ttl / 2;
	unsigned retry = ttl / 10 < renew ? ttl / 10 : renew;
	struct redis_claim_settings settings = {
		.record = r->s.owner_record,
		.token = r->s.owner_token,
		.ttl_s = ttl,
		.renew_s = renew ? renew : 1,
		.retry_s = retry ? retry : 1,
	};
	char *key = bh_strfmt("%s%s", r->s.key_prefix, BH_OWNER_KEY);
	settings.owner_key = key;
	static const struct redis_claim_callbacks callbacks = {
		.send = send_claim,
		.owned = claim_owned,
		.refused = claim_refused,
		.unsupported = claim_unsupported,
		.failed = claim_failed,
	};
	r->claim = key ? redis_claim_new(r->api, r->host, &settings, &callbacks, r) : NULL;
	free(key);
	return r->claim ? BH_OK : BH_ERR;
}

/* --- keyspace events --- */

static bool is_removal(const char *event)
{
	static const char *const removals[] = {"del", "expired", "evicted", "rename_from",
					       "move_from"};
	for (size_t i = 0; i < sizeof removals / sizeof removals[0]; i++)
		if (strcmp(event, removals[i]) == 0)
			return true;
	return false;
}

/* maxmemory evicted a held key: putting it back at once would only evict
 * another (ours, as likely as not), and its event would ask for the next
 * repair, at network speed, for good.  The refresh writes it; the probe no
 * longer takes it for a sign of FLUSHALL. */
static void evicted(struct redis_repair *r, struct held_reg *h)
{
	h->written_hash = 0;
	if (!r->evicted_logged)
		BH_WARNING(r, "redis %s evicts keys under %s (maxmemory, e.g. %s): not putting them "
			   "back at once, which would evict others; the refresh writes them (every %u "
			   "s); give the server more maxmemory, or maxmemory-policy noeviction",
			   redis_conn_server(r->s.conn), r->s.key_prefix, h->key, refresh_s(r));
	r->evicted_logged = true;
}

static void on_event(void *arg, const char *key_bytes, size_t key_len, const char *event)
{
	struct redis_repair *r = arg;
	/* Our own SET EX also announces "expire"; a TTL someone else
	 * changed is reset by the refresh. */
	if (strcmp(event, "expire") == 0 || memchr(key_bytes, '\0', key_len))
		return;
	char *key = strndup(key_bytes, key_len);
	if (!key)
		return;
	if (r->claim && strcmp(key, redis_claim_key(r->claim)) == 0) {
		/* Our renewals announce "set" too: only a removal matters. */
		if (is_removal(event))
			redis_claim_check_now(r->claim);
	} else {
		struct held_reg *h = held_find(r->s.writer->held, key);
		if (h && strcmp(event, "evicted") == 0)
			evicted(r, h);
		else if (h && strcmp(event, "set") == 0 && h->own_events > 0)
			h->own_events--; /* the echo of our own SET */
		else if (h && redis_write_allowed(r->s.writer))
			(void)send_check(r, key, event);
	}
	free(key);
}

static void say_keyspace(struct redis_repair *r, enum keyspace_status status, const char *detail)
{
	const char *server = redis_conn_server(r->s.conn);
	switch (status) {
	case KEYSPACE_ON:
		BH_INFO(r, "redis %s: following keyspace notifications under %s: a key another "
			"client deletes or overwrites is put back at once", server, r->s.key_prefix);
		break;
	case KEYSPACE_OFF:
		BH_INFO(r, "redis %s publishes no keyspace notifications for keys (notify-keyspace-"
			"events is \"%s\"): a key another client deletes or overwrites is put back "
			"by the next refresh (every %u s); notify-keyspace-events K$gx makes that "
			"immediate (confd's watch mode needs K$g anyway)", server, detail, refresh_s(r));
		break;
	case KEYSPACE_UNKNOWN:
		/* CONFIG GET is rightly refused to most ACL users: no alarm. */
		BH_INFO(r, "redis %s: cannot read notify-keyspace-events (%s); subscribed to keyspace "
			"notifications under %s anyway: if the server publishes none, a key another "
			"client deletes or overwrites is put back by the next refresh (every %u s)",
			server, strncmp(detail, "NOPERM", 6) == 0 ? "this user may not run CONFIG GET" : detail,
			r->s.key_prefix, refresh_s(r));
		break;
	case KEYSPACE_FAILED:
		BH_WARNING(r, "redis %s: no keyspace notifications (%s): a key another client deletes "
			   "or overwrites is put back by the next refresh (every %u s)%s", server, detail,
			   refresh_s(r), strstr(detail, "NOPERM") ? "; the ACL user needs +psubscribe and "
			   "the channels __keyspace@*" : "; trying again");
		break;
	}
}

static void on_status(void *arg, enum keyspace_status status, const char *detail)
{
	struct redis_repair *r = arg;
	/* SETs sent before the subscription had echoes nobody heard: counting
	 * them would take a foreign SET for ours. */
	held_forget_own_events(r->s.writer->held);
	if (r->keyspace_logged != (int)status)
		say_keyspace(r, status, detail);
	r->keyspace_logged = (int)status;
	if (redis_keyspace_active(r->keyspace) && r->api->timer_arm(r->host, r->probe_timer,
								  PROBE_INTERVAL_MS) != BH_OK)
		BH_ERROR(r, "cannot arm the probe timer: a FLUSHALL is repaired by the refresh");
}

/* --- the probe --- */

/* Any held key this daemon has written in this run. */
static const char *probe_key(const struct redis_repair *r)
{
	if (r->claim && redis_claim_owned(r->claim))
		return redis_claim_key(r->claim);
	struct bh_strmap_iter it = bh_strmap_iter(&r->s.writer->held->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		if (BH_STRMAP_ENTRY(n, struct held_reg, node)->written_hash)
			return n->key;
	return NULL;
}

static void on_probe_timer(void *arg)
{
	struct redis_repair *r = arg;
	if (!redis_keyspace_active(r->keyspace))
		return; /* armed again when the watch is back */
	const char *key = probe_key(r);
	if (!r->probe_waiting && key && r->s.conn->ready && redis_write_allowed(r->s.writer) &&
	    send_probe(r, key) == BH_OK)
		r->probe_waiting = true;
	if (r->api->timer_arm(r->host, r->probe_timer, PROBE_INTERVAL_MS) != BH_OK)
		BH_ERROR(r, "cannot arm the probe timer: a FLUSHALL is repaired by the refresh");
}

static void put_back_all(struct redis_repair *r)
{
	struct bh_strmap_iter it = bh_strmap_iter(&r->s.writer->held->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		redis_write_held(r->s.writer, BH_STRMAP_ENTRY(n, struct held_reg, node), true);
}

/* GET or EXISTS refused (an ACL without +get or +exists): said once; the
 * refresh still repairs. */
static bool refused(struct redis_repair *r, const redisReply *reply, const char *command)
{
	if (reply->type != REDIS_REPLY_ERROR)
		return false;
	if (!r->check_refused_logged)
		BH_WARNING(r, "redis %s refused %s (%s): keys another client deletes or overwrites "
			   "are put back by the refresh only (every %u s); the ACL user needs +get "
			   "and +exists", redis_conn_server(r->s.conn), command, reply->str, refresh_s(r));
	r->check_refused_logged = true;
	return true;
}

static void probed(struct redis_repair *r, const redisReply *reply)
{
	r->probe_waiting = false;
	if (!reply || r->closing || refused(r, reply, "EXISTS") || reply->type != REDIS_REPLY_INTEGER ||
	    reply->integer != 0)
		return;
	BH_WARNING(r, "redis %s: the keys under %s vanished without a keyspace event (FLUSHDB or "
		   "FLUSHALL?): putting back %zu key(s)", redis_conn_server(r->s.conn), r->s.key_prefix,
		   r->s.writer->held->map.count);
	if (r->claim)
		redis_claim_check_now(r->claim); /* before the SETs, on the same link */
	put_back_all(r);
}

/* --- checks --- */

static void put_back(struct redis_repair *r, struct held_reg *h, const char *event)
{
	if (strcmp(event, "expired") == 0)
		BH_WARNING(r, "redis %s: %s expired while its container still runs; putting it back",
			   redis_conn_server(r->s.conn), h->key);
	else
		BH_WARNING(r, "redis %s: %s was deleted by another client (keyspace event %s); "
			   "putting it back", redis_conn_server(r->s.conn), h->key, event);
	redis_write_held(r->s.writer, h, true);
}

static void overwritten(struct redis_repair *r, struct held_reg *h)
{
	uint64_t now = r->api->now_ms(r->host);
	if (h->repaired_ms && now - h->repaired_ms < (uint64_t)refresh_s(r) * 1000u) {
		if (!h->fight_warned)
			BH_WARNING(r, "redis %s: %s keeps being overwritten by another writer: leaving "
				   "it to the refresh (every %u s); if another daemon publishes the "
				   "same container name here, give each host its own host_id",
				   redis_conn_server(r->s.conn), h->key, refresh_s(r));
		h->fight_warned = true;
		return;
	}
	BH_WARNING(r, "redis %s: %s was overwritten by another client; putting it back",
		   redis_conn_server(r->s.conn), h->key);
	h->repaired_ms = now;
	redis_write_held(r->s.writer, h, true);
}

static void checked(struct redis_repair *r, const char *key, const char *event,
		    unsigned sets_before, const redisReply *reply)
{
	struct held_reg *h = held_find(r->s.writer->held, key);
	if (!reply || !h || r->closing || !redis_write_allowed(r->s.writer))
		return;
	/* A SET of ours went out after this GET (one foreign command with
	 * several events asks for several checks): the answer is what that
	 * SET replaced, no news; a later foreign write has its own event. */
	if (h->sets_sent != sets_before)
		return;
	/* A key of another type in its place: overwritten, not a refused GET. */
	bool other_type = reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "WRONGTYPE", 9) == 0;
	if (!other_type && refused(r, reply, "GET"))
		return;
	if (reply->type == REDIS_REPLY_NIL)
		put_back(r, h, event);
	else if (reply->type != REDIS_REPLY_STRING || reply->len != h->value_len ||
		 memcmp(reply->str, h->value, reply->len) != 0)
		overwritten(r, h);
}

/* --- life cycle --- */

void redis_repair_connected(struct redis_repair *r)
{
	if (r->claim)
		redis_claim_connected(r->claim);
	if (!r->keyspace)
		return;
	struct resp_address address = {.unix_path = r->s.cfg->socket, .host = r->s.cfg->host,
				       .port = r->s.cfg->port};
	if (r->s.conn->sentinel) {
		address.unix_path = NULL;
		address.host = r->s.conn->master_host;
		address.port = r->s.conn->master_port;
	}
	const char *user, *password;
	redis_conn_credentials(r->s.conn, &user, &password);
	redis_keyspace_connect(r->keyspace, &address, user, password);
}

void redis_repair_init(struct redis_repair *r, const struct bh_host_api *api, struct bh_host *host,
		       const struct redis_repair_settings *settings,
		       const struct redis_repair_callbacks *callbacks, void *arg)
{
	*r = (struct redis_repair){.api = api, .host = host, .s = *settings,
				   .callbacks = callbacks, .arg = arg};
}

void redis_repair_link_lost(struct redis_repair *r)
{
	r->probe_waiting = false;
	if (r->claim)
		redis_claim_link_lost(r->claim);
}

int redis_repair_start(struct redis_repair *r)
{
	r->keyspace_logged = -1;
	if (r->s.has_host_id && r->s.owner_record && r->s.owner_token && start_claim(r) != BH_OK)
		return BH_ERR;
	if (r->s.one_pass)
		return BH_OK; /* nothing stays to repair anything */
	static const struct redis_keyspace_callbacks callbacks = {.event = on_event,
								  .status = on_status};
	struct redis_keyspace_settings settings = {.prefix = r->s.key_prefix,
						   .database = r->s.cfg->database,
						   .connect_timeout_ms = r->s.cfg->connect_timeout_ms};
	r->keyspace = redis_keyspace_new(r->api, r->host, &settings, &callbacks, r);
	r->probe_timer = r->api->timer_new(r->host, on_probe_timer, r);
	return r->keyspace && r->probe_timer ? BH_OK : BH_ERR;
}

void redis_repair_destroy(struct redis_repair *r)
{
	redis_keyspace_free(r->keyspace);
	r->keyspace = NULL;
	redis_claim_free(r->claim);
	r->claim = NULL;
	if (r->probe_timer)
		r->api->timer_free(r->host, r->probe_timer);
	r->probe_timer = NULL;
}
