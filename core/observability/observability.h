/*
 * metrics_listen: the metrics registry (the core's metrics and the
 * plugins'), and the HTTP endpoint that serves it with /healthz and /readyz
 * from the loop.  Off (nothing allocated, no socket) unless configured.
 * The daemon owns it and hands it the running set and the registrations to
 * read; it never calls the daemon.
 */
#ifndef BH_OBSERVABILITY_H
#define BH_OBSERVABILITY_H

#include "core_metrics.h"
#include "http_endpoint.h"
#include "loop.h"
#include "metrics_registry.h"
#include "plugin_set.h"
#include "registrations.h"
#include "settings.h"

struct observability {
	struct metrics_registry *reg; /* NULL: metrics off */
	struct core_metrics core;
	struct http_endpoint *http;
	const struct registrations *registrations;
	struct plugin_set *const *set; /* the daemon's running set, as it changes */
};

/* With metrics_listen set: the registry and the core's metrics, so that
 * plugins can register theirs from start().  0, or -1 (logged). */
int observability_init(struct observability *o, const struct settings *st,
		       const struct registrations *r, struct plugin_set *const *set);
/* Binds metrics_listen and serves from loop; 0 (also when off), or -1. */
int observability_listen(struct observability *o, struct loop *loop, const struct settings *st);
/* A plugin set started (at start, and when a reload switched sets). */
void observability_set_started(struct observability *o, struct plugin_set *set);
/* A full pass ended. */
void observability_pass_finished(struct observability *o);
/* Closes the endpoint; the registry stays for the plugins' teardown. */
void observability_stop(struct observability *o);
/* After every plugin set is destroyed. */
void observability_free(struct observability *o);

#endif
