/*
 * The connection to the Redis master: connect (TCP or unix socket; with
 * Sentinel, to the address the sentinels name), the AUTH / SELECT / PING
 * (and ROLE) handshake, timeouts, and reconnecting with capped exponential
 * backoff.
 *
 * A link is "ready" only when every handshake command was answered as
 * expected; nothing else is sent before.  Any error to the handshake (a full
 * server's "max number of clients", LOADING, a refused password, a replica
 * answering ROLE) is a failed connection: logged once per kind of failure,
 * retried with backoff.  The backoff restarts from its minimum only after a
 * link stayed ready for REDIS_BACKOFF_MAX_MS, so that a server that accepts and
 * then drops us at once cannot make us spin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn.h"

#include <beachhead/sdk.h>

#include "redis_credentials.h"
#include "redis_sentinel.h"

/* Handshake steps: privdata of their replies. */
enum step { STEP_AUTH, STEP_SELECT, STEP_PING, STEP_ROLE, STEP_INFO };
static const char *const step_names[] = {"AUTH", "SELECT", "PING", "ROLE", "INFO"};

static void schedule_reconnect(struct redis_conn *c);

static void arm(struct redis_conn *c, struct bh_timer *timer, uint64_t ms)
{
	if (c->api->timer_arm(c->host, timer, ms) != BH_OK)
		BH_ERROR(c, "cannot arm a timer; redis %s may stall", redis_conn_server(c));
}

const char *redis_conn_server(const struct redis_conn *c)
{
	return c->server ? c->server : c->cfg->server;
}

/* While the handshake runs, commands queue behind it (held back by the
 * cork until the server proved to be the right one). */
bool redis_conn_usable(const struct redis_conn *c)
{
	return c->link != NULL;
}

/* --- logging state changes once --- */

static void log_failure(struct redis_conn *c, enum link_logged kind, const char *reason)
{
	const char *server = redis_conn_server(c);
	c->callbacks->failure(c->arg, kind);
	if (c->logged == kind) {
		BH_DEBUG(c, "redis %s: %s", server, reason);
		return;
	}
	/* The messages say when the next attempt comes: the delay the backoff
	 * hands out next (give or take its jitter). */
	unsigned secs = (unsigned)(c->backoff.next_ms / 1000u);
	unsigned tenths = (unsigned)(c->backoff.next_ms % 1000u / 100u);
	switch (kind) {
	case LINK_AUTH_FAILED:
		/* report_error: a one-pass run must fail on a wrong password. */
		c->api->report_error(c->host, NULL,
				     "redis %s refused %s; retrying in about %u.%u s (then up to every %u s)",
				     server, reason, secs, tenths, REDIS_BACKOFF_MAX_MS / 1000u);
		c->api->set_status(c->host, "redis: authentication failed");
		break;
	case LINK_CLUSTER:
		/* report_error: a one-pass run fails; retried quietly in case
		 * the address is given to a standalone server. */
		c->api->report_error(c->host, NULL,
				     "redis %s is a Redis Cluster node (%s): Redis Cluster is not "
				     "supported, nothing is written there; point publisher-redis at a "
				     "standalone server, or at Sentinel (sentinels, master_name)",
				     server, reason);
		c->api->set_status(c->host, "redis: Cluster is not supported");
		break;
	case LINK_REFUSED:
		BH_WARNING(c,
			   "redis %s refused the connection (%s); retrying in about %u.%u s (then up "
			   "to every %u s)",
			   server, reason, secs, tenths, REDIS_BACKOFF_MAX_MS / 1000u);
		c->api->set_status(c->host, "redis: refusing connections");
		break;
	case LINK_PROTOCOL:
		BH_WARNING(c,
			   "redis %s: %s; dropped the connection, reconnecting in about %u.%u s "
			   "(then up to every %u s)",
			   server, reason, secs, tenths, REDIS_BACKOFF_MAX_MS / 1000u);
		c->api->set_status(c->host, "redis: protocol error");
		break;
	default:
		BH_WARNING(c,
			   "redis %s: %s; reconnecting in about %u.%u s (then up to every %u s), "
			   "will republish everything once it is back",
			   server, reason, secs, tenths, REDIS_BACKOFF_MAX_MS / 1000u);
		c->api->set_status(c->host, "redis: unreachable");
		break;
	}
	c->logged = kind;
}

