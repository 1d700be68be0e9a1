/*
 * Redis Sentinel: which server is the master, and following it through
 * failovers.
 *
 * Discovery asks the configured sentinels in turn (`SENTINEL
 * get-master-addr-by-name`, after AUTH when sentinel_password is set), each
 * bounded by connect_timeout_ms, starting with the one that answered last.
 * The first answer wins; redis_conn.c then connects and checks `ROLE` before
 * anything is written.  A master that fails that check (a sentinel with a
 * stale view named a replica) makes the next round start at the next
 * sentinel.  When no sentinel answers, the round is logged once and retried
 * with the connection's backoff.
 *
 * Failovers are learnt from a `+switch-master` subscription held on one
 * sentinel (moved to the next one when that connection fails), and from
 * the master link itself: -READONLY, a dropped connection or a failed ROLE
 * check all lead back to discovery.  Each failover is logged once, when the
 * new master is ready: old and new address and how long writes waited.
 *
 * A sentinel that freezes (SIGSTOP, a wedged host) keeps its socket open
 * and simply stops announcing, so the subscription is checked: a PING
 * every SUB_PING_INTERVAL_MS, which must be answered within
 * command_timeout_ms, or that sentinel is dropped and the next one takes
 * the subscription.  Whenever a subscription is (re)confirmed, and every
 * RECHECK_INTERVAL_MS besides, the sentinels are asked for the master
 * again: an announcement made while nobody listened is caught there.  Such
 * a check only moves the daemon when the answer differs from the master it
 * writes to.
 *
 * Nothing here blocks: every connection is a resp_link on the core loop,
 * and a host name (configured or announced) is resolved off the loop
 * within the same connect_timeout_ms (resolve.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_sentinel.h"

#include <beachhead/sdk.h>

#include "resp_link.h"

/* One PING a second on one connection: noticing a frozen sentinel within
 * about a second plus command_timeout_ms costs nothing worth counting. */
#define SUB_PING_INTERVAL_MS 1000u
/* A safety net for announcements missed in ways the PING cannot see (a
 * sentinel that answers but was cut off from the others while they failed
 * over): one short query a minute. */
#define RECHECK_INTERVAL_MS 60000u

struct sentinel_addr {
	char *host;
	int port;
	const char *text; /* "host:port" as configured, for messages */
};

struct redis_sentinel {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct redis_config *cfg;
	const struct redis_sentinel_callbacks *callbacks;
	void *arg;
	bool destroying;
	struct sentinel_addr *addrs;
	size_t n;

	/* Discovery: one query link at a time. */
	struct resp_link *query;
	size_t asking;     /* sentinel being asked */
	size_t tried;      /* sentinels asked in this round */
	size_t first;      /* where the next round starts */
	char *round_errors; /* "S: reason; S: reason" for the log */
	struct bh_timer *query_timer;

	/* The +switch-master subscription. */
	struct resp_link *sub;
	size_t sub_at; /* sentinel it is (or will be) held on */
	bool sub_confirmed;
	bool sub_logged_down;
	bool ping_waiting; /* a health-check PING awaits its answer */
	bool ping_refused; /* this sentinel refuses PING: no health checks */
	struct bh_backoff sub_backoff;
	struct bh_timer *sub_timer;
	struct bh_timer *recheck_timer;

	/* Failover accounting. */
	char *master;         /* "host:port" of the master we last wrote to */
	char *connecting_to;  /* "host:port" being connected to */
	uint64_t lost_at_ms;  /* when writes stopped (0: they did not) */
	char *lost_reason;
};

static void ask(struct redis_sentinel *s);
static bool linked(const struct redis_sentinel *s);
static bool ready(const struct redis_sentinel *s);
static void on_sub_reply(void *arg, void *privdata, const redisReply *r);
static void start_round(struct redis_sentinel *s);
static void subscribe_now(struct redis_sentinel *s);

