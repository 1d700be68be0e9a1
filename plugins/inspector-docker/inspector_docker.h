/*
 * inspector-docker: private declarations shared by the plugin's files.
 *
 *   inspector_docker.c life cycle, engine connection state, the exported table
 *   docker_config.c the plugin's libconfig group (init)
 *   docker_client.c the engine's HTTP API over plugins/common/http_multi.c
 *   docker_json.c   /version, /containers/json, inspect and event documents
 *   address.c       which host goes into a registration; published-port specs
 *   sync.c          full passes and single-container inspections
 *   known.c         what is remembered per container id between passes
 *   events.c        the /events stream
 *   holdback.c      running containers held back: draining, unhealthy
 */
#ifndef BH_INSPECTOR_DOCKER_H
#define BH_INSPECTOR_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>
#include <beachhead/strmap.h>

#include "common/backoff.h"
#include "docker_metrics.h"

/* ------------------------------------------------------------------ settings */

#include "address.h"
#include "docker_client.h"
#include "docker_config.h"
#include "docker_json.h"
#include "known.h"

/* ---------------------------------------------------------------- the plugin */

struct inspect_job; /* sync.c */
struct holdback;    /* holdback.c */
struct event_stream; /* events.c */

enum engine_state { ENGINE_DOWN, ENGINE_CONNECTING, ENGINE_UP };

struct inspector {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct docker_config config;
	char **containers; /* explicit names, NULL-terminated copy */
	bool enumerate;
	unsigned refresh;

	struct dc_client *client;
	char *api_prefix; /* "/v1.41" (or "" when the engine did not say) */
	enum engine_state state;
	bool started;
	bool stopping;
	bool unreachable_logged;
	struct bh_backoff backoff;
	struct bh_timer *reconnect_timer;
	struct dc_request *version_req;

	/* full pass state (sync.c) */
	bool pass_wanted;  /* the core asked while we were connecting */
	bool pass_active;
	bool pass_failed;  /* the listing failed: the pass ends incomplete */
	struct dc_request *list_req;
	uint64_t pass_no;   /* number of the current (or last) pass */
	bool pass_again;    /* a (re)connection came during the pass: one more */
	bool api_answered;  /* the last /version succeeded: passes can run,
			       whatever the state of the event stream */
	uint64_t pass_seq;  /* event_seq when its listing was asked for */
	size_t pass_jobs;   /* inspections the current pass still waits for */
	struct inspect_job *jobs, *jobs_tail; /* queued and in flight, oldest first */
	struct bh_strmap jobs_waiting; /* by id: the one queued job per id */
	struct bh_strmap jobs_flying;  /* by id: the one request in flight per id */
	size_t jobs_in_flight; /* in flight and younger than inspect_deadline_ms */
	size_t jobs_sent;      /* in flight, whatever their age */
	struct bh_timer *deadline_timer; /* the next inspection to outgrow its deadline */
	uint64_t event_seq; /* events seen (see struct known_container) */
	struct known_set known;

	struct event_stream *events;
	char **warned; /* containers already warned about an address fallback */
	size_t n_warned;
	struct holdback *holdback;
	struct docker_metrics metrics; /* docker_metrics.c */
};

/* inspector_docker.c */
/* The event stream ended (or stalled); answered: it had connected and the
 * engine had answered it (a clean end of the response, or bytes), so the
 * engine is fine and the reconnect does not back off; logged as a warning
 * when warn or not answered, else as news (info). */
void inspector_stream_ended(struct inspector *in, bool warn, const char *why, bool answered);
bool inspector_is_explicit(const struct inspector *in, const char *name, const char *id);

/* sync.c */
void sync_start_pass(struct inspector *in);
/* After every (re)connection of the event stream: a pass at once, or one
 * more after the pass under way (its listing may predate the stream). */
void sync_pass_after_connect(struct inspector *in);
void sync_abort_pass(struct inspector *in, bool report);
void sync_inspect_event(struct inspector *in, const char *id, const char *name);
/* die, stop, pause: the engine's state wins over the order of events, so a
 * container known here is inspected and withdrawn only when the engine says
 * it is not running (or the inspection fails); unknown ids are ignored. */
void sync_confirm_down(struct inspector *in, const char *id, const char *name, const char *action);
/* Whether the daemon knows the id (read, or an inspection under way). */
bool sync_knows(const struct inspector *in, const char *id);
/* A network connect/disconnect: inspect a registered container again. */
void sync_inspect_network_change(struct inspector *in, const char *id);
/* An event about the container: what a listing asked for earlier says
 * about it is older than the event. */
void sync_note_event(struct inspector *in, const char *id);
/* The container was destroyed: forget what is known about it. */
void sync_forget(struct inspector *in, const char *id);
/* Answers of inspections of id under way or queued are dropped. */
void sync_mark_stale(struct inspector *in, const char *id);
/* Withdraws `name` if its registration belongs to id (ABI 1.2), else by name. */
void sync_withdraw(struct inspector *in, const char *id, const char *name, const char *reason);
void sync_free(struct inspector *in);

/* holdback.c */
/* Signal name or number as the engine writes it -> number; 0 = unknown. */
int holdback_parse_signal(const char *text);
/* Every inspection: remembers a non-default stop signal or timeout. */
void holdback_note_inspect(struct inspector *in, const struct dk_container *c);
/* A kill event: when it carries the stop signal or SIGKILL (and drain is
 * on), starts the grace period and returns the signal number: the caller
 * withdraws.  0: the container goes on. */
int holdback_on_kill(struct inspector *in, const struct dk_event *ev);
/* Within the grace period after the stop signal: do not register. */
bool holdback_draining(struct inspector *in, const char *id);
/* die / stop: the process is gone, a start registers at once. */
void holdback_process_ended(struct inspector *in, const char *id);
/* skip_unhealthy: held back (logged once per health state), withdrawn. */
void holdback_unhealthy(struct inspector *in, const struct dk_container *c);
void holdback_healthy(struct inspector *in, const char *name);
/* destroy: forgets everything about the container. */
void holdback_forget(struct inspector *in, const char *id, const char *name);
void holdback_free(struct inspector *in);

/* events.c */
struct event_stream *events_open(struct inspector *in);
void events_close(struct inspector *in, struct event_stream *es);

#endif
