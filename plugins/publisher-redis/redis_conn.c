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
 * link stayed ready for BACKOFF_MAX_MS, so that a server that accepts and
 * then drops us at once cannot make us spin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_credentials.h"
#include "redis_publisher.h"

/* After a replay request, how long pending() keeps counting the replay as
 * owed: the core replays from a zero-delay timer, so 50 ms is ample, and an
 * empty registry (nothing to replay) does not hold the exit up. */
#define REPLAY_GRACE_MS 50u

/* Handshake steps: privdata of their replies. */
enum step { STEP_AUTH, STEP_SELECT, STEP_PING, STEP_ROLE, STEP_INFO };
static const char *const step_names[] = {"AUTH", "SELECT", "PING", "ROLE", "INFO"};

static void schedule_reconnect(struct redis_publisher *p);

static void arm(struct redis_publisher *p, struct bh_timer *timer, uint64_t ms)
{
	if (p->api->timer_arm(p->host, timer, ms) != BH_OK)
		BH_ERROR(p, "cannot arm a timer; redis %s may stall", redis_conn_server(p));
}

const char *redis_conn_server(const struct redis_publisher *p)
{
	return p->server ? p->server : p->cfg.server;
}

/* While the handshake runs, commands queue behind it (held back by the
 * cork until the server proved to be the right one). */
bool redis_conn_usable(const struct redis_publisher *p)
{
	return p->link != NULL;
}

/* --- logging state changes once --- */

