/*
 * The core's own metrics (docs/metrics.md): build and start, process,
 * registrations, containers by state, domains, full passes.  Gauges are
 * brought up to date when a scrape asks (core_metrics_render), counters
 * and the pass histogram when a pass ends.  Plugins' metrics live in the
 * same registry and are rendered with them.
 */
#ifndef BH_CORE_METRICS_H
#define BH_CORE_METRICS_H

#include <stddef.h>

#include "container_states.h"
#include "metrics_registry.h"
#include "registrations.h"

enum core_gauge {
	GAUGE_REGISTRATIONS,
	GAUGE_DOMAINS,
	GAUGE_REGISTERED,
	GAUGE_REFUSED,
	GAUGE_INVALID,
	GAUGE_NO_DOMAINS,
	GAUGE_RESIDENT,
	GAUGE_CPU, /* a counter, set from /proc */
	GAUGE_OPEN_FDS,
	GAUGE_MAX_FDS,
	GAUGE_PROCESS_START,
	GAUGE_READY,
	GAUGE_COUNT
};

struct core_metrics {
	struct metrics_registry *reg; /* borrowed */
	struct metric_handle *gauges[GAUGE_COUNT];
	struct metric_handle *passes_complete;
	struct metric_handle *passes_incomplete;
	struct metric_handle *pass_duration;
	double cpu_seconds_seen; /* what the CPU counter holds */
};

/* Registers every core metric in reg; -1 (logged) when one is refused. */
int core_metrics_init(struct core_metrics *m, struct metrics_registry *reg);
/* A set started: its publishers get their beachhead_publisher_pending
 * (pending(), read at each scrape, for every ABI), owned by the instance. */
void core_metrics_add_publishers(struct core_metrics *m, struct plugin_set *set);
/* A pass ended (r->last_pass_*): counts it and its duration. */
void core_metrics_pass_finished(struct core_metrics *m, const struct registrations *r);
/* The exposition of the whole registry, gauges brought up to date first;
 * malloc'd (*len bytes), NULL when out of memory. */
char *core_metrics_render(struct core_metrics *m, const struct registrations *r, size_t *len);

#endif
