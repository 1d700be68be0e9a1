/*
 * publisher-etcd's session: one lease per daemon with TTL = expire, kept
 * alive at a third of the TTL.  A daemon that dies stops the keep-alives
 * and etcd deletes its keys by itself when the lease runs out.  expire = 0:
 * no lease, and a cheap read proves the cluster answers.
 *
 * Restarts resume: the lease id is kept in state_dir (etcd_lease_file.c);
 * a restarted daemon asks whether it still lives (lease/timetolive) and
 * keeps it alive instead of granting a new one, so that a restart writes
 * nothing.
 *
 * The session is UP or DOWN.  DOWN: a timer retries with capped backoff;
 * the first keep-alive that works tells whether the lease survived.  A
 * lost lease (cut off longer than its TTL) is reported up and replaced.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/backoff.h"
#include "etcd_json.h"
#include "etcd_lease_file.h"
#include "etcd_session.h"

#define RETRY_MIN_MS 200u
#define RETRY_MAX_MS 5000u

struct etcd_session {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct etcd_client *client;
	struct etcd_metrics *metrics;
	const struct etcd_session_callbacks *cb;
	void *arg;
	unsigned ttl;         /* 0 = no lease */
	bool one_pass;
	char *lease_path;     /* NULL without state_dir */
	int64_t lease;        /* 0 = none granted yet */
	int64_t resume_lease; /* from the lease file, until asked about */
	bool up;
	bool stopping;
	bool down_logged;
	struct etcd_call *call; /* grant, keep-alive or probe in flight */
	enum { SESSION_GRANT, SESSION_RESUME, SESSION_KEEPALIVE, SESSION_PROBE } kind;
	struct bh_timer *keepalive_timer;
	struct bh_timer *retry_timer;
	bool retry_armed; /* many failing requests arm it once, not once each */
	struct bh_backoff backoff;
};

bool etcd_session_is_up(const struct etcd_session *s)
{
	return s->up;
}

int64_t etcd_session_lease(const struct etcd_session *s)
{
	return s->lease;
}

void etcd_session_retry_later(struct etcd_session *s)
{
	if (!s->retry_armed && s->api->timer_arm(s->host, s->retry_timer, bh_backoff_next(&s->backoff)) == 0)
		s->retry_armed = true;
}

/* answered: etcd said no (e.g. NOSPACE), as opposed to no answer at all. */
void etcd_session_failed(struct etcd_session *s, const char *why, bool answered)
{
	s->up = false;
	etcd_metrics_connected(s->metrics, false);
	etcd_metrics_error(s->metrics, ETCD_ERR_SESSION);
	if (s->keepalive_timer)
		s->api->timer_disarm(s->host, s->keepalive_timer);
	if (s->one_pass) {
		/* One pass: nothing will retry; say so and let the daemon exit. */
		if (!s->down_logged)
			s->api->report_error(s->host, NULL, "etcd: %s", why);
		s->down_logged = true;
		s->cb->gave_up(s->arg);
		return;
	}
	if (!s->down_logged) {
		BH_WARNING(s, "etcd %s: %s (retrying)", answered ? "refuses" : "unreachable", why);
		bh_set_status(s->api, s->host, answered ? "etcd refuses: %s" : "etcd unreachable: %s", why);
		s->down_logged = true;
	}
	if (s->retry_armed)
		return;
	if (s->api->timer_arm(s->host, s->retry_timer, bh_backoff_next(&s->backoff)) < 0)
		BH_ERROR(s, "cannot arm the retry timer");
	else
		s->retry_armed = true;
}

void etcd_session_reply_failed(struct etcd_session *s, const struct etcd_reply *reply)
{
	etcd_session_failed(s, reply->error ? reply->error : "?", reply->json != NULL);
}

static void session_up(struct etcd_session *s)
{
	bool was_up = s->up;
	s->up = true;
	etcd_metrics_connected(s->metrics, true);
	bh_backoff_reset(&s->backoff);
	if (s->down_logged) {
		BH_INFO(s, "etcd reachable again at %s", etcd_endpoint(s->client));
		s->down_logged = false;
	}
	if (!was_up)
		bh_set_status(s->api, s->host, "etcd at %s", etcd_endpoint(s->client));
	if (s->ttl > 0 && !s->stopping &&
	    s->api->timer_arm(s->host, s->keepalive_timer, (uint64_t)s->ttl * 1000u / 3u) < 0)
		BH_ERROR(s, "cannot arm the keep-alive timer");
	s->cb->up(s->arg);
}

void etcd_session_lease_lost(struct etcd_session *s)
{
	if (s->lease == 0)
		return;
	int64_t old_lease = s->lease;
	s->lease = 0;
	s->up = false;
	etcd_metrics_connected(s->metrics, false);
	etcd_metrics_error(s->metrics, ETCD_ERR_LEASE_LOST);
	etcd_metrics_lease_ttl(s->metrics, 0);
	s->cb->lease_lost(s->arg, old_lease, s->ttl);
	etcd_session_connect(s);
}

static void lease_granted(struct etcd_session *s, int64_t lease)
{
	s->lease = lease;
	char *why = NULL;
	if (etcd_lease_file_write(s->lease_path, lease, &why) < 0)
		BH_WARNING(s, "etcd: %s (a restart will put every key again)", why ? why : "out of memory");
	free(why);
	BH_DEBUG(s, "etcd lease %" PRId64 " granted, TTL %u s", s->lease, s->ttl);
}

