/*
 * The connection to Redis: connect (TCP or unix socket), AUTH/SELECT/PING
 * handshake, timeouts, and reconnecting with capped exponential backoff.
 *
 * Nothing here blocks the core loop except hiredis' own getaddrinfo() for a
 * host name (hiredis 0.14 has no asynchronous resolver); use an address or a
 * unix socket where that matters.
 *
 * Lifetime rules: a context is freed only by hiredis itself (after an I/O
 * error, inside its own handlers), by us from a timer callback, or by
 * destroy(); never from inside a hiredis callback (those defer to kill_timer
 * through redis_conn_drop_later()).  Either way the adapter's cleanup hook
 * reports it through on_gone(), the one place where "down" begins.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_loop_adapter.h"
#include "redis_publisher.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
/* After a replay request, how long pending() keeps counting the replay as
 * owed: the core replays from a zero-delay timer, so 50 ms is ample, and an
 * empty registry (nothing to replay) does not hold the exit up. */
#define REPLAY_GRACE_MS 50u

static void schedule_reconnect(struct redis_publisher *p);

/* The delay schedule_reconnect() is about to use, as "S.T" seconds for the
 * retry messages: they say when the next attempt comes. */
#define RETRY_DELAY_TENTHS(p) (unsigned)((p)->backoff_ms / 1000u), (unsigned)((p)->backoff_ms % 1000u / 100u)

static void arm(struct redis_publisher *p, struct bh_timer *timer, uint64_t ms)
{
	if (p->api->timer_arm(p->host, timer, ms) != BH_OK)
		p->api->log(p->host, BH_LOG_ERROR, "cannot arm a timer; redis %s may stall",
			    p->cfg.server);
}

bool redis_conn_usable(const struct redis_publisher *p)
{
	return p->ac && !p->doomed;
}

/* Frees the context now; on_gone() runs before this returns.  Only from
 * timer callbacks (never inside hiredis). */
static void drop_now(struct redis_publisher *p, const char *reason)
{
	if (!p->ac)
		return;
	if (reason && !p->drop_reason)
		p->drop_reason = strdup(reason);
	redisAsyncFree(p->ac);
}

void redis_conn_drop_later(struct redis_publisher *p, const char *reason)
{
	if (!p->ac || p->doomed)
		return;
	p->doomed = true;
	if (reason && !p->drop_reason)
		p->drop_reason = strdup(reason);
	arm(p, p->kill_timer, 0);
}

static void on_kill_timer(void *arg)
{
	struct redis_publisher *p = arg;
	drop_now(p, NULL);
}

void redis_conn_auth_failed(struct redis_publisher *p, const char *what, const char *error)
{
	/* One error line per change of state, naming the server, never the
	 * password; report_error makes a one-pass run fail. */
	if (p->logged != LINK_AUTH_FAILED)
		p->api->report_error(p->host, NULL, "redis %s refused %s (%s); retrying in %u.%u s",
				     p->cfg.server, what, error, RETRY_DELAY_TENTHS(p));
	p->logged = LINK_AUTH_FAILED;
	p->handshake_failed = true;
	p->api->set_status(p->host, "redis: authentication failed");
	redis_conn_drop_later(p, what);
}

/* --- becoming ready --- */

static void became_ready(struct redis_publisher *p)
{
	p->ready = true;
	p->backoff_ms = BACKOFF_MIN_MS;
	if (p->logged != LINK_UP) {
		if (p->cfg.database > 0)
			p->api->log(p->host, BH_LOG_INFO, "connected to redis %s, database %d",
				    p->cfg.server, p->cfg.database);
		else
			p->api->log(p->host, BH_LOG_INFO, "connected to redis %s", p->cfg.server);
		p->api->set_status(p->host, "redis: connected");
	}
	p->logged = LINK_UP;
	redis_publisher_connected(p);
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
				     p->cfg.server);
	p->owed = false;
}

static void on_grace_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->ready)
		p->owed = false;
}