static char *format_address(const char *host, int port)
{
	/* An IPv6 address in brackets, as people write it with a port. */
	if (strchr(host, ':'))
		return bh_strfmt("[%s]:%d", host, port);
	return bh_strfmt("%s:%d", host, port);
}

static int open_sentinel_link(struct redis_sentinel *s, size_t index,
			      const struct resp_link_callbacks *callbacks, struct resp_link **out,
			      char **error)
{
	struct resp_address address = {.host = s->addrs[index].host, .port = s->addrs[index].port};
	*out = resp_link_open(s->api, s->host, &address, callbacks, s, error);
	return *out ? BH_OK : BH_ERR;
}

/* AUTH [sentinel_user] sentinel_password, when configured. */
static int send_auth(struct redis_sentinel *s, struct resp_link *link, resp_reply_fn cb)
{
	const struct redis_config *cfg = s->cfg;
	if (!cfg->sentinel_password)
		return BH_OK;
	const char *argv[3] = {"AUTH", NULL, NULL};
	size_t lens[3] = {4, 0, 0};
	int argc = 1;
	if (cfg->sentinel_user) {
		argv[argc] = cfg->sentinel_user;
		lens[argc++] = strlen(cfg->sentinel_user);
	}
	argv[argc] = cfg->sentinel_password;
	lens[argc++] = strlen(cfg->sentinel_password);
	return resp_link_send(link, cb, (void *)"AUTH", argc, argv, lens);
}

/* --- discovery --- */

static void end_query(struct redis_sentinel *s)
{
	struct resp_link *link = s->query;
	s->query = NULL;
	s->api->timer_disarm(s->host, s->query_timer);
	resp_link_free(link); /* its loss callbacks see s->query == NULL */
}

/* This sentinel could not tell: note why, ask the next one. */
static void sentinel_failed(struct redis_sentinel *s, const char *reason)
{
	const char *who = s->addrs[s->asking].text;
	BH_DEBUG(s, "sentinel %s: %s", who, reason);
	char *errors = bh_strfmt("%s%s%s: %s", s->round_errors ? s->round_errors : "",
				 s->round_errors ? "; " : "", who, reason);
	if (errors) {
		free(s->round_errors);
		s->round_errors = errors;
	}
	if (s->query)
		end_query(s);
	if (++s->tried < s->n) {
		s->asking = (s->asking + 1) % s->n;
		ask(s);
		return;
	}
	char *why = bh_strfmt("no sentinel named a master for %s (%s)", s->cfg->master_name,
			      s->round_errors ? s->round_errors : "?");
	free(s->round_errors);
	s->round_errors = NULL;
	if (linked(s)) {
		/* Only a check: the master we have is still the best we know. */
		BH_DEBUG(s, "re-check: %s", why ? why : "no sentinel named a master");
	} else {
		s->callbacks->no_master(s->arg, why ? why : "no sentinel named a master");
	}
	free(why);
}

