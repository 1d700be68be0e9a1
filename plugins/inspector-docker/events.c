/*
 * The engine's /events stream, filtered to containers and networks: one JSON
 * document per line.  libcurl hands us bytes from inside its write callback,
 * where we must not start requests, so bytes are buffered and a zero-delay
 * timer processes complete lines from the loop a moment later.
 *
 *   start, unpause            inspect, then container_up (or down)
 *   health_status: ...        inspect when skip_unhealthy is on
 *   die, stop, pause          inspect: withdrawn when the engine says it does
 *                             not run (or cannot say); a late die of a
 *                             restart does not withdraw the running container
 *   destroy                   withdraw at once (an id never comes back)
 *   rename                    withdraw the old name, inspect the new one
 *   kill                      with the stop signal or SIGKILL: withdraw at
 *                             once (drain, see holdback.c); other signals
 *                             are ignored, a reload need not end anything
 *   network connect/disconnect  inspect the container again (its address)
 *
 * Withdrawals name the container id (see sync_withdraw): a late event about
 * an old container never withdraws a new one that took over its name, and
 * events about ids not known here withdraw nothing (logged at debug).
 *
 * A stream that stops inside an event (no byte for event_stall_ms while a
 * line is incomplete) is given up with one warning and reopened: the
 * partial line is dropped with the old connection, never glued to what a
 * later connection brings.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspector_docker.h"

/* {"type":["container","network"]}, URL-encoded. */
#define EVENTS_QUERY "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"

