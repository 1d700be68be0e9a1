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

#include "redis_publisher.h"

/* FLUSHALL leaves no event: how often the probe looks.  Two EXISTS a
 * second, and a flushed store is repaired within about half a second. */
#define PROBE_INTERVAL_MS 500u
/* A claim without expiry would lock a namespace for good after a crash:
 * with expire = 0 it expires after three refresh intervals, at least this. */
#define NO_EXPIRY_CLAIM_S 60u

static unsigned refresh_s(const struct redis_publisher *p)
{
	return p->refresh ? p->refresh : p->expire;
}

/* --- the claim --- */


static void claim_owned(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->claim_refused_logged || p->claim_failed_logged)
		BH_INFO(p, "redis %s: namespace %s is ours now (claim %s); publishing and sweeping "
			"there again", redis_conn_server(p), p->key_prefix, redis_claim_key(p->claim));
	else
		BH_DEBUG(p, "redis %s: claimed namespace %s", redis_conn_server(p), p->key_prefix);
	p->claim_refused_logged = false;
	p->claim_failed_logged = false;
	p->api->set_status(p->host, "redis: connected");
	redis_publisher_writable(p);
}

/* A one-pass run that cannot claim ends here (exit status 1, the error
 * said): nothing waits for the claim, no sweep waits for the namespace. */
static void end_one_pass(struct redis_publisher *p)
{
	if (p->one_pass) {
		redis_claim_stop(p->claim);
		redis_sweep_free(p);
	}
}

static void claim_refused(void *arg, const char *owner, bool was_owned)
{
	struct redis_publisher *p = arg;
	if (p->claim_refused_logged) {
		BH_DEBUG(p, "redis %s: namespace %s still claimed by %s", redis_conn_server(p),
			 p->key_prefix, owner);
		return;
	}
	p->claim_refused_logged = true;
	/* report_error: error level, and a one-pass run exits 1. */
	p->api->report_error(
		p->host, NULL,
		"redis %s: namespace %s %s another daemon (%s): not publishing or sweeping there "
		"while its claim %s lives; each host needs its own host_id (cloned machines "
		"share a hostname, so --host-id \"$(hostname -s)\" is not unique there), or "
		"stop the other daemon; trying again every few seconds",
		redis_conn_server(p), p->key_prefix, was_owned ? "was taken over by" : "is claimed by",
		owner, redis_claim_key(p->claim));
	p->api->set_status(p->host, "redis: namespace claimed by another daemon");
	end_one_pass(p);
}

/* Not another daemon: the server's state (OOM, MISCONF, BUSY) keeps it
 * from writing the claim, so nothing else may be written either. */
static void claim_failed(void *arg, const char *error, bool was_owned)
{
	struct redis_publisher *p = arg;
	if (!p->claim_failed_logged)
		p->api->report_error(p->host, NULL,
				     "redis %s refused to %s the claim on namespace %s (%s): not "
				     "publishing or sweeping there until it accepts it; trying again "
				     "every few seconds", redis_conn_server(p),
				     was_owned ? "renew" : "write", p->key_prefix, error);
	p->claim_failed_logged = true;
	p->api->set_status(p->host, "redis: the namespace's claim is refused");
	end_one_pass(p);
}

static void claim_unsupported(void *arg, const char *error)
{
	struct redis_publisher *p = arg;
	if (!p->claim_unsupported_logged)
		BH_WARNING(p, "redis %s refused the claim on namespace %s (%s): publishing without "
			   "one, so a second daemon with the same host_id is not stopped; give the "
			   "ACL user +eval (see docs/redis-acl.md)",
			   redis_conn_server(p), p->key_prefix, error);
	p->claim_unsupported_logged = true;
	redis_publisher_writable(p);
}

