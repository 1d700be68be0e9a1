/*
 * Running containers held back from registration (holdback.c): draining
 * after their stop signal, unhealthy with skip_unhealthy.
 */
#ifndef DOCKER_HOLDBACK_H
#define DOCKER_HOLDBACK_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

#include "docker_json.h"
#include "docker_metrics.h"

struct stop_entry;
struct health_entry;

/* Only containers with a non-default stop signal or timeout, draining
 * containers and held-back unhealthy ones have entries: a host of
 * ordinary containers keeps both tables empty (never allocated). */
struct holdback {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct docker_metrics *metrics;
	bool drain; /* withdraw at the stop signal (the drain setting) */
	struct stop_entry *stops;
	size_t n_stops;
	struct health_entry *healths;
	size_t n_healths;
};

void holdback_init(struct holdback *h, const struct bh_host_api *api, struct bh_host *host,
		   struct docker_metrics *metrics, bool drain);
/* Signal name or number as the engine writes it -> number; 0 = unknown. */
int holdback_parse_signal(const char *text);
/* Every inspection: remembers a non-default stop signal or timeout. */
void holdback_note_inspect(struct holdback *h, const struct dk_container *c);
/* A kill event: when it carries the stop signal or SIGKILL (and drain is
 * on), starts the grace period and returns the signal number: the caller
 * withdraws.  0: the container goes on. */
int holdback_on_kill(struct holdback *h, const struct dk_event *ev);
/* Within the grace period after the stop signal: do not register. */
bool holdback_draining(struct holdback *h, const char *id);
/* die / stop: the process is gone, a start registers at once. */
void holdback_process_ended(struct holdback *h, const char *id);
/* skip_unhealthy: held back (logged once per health state), withdrawn. */
void holdback_unhealthy(struct holdback *h, const struct dk_container *c);
void holdback_healthy(struct holdback *h, const char *name);
/* destroy: forgets everything about the container. */
void holdback_forget(struct holdback *h, const char *id, const char *name);
void holdback_free(struct holdback *h);

#endif