/* lease/timetolive about the lease of the previous process. */
static void resume_answered(struct etcd_session *s, const struct etcd_reply *reply)
{
	int64_t left = etcd_json_int64(reply->json, "TTL");
	int64_t granted = etcd_json_int64(reply->json, "grantedTTL");
	int64_t lease = s->resume_lease;
	s->resume_lease = 0;
	if (left > 0 && granted == (int64_t)s->ttl) {
		BH_INFO(s, "etcd: resuming lease %" PRId64 " of the previous run (%" PRId64 " s left)", lease, left);
		s->lease = lease;
	} else {
		BH_DEBUG(s, "etcd: lease %" PRId64 " of the previous run is %s", lease,
			 left > 0 ? "of another TTL" : "gone");
	}
	etcd_session_connect(s); /* keep-alive at once, or a grant */
}

/* An answer to keep-alive: {"result": {"ID": .., "TTL": ..}}; no TTL means
 * the lease no longer exists. */
static void keepalive_answered(struct etcd_session *s, const struct etcd_reply *reply)
{
	json_object *result = NULL;
	(void)json_object_object_get_ex(reply->json, "result", &result);
	if (s->lease == 0 || etcd_json_int64(result, "ID") != s->lease) {
		/* The lease was declared lost while this was under way. */
		etcd_session_connect(s);
		return;
	}
	if (etcd_json_int64(result, "TTL") <= 0) {
		etcd_session_lease_lost(s);
		return;
	}
	etcd_metrics_lease_ttl(s->metrics, etcd_json_int64(result, "TTL"));
	session_up(s);
}

static void on_answer(void *arg, const struct etcd_reply *reply)
{
	struct etcd_session *s = arg;
	s->call = NULL;
	if (!reply->ok) {
		etcd_session_reply_failed(s, reply);
		return;
	}
	if (s->kind == SESSION_PROBE) {
		session_up(s);
	} else if (s->kind == SESSION_RESUME) {
		resume_answered(s, reply);
	} else if (s->kind == SESSION_GRANT) {
		int64_t lease = etcd_json_int64(reply->json, "ID");
		if (lease == 0) {
			etcd_session_failed(s, "lease grant answered without an ID", true);
			return;
		}
		lease_granted(s, lease);
		etcd_metrics_lease_ttl(s->metrics, etcd_json_int64(reply->json, "TTL"));
		session_up(s);
	} else {
		keepalive_answered(s, reply);
	}
}

static json_object *session_request(struct etcd_session *s, const char **path)
{
	json_object *body = json_object_new_object();
	bool ok = body != NULL;
	if (s->ttl > 0 && s->lease == 0 && s->resume_lease != 0) {
		s->kind = SESSION_RESUME;
		*path = "/v3/lease/timetolive";
		ok = ok && etcd_json_add_lease(body, "ID", s->resume_lease);
	} else if (s->ttl > 0 && s->lease == 0) {
		s->kind = SESSION_GRANT;
		*path = "/v3/lease/grant";
		ok = ok && json_object_object_add(body, "TTL", json_object_new_int64(s->ttl)) == 0;
	} else if (s->ttl > 0) {
		s->kind = SESSION_KEEPALIVE;
		*path = "/v3/lease/keepalive";
		ok = ok && etcd_json_add_lease(body, "ID", s->lease);
	} else {
		/* No lease to keep: a cheap read proves the cluster answers. */
		s->kind = SESSION_PROBE;
		*path = "/v3/kv/range";
		ok = ok && etcd_json_add_b64(body, "key", "/") &&
		     json_object_object_add(body, "count_only", json_object_new_boolean(1)) == 0;
	}
	if (!ok) {
		json_object_put(body);
		return NULL;
	}
	return body;
}

void etcd_session_connect(struct etcd_session *s)
{
	if (s->call)
		return;
	const char *path = NULL;
	json_object *body = session_request(s, &path);
	s->call = body ? etcd_call_start(s->client, path, body, on_answer, s) : NULL;
	if (!s->call)
		etcd_session_failed(s, "cannot queue a request (out of memory)", false);
}

static void on_keepalive_timer(void *arg)
{
	etcd_session_connect(arg);
}

static void on_retry_timer(void *arg)
{
	struct etcd_session *s = arg;
	s->retry_armed = false;
	if (s->up)
		s->cb->retry(s->arg);
	else
		etcd_session_connect(s);
}

struct etcd_session *etcd_session_new(const struct bh_host_api *api, struct bh_host *host,
				      struct etcd_client *client, struct etcd_metrics *metrics,
				      const struct etcd_session_settings *settings,
				      const struct etcd_session_callbacks *cb, void *arg)
{
	struct etcd_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	*s = (struct etcd_session){.api = api, .host = host, .client = client, .metrics = metrics,
				   .cb = cb, .arg = arg, .ttl = settings->ttl,
				   .one_pass = settings->one_pass, .resume_lease = settings->resume_lease};
	bh_backoff_init(&s->backoff, RETRY_MIN_MS, RETRY_MAX_MS);
	s->keepalive_timer = api->timer_new(host, on_keepalive_timer, s);
	s->retry_timer = api->timer_new(host, on_retry_timer, s);
	bool path_ok = !settings->lease_path || (s->lease_path = strdup(settings->lease_path));
	if (!s->keepalive_timer || !s->retry_timer || !path_ok) {
		etcd_session_free(s);
		return NULL;
	}
	return s;
}

void etcd_session_stop(struct etcd_session *s)
{
	s->stopping = true;
	s->api->timer_disarm(s->host, s->keepalive_timer);
}

void etcd_session_free(struct etcd_session *s)
{
	if (!s)
		return;
	etcd_cancel(s->client, s->call);
	if (s->keepalive_timer)
		s->api->timer_free(s->host, s->keepalive_timer);
	if (s->retry_timer)
		s->api->timer_free(s->host, s->retry_timer);
	free(s->lease_path);
	free(s);
}