static void on_query_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_sentinel *s = arg;
	if (!s->query || !r)
		return; /* ended by us, or the failure callback follows */
	if (strcmp(privdata, "AUTH") == 0) {
		if (r->type == REDIS_REPLY_ERROR) {
			char *reason = bh_strfmt("refused AUTH (%s)", r->str);
			sentinel_failed(s, reason ? reason : "refused AUTH");
			free(reason);
		}
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		sentinel_failed(s, r->str);
		return;
	}
	if (r->type == REDIS_REPLY_NIL) {
		sentinel_failed(s, "does not know this master name");
		return;
	}
	char *host = NULL;
	char *stop = NULL;
	long port = 0;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
		port = strtol(r->element[1]->str, &stop, 10);
		if (*stop == '\0' && port > 0 && port <= 65535)
			host = strdup(r->element[0]->str);
	}
	if (!host) {
		sentinel_failed(s, "protocol error: an unexpected reply to SENTINEL "
				   "get-master-addr-by-name");
		return;
	}
	s->first = s->asking; /* ask it first next time */
	end_query(s);
	char *named = format_address(host, (int)port);
	if (linked(s) && named && s->connecting_to && strcmp(named, s->connecting_to) == 0) {
		/* A check, and the master is the one we write to (or are
		 * connecting to). */
		free(named);
		free(host);
		return;
	}
	if (linked(s)) {
		/* A check found what an announcement should have told. */
		BH_WARNING(s, "sentinel %s names %s as master %s, not %s (a +switch-master "
			   "announcement was missed): moving there",
			   s->addrs[s->asking].text, named ? named : host, s->cfg->master_name,
			   s->connecting_to ? s->connecting_to : "?");
		if (s->lost_at_ms == 0 && s->master) {
			s->lost_at_ms = s->api->now_ms(s->host);
			free(s->lost_reason);
			s->lost_reason = strdup("a re-check named another master");
		}
	}
	free(s->connecting_to);
	s->connecting_to = named;
	s->callbacks->master_named(s->arg, host, (int)port);
	free(host);
}

static void on_query_failed(void *arg, const char *reason)
{
	struct redis_sentinel *s = arg;
	if (s->query)
		sentinel_failed(s, reason);
}

static void on_query_timer(void *arg)
{
	struct redis_sentinel *s = arg;
	if (!s->query)
		return;
	char *reason = resp_link_resolve_timeout(s->query, s->cfg->connect_timeout_ms);
	if (!reason)
		reason = bh_strfmt("no answer within %u ms", s->cfg->connect_timeout_ms);
	sentinel_failed(s, reason ? reason : "no answer");
	free(reason);
}

