/*
 * The engine's /events stream (events.c): bytes in, one parsed event at a
 * time out, through the owner's callbacks.  What an event means for the
 * registrations is not this part's business (event_actions.c).
 */
#ifndef DOCKER_EVENTS_H
#define DOCKER_EVENTS_H

#include <stdbool.h>

#include <beachhead/plugin.h>

#include "docker_client.h"
#include "docker_config.h"
#include "docker_json.h"

struct event_stream;

struct event_stream_callbacks {
	/* One event, parsed; from the loop (a timer), never from inside
	 * libcurl.  The event is freed when the callback returns. */
	void (*event)(void *arg, const struct dk_event *ev);
	/* The stream ended (or stalled); answered: it had connected and the
	 * engine had answered it (a clean end of the response, or bytes), so
	 * the engine is fine; warn: a stall, worth a warning even then.  The
	 * owner must events_close() the stream, which it may do from inside
	 * this callback: nothing touches the stream after it. */
	void (*ended)(void *arg, bool warn, const char *why, bool answered);
};

/* GET {api prefix}/events for containers and networks; NULL when it cannot
 * start. */
struct event_stream *events_open(const struct bh_host_api *api, struct bh_host *host,
				 struct dc_client *client, const struct docker_config *config,
				 const struct event_stream_callbacks *callbacks, void *arg);
void events_close(struct event_stream *es);

#endif
