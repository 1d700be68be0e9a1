/*
 * inspector-docker: the life cycle and the engine connection.
 *
 *   DOWN --(timer)--> CONNECTING --GET /version ok--> UP (+ event stream)
 *     ^                    |                            |
 *     +---- failed --------+<------- stream ended ------+
 *
 * An unreachable engine is not an error while running as a daemon: we retry
 * with capped exponential backoff and log once per state change.  Every
 * (re)connection of the event stream, the first one included, is followed
 * at once by a full pass: containers that ran before the engine answered,
 * and events missed while the stream was down, are seen at once, not at
 * the next refresh.  Only failed connections back off: a stream the engine
 * answered and then ended (a proxy that ends long responses, an engine
 * restart) is reopened after the shortest delay.  Passes run whenever the
 * API answers (api_answered), whatever the state of the stream.  In
 * one-pass mode (refresh 0) there is no stream and no retry: the failure is
 * reported and the pass ends incomplete at once, so the daemon exits
 * non-zero.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/http_multi.h"
#include "inspector_docker.h"
#include <beachhead/sdk.h>

/* The newest API version we speak; an older engine gets its own. */
#define MAX_API_VERSION "1.43"
#define BACKOFF_MIN_MS 500u
#define BACKOFF_MAX_MS 30000u

static void connect_engine(struct inspector *in);

bool inspector_is_explicit(const struct inspector *in, const char *name, const char *id)
{
	for (char **c = in->containers; *c; c++) {
		if (name && strcmp(*c, name) == 0)
			return true;
		/* Named by id or an id prefix of at least 12 digits, as docker accepts. */
		if (id && strlen(*c) >= 12 && strncmp(id, *c, strlen(*c)) == 0)
			return true;
	}
	return false;
}

static void set_status(struct inspector *in, const char *fmt, const char *arg)
{
	char *text = bh_strfmt(fmt, arg);
	if (text)
		in->api->set_status(in->host, text);
	free(text);
}

static void schedule_reconnect(struct inspector *in)
{
	if (in->api->timer_arm(in->host, in->reconnect_timer, bh_backoff_next(&in->backoff)) < 0)
		in->api->log(in->host, BH_LOG_ERROR, "cannot arm the reconnect timer");
}

/* A pass the core asked for while we could not reach the engine. */
static void end_wanted_pass_incomplete(struct inspector *in)
{
	if (!in->pass_wanted)
		return;
	in->pass_wanted = false;
	in->api->pass_begin(in->host);
	in->api->pass_end(in->host, 0);
}

static void connect_failed(struct inspector *in, const char *why)
{
	in->state = ENGINE_DOWN;
	in->api_answered = false;
	docker_metrics_engine(&in->metrics, false);
	if (in->refresh == 0) {
		in->api->report_error(in->host, NULL, "engine unreachable: %s", why);
		end_wanted_pass_incomplete(in);
		return;
	}
	if (!in->unreachable_logged && !in->stopping) {
		/* Says when the next attempt comes (the delay
		 * schedule_reconnect takes next). */
		in->api->log(in->host, BH_LOG_WARNING, "engine unreachable: %s; retrying in %u.%u s", why,
			     (unsigned)(in->backoff.next_ms / 1000u),
			     (unsigned)(in->backoff.next_ms % 1000u / 100u));
		set_status(in, "engine unreachable: %s", why);
		in->unreachable_logged = true;
	}
	end_wanted_pass_incomplete(in);
	schedule_reconnect(in);
}