static void on_handshake_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_publisher *p = ac->data;
	const char *what = privdata; /* "AUTH", "SELECT", "PING": static strings */
	redisReply *r = reply;
	p->inflight--;
	redis_conn_progress(p);
	if (!r || p->destroying || p->doomed)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		if (strcmp(what, "PING") != 0 || strncmp(r->str, "NOAUTH", 6) == 0) {
			redis_conn_auth_failed(p,
					       strcmp(what, "PING") == 0 ? "access without a password"
									 : what,
					       r->str);
			return;
		}
		if (strncmp(r->str, "LOADING", 7) == 0 || strncmp(r->str, "BUSY", 4) == 0) {
			/* Restarting or wedged in a script: not ready yet. */
			char *reason = NULL;
			if (asprintf(&reason, "PING failed: %s", r->str) < 0)
				reason = NULL;
			redis_conn_drop_later(p, reason ? reason : "PING failed");
			free(reason);
			return;
		}
		/* Any other answer (NOPERM for an ACL user without +ping) still
		 * proves that the server answers: go on. */
	}
	if (--p->handshake_left == 0)
		became_ready(p);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_publisher *p = ac->data;
	if (status != REDIS_OK)
		return; /* hiredis frees the context next; on_gone() follows */
	/* The handshake's last reply (PING) makes us ready, not this. */
	p->api->timer_disarm(p->host, p->connect_timer);
}

/* --- going down --- */

