/*
 * The engine's /events stream, filtered to containers and networks: one JSON
 * document per line.  libcurl hands us bytes from inside its write callback,
 * where we must not start requests, so bytes are buffered and a zero-delay
 * timer processes complete lines from the loop a moment later, each parsed
 * and handed to the owner (what each event does: event_actions.c).
 *
 * A stream that stops inside an event (no byte for event_stall_ms while a
 * line is incomplete) is given up with one warning and reopened: the
 * partial line is dropped with the old connection, never glued to what a
 * later connection brings.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "events.h"

/* {"type":["container","network"]}, URL-encoded. */
#define EVENTS_QUERY "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"

struct event_stream {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct dc_client *client;
	const struct docker_config *config;
	struct event_stream_callbacks callbacks;
	void *arg;
	struct dc_request *req;
	struct bh_timer *timer;
	char *buf;
	size_t len, cap;
	size_t line_start; /* where the incomplete last line begins */
	bool skipping; /* dropping the rest of an oversized line */
	bool overflow_logged;
	bool paused; /* on_chunk refused data: on_timer resumes the stream */
	bool answered; /* the engine sent bytes on it */
	struct bh_timer *stall_timer;
};

static void handle_line(struct event_stream *es, const char *line, size_t len)
{
	struct dk_event ev;
	char *error = NULL;
	if (dk_parse_event(line, len, &ev, &error) < 0) {
		es->api->log(es->host, BH_LOG_WARNING, "ignoring an event: %s",
			     error ? error : "out of memory");
		free(error);
		return;
	}
	es->callbacks.event(es->arg, &ev);
	dk_event_free(&ev);
}

static void process_lines(struct event_stream *es)
{
	size_t start = 0;
	if (!es->buf)
		return;
	for (;;) {
		char *nl = memchr(es->buf + start, '\n', es->len - start);
		if (!nl)
			break;
		size_t end = (size_t)(nl - es->buf);
		if (end > start)
			handle_line(es, es->buf + start, end - start);
		start = end + 1;
	}
	if (start > 0) {
		memmove(es->buf, es->buf + start, es->len - start);
		es->len -= start;
		es->line_start -= start;
	}
}

static bool reserve(struct event_stream *es, size_t n)
{
	if (es->len + n + 1 <= es->cap)
		return true;
	size_t cap = es->cap ? es->cap : 4096;
	while (cap < es->len + n + 1) {
		if (cap > SIZE_MAX / 2)
			return false; /* doubling would wrap (32-bit, huge caps) */
		cap *= 2;
	}
	char *grown = realloc(es->buf, cap);
	if (!grown)
		return false;
	es->buf = grown;
	es->cap = cap;
	return true;
}

static void on_timer(void *arg)
{
	struct event_stream *es = arg;
	process_lines(es);
	if (es->paused) {
		/* From the loop, outside libcurl: may call on_chunk at once. */
		es->paused = false;
		dc_resume(es->client, es->req);
	}
}

/* Inside libcurl's write callback: buffer only.  A line longer than
 * max_response_bytes is dropped whole; the stream stays.  Complete lines
 * waiting for the timer are capped too: an engine flooding events faster
 * than the loop runs the timer would otherwise grow the buffer without
 * bound.  Over the cap the transfer pauses (nothing is lost; libcurl keeps
 * the data) and on_timer resumes it after processing. */
/* Inside an event (part of a line buffered or being skipped), the stall
 * timer runs from the last byte; between events it does not: an engine
 * with nothing to say sends nothing, for hours. */
static void watch_stall(struct event_stream *es)
{
	if (es->len > es->line_start || es->skipping)
		(void)es->api->timer_arm(es->host, es->stall_timer, (uint64_t)es->config->event_stall_ms);
	else
		es->api->timer_disarm(es->host, es->stall_timer);
}

static void on_stall(void *arg)
{
	struct event_stream *es = arg;
	char *why = bh_strfmt("event stream stalled: no byte for %ld ms inside an event",
			      es->config->event_stall_ms);
	/* Complete lines before the partial one still count. */
	process_lines(es);
	/* Frees es (the partial goes with it): nothing after this. */
	es->callbacks.ended(es->arg, true, why ? why : "event stream stalled", true);
	free(why);
}

static bool on_chunk(void *arg, const char *data, size_t n)
{
	struct event_stream *es = arg;
	size_t max = es->config->max_response_bytes;
	es->answered = true;
	if (es->line_start >= max) {
		es->paused = true;
		(void)es->api->timer_arm(es->host, es->timer, 0);
		return false;
	}
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) + 1 : n;
		if (es->skipping) {
			if (nl)
				es->skipping = false;
		} else if (es->len - es->line_start + seg > max) {
			if (!es->overflow_logged)
				es->api->log(es->host, BH_LOG_WARNING,
					     "dropping an event larger than max_response_bytes (%zu)", max);
			es->overflow_logged = true;
			es->len = es->line_start;
			es->skipping = !nl;
		} else if (!reserve(es, seg)) {
			es->len = es->line_start;
			es->skipping = !nl;
		} else {
			memcpy(es->buf + es->len, data, seg);
			es->len += seg;
			if (nl)
				es->line_start = es->len;
		}
		data += seg;
		n -= seg;
	}
	watch_stall(es);
	(void)es->api->timer_arm(es->host, es->timer, 0);
	return true;
}

static void on_done(void *arg, const struct dc_result *res)
{
	struct event_stream *es = arg;
	es->req = NULL;
	es->api->timer_disarm(es->host, es->timer);
	process_lines(es);
	/* A clean end of the response is an answer too: the engine (or a
	 * proxy before it) ends streams, and that is no reason to back off. */
	bool answered = es->answered || (res->transport_ok && res->status == 200);
	char *why;
	if (!res->transport_ok)
		why = bh_strfmt("event stream lost: %s", res->error);
	else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		why = bh_strfmt("event stream refused: HTTP %ld%s%s", res->status, msg ? ": " : "",
				msg ? msg : "");
		free(msg);
	}
	else
		why = bh_strfmt("the engine closed the event stream");
	/* May close (free) es: nothing after this. */
	es->callbacks.ended(es->arg, false, why ? why : "event stream lost", answered);
	free(why);
}

struct event_stream *events_open(const struct bh_host_api *api, struct bh_host *host,
				 struct dc_client *client, const struct docker_config *config,
				 const struct event_stream_callbacks *callbacks, void *arg)
{
	struct event_stream *es = calloc(1, sizeof *es);
	char *path = es ? bh_strfmt("%s%s", dc_api_prefix(client), EVENTS_QUERY) : NULL;
	if (!path) {
		free(es);
		return NULL;
	}
	*es = (struct event_stream){.api = api, .host = host, .client = client, .config = config,
				    .callbacks = *callbacks, .arg = arg};
	es->timer = api->timer_new(host, on_timer, es);
	es->stall_timer = api->timer_new(host, on_stall, es);
	if (es->timer && es->stall_timer)
		es->req = dc_stream(client, path, on_chunk, on_done, es);
	free(path);
	if (!es->req) {
		events_close(es);
		return NULL;
	}
	return es;
}

void events_close(struct event_stream *es)
{
	if (!es)
		return;
	dc_cancel(es->client, es->req);
	if (es->timer)
		es->api->timer_free(es->host, es->timer);
	if (es->stall_timer)
		es->api->timer_free(es->host, es->stall_timer);
	free(es->buf);
	free(es);
}