static void ask(struct redis_sentinel *s)
{
	static const struct resp_link_callbacks callbacks = {.failed = on_query_failed};
	char *error = NULL;
	if (open_sentinel_link(s, s->asking, &callbacks, &s->query, &error) != BH_OK) {
		sentinel_failed(s, error ? error : "out of memory");
		free(error);
		return;
	}
	const char *argv[3] = {"SENTINEL", "get-master-addr-by-name", s->cfg->master_name};
	size_t lens[3] = {8, 23, strlen(s->cfg->master_name)};
	if (send_auth(s, s->query, on_query_reply) != BH_OK ||
	    resp_link_send(s->query, on_query_reply, (void *)"QUERY", 3, argv, lens) != BH_OK) {
		sentinel_failed(s, "out of memory");
		return;
	}
	if (s->api->timer_arm(s->host, s->query_timer, s->cfg->connect_timeout_ms) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel query timer");
}

/* One round: the sentinels in turn until one names the master.  With a
 * master link the round is a check (see on_query_reply). */
static void start_round(struct redis_sentinel *s)
{
	if (s->query)
		return; /* a round is under way: its answer serves */
	s->tried = 0;
	s->asking = s->first;
	free(s->round_errors);
	s->round_errors = NULL;
	ask(s);
}

void redis_sentinel_discover(struct redis_sentinel *s)
{
	start_round(s);
}

static void on_recheck_timer(void *arg)
{
	struct redis_sentinel *s = arg;
	if (s->destroying)
		return;
	if (linked(s))
		start_round(s);
	if (s->api->timer_arm(s->host, s->recheck_timer, RECHECK_INTERVAL_MS) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel re-check timer");
}

/* --- failover accounting --- */

void redis_sentinel_master_lost(struct redis_sentinel *s, bool was_ready, const char *reason)
{
	if (!was_ready) {
		/* The named server was unusable (down, a replica, refusing):
		 * the next round starts with another sentinel's view. */
		s->first = (s->first + 1) % s->n;
	}
	if (s->lost_at_ms == 0 && s->master) {
		s->lost_at_ms = s->api->now_ms(s->host);
		free(s->lost_reason);
		s->lost_reason = reason ? strdup(reason) : NULL;
	}
}

bool redis_sentinel_master_ready(struct redis_sentinel *s)
{
	bool moved = s->master && s->connecting_to && strcmp(s->master, s->connecting_to) != 0;
	if (moved) {
		uint64_t waited = s->lost_at_ms ? s->api->now_ms(s->host) - s->lost_at_ms : 0;
		BH_WARNING(s, "failover of master %s: from %s to %s; writes waited %llu ms (%s); "
			   "replaying every registration and owed withdrawal there",
			   s->cfg->master_name, s->master, s->connecting_to,
			   (unsigned long long)waited,
			   s->lost_reason ? s->lost_reason : "announced by the sentinels");
	}
	if (s->connecting_to) {
		free(s->master);
		s->master = strdup(s->connecting_to);
	}
	s->lost_at_ms = 0;
	free(s->lost_reason);
	s->lost_reason = NULL;
	return moved;
}

/* --- the +switch-master subscription --- */

static void arm_sub_timer(struct redis_sentinel *s)
{
	if (s->api->timer_arm(s->host, s->sub_timer, bh_backoff_next(&s->sub_backoff)) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel subscription timer: failovers are noticed "
			 "only when the master link fails");
}

static void sub_lost(struct redis_sentinel *s, const char *reason)
{
	struct resp_link *link = s->sub;
	s->sub = NULL;
	resp_link_free(link);
	if (s->destroying)
		return;
	if (!s->sub_logged_down)
		BH_WARNING(s, "sentinel %s: %s; no +switch-master announcements until another "
			   "sentinel takes the subscription",
			   s->addrs[s->sub_at].text, reason);
	else
		BH_DEBUG(s, "sentinel %s: %s", s->addrs[s->sub_at].text, reason);
	s->sub_logged_down = true;
	s->sub_confirmed = false;
	s->ping_waiting = false;
	s->ping_refused = false;
	s->sub_at = (s->sub_at + 1) % s->n;
	arm_sub_timer(s);
}

static void arm_ping(struct redis_sentinel *s, unsigned ms)
{
	if (s->api->timer_arm(s->host, s->sub_timer, ms) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel health-check timer: a frozen sentinel "
			 "goes unnoticed");
}

/* The health check's answer: ["pong", ""] while subscribed (RESP2). */
static void on_ping_reply(struct redis_sentinel *s, const redisReply *r)
{
	s->ping_waiting = false;
	if (r->type == REDIS_REPLY_ERROR) {
		/* An ACL without +ping: keep the subscription, unchecked. */
		s->ping_refused = true;
		s->api->timer_disarm(s->host, s->sub_timer);
		BH_WARNING(s, "sentinel %s refused PING (%s): if it freezes, the failovers it "
			   "misses are caught only by the re-check of the master every %u s "
			   "(give sentinel_user +ping)",
			   s->addrs[s->sub_at].text, r->str, RECHECK_INTERVAL_MS / 1000u);
		return;
	}
	arm_ping(s, SUB_PING_INTERVAL_MS);
}

static void send_ping(struct redis_sentinel *s)
{
	const char *argv[1] = {"PING"};
	size_t lens[1] = {4};
	if (resp_link_send(s->sub, on_sub_reply, (void *)"PING", 1, argv, lens) != BH_OK) {
		sub_lost(s, "out of memory");
		return;
	}
	s->ping_waiting = true;
	arm_ping(s, s->cfg->command_timeout_ms);
}

static void on_sub_failed(void *arg, const char *reason)
{
	struct redis_sentinel *s = arg;
	if (s->sub)
		sub_lost(s, reason);
}

static void on_sub_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_sentinel *s = arg;
	if (!s->sub || !r)
		return;
	if (strcmp(privdata, "PING") == 0) {
		on_ping_reply(s, r);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		char *reason = bh_strfmt("%s refused: %s", (const char *)privdata, r->str);
		sub_lost(s, reason ? reason : "refused");
		free(reason);
		return;
	}
	if (strcmp(privdata, "SUBSCRIBE") != 0)
		return;
	s->sub_confirmed = true;
	bh_backoff_reset(&s->sub_backoff);
	if (s->sub_logged_down)
		BH_INFO(s, "sentinel %s: following +switch-master again", s->addrs[s->sub_at].text);
	else
		BH_DEBUG(s, "sentinel %s: subscribed to +switch-master", s->addrs[s->sub_at].text);
	s->sub_logged_down = false;
	arm_ping(s, SUB_PING_INTERVAL_MS);
	/* Announcements made before this moment went unheard. */
	if (linked(s))
		start_round(s);
}

/* "+switch-master" payload: "<name> <old-ip> <old-port> <new-ip> <new-port>". */
static void on_sub_message(void *arg, const redisReply *r)
{
	struct redis_sentinel *s = arg;
	if (r->elements != 3 || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	char name[256], old_ip[64], new_ip[64];
	int old_port, new_port;
	/* Fixed fields bounded by the conversions' widths: a longer name is
	 * not ours (master_name longer than 255 bytes is refused below). */
	if (sscanf(r->element[2]->str, "%255s %63s %d %63s %d", name, old_ip, &old_port, new_ip,
		   &new_port) != 5 ||
	    strcmp(name, s->cfg->master_name) != 0 || new_port < 1 || new_port > 65535)
		return;
	BH_INFO(s, "sentinel %s announces +switch-master %s: %s:%d -> %s:%d",
		s->addrs[s->sub_at].text, name, old_ip, old_port, new_ip, new_port);
	char *announced = format_address(new_ip, new_port);
	/* Already there, or on the way there (asked the sentinels first). */
	bool same = announced && linked(s) &&
		    ((ready(s) && s->master && strcmp(announced, s->master) == 0) ||
		     (!ready(s) && s->connecting_to && strcmp(announced, s->connecting_to) == 0));
	free(announced);
	if (same)
		return;
	if (s->lost_at_ms == 0 && s->master) {
		s->lost_at_ms = s->api->now_ms(s->host);
		free(s->lost_reason);
		s->lost_reason = strdup("announced by +switch-master");
	}
	if (s->query)
		end_query(s);
	free(s->connecting_to);
	s->connecting_to = format_address(new_ip, new_port);
	s->callbacks->master_named(s->arg, new_ip, new_port);
}

static void subscribe_now(struct redis_sentinel *s)
{
	static const struct resp_link_callbacks callbacks = {.failed = on_sub_failed,
							     .message = on_sub_message};
	char *error = NULL;
	if (open_sentinel_link(s, s->sub_at, &callbacks, &s->sub, &error) != BH_OK) {
		s->sub = NULL;
		sub_lost(s, error ? error : "out of memory");
		free(error);
		return;
	}
	const char *argv[2] = {"SUBSCRIBE", "+switch-master"};
	size_t lens[2] = {9, 14};
	if (send_auth(s, s->sub, on_sub_reply) != BH_OK ||
	    resp_link_send(s->sub, on_sub_reply, (void *)"SUBSCRIBE", 2, argv, lens) != BH_OK) {
		sub_lost(s, "out of memory");
		return;
	}
	if (s->api->timer_arm(s->host, s->sub_timer, s->cfg->connect_timeout_ms) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel subscription timer");
}

/* Start the subscription (again); give up on a sentinel that does not
 * confirm it within connect_timeout_ms (a frozen process still accepts
 * connections); once confirmed, the health check: PING, and give up on a
 * sentinel that leaves it unanswered for command_timeout_ms. */
static void on_sub_timer(void *arg)
{
	struct redis_sentinel *s = arg;
	if (s->destroying)
		return;
	if (!s->sub) {
		subscribe_now(s);
	} else if (!s->sub_confirmed) {
		char *reason = resp_link_resolve_timeout(s->sub, s->cfg->connect_timeout_ms);
		if (!reason)
			reason = bh_strfmt("SUBSCRIBE not confirmed within %u ms",
					   s->cfg->connect_timeout_ms);
		sub_lost(s, reason ? reason : "SUBSCRIBE not confirmed");
		free(reason);
	} else if (!s->ping_waiting) {
		if (!s->ping_refused)
			send_ping(s);
	} else {
		size_t dropped = s->sub_at;
		char *reason = bh_strfmt("no answer to PING within %u ms; dropped as unresponsive",
					 s->cfg->command_timeout_ms);
		sub_lost(s, reason ? reason : "no answer to PING; dropped as unresponsive");
		free(reason);
		/* It may have missed (or we may have, while it was frozen) an
		 * announcement: ask the others now, not it first. */
		if (s->first == dropped)
			s->first = (dropped + 1) % s->n;
		if (linked(s))
			start_round(s);
	}
}

/* --- life cycle --- */

static bool linked(const struct redis_sentinel *s)
{
	return s->callbacks->linked(s->arg, NULL);
}

static bool ready(const struct redis_sentinel *s)
{
	bool is_ready = false;
	return s->callbacks->linked(s->arg, &is_ready) && is_ready;
}

static int fill_addresses(struct redis_sentinel *s)
{
	s->addrs = calloc(s->cfg->n_sentinels, sizeof *s->addrs);
	if (!s->addrs)
		return BH_ERR;
	s->n = s->cfg->n_sentinels;
	for (size_t i = 0; i < s->n; i++) {
		s->addrs[i].text = s->cfg->sentinels[i];
		if (redis_config_split_address(s->cfg->sentinels[i], &s->addrs[i].host,
					       &s->addrs[i].port) != BH_OK)
			return BH_ERR; /* validated at init: out of memory */
	}
	return BH_OK;
}

struct redis_sentinel *redis_sentinel_new(const struct bh_host_api *api, struct bh_host *host,
					  const struct redis_config *cfg,
					  const struct redis_sentinel_callbacks *callbacks, void *arg)
{
	if (strlen(cfg->master_name) > 255) {
		api->log(host, BH_LOG_ERROR, "master_name is longer than 255 bytes");
		return NULL;
	}
	struct redis_sentinel *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	*s = (struct redis_sentinel){.api = api, .host = host, .cfg = cfg, .callbacks = callbacks,
				     .arg = arg};
	s->query_timer = api->timer_new(host, on_query_timer, s);
	s->sub_timer = api->timer_new(host, on_sub_timer, s);
	s->recheck_timer = api->timer_new(host, on_recheck_timer, s);
	if (fill_addresses(s) != BH_OK || !s->query_timer || !s->sub_timer || !s->recheck_timer) {
		redis_sentinel_free(s);
		return NULL;
	}
	redis_config_backoff_init(&s->sub_backoff);
	subscribe_now(s);
	if (api->timer_arm(host, s->recheck_timer, RECHECK_INTERVAL_MS) != BH_OK)
		BH_ERROR(s, "cannot arm the sentinel re-check timer");
	return s;
}

void redis_sentinel_free(struct redis_sentinel *s)
{
	if (!s)
		return;
	s->destroying = true;
	if (s->query)
		end_query(s);
	if (s->sub) {
		struct resp_link *link = s->sub;
		s->sub = NULL;
		resp_link_free(link);
	}
	if (s->query_timer)
		s->api->timer_free(s->host, s->query_timer);
	if (s->sub_timer)
		s->api->timer_free(s->host, s->sub_timer);
	if (s->recheck_timer)
		s->api->timer_free(s->host, s->recheck_timer);
	for (size_t i = 0; s->addrs && i < s->n; i++)
		free(s->addrs[i].host);
	free(s->addrs);
	free(s->round_errors);
	free(s->master);
	free(s->connecting_to);
	free(s->lost_reason);
	free(s);
}
