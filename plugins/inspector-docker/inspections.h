/*
 * Single-container inspections (inspections.c): GET /containers/ID/json,
 * queued and paced, for a full pass's containers never read before and for
 * events.  What an answer says goes to the reporter; the owner of the queue
 * (the full pass) hears through its callbacks when the pass's inspections
 * may all be done.
 */
#ifndef DOCKER_INSPECTIONS_H
#define DOCKER_INSPECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>
#include <beachhead/strmap.h>

#include "docker_client.h"
#include "docker_config.h"
#include "docker_metrics.h"
#include "known.h"
#include "reporter.h"
#include "selection.h"

struct inspect_job;

struct inspections_callbacks {
	/* The queue has started what it could and handled an answer or a
	 * deadline: a pass may have nothing left to wait for
	 * (inspections_pass_jobs).  The last thing a round does: the owner
	 * may end its pass, and be stopped, from inside. */
	void (*settled)(void *arg);
};

struct inspections {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct dc_client *client;           /* sends the inspections */
	const struct docker_config *config; /* envvar, label, pacing, deadlines */
	const struct selection *selection;  /* explicit names: missing vs withdrawn */
	struct known_set *known;     /* learns what an inspection read */
	struct reporter *reporter;   /* where every answer goes */
	struct docker_metrics *metrics; /* failed inspections */
	struct inspections_callbacks callbacks;
	void *callbacks_arg;

	struct inspect_job *jobs, *jobs_tail; /* queued and in flight, oldest first */
	struct bh_strmap waiting; /* by id: the one queued job per id */
	struct bh_strmap flying;  /* by id: the one request in flight per id */
	size_t in_flight;  /* in flight and younger than inspect_deadline_ms */
	size_t sent;       /* in flight, whatever their age */
	size_t pass_jobs;  /* inspections the current pass still waits for */
	struct bh_timer *deadline_timer; /* the next inspection to outgrow its deadline */
};

/* The parts it reports to and reads from; nothing is started. */
void inspections_init(struct inspections *q, const struct bh_host_api *api, struct bh_host *host,
		      struct dc_client *client, const struct docker_config *config,
		      const struct selection *selection, struct known_set *known,
		      struct reporter *reporter, struct docker_metrics *metrics,
		      const struct inspections_callbacks *callbacks, void *arg);
/* A full pass's container (by id), or an explicitly named one the listing
 * did not show (id NULL: asked for by name); false when it could not be
 * queued (out of memory, said). */
bool inspections_queue_for_pass(struct inspections *q, const char *id, const char *name,
				bool explicit_name);
/* Inspections of the current pass it still waits for. */
size_t inspections_pass_jobs(const struct inspections *q);
/* Drops the current pass's inspections (queued or in flight), unanswered. */
void inspections_drop_pass_jobs(struct inspections *q);
/* A live inspection of id, queued or in flight. */
bool inspections_pending(const struct inspections *q, const char *id);
/* Starts what the pacing allows, then settles (see the callbacks). */
void inspections_pump(struct inspections *q);

/* start, unpause, health, rename: inspect and report. */
void inspections_for_event(struct inspections *q, const char *id, const char *name);
/* die, stop, pause: the engine's state wins over the order of events, so a
 * container known here is inspected and withdrawn only when the engine says
 * it is not running (or the inspection fails); unknown ids are ignored. */
void inspections_confirm_down(struct inspections *q, const char *id, const char *name,
			      const char *action);
/* Whether the daemon knows the id (read, or an inspection under way). */
bool inspections_knows(const struct inspections *q, const char *id);
/* A network connect/disconnect: inspect a registered container again. */
void inspections_for_network_change(struct inspections *q, const char *id);
/* Answers of inspections of id under way or queued are dropped. */
void inspections_mark_stale(struct inspections *q, const char *id);
/* Cancels every inspection, without a word to anybody. */
void inspections_free(struct inspections *q);

#endif
