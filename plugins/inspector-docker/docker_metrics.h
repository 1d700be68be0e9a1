/*
 * inspector-docker's metrics (docs/metrics.md): registered from start(),
 * updated by one call where each event happens.  Every handle may be NULL
 * (metrics off): the SDK's updates then do nothing.
 */
#ifndef DOCKER_METRICS_H
#define DOCKER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

/* Distinct event actions counted apart; later ones count as "other" (an
 * engine's actions are a short fixed list, but they come from outside). */
#define DOCKER_METRICS_MAX_ACTIONS 32

struct docker_metrics {
	const struct bh_host_api *api; /* for the SDK's BH_* macros */
	struct bh_host *host;
	struct bh_metric *engine_connected;
	struct bh_metric *inspect_failures;
	struct bh_metric *unhealthy;
	struct {
		char *action;
		struct bh_metric *events;
	} actions[DOCKER_METRICS_MAX_ACTIONS];
	size_t n_actions;
	struct bh_metric *other_events;
	bool on; /* registered: metrics are on */
};

void docker_metrics_register(struct docker_metrics *m, const struct bh_host_api *api,
			     struct bh_host *host);
void docker_metrics_free(struct docker_metrics *m);
void docker_metrics_engine(struct docker_metrics *m, bool connected);
/* One event of the stream; action as the engine says it ("health_status:
 * healthy" counts as health_status: the part after ':' may hold commands). */
void docker_metrics_event(struct docker_metrics *m, const char *action);
void docker_metrics_inspect_failed(struct docker_metrics *m);
/* Containers held back while unhealthy (skip_unhealthy). */
void docker_metrics_unhealthy(struct docker_metrics *m, size_t count);

#endif