static void log_failure(struct redis_publisher *p, enum link_logged kind, const char *reason)
{
	const char *server = redis_conn_server(p);
	redis_metrics_link_failure(p, kind);
	if (p->logged == kind) {
		BH_DEBUG(p, "redis %s: %s", server, reason);
		return;
	}
	/* The messages say when the next attempt comes: the delay the backoff
	 * hands out next (give or take its jitter). */
	unsigned secs = (unsigned)(p->backoff.next_ms / 1000u), tenths = (unsigned)(p->backoff.next_ms % 1000u / 100u);
	switch (kind) {
	case LINK_AUTH_FAILED:
		/* report_error: a one-pass run must fail on a wrong password. */
		p->api->report_error(p->host, NULL,
				     "redis %s refused %s; retrying in about %u.%u s (then up to every %u s)",
				     server, reason, secs, tenths, BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: authentication failed");
		break;
	case LINK_CLUSTER:
		/* report_error: a one-pass run fails; retried quietly in case
		 * the address is given to a standalone server. */
		p->api->report_error(p->host, NULL,
				     "redis %s is a Redis Cluster node (%s): Redis Cluster is not "
				     "supported, nothing is written there; point publisher-redis at a "
				     "standalone server, or at Sentinel (sentinels, master_name)",
				     server, reason);
		p->api->set_status(p->host, "redis: Cluster is not supported");
		break;
	case LINK_REFUSED:
		BH_WARNING(p,
			   "redis %s refused the connection (%s); retrying in about %u.%u s (then up "
			   "to every %u s)",
			   server, reason, secs, tenths, BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: refusing connections");
		break;
	case LINK_PROTOCOL:
		BH_WARNING(p,
			   "redis %s: %s; dropped the connection, reconnecting in about %u.%u s "
			   "(then up to every %u s)",
			   server, reason, secs, tenths, BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: protocol error");
		break;
	default:
		BH_WARNING(p,
			   "redis %s: %s; reconnecting in about %u.%u s (then up to every %u s), "
			   "will republish everything once it is back",
			   server, reason, secs, tenths, BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: unreachable");
		break;
	}
	p->logged = kind;
}

/* --- going down --- */

static void drop_link(struct redis_publisher *p, enum link_logged kind, const char *reason,
		      bool quiet)
{
	if (!p->link)
		return;
	struct resp_link *link = p->link;
	bool was_ready = p->ready;
	/* Detach first: the loss callbacks that resp_link_free() runs see a
	 * publisher without a link and defer their work. */
	p->link = NULL;
	p->ready = false;
	redis_metrics_connected(p, false);
	p->handshake_left = 0;
	resp_link_free(link);
	keyset_clear(&p->stored);
	/* Echoes of commands whose fate is unknown are checked like
	 * anyone's; whose the namespace is waits for the next answer. */
	held_forget_own_events(&p->held);
	p->probe_waiting = false;
	if (p->claim)
		redis_claim_link_lost(p->claim);
	if (p->destroying)
		return;
	p->api->timer_disarm(p->host, p->connect_timer);
	p->api->timer_disarm(p->host, p->command_timer);
	p->command_timer_armed = false;
	if (was_ready)
		bh_backoff_lost(&p->backoff, p->api->now_ms(p->host) - p->ready_since_ms,
				BACKOFF_MAX_MS);
	if (!quiet)
		log_failure(p, kind, reason);
	if (p->sentinel)
		redis_sentinel_master_lost(p, was_ready, reason);
	schedule_reconnect(p);
}

void redis_conn_drop(struct redis_publisher *p, enum link_logged kind, const char *reason)
{
	drop_link(p, kind, reason, false);
}

static void on_link_failed(void *arg, const char *reason)
{
	struct redis_publisher *p = arg;
	redis_conn_drop(p, strncmp(reason, "protocol error", 14) == 0 ? LINK_PROTOCOL : LINK_DOWN,
			reason);
}

/* --- becoming ready --- */

static void became_ready(struct redis_publisher *p)
{
	if (resp_link_uncork(p->link) != BH_OK) {
		redis_conn_drop(p, LINK_DOWN, "out of memory");
		return;
	}
	p->ready = true;
	redis_metrics_connected(p, true);
	p->ready_since_ms = p->api->now_ms(p->host);
	const char *user, *password;
	redis_conn_credentials(p, &user, &password);
	if (password)
		redis_credentials_accepted(p->instance, user, password);
	p->api->timer_disarm(p->host, p->connect_timer);
	if (p->logged != LINK_UP) {
		if (p->cfg.database > 0)
			BH_INFO(p, "connected to redis %s, database %d",
				redis_conn_server(p), p->cfg.database);
		else
			BH_INFO(p, "connected to redis %s", redis_conn_server(p));
		p->api->set_status(p->host, "redis: connected");
	}
	p->logged = LINK_UP;
	bool moved = p->sentinel && redis_sentinel_master_ready(p);
	redis_publisher_connected(p, moved);
	/* A reconnect may face an emptied store (restart, FLUSHALL, failover):
	 * have the core publish everything again.  The very first connect needs
	 * it only when something was dropped while we were not connected. */
	bool replay = p->ever_ready || p->owed;
	p->ever_ready = true;
	if (replay && !p->stopping) {
		p->owed = true;
		p->api->request_replay(p->host);
		arm(p, p->grace_timer, REPLAY_GRACE_MS);
		return;
	}
	/* Stopped: the core replays to us no more.  At the end of a one-pass
	 * run that means registrations lost in the outage stay unpublished:
	 * say so (and fail the run) rather than exit 0.  A daemon stopping
	 * for good or replaced by a reload loses nothing that matters (the
	 * keys expire; a reload's successor gets its own replay). */
	if (p->owed && p->one_pass)
		p->api->report_error(p->host, NULL,
				     "redis %s: the connection failed during the pass and came back "
				     "only after it; registrations left unacknowledged then were not "
				     "published again",
				     redis_conn_server(p));
	p->owed = false;
}

static void on_grace_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->ready)
		p->owed = false;
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

void redis_conn_credentials(const struct redis_publisher *p, const char **user,
			    const char **password)
{
	*user = p->use_fallback ? p->fallback_user : p->cfg.user;
	*password = p->use_fallback ? p->fallback_password : p->cfg.password;
}

/* The password the server refused may be stale: password_file rotated by
 * a secret manager (read again now, no SIGHUP needed), or a reload brought
 * a wrong one while the one before still works (redis_credentials.h).
 * Returns true when another password is to be tried at once. */
static bool try_other_password(struct redis_publisher *p, const char *error)
{
	const char *server = redis_conn_server(p);
	char *problem = NULL;
	int changed = redis_config_reread_password(&p->cfg, &problem);
	if (changed < 0)
		BH_WARNING(p, "redis %s refused the password (%s), and %s", server, error, problem);
	free(problem);
	if (changed > 0) {
		BH_INFO(p, "redis %s refused the password (%s); %s holds another one now: "
			"trying it", server, error, p->cfg.password_file);
		p->use_fallback = false;
		p->fallback_tried = false;
		return true;
	}
	if (p->use_fallback) {
		/* The credentials accepted before are refused too: the server
		 * may have adopted the configured ones meanwhile (the client
		 * was rotated first).  Once, at once; then those stay. */
		BH_INFO(p, "redis %s refused the credentials it accepted before (%s): trying the "
			"configured ones again", server, error);
		p->use_fallback = false;
		return true;
	}
	const char *user = NULL;
	const char *previous = redis_credentials_previous(p->instance, &user);
	if (p->fallback_tried || !previous ||
	    (p->cfg.password && strcmp(previous, p->cfg.password) == 0))
		return false;
	char *user_copy = user ? strdup(user) : NULL;
	char *password_copy = strdup(previous);
	if ((user && !user_copy) || !password_copy) {
		free(user_copy);
		free(password_copy);
		return false;
	}
	free(p->fallback_user);
	redis_free_secret(p->fallback_password);
	p->fallback_user = user_copy;
	p->fallback_password = password_copy;
	p->use_fallback = p->fallback_tried = true;
	p->api->report_error(p->host, NULL,
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

static void handshake_error(struct redis_publisher *p, enum step step, const char *error)
{
	if (is_auth_refusal(step, error) && try_other_password(p, error)) {
		/* At once, quietly: the outcome of the next attempt is logged. */
		bh_backoff_reset(&p->backoff);
		drop_link(p, LINK_AUTH_FAILED, error, true);
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
	redis_conn_drop(p, kind, reason ? reason : error);
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
static void choose_set_get(struct redis_publisher *p)
{
	p->set_get = !p->has_host_id && p->server_version >= 60200u;
	if (p->has_host_id || p->set_get || p->set_get_logged)
		return;
	p->set_get_logged = true;
	if (p->server_version)
		BH_INFO(p, "redis %s is version %u.%u.%u: keys another writer overwrites (e.g. a "
			"second host publishing the same container names) go unnoticed, SET ... GET "
			"needs 6.2; with several hosts, give each its own host_id", redis_conn_server(p),
			p->server_version / 10000u, p->server_version / 100u % 100u,
			p->server_version % 100u);
}

/* Returns false when the link was dropped (a Cluster node). */
static bool read_info(struct redis_publisher *p, const redisReply *r)
{
	if (r->type == REDIS_REPLY_ERROR) {
		if (!p->info_refused_logged)
			BH_WARNING(p, "redis %s refused INFO (%s): cannot tell a Cluster node or the "
				   "server's version (the ACL user needs +info)",
				   redis_conn_server(p), r->str);
		p->info_refused_logged = true;
		p->server_version = 0;
		choose_set_get(p);
		return true;
	}
	if (r->type != REDIS_REPLY_STRING) {
		redis_conn_drop(p, LINK_PROTOCOL, "protocol error: an unexpected reply to INFO");
		return false;
	}
	size_t len = 0;
	const char *cluster = info_field(r->str, "cluster_enabled", &len);
	if (cluster && len == 1 && cluster[0] == '1') {
		redis_conn_drop(p, LINK_CLUSTER, "INFO says cluster_enabled:1");
		return false;
	}
	const char *version = info_field(r->str, "redis_version", &len);
	p->server_version = version ? parse_version(version, len) : 0;
	choose_set_get(p);
	return true;
}

static void on_handshake_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_publisher *p = arg;
	enum step step = (enum step)(uintptr_t)privdata;
	if (!r || !p->link || p->destroying)
		return;
	if (step == STEP_INFO) {
		if (read_info(p, r) && --p->handshake_left == 0)
			became_ready(p);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		handshake_error(p, step, r->str);
		return;
	}
	const char *role = NULL;
	bool ok = step == STEP_PING   ? is_status(r, "PONG")
		  : step == STEP_ROLE ? role_is_master(r, &role)
				      : is_status(r, "OK");
	if (!ok && step == STEP_ROLE && r->type == REDIS_REPLY_ARRAY) {
		/* A sentinel named a replica (or a failover is under way):
		 * never write there; ask the sentinels again. */
		char *reason = bh_strfmt("ROLE says %s, not master", role);
		redis_conn_drop(p, LINK_REFUSED, reason ? reason : "not the master");
		free(reason);
		return;
	}
	if (!ok) {
		char *reason =
			bh_strfmt("protocol error: an unexpected reply to %s", step_names[step]);
		redis_conn_drop(p, LINK_PROTOCOL, reason ? reason : "protocol error");
		free(reason);
		return;
	}
	if (--p->handshake_left == 0)
		became_ready(p);
}

/* --- connecting --- */

static int send_step(struct redis_publisher *p, enum step step, int argc, const char **argv,
		     const size_t *lens)
{
	if (resp_link_send(p->link, on_handshake_reply, (void *)(uintptr_t)step, argc, argv, lens) !=
	    BH_OK)
		return BH_ERR;
	p->handshake_left++;
	return BH_OK;
}

static int queue_handshake(struct redis_publisher *p)
{
	const char *user, *password;
	redis_conn_credentials(p, &user, &password);
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
		if (send_step(p, STEP_AUTH, argc, argv, lens) != BH_OK)
			return BH_ERR;
	}
	if (p->cfg.database > 0) {
		char db[24];
		snprintf(db, sizeof db, "%d", p->cfg.database);
		const char *argv[2] = {"SELECT", db};
		size_t lens[2] = {6, strlen(db)};
		if (send_step(p, STEP_SELECT, 2, argv, lens) != BH_OK)
			return BH_ERR;
	}
	/* A finished TCP connect proves little: a stopped (SIGSTOP) or wedged
	 * server still completes it from the kernel's backlog.  Only a reply
	 * makes the link "up". */
	const char *ping[1] = {"PING"};
	size_t ping_len[1] = {4};
	if (send_step(p, STEP_PING, 1, ping, ping_len) != BH_OK)
		return BH_ERR;
	if (p->sentinel) {
		const char *role[1] = {"ROLE"};
		size_t role_len[1] = {4};
		if (send_step(p, STEP_ROLE, 1, role, role_len) != BH_OK)
			return BH_ERR;
	}
	/* The default sections: "server" (the version, for SET ... GET) and
	 * "cluster" (a Cluster node is refused before anything is written). */
	const char *info[1] = {"INFO"};
	size_t info_len[1] = {4};
	return send_step(p, STEP_INFO, 1, info, info_len);
}

/* A connect that failed before there was a link. */
static void connect_failed(struct redis_publisher *p, const char *reason)
{
	log_failure(p, LINK_DOWN, reason);
	if (p->sentinel)
		redis_sentinel_master_lost(p, false, reason);
	schedule_reconnect(p);
}

static void connect_to(struct redis_publisher *p, const struct resp_address *address)
{
	static const struct resp_link_callbacks callbacks = {.failed = on_link_failed};
	char *error = NULL;
	struct resp_link *link = resp_link_open(p->api, p->host, address, &callbacks, p, &error);
	if (!link) {
		connect_failed(p, error ? error : "out of memory");
		free(error);
		return;
	}
	p->link = link;
	arm(p, p->connect_timer, p->cfg.connect_timeout_ms);
	/* The handshake is pipelined; nothing else goes out before it is
	 * answered (a replica must never see a write). */
	if (queue_handshake(p) != BH_OK)
		redis_conn_drop(p, LINK_DOWN, "cannot queue the handshake");
	else
		resp_link_cork(link);
}

void redis_conn_connect_master(struct redis_publisher *p, const char *host, int port)
{
	if (p->destroying)
		return;
	/* The failover is logged once, when the new master is ready. */
	if (p->link)
		drop_link(p, LINK_DOWN, "the sentinels named another master", true);
	p->api->timer_disarm(p->host, p->reconnect_timer);
	char *server = bh_strfmt("%s:%d (master %s)", host, port, p->cfg.master_name);
	free(p->server);
	p->server = server;
	char *copy = strdup(host);
	if (copy) {
		free(p->master_host);
		p->master_host = copy;
		p->master_port = port;
	}
	struct resp_address address = {.host = host, .port = port};
	connect_to(p, &address);
}

void redis_conn_no_master(struct redis_publisher *p, const char *reason)
{
	log_failure(p, LINK_NO_MASTER, reason);
	schedule_reconnect(p);
}

static void connect_now(struct redis_publisher *p)
{
	if (p->link || p->destroying)
		return;
	if (p->sentinel) {
		redis_sentinel_discover(p);
		return;
	}
	struct resp_address address = {
		.unix_path = p->cfg.socket, .host = p->cfg.host, .port = p->cfg.port};
	connect_to(p, &address);
}

static void schedule_reconnect(struct redis_publisher *p)
{
	if (p->destroying)
		return;
	arm(p, p->reconnect_timer, bh_backoff_next(&p->backoff));
}

static void on_reconnect_timer(void *arg)
{
	connect_now(arg);
}

static void on_connect_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->link && !p->ready) {
		/* The timeout covers the host name's lookup too: a resolver
		 * that never answers is a failed attempt like any other. */
		char *reason = resp_link_resolve_timeout(p->link, p->cfg.connect_timeout_ms);
		if (!reason)
			reason = bh_strfmt("%s timed out after %u ms",
					   resp_link_connected(p->link) ? "the handshake" : "connect",
					   p->cfg.connect_timeout_ms);
		redis_conn_drop(p, LINK_DOWN, reason ? reason : "connect timed out");
		free(reason);
	}
}

/* --- command timeout --- */

void redis_conn_progress(struct redis_publisher *p)
{
	p->last_progress_ms = p->api->now_ms(p->host);
}

/* A stalled server (SIGSTOP, full network path, ...) must not keep commands
 * in flight forever: drop and reconnect, the replay restores the store. */
static void on_command_timer(void *arg)
{
	struct redis_publisher *p = arg;
	p->command_timer_armed = false;
	if (!p->link || p->inflight == 0)
		return;
	uint64_t idle = p->api->now_ms(p->host) - p->last_progress_ms;
	if (idle >= p->cfg.command_timeout_ms) {
		char reason[80];
		snprintf(reason, sizeof reason, "no reply for %u ms", p->cfg.command_timeout_ms);
		redis_conn_drop(p, LINK_DOWN, reason);
		return;
	}
	p->command_timer_armed = true;
	arm(p, p->command_timer, p->cfg.command_timeout_ms - idle);
}

int redis_conn_submit(struct redis_publisher *p, resp_reply_fn cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen)
{
	if (!redis_conn_usable(p))
		return BH_ERR;
	if (resp_link_send(p->link, cb, privdata, argc, argv, argvlen) != BH_OK)
		return BH_ERR;
	if (p->inflight++ == 0)
		redis_conn_progress(p);
	if (!p->command_timer_armed) {
		p->command_timer_armed = true;
		arm(p, p->command_timer, p->cfg.command_timeout_ms);
	}
	return BH_OK;
}

/* --- life cycle --- */

void redis_backoff_init(struct bh_backoff *b)
{
	bh_backoff_init(b, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	bh_backoff_jitter(b, BACKOFF_JITTER_PERCENT);
}

int redis_conn_start(struct redis_publisher *p)
{
	struct {
		struct bh_timer **timer;
		bh_timer_cb cb;
	} timers[] = {
		{&p->reconnect_timer, on_reconnect_timer},
		{&p->connect_timer, on_connect_timer},
		{&p->command_timer, on_command_timer},
		{&p->grace_timer, on_grace_timer},
	};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		*timers[i].timer = p->api->timer_new(p->host, timers[i].cb, p);
		if (!*timers[i].timer)
			return BH_ERR;
	}
	redis_backoff_init(&p->backoff);
	if (p->cfg.sentinels && redis_sentinel_start(p) != BH_OK)
		return BH_ERR;
	connect_now(p);
	return BH_OK;
}

void redis_conn_destroy(struct redis_publisher *p)
{
	p->destroying = true;
	redis_conn_drop(p, LINK_DOWN, "shutting down"); /* runs every loss callback */
	redis_sentinel_destroy(p);
	struct bh_timer **timers[] = {&p->reconnect_timer, &p->connect_timer, &p->command_timer,
				      &p->grace_timer};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		if (*timers[i])
			p->api->timer_free(p->host, *timers[i]);
		*timers[i] = NULL;
	}
	free(p->server);
	p->server = NULL;
}