static void on_version(void *arg, const struct dc_result *res)
{
	struct inspector *in = arg;
	in->version_req = NULL;
	char *version = NULL, *error = NULL;
	if (!res->transport_ok) {
		connect_failed(in, res->error);
		return;
	}
	if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		error = bh_strfmt("GET /version: HTTP %ld%s%s", res->status, msg ? ": " : "",
				  msg ? msg : "");
		free(msg);
		connect_failed(in, error ? error : "GET /version failed");
		free(error);
		return;
	}
	if (dk_parse_version(res->body, res->len, &version, &error) < 0) {
		connect_failed(in, error ? error : "out of memory");
		free(error);
		return;
	}
	free(in->api_prefix);
	in->api_prefix = NULL;
	/* Never ask for more than the engine offers, nor more than we know. */
	const char *use = version && dk_version_cmp(version, MAX_API_VERSION) < 0 ? version : MAX_API_VERSION;
	/* ...but an engine whose MinAPIVersion is above our maximum (Docker 29
	 * refuses everything below 1.44) rejects every request at MAX_API_VERSION
	 * with HTTP 400.  Then the oldest version it accepts is the closest to
	 * what we know (the fields we read are stable across these versions);
	 * say so once per connection instead of failing every request. */
	char *min_version = version ? dk_parse_min_version(res->body, res->len) : NULL;
	if (min_version && dk_version_cmp(use, min_version) < 0 &&
	    dk_version_cmp(min_version, version) <= 0) {
		in->api->log(in->host, BH_LOG_WARNING,
			     "the engine requires API %s or newer, above the %s this plugin was written for; "
			     "using %s",
			     min_version, MAX_API_VERSION, min_version);
		use = min_version;
	}
	if (!version)
		in->api->log(in->host, BH_LOG_WARNING,
			     "the engine did not say its API version; using unversioned paths");
	if (!(in->api_prefix = bh_strfmt("%s%s", version ? "/v" : "", version ? use : ""))) {
		free(version);
		free(min_version);
		connect_failed(in, "out of memory");
		return;
	}
	free(version);
	free(min_version);
	in->state = ENGINE_UP;
	in->api_answered = true;
	docker_metrics_engine(&in->metrics, true);
	if (in->unreachable_logged) {
		in->api->log(in->host, BH_LOG_INFO, "engine reachable again (API %s)",
			     in->api_prefix[0] ? in->api_prefix + 2 : "unversioned");
		in->unreachable_logged = false;
	} else {
		char *engine = dk_parse_engine_version(res->body, res->len);
		in->api->log(in->host, BH_LOG_INFO, "connected to the %s: %s, API %s",
			     dc_describe(in->client), engine ? engine : "version unknown",
			     in->api_prefix[0] ? in->api_prefix + 2 : "unversioned");
		free(engine);
	}
	set_status(in, "engine reachable (API %s)", in->api_prefix[0] ? in->api_prefix + 2 : "unversioned");
	if (in->refresh == 0) {
		if (in->pass_wanted) {
			in->pass_wanted = false;
			sync_start_pass(in);
		}
		return;
	}
	/* Stream first, then the pass: no event falls between them. */
	in->events = events_open(in);
	if (!in->events) {
		in->api->log(in->host, BH_LOG_ERROR, "cannot open the event stream");
		in->state = ENGINE_DOWN;
		docker_metrics_engine(&in->metrics, false);
		schedule_reconnect(in);
	}
	in->pass_wanted = false;
	sync_pass_after_connect(in);
}

static void connect_engine(struct inspector *in)
{
	if (in->stopping)
		return;
	in->state = ENGINE_CONNECTING;
	/* Unversioned: every engine answers it, whatever its API version. */
	in->version_req = dc_get(in->client, "/version", on_version, in);
	if (!in->version_req)
		connect_failed(in, "cannot start a request (out of memory?)");
}

static void on_reconnect_timer(void *arg)
{
	connect_engine(arg);
}

void inspector_stream_ended(struct inspector *in, bool warn, const char *why, bool answered)
{
	if (in->stopping)
		return;
	events_close(in, in->events);
	in->events = NULL;
	/* A pass under way goes on: its listing fails by itself if the engine
	 * is gone (and then withdraws nothing). */
	in->state = ENGINE_DOWN;
	docker_metrics_engine(&in->metrics, false);
	/* A stream the engine answered was a good connection, however short:
	 * reopen it at once.  One it refuses keeps backing off. */
	if (answered)
		bh_backoff_reset(&in->backoff);
	in->api->log(in->host, warn || !answered ? BH_LOG_WARNING : BH_LOG_INFO, "%s; reconnecting in %u.%u s", why,
		     (unsigned)(in->backoff.next_ms / 1000u), (unsigned)(in->backoff.next_ms % 1000u / 100u));
	schedule_reconnect(in);
}

/* --- plugin interface --- */

