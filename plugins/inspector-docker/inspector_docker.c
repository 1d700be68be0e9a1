/*
 * inspector-docker: the exported table, the life cycle, the engine
 * connection, and the wiring of the parts (full_pass.c, inspections.c,
 * event_actions.c, events.c, reporter.c, holdback.c, ...).
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
 * one-pass mode (struct bh_init.one_pass) there is no stream and no retry: the failure is
 * reported and the pass ends incomplete at once, so the daemon exits
 * non-zero.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "common/backoff.h"
#include "common/http_multi.h"
#include "docker_client.h"
#include "docker_config.h"
#include "docker_json.h"
#include "docker_metrics.h"
#include "event_actions.h"
#include "events.h"
#include "full_pass.h"
#include "holdback.h"
#include "inspections.h"
#include "known.h"
#include "reporter.h"
#include "selection.h"

/* The newest API version we speak; an older engine gets its own. */
#define MAX_API_VERSION "1.43"
#define BACKOFF_MIN_MS 500u
#define BACKOFF_MAX_MS 30000u

enum engine_state { ENGINE_DOWN, ENGINE_CONNECTING, ENGINE_UP };

/* One instance: its connection to the engine, and its parts, each with its
 * own state, wired together at start (lower parts get what they report to,
 * never this struct). */
struct inspector {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct docker_config config;
	struct selection selection;
	bool one_pass;

	struct dc_client *client;
	enum engine_state state;
	bool stopping;
	bool unreachable_logged;
	bool pass_wanted;  /* the core asked while we were connecting */
	bool api_answered; /* the last /version succeeded: passes can run,
			      whatever the state of the event stream */
	struct bh_backoff backoff;
	struct bh_timer *reconnect_timer;
	struct dc_request *version_req;
	struct event_stream *events;