struct event_stream {
	struct inspector *in;
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

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool interesting(struct inspector *in, const char *name, const char *id)
{
	return in->enumerate || inspector_is_explicit(in, name, id);
}

/* connect/disconnect carry the container's id: its address may have
 * changed, and a proxy must not wait a refresh for it. */
static void handle_network_event(struct inspector *in, const struct dk_event *ev)
{
	if (ev->id && (strcmp(ev->action, "connect") == 0 || strcmp(ev->action, "disconnect") == 0))
		sync_inspect_network_change(in, ev->id);
}

static bool is_down_action(const char *a)
{
	return strcmp(a, "die") == 0 || strcmp(a, "stop") == 0 || strcmp(a, "pause") == 0;
}

/* Withdrawals by id, for ids known here only. */
static void withdraw_known(struct inspector *in, const struct dk_event *ev, const char *name,
			   const char *reason)
{
	if (!sync_knows(in, ev->id)) {
		in->api->log(in->host, BH_LOG_DEBUG, "event %s about %.12s, a container not known here: ignored",
			     ev->action, ev->id ? ev->id : "(no id)");
		return;
	}
	if (name)
		sync_withdraw(in, ev->id, name, reason);
}

/* kill with the stop signal or SIGKILL (drain): withdrawn at once. */
static void handle_kill(struct inspector *in, const struct dk_event *ev)
{
	if (!sync_knows(in, ev->id)) {
		withdraw_known(in, ev, NULL, NULL); /* says why it is ignored */
		return;
	}
	int signo = holdback_on_kill(in, ev);
	if (!signo)
		return;
	char reason[64];
	snprintf(reason, sizeof reason, "signal %d: draining", signo);
	sync_mark_stale(in, ev->id);
	withdraw_known(in, ev, ev->name, reason);
}

static void handle_container_event(struct inspector *in, const struct dk_event *ev)
{
	const char *a = ev->action;
	if (strcmp(a, "start") == 0 || strcmp(a, "unpause") == 0) {
		/* A new run: whatever grace period the last one had is over. */
		holdback_process_ended(in, ev->id);
		if (interesting(in, ev->name, ev->id))
			sync_inspect_event(in, ev->id, ev->name);
	} else if (starts_with(a, "health_status")) {
		if (in->config.skip_unhealthy && interesting(in, ev->name, ev->id))
			sync_inspect_event(in, ev->id, ev->name);
	} else if (is_down_action(a)) {
		holdback_process_ended(in, ev->id);
		sync_confirm_down(in, ev->id, ev->name, a);
	} else if (strcmp(a, "destroy") == 0) {
		holdback_process_ended(in, ev->id);
		holdback_forget(in, ev->id, ev->name);
		sync_mark_stale(in, ev->id);
		withdraw_known(in, ev, ev->name, a);
		sync_forget(in, ev->id);
	} else if (strcmp(a, "kill") == 0) {
		handle_kill(in, ev);
	} else if (strcmp(a, "rename") == 0) {
		/* An answer under way may carry the old name, which no
		 * container has any longer: the new name's inspection (queued
		 * below when the new name is followed) answers instead. */
		sync_mark_stale(in, ev->id);
		if (ev->old_name)
			withdraw_known(in, ev, ev->old_name, "renamed");
		if (interesting(in, ev->name, ev->id))
			sync_inspect_event(in, ev->id, ev->name);
	}
}

static void handle_event(struct event_stream *es, const char *line, size_t len)
{
	struct inspector *in = es->in;
	struct dk_event ev;
	char *error = NULL;
	if (dk_parse_event(line, len, &ev, &error) < 0) {
		in->api->log(in->host, BH_LOG_WARNING, "ignoring an event: %s",
			     error ? error : "out of memory");
		free(error);
		return;
	}
	docker_metrics_event(&in->metrics, ev.action);
	in->api->log(in->host, BH_LOG_DEBUG, "event %s%s %s", ev.network ? "network " : "", ev.action,
		     ev.name ? ev.name : ev.id ? ev.id : "?");
	if (ev.network) {
		handle_network_event(in, &ev);
	} else if (ev.id) {
		/* What a listing asked for earlier says about this container
		 * is now outdated. */
		sync_note_event(in, ev.id);
		handle_container_event(in, &ev);
	} else {
		in->api->log(in->host, BH_LOG_DEBUG, "event %s without a container id: ignored", ev.action);
	}
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
			handle_event(es, es->buf + start, end - start);
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
		dc_resume(es->in->client, es->req);
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
	struct inspector *in = es->in;
	if (es->len > es->line_start || es->skipping)
		(void)in->api->timer_arm(in->host, es->stall_timer, (uint64_t)in->config.event_stall_ms);
	else
		in->api->timer_disarm(in->host, es->stall_timer);
}

static void on_stall(void *arg)
{
	struct event_stream *es = arg;
	struct inspector *in = es->in;
	char *why = bh_strfmt("event stream stalled: no byte for %ld ms inside an event",
			      in->config.event_stall_ms);
	/* Complete lines before the partial one still count. */
	process_lines(es);
	/* Frees es (the partial goes with it): nothing after this. */
	inspector_stream_ended(in, true, why ? why : "event stream stalled", true);
	free(why);
}

static bool on_chunk(void *arg, const char *data, size_t n)
{
	struct event_stream *es = arg;
	struct inspector *in = es->in;
	size_t max = in->config.max_response_bytes;
	es->answered = true;
	if (es->line_start >= max) {
		es->paused = true;
		(void)in->api->timer_arm(in->host, es->timer, 0);
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
				in->api->log(in->host, BH_LOG_WARNING,
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
	(void)in->api->timer_arm(in->host, es->timer, 0);
	return true;
}

static void on_done(void *arg, const struct dc_result *res)
{
	struct event_stream *es = arg;
	struct inspector *in = es->in;
	es->req = NULL;
	in->api->timer_disarm(in->host, es->timer);
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
	inspector_stream_ended(in, false, why ? why : "event stream lost", answered);
	free(why);
}

struct event_stream *events_open(struct inspector *in)
{
	struct event_stream *es = calloc(1, sizeof *es);
	char *path = es ? bh_strfmt("%s%s", in->api_prefix, EVENTS_QUERY) : NULL;
	if (!path) {
		free(es);
		return NULL;
	}
	es->in = in;
	es->timer = in->api->timer_new(in->host, on_timer, es);
	es->stall_timer = in->api->timer_new(in->host, on_stall, es);
	if (es->timer && es->stall_timer)
		es->req = dc_stream(in->client, path, on_chunk, on_done, es);
	free(path);
	if (!es->req) {
		events_close(in, es);
		return NULL;
	}
	return es;
}

void events_close(struct inspector *in, struct event_stream *es)
{
	if (!es)
		return;
	dc_cancel(in->client, es->req);
	if (es->timer)
		in->api->timer_free(in->host, es->timer);
	if (es->stall_timer)
		in->api->timer_free(in->host, es->stall_timer);
	free(es->buf);
	free(es);
}