/* --- going down --- */

static void drop_link(struct redis_conn *c, enum link_logged kind, const char *reason,
		      bool quiet)
{
	if (!c->link)
		return;
	struct resp_link *link = c->link;
	bool was_ready = c->ready;
	/* Detach first: the loss callbacks that resp_link_free() runs see a
	 * publisher without a link and defer their work. */
	c->link = NULL;
	c->ready = false;
	c->handshake_left = 0;
	resp_link_free(link);
	c->callbacks->lost(c->arg);
	if (c->destroying)
		return;
	c->api->timer_disarm(c->host, c->connect_timer);
	c->api->timer_disarm(c->host, c->command_timer);
	c->command_timer_armed = false;
	if (was_ready)
		bh_backoff_lost(&c->backoff, c->api->now_ms(c->host) - c->ready_since_ms,
				REDIS_BACKOFF_MAX_MS);
	if (!quiet)
		log_failure(c, kind, reason);
	if (c->sentinel)
		redis_sentinel_master_lost(c->sentinel, was_ready, reason);
	schedule_reconnect(c);
}

void redis_conn_drop(struct redis_conn *c, enum link_logged kind, const char *reason)
{
	drop_link(c, kind, reason, false);
}

static void on_link_failed(void *arg, const char *reason)
{
	struct redis_conn *c = arg;
	redis_conn_drop(c, strncmp(reason, "protocol error", 14) == 0 ? LINK_PROTOCOL : LINK_DOWN,
			reason);
}

/* --- becoming ready --- */

/* The handshake's commands were answered as expected: the server is the
 * right one and accepts us. */
static void mark_ready(struct redis_conn *c)
{
	c->ready = true;
	c->ready_since_ms = c->api->now_ms(c->host);
	const char *user, *password;
	redis_conn_credentials(c, &user, &password);
	if (password)
		redis_credentials_accepted(c->instance, user, password);
	c->api->timer_disarm(c->host, c->connect_timer);
}

/* Once per outage, not once per reconnect. */
static void say_connected(struct redis_conn *c)
{
	if (c->logged != LINK_UP) {
		if (c->cfg->database > 0)
			BH_INFO(c, "connected to redis %s, database %d",
				redis_conn_server(c), c->cfg->database);
		else
			BH_INFO(c, "connected to redis %s", redis_conn_server(c));
		c->api->set_status(c->host, "redis: connected");
	}
	c->logged = LINK_UP;
}

/* The commands queued behind the handshake go out; the owner learns that
 * the link is ready, and whether a failover moved it. */
static void became_ready(struct redis_conn *c)
{
	if (resp_link_uncork(c->link) != BH_OK) {
		redis_conn_drop(c, LINK_DOWN, "out of memory");
		return;
	}
	mark_ready(c);
	say_connected(c);
	bool moved = c->sentinel && redis_sentinel_master_ready(c->sentinel);
	c->callbacks->ready(c->arg, moved);
}

static bool is_status(const redisReply *r, const char *text)
{
	return r->type == REDIS_REPLY_STATUS && strcmp(r->str, text) == 0;
}

/* ROLE's first element: "master", "slave" or "sentinel". */
static bool role_is_master(const redisReply *r, const char **role)
{
	*role = "not an array";
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return false;
	*role = r->element[0]->str;
	return strcmp(*role, "master") == 0;
}

void redis_conn_credentials(const struct redis_conn *c, const char **user,
			    const char **password)
{
	*user = c->use_fallback ? c->fallback_user : c->cfg->user;
	*password = c->use_fallback ? c->fallback_password : c->cfg->password;
}

/* The password the server refused may be stale: password_file rotated by
 * a secret manager (read again now, no SIGHUP needed), or a reload brought
 * a wrong one while the one before still works (redis_credentials.h).
 * Returns true when another password is to be tried at once. */