	struct known_set known;
	struct holdback holdback;
	struct reporter reporter;
	struct inspections inspections;
	struct full_pass pass;
	struct event_actions actions;
	struct docker_metrics metrics; /* docker_metrics.c */
};

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
	if (in->one_pass) {
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

/* The API version to speak, from a /version answer the engine gave with
 * `version` as its own (NULL: it did not say): "/vX.Y", or "" for
 * unversioned paths; malloc'd, NULL when out of memory. */
static char *choose_api_prefix(struct inspector *in, const struct dc_result *res,
			       const char *version)
{
	if (!version) {
		in->api->log(in->host, BH_LOG_WARNING,
			     "the engine did not say its API version; using unversioned paths");
		return strdup("");
	}
	/* Never ask for more than the engine offers, nor more than we know. */
	const char *use = dk_version_cmp(version, MAX_API_VERSION) < 0 ? version : MAX_API_VERSION;
	/* ...but an engine whose MinAPIVersion is above our maximum (Docker 29
	 * refuses everything below 1.44) rejects every request at MAX_API_VERSION
	 * with HTTP 400.  Then the oldest version it accepts is the closest to
	 * what we know (the fields we read are stable across these versions);
	 * say so once per connection instead of failing every request. */
	char *min_version = dk_parse_min_version(res->body, res->len);
	if (min_version && dk_version_cmp(use, min_version) < 0 &&
	    dk_version_cmp(min_version, version) <= 0) {
		in->api->log(in->host, BH_LOG_WARNING,
			     "the engine requires API %s or newer, above the %s this plugin was written for; "
			     "using %s",
			     min_version, MAX_API_VERSION, min_version);
		use = min_version;
	}
	char *prefix = bh_strfmt("/v%s", use);
	free(min_version);
	return prefix;
}

/* The engine answered /version: said in the log and the status. */
static void engine_reachable(struct inspector *in, const struct dc_result *res)
{
	const char *prefix = dc_api_prefix(in->client);
	const char *api = prefix[0] ? prefix + 2 : "unversioned";
	in->state = ENGINE_UP;
	in->api_answered = true;
	docker_metrics_engine(&in->metrics, true);
	if (in->unreachable_logged) {
		in->api->log(in->host, BH_LOG_INFO, "engine reachable again (API %s)", api);
		in->unreachable_logged = false;
	} else {
		char *engine = dk_parse_engine_version(res->body, res->len);
		in->api->log(in->host, BH_LOG_INFO, "connected to the %s: %s, API %s",
			     dc_describe(in->client), engine ? engine : "version unknown", api);
		free(engine);
	}
	set_status(in, "engine reachable (API %s)", api);
}

static void on_stream_event(void *arg, const struct dk_event *ev)
{
	struct inspector *in = arg;
	event_actions_handle(&in->actions, ev);
}

static void on_stream_ended(void *arg, bool warn, const char *why, bool answered);

static const struct event_stream_callbacks stream_callbacks = {
	.event = on_stream_event,
	.ended = on_stream_ended,
};

/* The engine is up: in one-pass mode the pass asked for, else the event
 * stream first, then the pass: no event falls between them. */
static void engine_up(struct inspector *in)
{
	if (in->one_pass) {
		if (in->pass_wanted) {
			in->pass_wanted = false;
			full_pass_start(&in->pass);
		}
		return;
	}
	in->events = events_open(in->api, in->host, in->client, &in->config, &stream_callbacks, in);
	if (!in->events) {
		in->api->log(in->host, BH_LOG_ERROR, "cannot open the event stream");
		in->state = ENGINE_DOWN;
		docker_metrics_engine(&in->metrics, false);
		schedule_reconnect(in);
	}
	in->pass_wanted = false;
	full_pass_after_connect(&in->pass);
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
	char *prefix = choose_api_prefix(in, res, version);
	free(version);
	if (!prefix || !dc_set_api_prefix(in->client, prefix)) {
		free(prefix);
		connect_failed(in, "out of memory");
		return;
	}
	free(prefix);
	engine_reachable(in, res);
	engine_up(in);
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

/* The event stream ended (or stalled): see struct event_stream_callbacks.
 * Logged as a warning when warn or not answered, else as news (info). */
static void on_stream_ended(void *arg, bool warn, const char *why, bool answered)
{
	struct inspector *in = arg;
	if (in->stopping)
		return;
	events_close(in->events);
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
	selection_free(&in->selection);
	reporter_free(&in->reporter);
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
	in->one_pass = bh_init_one_pass(args);
	bh_backoff_init(&in->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	if (docker_config_parse(args, &in->config) != BH_OK) {
		free(in);
		bh_http_library_cleanup();
		return BH_ERR;
	}
	if (!selection_init(&in->selection, args->containers, args->enumerate != 0)) {
		args->api->log(args->host, BH_LOG_ERROR, "out of memory");
		inspector_free(in);
		return BH_ERR;
	}
	*self = in;
	return BH_OK;
}

static const struct inspections_callbacks inspections_callbacks = {
	.settled = full_pass_settled,
};

/* Each part gets what it reports to and reads from; the lower ones never
 * see this struct. */
static void wire_parts(struct inspector *in)
{
	const struct bh_host_api *api = in->api;
	struct bh_host *host = in->host;
	holdback_init(&in->holdback, api, host, &in->metrics, in->config.drain);
	in->reporter = (struct reporter){.api = api, .host = host, .config = &in->config,
					 .holdback = &in->holdback, .known = &in->known,
					 .one_pass = in->one_pass};
	inspections_init(&in->inspections, api, host, in->client, &in->config, &in->selection,
			 &in->known, &in->reporter, &in->metrics, &inspections_callbacks, &in->pass);
	full_pass_init(&in->pass, api, host, in->client, &in->config, &in->selection, &in->known,
		       &in->reporter, &in->inspections, in->one_pass);
	in->actions = (struct event_actions){.api = api, .host = host, .config = &in->config,
					     .selection = &in->selection, .known = &in->known,
					     .inspections = &in->inspections,
					     .holdback = &in->holdback, .reporter = &in->reporter,
					     .metrics = &in->metrics};
}

static int docker_start(void *self)
{
	struct inspector *in = self;
	docker_metrics_register(&in->metrics, in->api, in->host);
	in->client = dc_new(in->api, in->host, &in->config);
	in->reconnect_timer = in->api->timer_new(in->host, on_reconnect_timer, in);
	/* Wired even when start fails: stop() then finds every part idle. */
	wire_parts(in);
	if (!in->client || !in->reconnect_timer) {
		in->api->log(in->host, BH_LOG_ERROR, "cannot set up the HTTP client for %s", in->config.url);
		return BH_ERR;
	}
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
	if (!in->one_pass && in->api_answered) {
		/* The API answers, whatever the event stream does. */
		full_pass_start(&in->pass);
		return BH_OK;
	}
	switch (in->state) {
	case ENGINE_UP:
		full_pass_start(&in->pass);
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
	events_close(in->events);
	in->events = NULL;
	/* A pass cut short ends incomplete (withdraws nothing), so that the
	 * core never waits for it, e.g. after a reload replaced us. */
	full_pass_abort(&in->pass, true);
	inspections_free(&in->inspections);
	known_free(&in->known);
	holdback_free(&in->holdback);
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