static void inspector_free(struct inspector *in)
{
	if (!in)
		return;
	dc_free(in->client);
	if (in->reconnect_timer)
		in->api->timer_free(in->host, in->reconnect_timer);
	docker_config_free(&in->config);
	docker_metrics_free(&in->metrics);
	for (char **c = in->containers; c && *c; c++)
		free(*c);
	free(in->containers);
	for (size_t i = 0; i < in->n_warned; i++)
		free(in->warned[i]);
	free(in->warned);
	free(in->api_prefix);
	free(in);
	bh_http_library_cleanup();
}

static int docker_init(const struct bh_init *args, void **self)
{
	struct inspector *in = calloc(1, sizeof *in);
	if (!in)
		return BH_ERR;
	if (!bh_http_library_init(args->api, args->host)) {
		free(in);
		return BH_ERR;
	}
	in->api = args->api;
	in->host = args->host;
	in->enumerate = args->enumerate;
	in->refresh = args->refresh;
	bh_backoff_init(&in->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	if (docker_config_parse(args, &in->config) != BH_OK) {
		free(in);
		bh_http_library_cleanup();
		return BH_ERR;
	}
	size_t n = 0;
	while (args->containers && args->containers[n])
		n++;
	in->containers = calloc(n + 1, sizeof *in->containers);
	if (!in->containers)
		goto oom;
	for (size_t i = 0, k = 0; i < n; i++) {
		/* Docker shows names with a leading '/'; people copy them. */
		const char *name = args->containers[i][0] == '/' ? args->containers[i] + 1 : args->containers[i];
		if (!name[0])
			continue;
		if (!(in->containers[k++] = strdup(name)))
			goto oom;
	}
	*self = in;
	return BH_OK;
oom:
	args->api->log(args->host, BH_LOG_ERROR, "out of memory");
	inspector_free(in);
	return BH_ERR;
}

static int docker_start(void *self)
{
	struct inspector *in = self;
	docker_metrics_register(&in->metrics, in->api, in->host);
	in->client = dc_new(in->api, in->host, &in->config);
	in->reconnect_timer = in->api->timer_new(in->host, on_reconnect_timer, in);
	if (!in->client || !in->reconnect_timer) {
		in->api->log(in->host, BH_LOG_ERROR, "cannot set up the HTTP client for %s", in->config.url);
		return BH_ERR;
	}
	in->started = true;
	in->api->log(in->host, BH_LOG_INFO, "using %s (url from %s)", dc_describe(in->client),
		     in->config.url_origin);
	connect_engine(in);
	return BH_OK;
}

static int docker_resync(void *self)
{
	struct inspector *in = self;
	if (in->stopping)
		return BH_ERR;
	if (in->refresh > 0 && in->api_answered) {
		/* The API answers, whatever the event stream does. */
		sync_start_pass(in);
		return BH_OK;
	}
	switch (in->state) {
	case ENGINE_UP:
		sync_start_pass(in);
		break;
	case ENGINE_CONNECTING:
		in->pass_wanted = true;
		break;
	case ENGINE_DOWN:
		/* Nothing can be confirmed or denied: withdraw nothing. */
		in->pass_wanted = true;
		end_wanted_pass_incomplete(in);
		break;
	}
	return BH_OK;
}

static void docker_stop(void *self)
{
	struct inspector *in = self;
	if (in->stopping)
		return;
	in->stopping = true;
	if (in->reconnect_timer)
		in->api->timer_disarm(in->host, in->reconnect_timer);
	if (!in->client)
		return;
	events_close(in, in->events);
	in->events = NULL;
	/* A pass cut short ends incomplete (withdraws nothing), so that the
	 * core never waits for it, e.g. after a reload replaced us. */
	sync_abort_pass(in, true);
	sync_free(in);
	holdback_free(in);
	dc_cancel(in->client, in->version_req);
	in->version_req = NULL;
	dc_cancel_all(in->client);
}

static void docker_destroy(void *self)
{
	struct inspector *in = self;
	docker_stop(in);
	inspector_free(in);
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_INSPECTOR,
	.name = "inspector-docker",
	.version = PACKAGE_VERSION,
	.description = "Docker Engine API (and Podman's compatible API): events + resync",
	.init = docker_init,
	.start = docker_start,
	.stop = docker_stop,
	.destroy = docker_destroy,
	.resync = docker_resync,
};