static bool try_other_password(struct redis_conn *c, const char *error)
{
	const char *server = redis_conn_server(c);
	char *problem = NULL;
	int changed = redis_config_reread_password(c->cfg, &problem);
	if (changed < 0)
		BH_WARNING(c, "redis %s refused the password (%s), and %s", server, error, problem);
	free(problem);
	if (changed > 0) {
		BH_INFO(c, "redis %s refused the password (%s); %s holds another one now: "
			"trying it", server, error, c->cfg->password_file);
		c->use_fallback = false;
		c->fallback_tried = false;
		return true;
	}
	if (c->use_fallback) {
		/* The credentials accepted before are refused too: the server
		 * may have adopted the configured ones meanwhile (the client
		 * was rotated first).  Once, at once; then those stay. */
		BH_INFO(c, "redis %s refused the credentials it accepted before (%s): trying the "
			"configured ones again", server, error);
		c->use_fallback = false;
		return true;
	}
	const char *user = NULL;
	const char *previous = redis_credentials_previous(c->instance, &user);
	if (c->fallback_tried || !previous ||
	    (c->cfg->password && strcmp(previous, c->cfg->password) == 0))
		return false;
	char *user_copy = user ? strdup(user) : NULL;
	char *password_copy = strdup(previous);
	if ((user && !user_copy) || !password_copy) {
		free(user_copy);
		free(password_copy);
		return false;
	}
	free(c->fallback_user);
	redis_free_secret(c->fallback_password);
	c->fallback_user = user_copy;
	c->fallback_password = password_copy;
	c->use_fallback = c->fallback_tried = true;
	c->api->report_error(c->host, NULL,
			     "redis %s refused the password now configured (%s): using the "
			     "credentials it accepted before (until a reload); correct password or "
			     "password_file and reload",
			     server, error);
	return true;
}

static bool is_auth_refusal(enum step step, const char *error)
{
	return step == STEP_AUTH || strncmp(error, "NOAUTH", 6) == 0 ||
	       strncmp(error, "WRONGPASS", 9) == 0;
}

static void handshake_error(struct redis_conn *c, enum step step, const char *error)
{
	if (is_auth_refusal(step, error) && try_other_password(c, error)) {
		/* At once, quietly: the outcome of the next attempt is logged. */
		bh_backoff_reset(&c->backoff);
		drop_link(c, LINK_AUTH_FAILED, error, true);
		return;
	}
	char *reason = NULL;
	enum link_logged kind = LINK_REFUSED;
	if (is_auth_refusal(step, error) || step == STEP_SELECT) {
		/* Our settings are refused: retrying will not help until the
		 * server or the configuration changes (one-pass runs fail). */
		kind = LINK_AUTH_FAILED;
		const char *what = step == STEP_AUTH     ? "AUTH"
				   : step == STEP_SELECT ? "SELECT"
							 : "access without a password";
		reason = bh_strfmt("%s (%s)", what, error);
	} else if (strncmp(error, "NOPERM", 6) == 0) {
		kind = LINK_AUTH_FAILED; /* the ACL must change first */
		const char *needed = step == STEP_ROLE   ? "role"
				     : step == STEP_PING ? "ping"
							 : "select";
		reason = bh_strfmt("%s: %s (the ACL user needs +%s)", step_names[step], error,
				   needed);
	} else {
		reason = bh_strfmt("%s: %s", step_names[step], error);
	}
	redis_conn_drop(c, kind, reason ? reason : error);
	free(reason);
}