static void on_gone(void *arg, int err, const char *errstr)
{
	struct redis_publisher *p = arg;
	p->ac = NULL;
	p->ready = false;
	p->doomed = false;
	p->handshake_left = 0;
	/* Replies still expected died with the context (hiredis ran their
	 * callbacks with NULL before telling us). */
	keyset_clear(&p->stored);
	if (p->destroying) {
		free(p->drop_reason);
		p->drop_reason = NULL;
		return;
	}
	p->api->timer_disarm(p->host, p->connect_timer);
	p->api->timer_disarm(p->host, p->command_timer);
	p->api->timer_disarm(p->host, p->kill_timer);
	p->command_timer_armed = false;
	const char *reason = p->drop_reason ? p->drop_reason
			     : err && errstr && errstr[0] ? errstr
							  : "connection closed";
	if (p->handshake_failed) {
		/* Already reported by redis_conn_auth_failed(). */
	} else if (p->logged != LINK_DOWN) {
		p->api->log(p->host, BH_LOG_WARNING,
			    "redis %s: %s; reconnecting in %u.%u s (then every %u s at most), "
			    "will republish everything once it is back",
			    p->cfg.server, reason, RETRY_DELAY_TENTHS(p), BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: unreachable");
		p->logged = LINK_DOWN;
	} else {
		p->api->log(p->host, BH_LOG_DEBUG, "redis %s: %s", p->cfg.server, reason);
	}
	p->handshake_failed = false;
	free(p->drop_reason);
	p->drop_reason = NULL;
	schedule_reconnect(p);
}

/* --- connecting --- */

static int queue_handshake(struct redis_publisher *p)
{
	if (p->cfg.password) {
		const char *argv[3] = {"AUTH", NULL, NULL};
		size_t lens[3] = {4, 0, 0};
		int argc = 1;
		if (p->cfg.user) {
			argv[argc] = p->cfg.user;
			lens[argc++] = strlen(p->cfg.user);
		}
		argv[argc] = p->cfg.password;
		lens[argc++] = strlen(p->cfg.password);
		if (redis_conn_submit(p, on_handshake_reply, (void *)"AUTH", argc, argv, lens) != BH_OK)
			return BH_ERR;
		p->handshake_left++;
	}
	if (p->cfg.database > 0) {
		char db[24];
		snprintf(db, sizeof db, "%d", p->cfg.database);
		const char *argv[2] = {"SELECT", db};
		size_t lens[2] = {6, strlen(db)};
		if (redis_conn_submit(p, on_handshake_reply, (void *)"SELECT", 2, argv, lens) != BH_OK)
			return BH_ERR;
		p->handshake_left++;
	}
	/* A finished TCP connect proves little: a stopped (SIGSTOP) or wedged
	 * server still completes it from the kernel's backlog.  Only a reply
	 * makes the link "up"; otherwise each retry would log a reconnect
	 * and reset the backoff. */
	const char *ping[1] = {"PING"};
	size_t ping_len[1] = {4};
	if (redis_conn_submit(p, on_handshake_reply, (void *)"PING", 1, ping, ping_len) != BH_OK)
		return BH_ERR;
	p->handshake_left++;
	return BH_OK;
}

/* A connect that failed before there was a context to watch. */
static void connect_failed(struct redis_publisher *p, const char *reason)
{
	if (p->logged != LINK_DOWN) {
		p->api->log(p->host, BH_LOG_WARNING,
			    "cannot connect to redis %s: %s; retrying in %u.%u s (then every %u s at most)",
			    p->cfg.server, reason, RETRY_DELAY_TENTHS(p), BACKOFF_MAX_MS / 1000u);
		p->api->set_status(p->host, "redis: unreachable");
		p->logged = LINK_DOWN;
	} else {
		p->api->log(p->host, BH_LOG_DEBUG, "cannot connect to redis %s: %s", p->cfg.server,
			    reason);
	}
	schedule_reconnect(p);
}

static void connect_now(struct redis_publisher *p)
{
	if (p->ac || p->destroying)
		return;
	redisAsyncContext *ac = p->cfg.socket ? redisAsyncConnectUnix(p->cfg.socket)
					      : redisAsyncConnect(p->cfg.host, p->cfg.port);
	if (!ac) {
		connect_failed(p, "out of memory");
		return;
	}
	if (ac->err) {
		char *reason = strdup(ac->errstr);
		redisAsyncFree(ac);
		connect_failed(p, reason ? reason : "error");
		free(reason);
		return;
	}
	ac->data = p;
	if (redisAsyncSetConnectCallback(ac, on_connect) != REDIS_OK ||
	    redis_loop_attach(ac, p->api, p->host, on_gone, p) != BH_OK) {
		redisAsyncFree(ac);
		connect_failed(p, "cannot register the socket with the loop");
		return;
	}
	p->ac = ac;
	/* An idle link to a vanished host (no RST) would otherwise go unnoticed
	 * until the next refresh; keepalive makes the kernel find out. */
	if (!p->cfg.socket && redisEnableKeepAlive(&ac->c) != REDIS_OK)
		p->api->log(p->host, BH_LOG_DEBUG, "cannot enable TCP keepalive: %s", ac->c.errstr);
	arm(p, p->connect_timer, p->cfg.connect_timeout_ms);
	/* AUTH/SELECT go first in the pipeline; commands queued while we
	 * connect follow them in order. */
	if (queue_handshake(p) != BH_OK)
		redis_conn_drop_later(p, "cannot queue the handshake");
}

static void schedule_reconnect(struct redis_publisher *p)
{
	if (p->destroying)
		return;
	arm(p, p->reconnect_timer, p->backoff_ms);
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
}

static void on_reconnect_timer(void *arg)
{
	connect_now(arg);
}

static void on_connect_timer(void *arg)
{
	struct redis_publisher *p = arg;
	if (p->ac && !(p->ac->c.flags & REDIS_CONNECTED)) {
		char reason[64];
		snprintf(reason, sizeof reason, "connect timed out after %u ms",
			 p->cfg.connect_timeout_ms);
		drop_now(p, reason);
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
	if (!p->ac || p->inflight == 0)
		return;
	uint64_t idle = p->api->now_ms(p->host) - p->last_progress_ms;
	if (idle >= p->cfg.command_timeout_ms) {
		char reason[80];
		snprintf(reason, sizeof reason, "no reply for %u ms", p->cfg.command_timeout_ms);
		drop_now(p, reason);
		return;
	}
	p->command_timer_armed = true;
	arm(p, p->command_timer, p->cfg.command_timeout_ms - idle);
}

int redis_conn_submit(struct redis_publisher *p, redisCallbackFn *cb, void *privdata, int argc,
		      const char **argv, const size_t *argvlen)
{
	if (!p->ac)
		return BH_ERR;
	if (redisAsyncCommandArgv(p->ac, cb, privdata, argc, argv, argvlen) != REDIS_OK)
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

int redis_conn_start(struct redis_publisher *p)
{
	struct {
		struct bh_timer **timer;
		bh_timer_cb cb;
	} timers[] = {
		{&p->reconnect_timer, on_reconnect_timer}, {&p->connect_timer, on_connect_timer},
		{&p->command_timer, on_command_timer},     {&p->kill_timer, on_kill_timer},
		{&p->grace_timer, on_grace_timer},
	};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		*timers[i].timer = p->api->timer_new(p->host, timers[i].cb, p);
		if (!*timers[i].timer)
			return BH_ERR;
	}
	p->backoff_ms = BACKOFF_MIN_MS;
	connect_now(p);
	return BH_OK;
}

void redis_conn_destroy(struct redis_publisher *p)
{
	p->destroying = true;
	if (p->ac)
		redisAsyncFree(p->ac); /* runs every pending callback with NULL */
	struct bh_timer **timers[] = {&p->reconnect_timer, &p->connect_timer, &p->command_timer,
				      &p->kill_timer, &p->grace_timer};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
		if (*timers[i])
			p->api->timer_free(p->host, *timers[i]);
		*timers[i] = NULL;
	}
	free(p->drop_reason);
	p->drop_reason = NULL;
}
