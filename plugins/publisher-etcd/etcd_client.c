/*
 * Calls to etcd's v3 JSON gateway (grpc-gateway, etcd 3.4: POST /v3/...),
 * over the plugins' shared libcurl-multi adapter.
 *
 * A cluster: one endpoint is used until it fails (transport error, timeout,
 * or an "unavailable" answer such as no leader); the call then moves to the
 * next endpoint, and so do the calls after it.  A dead member or a leader
 * change therefore costs one retry.  Only when every endpoint failed for a
 * call does its caller see the failure.
 *
 * Auth (user + password): a token from /v3/auth/authenticate goes into the
 * Authorization header.  Calls wait while it is fetched; one answered
 * "invalid auth token" (expired) fetches a new one and runs again, once.
 * Every authentication reads password_file again (a secret manager's
 * rotation takes effect without SIGHUP); which password is sent is
 * etcd_password.c's choice, so that a password etcd refuses never replaces
 * one it accepts.
 *
 * Streams (the watch) go to the endpoint in use with the current token;
 * their failures are the caller's to handle (it resyncs through calls,
 * which move between endpoints and fetch tokens).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/dlist.h"
#include "common/http_multi.h"
#include <beachhead/sdk.h>
#include "etcd_client.h"
#include "etcd_json.h"
#include "etcd_password.h"

/* Answers are small (no values are read back except by a sweep, which asks
 * for keys only); a cap protects against a hostile or confused peer. */
#define MAX_ANSWER_BYTES (8u * 1024u * 1024u)
#define MAX_CONNECTIONS 8L

struct etcd_call {
	struct etcd_client *client;
	char *path;
	char *body;
	etcd_done_cb done;
	void *arg;
	struct bh_http_request *http;
	size_t tries;      /* endpoints tried for this call */
	size_t endpoint;   /* index it was sent to */
	bool is_auth;      /* the authenticate call itself */
	bool reauthed;     /* ran again after a fresh token already */
	bool waiting_auth; /* parked until a token arrives */
	struct etcd_call *prev, *next;
};

struct etcd_client {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct etcd_settings *settings;
	struct etcd_password *password;
	struct bh_http *http;
	size_t current;   /* endpoint in use */
	bool current_ok;  /* it answered since we moved to it: a failure is news */
	char *token;    /* NULL: none yet (or no auth) */
	struct etcd_call *auth_call;
	struct etcd_call *calls;
};

static bool send_call(struct etcd_client *c, struct etcd_call *call);
static bool authenticate(struct etcd_client *c);

static void unlink_call(struct etcd_client *c, struct etcd_call *call)
{
	BH_DLIST_UNLINK(c->calls, call);
}

static void free_call(struct etcd_call *call)
{
	free(call->path);
	free(call->body);
	free(call);
}

static void deliver(struct etcd_client *c, struct etcd_call *call, const struct etcd_reply *reply)
{
	unlink_call(c, call);
	if (call->done)
		call->done(call->arg, reply);
	free_call(call);
}

static void deliver_error(struct etcd_client *c, struct etcd_call *call, const char *error)
{
	struct etcd_reply reply = {.ok = false, .error = error};
	deliver(c, call, &reply);
}

/* --- auth --- */

static bool auth_wanted(const struct etcd_client *c)
{
	return c->settings->user != NULL;
}

static void on_authenticated(void *arg, const struct etcd_reply *reply)
{
	struct etcd_client *c = arg;
	c->auth_call = NULL;
	json_object *token = NULL;
	if (reply->ok && json_object_object_get_ex(reply->json, "token", &token) &&
	    json_object_is_type(token, json_type_string)) {
		free(c->token);
		c->token = strdup(json_object_get_string(token));
	}
	/* Only an answer judges the password; a transport failure does not.
	 * A refused password with a fallback: the parked calls wait for it. */
	if ((c->token || reply->json) && etcd_password_verdict(c->password, c->token != NULL, reply->error) &&
	    authenticate(c))
		return;
	/* Every parked call runs now, or fails with the reason. */
	char *why = NULL;
	if (!c->token)
		why = bh_strfmt("authentication as '%s' failed: %s", c->settings->user,
				reply->error ? reply->error : "no token in the answer");
	struct etcd_call *call = c->calls;
	while (call) {
		struct etcd_call *next = call->next;
		if (call->waiting_auth) {
			call->waiting_auth = false;
			if (!c->token)
				deliver_error(c, call, why ? why : "authentication failed");
			else if (!send_call(c, call))
				deliver_error(c, call, "cannot queue the request (out of memory)");
		}
		call = next;
	}
	free(why);
}

/* Starts fetching a token unless that is under way; false when it could not
 * even be queued (then no call is parked: the caller fails its own). */