/* "field:value" of an INFO text, as a string (NULL: absent). */
static const char *info_field(const char *info, const char *field, size_t *len)
{
	size_t field_len = strlen(field);
	const char *line = info;
	while (line && *line) {
		if (strncmp(line, field, field_len) == 0 && line[field_len] == ':') {
			const char *value = line + field_len + 1;
			*len = strcspn(value, "\r\n");
			return value;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static unsigned parse_version(const char *text, size_t len)
{
	unsigned major = 0, minor = 0, patch = 0;
	char buf[32];
	snprintf(buf, sizeof buf, "%.*s", (int)(len < 31 ? len : 31), text);
	if (sscanf(buf, "%u.%u.%u", &major, &minor, &patch) < 2 || minor > 99 || patch > 99)
		return 0;
	return major * 10000u + minor * 100u + patch;
}

/* Without a host id, SET ... GET notices foreign writers (6.2 and later). */
static void choose_set_get(struct redis_conn *c)
{
	c->set_get = !c->has_host_id && c->server_version >= 60200u;
	if (c->has_host_id || c->set_get || c->set_get_logged)
		return;
	c->set_get_logged = true;
	if (c->server_version)
		BH_INFO(c, "redis %s is version %u.%u.%u: keys another writer overwrites (e.g. a "
			"second host publishing the same container names) go unnoticed, SET ... GET "
			"needs 6.2; with several hosts, give each its own host_id", redis_conn_server(c),
			c->server_version / 10000u, c->server_version / 100u % 100u,
			c->server_version % 100u);
}

/* Returns false when the link was dropped (a Cluster node). */
static bool read_info(struct redis_conn *c, const redisReply *r)
{
	if (r->type == REDIS_REPLY_ERROR) {
		if (!c->info_refused_logged)
			BH_WARNING(c, "redis %s refused INFO (%s): cannot tell a Cluster node or the "
				   "server's version (the ACL user needs +info)",
				   redis_conn_server(c), r->str);
		c->info_refused_logged = true;
		c->server_version = 0;
		choose_set_get(c);
		return true;
	}
	if (r->type != REDIS_REPLY_STRING) {
		redis_conn_drop(c, LINK_PROTOCOL, "protocol error: an unexpected reply to INFO");
		return false;
	}
	size_t len = 0;
	const char *cluster = info_field(r->str, "cluster_enabled", &len);
	if (cluster && len == 1 && cluster[0] == '1') {
		redis_conn_drop(c, LINK_CLUSTER, "INFO says cluster_enabled:1");
		return false;
	}
	const char *version = info_field(r->str, "redis_version", &len);
	c->server_version = version ? parse_version(version, len) : 0;
	choose_set_get(c);
	return true;
}

/* An answer of the wrong shape: a replica (ROLE), or not Redis at all. */
static void unexpected_answer(struct redis_conn *c, enum step step, const redisReply *r,
			      const char *role)
{
	if (step == STEP_ROLE && r->type == REDIS_REPLY_ARRAY) {
		/* A sentinel named a replica (or a failover is under way):
		 * never write there; ask the sentinels again. */
		char *reason = bh_strfmt("ROLE says %s, not master", role);
		redis_conn_drop(c, LINK_REFUSED, reason ? reason : "not the master");
		free(reason);
		return;
	}
	char *reason = bh_strfmt("protocol error: an unexpected reply to %s", step_names[step]);
	redis_conn_drop(c, LINK_PROTOCOL, reason ? reason : "protocol error");
	free(reason);
}

/* The verdict on one handshake answer: true when the handshake goes on;
 * false when the link was dropped (the reason logged). */
static bool step_answered(struct redis_conn *c, enum step step, const redisReply *r)
{
	if (step == STEP_INFO)
		return read_info(c, r);
	if (r->type == REDIS_REPLY_ERROR) {
		handshake_error(c, step, r->str);
		return false;
	}
	const char *role = NULL;
	bool ok = step == STEP_PING   ? is_status(r, "PONG")
		  : step == STEP_ROLE ? role_is_master(r, &role)
				      : is_status(r, "OK");
	if (!ok)
		unexpected_answer(c, step, r, role);
	return ok;
}

static void on_handshake_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_conn *c = arg;
	enum step step = (enum step)(uintptr_t)privdata;
	if (!r || !c->link || c->destroying)
		return;
	if (step_answered(c, step, r) && --c->handshake_left == 0)
		became_ready(c);
}

/* --- connecting --- */

static int send_step(struct redis_conn *c, enum step step, int argc, const char **argv,
		     const size_t *lens)
{
	if (resp_link_send(c->link, on_handshake_reply, (void *)(uintptr_t)step, argc, argv, lens) !=
	    BH_OK)
		return BH_ERR;
	c->handshake_left++;
	return BH_OK;
}

static int queue_handshake(struct redis_conn *c)
{
	const char *user, *password;
	redis_conn_credentials(c, &user, &password);
	if (password) {
		const char *argv[3] = {"AUTH", NULL, NULL};
		size_t lens[3] = {4, 0, 0};
		int argc = 1;
		if (user) {
			argv[argc] = user;
			lens[argc++] = strlen(user);
		}
		argv[argc] = password;
		lens[argc++] = strlen(password);
		if (send_step(c, STEP_AUTH, argc, argv, lens) != BH_OK)
			return BH_ERR;
	}
	if (c->cfg->database > 0) {
		char db[24];
		snprintf(db, sizeof db, "%d", c->cfg->database);
		const char *argv[2] = {"SELECT", db};
		size_t lens[2] = {6, strlen(db)};
		if (send_step(c, STEP_SELECT, 2, argv, lens) != BH_OK)
			return BH_ERR;
	}
	/* A finished TCP connect proves little: a stopped (SIGSTOP) or wedged
	 * server still completes it from the kernel's backlog.  Only a reply
	 * makes the link "up". */
	const char *ping[1] = {"PING"};
	size_t ping_len[1] = {4};
	if (send_step(c, STEP_PING, 1, ping, ping_len) != BH_OK)
		return BH_ERR;
	if (c->sentinel) {
		const char *role[1] = {"ROLE"};
		size_t role_len[1] = {4};
		if (send_step(c, STEP_ROLE, 1, role, role_len) != BH_OK)
			return BH_ERR;
	}
	/* The default sections: "server" (the version, for SET ... GET) and
	 * "cluster" (a Cluster node is refused before anything is written). */
	const char *info[1] = {"INFO"};
	size_t info_len[1] = {4};
	return send_step(c, STEP_INFO, 1, info, info_len);
}

/* A connect that failed before there was a link. */
static void connect_failed(struct redis_conn *c, const char *reason)
{
	log_failure(c, LINK_DOWN, reason);
	if (c->sentinel)
		redis_sentinel_master_lost(c->sentinel, false, reason);
	schedule_reconnect(c);
}

static void connect_to(struct redis_conn *c, const struct resp_address *address)
{
	static const struct resp_link_callbacks callbacks = {.failed = on_link_failed};
	char *error = NULL;
	struct resp_link *link = resp_link_open(c->api, c->host, address, &callbacks, c, &error);
	if (!link) {
		connect_failed(c, error ? error : "out of memory");
		free(error);
		return;
	}
	c->link = link;
	arm(c, c->connect_timer, c->cfg->connect_timeout_ms);
	/* The handshake is pipelined; nothing else goes out before it is
	 * answered (a replica must never see a write). */
	if (queue_handshake(c) != BH_OK)
		redis_conn_drop(c, LINK_DOWN, "cannot queue the handshake");
	else
		resp_link_cork(link);
}

/* Sentinel named the master: connect to it now (any current link goes). */
static void connect_master(void *arg, const char *host, int port)
{
	struct redis_conn *c = arg;
	if (c->destroying)
		return;
	/* The failover is logged once, when the new master is ready. */
	if (c->link)
		drop_link(c, LINK_DOWN, "the sentinels named another master", true);
	c->api->timer_disarm(c->host, c->reconnect_timer);
	char *server = bh_strfmt("%s:%d (master %s)", host, port, c->cfg->master_name);
	free(c->server);
	c->server = server;
	char *copy = strdup(host);
	if (copy) {
		free(c->master_host);
		c->master_host = copy;
		c->master_port = port;
	}
	struct resp_address address = {.host = host, .port = port};
	connect_to(c, &address);
}

/* Sentinel found no master: try again with backoff. */
static void no_master(void *arg, const char *reason)
{
	struct redis_conn *c = arg;
	log_failure(c, LINK_NO_MASTER, reason);
	schedule_reconnect(c);
}

static void connect_now(struct redis_conn *c)
{
	if (c->link || c->destroying)
		return;
	if (c->sentinel) {
		redis_sentinel_discover(c->sentinel);
		return;
	}
	struct resp_address address = {
		.unix_path = c->cfg->socket, .host = c->cfg->host, .port = c->cfg->port};
	connect_to(c, &address);
}

static void schedule_reconnect(struct redis_conn *c)
{
	if (c->destroying)
		return;
	arm(c, c->reconnect_timer, bh_backoff_next(&c->backoff));
}

static void on_reconnect_timer(void *arg)
{
	connect_now(arg);
}

static void on_connect_timer(void *arg)
{
	struct redis_conn *c = arg;
	if (c->link && !c->ready) {
		/* The timeout covers the host name's lookup too: a resolver
		 * that never answers is a failed attempt like any other. */
		char *reason = resp_link_resolve_timeout(c->link, c->cfg->connect_timeout_ms);
		if (!reason)
			reason = bh_strfmt("%s timed out after %u ms",
					   resp_link_connected(c->link) ? "the handshake" : "connect",
					   c->cfg->connect_timeout_ms);
		redis_conn_drop(c, LINK_DOWN, reason ? reason : "connect timed out");
		free(reason);
	}
}

/* --- command timeout --- */

static void progress(struct redis_conn *c)
{
	c->last_progress_ms = c->api->now_ms(c->host);
}

void redis_conn_replied(struct redis_conn *c)
{
	c->inflight--;
	progress(c);
}

/* A stalled server (SIGSTOP, full network path, ...) must not keep commands
 * in flight forever: drop and reconnect, the replay restores the store. */
static void on_command_timer(void *arg)
{
	struct redis_conn *c = arg;
	c->command_timer_armed = false;
	if (!c->link || c->inflight == 0)
		return;
	uint64_t idle = c->api->now_ms(c->host) - c->last_progress_ms;
	if (idle >= c->cfg->command_timeout_ms) {
		char reason[80];
		snprintf(reason, sizeof reason, "no reply for %u ms", c->cfg->command_timeout_ms);
		redis_conn_drop(c, LINK_DOWN, reason);
		return;
	}
	c->command_timer_armed = true;
	arm(c, c->command_timer, c->cfg->command_timeout_ms - idle);
}

int redis_conn_submit(struct redis_conn *c, resp_reply_fn cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen)
{
	if (!redis_conn_usable(c))
		return BH_ERR;
	if (resp_link_send(c->link, cb, privdata, argc, argv, argvlen) != BH_OK)
		return BH_ERR;
	if (c->inflight++ == 0)
		progress(c);
	if (!c->command_timer_armed) {
		c->command_timer_armed = true;
		arm(c, c->command_timer, c->cfg->command_timeout_ms);
	}
	return BH_OK;
}

/* --- life cycle --- */

static bool sentinel_linked(void *arg, bool *ready)
{
	const struct redis_conn *c = arg;
	if (ready)
		*ready = c->ready;
	return c->link != NULL;
}

void redis_conn_init(struct redis_conn *c, const struct bh_host_api *api, struct bh_host *host,
		     struct redis_config *cfg, const char *instance, bool has_host_id,
		     const struct redis_conn_callbacks *callbacks, void *arg)
{
	*c = (struct redis_conn){.api = api, .host = host, .cfg = cfg, .instance = instance,
				 .has_host_id = has_host_id, .callbacks = callbacks, .arg = arg};
	redis_config_backoff_init(&c->backoff);
}

int redis_conn_start(struct redis_conn *c)
{
	static const struct redis_sentinel_callbacks sentinel_callbacks = {
		.master_named = connect_master, .no_master = no_master, .linked = sentinel_linked};
	struct {
		struct bh_timer **timer;
		bh_timer_cb cb;
	} timers[] = {
		{&c->reconnect_timer, on_reconnect_timer},
		{&c->connect_timer, on_connect_timer},
		{&c->command_timer, on_command_timer},
	};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		*timers[i].timer = c->api->timer_new(c->host, timers[i].cb, c);
		if (!*timers[i].timer)
			return BH_ERR;
	}
	if (c->cfg->sentinels) {
		c->sentinel = redis_sentinel_new(c->api, c->host, c->cfg, &sentinel_callbacks, c);
		if (!c->sentinel)
			return BH_ERR;
	}
	connect_now(c);
	return BH_OK;
}

void redis_conn_destroy(struct redis_conn *c)
{
	c->destroying = true;
	redis_conn_drop(c, LINK_DOWN, "shutting down"); /* runs every loss callback */
	redis_sentinel_free(c->sentinel);
	c->sentinel = NULL;
	struct bh_timer **timers[] = {&c->reconnect_timer, &c->connect_timer, &c->command_timer};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		if (*timers[i])
			c->api->timer_free(c->host, *timers[i]);
		*timers[i] = NULL;
	}
	free(c->server);
	c->server = NULL;
	free(c->master_host);
	c->master_host = NULL;
	free(c->fallback_user);
	redis_free_secret(c->fallback_password);
	c->fallback_user = c->fallback_password = NULL;
}

/* Errors that concern the link, not the key: reconnect (with Sentinel: ask
 * the sentinels again) instead of retrying the write on this link. */
bool redis_conn_is_link_error(const char *error, enum link_logged *kind)
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