static int start_claim(struct redis_publisher *p)
{
	unsigned ttl = p->expire;
	if (ttl == 0)
		ttl = 3 * p->refresh > NO_EXPIRY_CLAIM_S ? 3 * p->refresh : NO_EXPIRY_CLAIM_S;
	unsigned renew = refresh_s(p) && refresh_s(p) < ttl ? refresh_s(p) : ttl / 2;
	unsigned retry = ttl / 10 < renew ? ttl / 10 : renew;
	struct redis_claim_settings settings = {
		.record = p->owner_record,
		.token = p->owner_token,
		.ttl_s = ttl,
		.renew_s = renew ? renew : 1,
		.retry_s = retry ? retry : 1,
	};
	char *key = bh_strfmt("%s%s", p->key_prefix, BH_OWNER_KEY);
	settings.owner_key = key;
	static const struct redis_claim_callbacks callbacks = {
		.send = redis_publisher_send_claim,
		.owned = claim_owned,
		.refused = claim_refused,
		.unsupported = claim_unsupported,
		.failed = claim_failed,
	};
	p->claim = key ? redis_claim_new(p->api, p->host, &settings, &callbacks, p) : NULL;
	free(key);
	return p->claim ? BH_OK : BH_ERR;
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
static void evicted(struct redis_publisher *p, struct held_reg *h)
{
	h->written_hash = 0;
	if (!p->evicted_logged)
		BH_WARNING(p, "redis %s evicts keys under %s (maxmemory, e.g. %s): not putting them "
			   "back at once, which would evict others; the refresh writes them (every %u "
			   "s); give the server more maxmemory, or maxmemory-policy noeviction",
			   redis_conn_server(p), p->key_prefix, h->key, refresh_s(p));
	p->evicted_logged = true;
}

static void on_event(void *arg, const char *key_bytes, size_t key_len, const char *event)
{
	struct redis_publisher *p = arg;
	/* Our own SET EX also announces "expire"; a TTL someone else
	 * changed is reset by the refresh. */
	if (strcmp(event, "expire") == 0 || memchr(key_bytes, '\0', key_len))
		return;
	char *key = strndup(key_bytes, key_len);
	if (!key)
		return;
	if (p->claim && strcmp(key, redis_claim_key(p->claim)) == 0) {
		/* Our renewals announce "set" too: only a removal matters. */
		if (is_removal(event))
			redis_claim_check_now(p->claim);
	} else {
		struct held_reg *h = held_find(&p->held, key);
		if (h && strcmp(event, "evicted") == 0)
			evicted(p, h);
		else if (h && strcmp(event, "set") == 0 && h->own_events > 0)
			h->own_events--; /* the echo of our own SET */
		else if (h && redis_publisher_may_write(p))
			(void)redis_publisher_send_check(p, key, event);
	}
	free(key);
}

static void say_keyspace(struct redis_publisher *p, enum keyspace_status status, const char *detail)
{
	const char *server = redis_conn_server(p);
	switch (status) {
	case KEYSPACE_ON:
		BH_INFO(p, "redis %s: following keyspace notifications under %s: a key another "
			"client deletes or overwrites is put back at once", server, p->key_prefix);
		break;
	case KEYSPACE_OFF:
		BH_INFO(p, "redis %s publishes no keyspace notifications for keys (notify-keyspace-"
			"events is \"%s\"): a key another client deletes or overwrites is put back "
			"by the next refresh (every %u s); notify-keyspace-events K$gx makes that "
			"immediate (confd's watch mode needs K$g anyway)", server, detail, refresh_s(p));
		break;
	case KEYSPACE_UNKNOWN:
		/* CONFIG GET is rightly refused to most ACL users: no alarm. */
		BH_INFO(p, "redis %s: cannot read notify-keyspace-events (%s); subscribed to keyspace "
			"notifications under %s anyway: if the server publishes none, a key another "
			"client deletes or overwrites is put back by the next refresh (every %u s)",
			server, strncmp(detail, "NOPERM", 6) == 0 ? "this user may not run CONFIG GET" : detail,
			p->key_prefix, refresh_s(p));
		break;
	case KEYSPACE_FAILED:
		BH_WARNING(p, "redis %s: no keyspace notifications (%s): a key another client deletes "
			   "or overwrites is put back by the next refresh (every %u s)%s", server, detail,
			   refresh_s(p), strstr(detail, "NOPERM") ? "; the ACL user needs +psubscribe and "
			   "the channels __keyspace@*" : "; trying again");
		break;
	}
}

static void on_status(void *arg, enum keyspace_status status, const char *detail)
{
	struct redis_publisher *p = arg;
	/* SETs sent before the subscription had echoes nobody heard: counting
	 * them would take a foreign SET for ours. */
	held_forget_own_events(&p->held);
	if (p->keyspace_logged != (int)status)
		say_keyspace(p, status, detail);
	p->keyspace_logged = (int)status;
	if (redis_keyspace_active(p->keyspace) && p->api->timer_arm(p->host, p->probe_timer,
								  PROBE_INTERVAL_MS) != BH_OK)
		BH_ERROR(p, "cannot arm the probe timer: a FLUSHALL is repaired by the refresh");
}

/* --- the probe --- */

/* Any held key this daemon has written in this run. */
static const char *probe_key(const struct redis_publisher *p)
{
	if (p->claim && redis_claim_owned(p->claim))
		return redis_claim_key(p->claim);
	struct bh_strmap_iter it = bh_strmap_iter(&p->held.map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		if (BH_STRMAP_ENTRY(n, struct held_reg, node)->written_hash)
			return n->key;
	return NULL;
}

static void on_probe_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (!redis_keyspace_active(p->keyspace))
		return; /* armed again when the watch is back */
	const char *key = probe_key(p);
	if (!p->probe_waiting && key && p->ready && redis_publisher_may_write(p) &&
	    redis_publisher_send_probe(p, key) == BH_OK)
		p->probe_waiting = true;
	if (p->api->timer_arm(p->host, p->probe_timer, PROBE_INTERVAL_MS) != BH_OK)
		BH_ERROR(p, "cannot arm the probe timer: a FLUSHALL is repaired by the refresh");
}

static void put_back_all(struct redis_publisher *p)
{
	struct bh_strmap_iter it = bh_strmap_iter(&p->held.map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		redis_publisher_send_held(p, BH_STRMAP_ENTRY(n, struct held_reg, node), true);
}

/* GET or EXISTS refused (an ACL without +get or +exists): said once; the
 * refresh still repairs. */
static bool refused(struct redis_publisher *p, const redisReply *r, const char *command)
{
	if (r->type != REDIS_REPLY_ERROR)
		return false;
	if (!p->check_refused_logged)
		BH_WARNING(p, "redis %s refused %s (%s): keys another client deletes or overwrites "
			   "are put back by the refresh only (every %u s); the ACL user needs +get "
			   "and +exists", redis_conn_server(p), command, r->str, refresh_s(p));
	p->check_refused_logged = true;
	return true;
}

void redis_repair_probed(struct redis_publisher *p, const redisReply *r)
{
	p->probe_waiting = false;
	if (!r || p->destroying || refused(p, r, "EXISTS") || r->type != REDIS_REPLY_INTEGER ||
	    r->integer != 0)
		return;
	BH_WARNING(p, "redis %s: the keys under %s vanished without a keyspace event (FLUSHDB or "
		   "FLUSHALL?): putting back %zu key(s)", redis_conn_server(p), p->key_prefix,
		   p->held.map.count);
	if (p->claim)
		redis_claim_check_now(p->claim); /* before the SETs, on the same link */
	put_back_all(p);
}

/* --- checks --- */

static void put_back(struct redis_publisher *p, struct held_reg *h, const char *event)
{
	if (strcmp(event, "expired") == 0)
		BH_WARNING(p, "redis %s: %s expired while its container still runs; putting it back",
			   redis_conn_server(p), h->key);
	else
		BH_WARNING(p, "redis %s: %s was deleted by another client (keyspace event %s); "
			   "putting it back", redis_conn_server(p), h->key, event);
	redis_publisher_send_held(p, h, true);
}

static void overwritten(struct redis_publisher *p, struct held_reg *h)
{
	uint64_t now = p->api->now_ms(p->host);
	if (h->repaired_ms && now - h->repaired_ms < (uint64_t)refresh_s(p) * 1000u) {
		if (!h->fight_warned)
			BH_WARNING(p, "redis %s: %s keeps being overwritten by another writer: leaving "
				   "it to the refresh (every %u s); if another daemon publishes the "
				   "same container name here, give each host its own host_id",
				   redis_conn_server(p), h->key, refresh_s(p));
		h->fight_warned = true;
		return;
	}
	BH_WARNING(p, "redis %s: %s was overwritten by another client; putting it back",
		   redis_conn_server(p), h->key);
	h->repaired_ms = now;
	redis_publisher_send_held(p, h, true);
}

void redis_repair_checked(struct redis_publisher *p, const char *key, const char *event,
			  unsigned sets_before, const redisReply *r)
{
	struct held_reg *h = held_find(&p->held, key);
	if (!r || !h || p->destroying || !redis_publisher_may_write(p))
		return;
	/* A SET of ours went out after this GET (one foreign command with
	 * several events asks for several checks): the answer is what that
	 * SET replaced, no news; a later foreign write has its own event. */
	if (h->sets_sent != sets_before)
		return;
	/* A key of another type in its place: overwritten, not a refused GET. */
	bool other_type = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0;
	if (!other_type && refused(p, r, "GET"))
		return;
	if (r->type == REDIS_REPLY_NIL)
		put_back(p, h, event);
	else if (r->type != REDIS_REPLY_STRING || r->len != h->value_len ||
		 memcmp(r->str, h->value, r->len) != 0)
		overwritten(p, h);
}

/* --- life cycle --- */

void redis_repair_connected(struct redis_publisher *p)
{
	if (p->claim)
		redis_claim_connected(p->claim);
	if (!p->keyspace)
		return;
	struct resp_address address = {.unix_path = p->cfg.socket, .host = p->cfg.host,
				       .port = p->cfg.port};
	if (p->sentinel) {
		address.unix_path = NULL;
		address.host = p->master_host;
		address.port = p->master_port;
	}
	const char *user, *password;
	redis_conn_credentials(p, &user, &password);
	redis_keyspace_connect(p->keyspace, &address, user, password);
}

int redis_repair_start(struct redis_publisher *p)
{
	p->keyspace_logged = -1;
	if (p->has_host_id && p->owner_record && p->owner_token && start_claim(p) != BH_OK)
		return BH_ERR;
	if (p->one_pass)
		return BH_OK; /* nothing stays to repair anything */
	static const struct redis_keyspace_callbacks callbacks = {.event = on_event,
								  .status = on_status};
	struct redis_keyspace_settings settings = {.prefix = p->key_prefix,
						   .database = p->cfg.database,
						   .connect_timeout_ms = p->cfg.connect_timeout_ms};
	p->keyspace = redis_keyspace_new(p->api, p->host, &settings, &callbacks, p);
	p->probe_timer = p->api->timer_new(p->host, on_probe_timer, p);
	return p->keyspace && p->probe_timer ? BH_OK : BH_ERR;
}

void redis_repair_destroy(struct redis_publisher *p)
{
	redis_keyspace_free(p->keyspace);
	p->keyspace = NULL;
	redis_claim_free(p->claim);
	p->claim = NULL;
	if (p->probe_timer)
		p->api->timer_free(p->host, p->probe_timer);
	p->probe_timer = NULL;
}