static bool authenticate(struct etcd_client *c)
{
	if (c->auth_call)
		return true;
	const char *password = etcd_password_choose(c->password);
	json_object *body = password ? json_object_new_object() : NULL;
	if (!body || json_object_object_add(body, "name", json_object_new_string(c->settings->user)) != 0 ||
	    json_object_object_add(body, "password", json_object_new_string(password)) != 0) {
		json_object_put(body);
		return false;
	}
	c->auth_call = etcd_call_start(c, "/v3/auth/authenticate", body, on_authenticated, c);
	return c->auth_call != NULL;
}

/* --- one HTTP exchange --- */

static void parse_answer(const struct bh_http_result *res, struct etcd_reply *reply, char **message)
{
	reply->json = json_tokener_parse(res->body);
	if (reply->json && !json_object_is_type(reply->json, json_type_object)) {
		json_object_put(reply->json);
		reply->json = NULL;
	}
	if (res->status == 200 && reply->json) {
		reply->ok = true;
		return;
	}
	json_object *v = NULL;
	if (reply->json && json_object_object_get_ex(reply->json, "code", &v))
		reply->code = json_object_get_int(v);
	const char *text = NULL;
	if (reply->json && json_object_object_get_ex(reply->json, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		text = json_object_get_string(v);
	/* A full database is no outage: say what it is and what clears it. */
	const char *nospace = text && strstr(text, "database space exceeded")
				      ? "database space exceeded (NOSPACE alarm): " : "";
	*message = text ? bh_strfmt("%sHTTP %ld: %s", nospace, res->status, text)
			: bh_strfmt("HTTP %ld%s", res->status, reply->json ? "" : " (not a JSON object)");
	reply->error = *message ? *message : "unexpected answer";
}

/* Worth another member: the transport failed or this member cannot serve
 * (no leader, leader changed, request timed out inside the cluster). */
static bool try_elsewhere(const struct bh_http_result *res, const struct etcd_reply *reply)
{
	if (!res->transport_ok)
		return !res->oversized;
	return res->status >= 500 || reply->code == ETCD_CODE_UNAVAILABLE;
}

static bool token_expired(const struct etcd_reply *reply)
{
	return reply->code == ETCD_CODE_UNAUTHENTICATED ||
	       (reply->error && strstr(reply->error, "invalid auth token"));
}

/* Drops the failed answer and sends the call again (elsewhere, or with a
 * fresh token). */
static void send_again(struct etcd_client *c, struct etcd_call *call, json_object *answer,
		       char *message)
{
	json_object_put(answer);
	free(message);
	if (!send_call(c, call))
		deliver_error(c, call, "cannot queue the request (out of memory)");
}

static void on_http_done(void *arg, const struct bh_http_result *res)
{
	struct etcd_call *call = arg;
	struct etcd_client *c = call->client;
	call->http = NULL;
	struct etcd_reply reply = {0};
	char *message = NULL;
	if (res->transport_ok)
		parse_answer(res, &reply, &message);
	else
		reply.error = message = bh_strfmt("%s: %s", c->settings->endpoints[call->endpoint],
						  res->error);
	if (!reply.ok && try_elsewhere(res, &reply) && call->tries < c->settings->n_endpoints) {
		/* Move the whole client on, unless another call already did. */
		if (c->current == call->endpoint && c->settings->n_endpoints > 1) {
			c->current = (call->endpoint + 1) % c->settings->n_endpoints;
			/* Logged once per change: going round a dead cluster
			 * is the publisher's one "unreachable" message. */
			c->api->log(c->host, c->current_ok ? BH_LOG_WARNING : BH_LOG_DEBUG,
				    "etcd %s failed (%s); using %s", c->settings->endpoints[call->endpoint],
				    reply.error ? reply.error : "?", c->settings->endpoints[c->current]);
			c->current_ok = false;
		}
		send_again(c, call, reply.json, message);
		return;
	}
	if (reply.ok && call->endpoint == c->current)
		c->current_ok = true;
	if (!reply.ok && !call->is_auth && auth_wanted(c) && token_expired(&reply) && !call->reauthed) {
		c->api->log(c->host, BH_LOG_DEBUG, "etcd: token refused (%s); authenticating again",
			    reply.error ? reply.error : "?");
		call->reauthed = true;
		call->tries = 0;
		free(c->token);
		c->token = NULL;
		send_again(c, call, reply.json, message);
		return;
	}
	deliver(c, call, &reply);
	json_object_put(reply.json);
	free(message);
}

/* Sends call (or parks it until a token arrives); false when it could not
 * be queued: the caller decides how the call fails. */
static bool send_call(struct etcd_client *c, struct etcd_call *call)
{
	if (!call->is_auth && auth_wanted(c) && !c->token) {
		call->waiting_auth = authenticate(c);
		return call->waiting_auth;
	}
	call->endpoint = c->current;
	call->tries++;
	char *url = bh_strfmt("%s%s", c->settings->endpoints[call->endpoint], call->path);
	char *authorization = c->token && !call->is_auth ? bh_strfmt("Authorization: %s", c->token) : NULL;
	const char *headers[] = {"Content-Type: application/json", authorization, NULL};
	struct bh_http_call http = {
		.url = url,
		.body = call->body,
		.body_len = strlen(call->body),
		.headers = headers,
		.max_bytes = MAX_ANSWER_BYTES,
		.timeout_ms = c->settings->timeout_ms,
		.connect_timeout_ms = c->settings->connect_timeout_ms,
		.done = on_http_done,
		.arg = call,
	};
	if (url && (authorization || !c->token || call->is_auth))
		call->http = bh_http_start(c->http, &http);
	free(url);
	free(authorization);
	return call->http != NULL;
}

struct etcd_call *etcd_call_start(struct etcd_client *c, const char *path, json_object *body,
				  etcd_done_cb done, void *arg)
{
	struct etcd_call *call = calloc(1, sizeof *call);
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	if (!call || !text || !(call->path = strdup(path)) || !(call->body = strdup(text))) {
		if (call)
			free_call(call);
		json_object_put(body);
		return NULL;
	}
	json_object_put(body);
	call->client = c;
	call->done = done;
	call->arg = arg;
	call->is_auth = strcmp(path, "/v3/auth/authenticate") == 0;
	BH_DLIST_PUSH(c->calls, call);
	if (!send_call(c, call)) {
		unlink_call(c, call);
		free_call(call);
		return NULL;
	}
	return call;
}

void etcd_cancel(struct etcd_client *c, struct etcd_call *call)
{
	if (!call)
		return;
	if (c->auth_call == call)
		c->auth_call = NULL;
	bh_http_cancel(c->http, call->http);
	unlink_call(c, call);
	free_call(call);
}

const char *etcd_endpoint(const struct etcd_client *c)
{
	return c->settings->endpoints[c->current];
}

struct etcd_client *etcd_client_new(const struct bh_host_api *api, struct bh_host *host,
				    const struct etcd_settings *settings)
{
	struct etcd_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->api = api;
	c->host = host;
	c->settings = settings;
	if (settings->user && !(c->password = etcd_password_new(api, host, settings))) {
		free(c);
		return NULL;
	}
	struct bh_http_options options = {
		.ca_file = settings->ca_file,
		.cert_file = settings->cert_file,
		.key_file = settings->key_file,
		.max_connections = MAX_CONNECTIONS,
	};
	c->http = bh_http_new(api, host, &options);
	if (!c->http) {
		etcd_password_free(c->password);
		free(c);
		return NULL;
	}
	return c;
}

void etcd_client_free(struct etcd_client *c)
{
	if (!c)
		return;
	while (c->calls)
		etcd_cancel(c, c->calls);
	bh_http_free(c->http);
	etcd_password_free(c->password);
	free(c->token);
	free(c);
}

/* --- streams --- */

struct bh_http_request *etcd_stream(struct etcd_client *c, const char *path, json_object *body,
				    bh_http_chunk_cb chunk, bh_http_done_cb done, void *arg)
{
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	char *url = text ? bh_strfmt("%s%s", c->settings->endpoints[c->current], path) : NULL;
	char *authorization = c->token ? bh_strfmt("Authorization: %s", c->token) : NULL;
	const char *headers[] = {"Content-Type: application/json", authorization, NULL};
	struct bh_http_call http = {
		.url = url,
		.body = text,
		.body_len = text ? strlen(text) : 0,
		.headers = headers,
		.max_bytes = MAX_ANSWER_BYTES, /* an error document */
		.timeout_ms = 0,
		.connect_timeout_ms = c->settings->connect_timeout_ms,
		.chunk = chunk,
		.done = done,
		.arg = arg,
	};
	struct bh_http_request *r = NULL;
	if (url && (authorization || !c->token))
		r = bh_http_start(c->http, &http);
	free(url);
	free(authorization);
	json_object_put(body);
	return r;
}

void etcd_stream_cancel(struct etcd_client *c, struct bh_http_request *r)
{
	bh_http_cancel(c->http, r);
}

int64_t etcd_reply_revision(const struct etcd_reply *reply)
{
	json_object *header = NULL;
	if (!reply->json || !json_object_object_get_ex(reply->json, "header", &header))
		return 0;
	return etcd_json_int64(header, "revision");
}
