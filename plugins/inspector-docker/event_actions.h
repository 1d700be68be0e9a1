/*
 * What each event of the engine's stream does to the registrations
 * (event_actions.c).
 */
#ifndef DOCKER_EVENT_ACTIONS_H
#define DOCKER_EVENT_ACTIONS_H

#include <beachhead/plugin.h>

#include "docker_config.h"
#include "docker_json.h"
#include "docker_metrics.h"
#include "holdback.h"
#include "inspections.h"
#include "known.h"
#include "reporter.h"
#include "selection.h"

/* The parts an event acts on. */
struct event_actions {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct docker_config *config; /* skip_unhealthy */
	const struct selection *selection;  /* which containers' events count */
	struct known_set *known;            /* numbers events; forgets the destroyed */
	struct inspections *inspections;    /* confirms, reads what changed */
	struct holdback *holdback;          /* drains, health, stop settings */
	struct reporter *reporter;          /* immediate withdrawals */
	struct docker_metrics *metrics;     /* events by action */
};

/* One event of the stream (counted, logged at debug, acted on). */
void event_actions_handle(struct event_actions *a, const struct dk_event *ev);

#endif
