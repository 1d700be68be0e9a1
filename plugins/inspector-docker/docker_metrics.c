#include "config.h"

#include "docker_metrics.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#define EVENTS_HELP "Events read from the engine's event stream, by action."

void docker_metrics_register(struct docker_metrics *m, const struct bh_host_api *api,
			     struct bh_host *host)
{
	*m = (struct docker_metrics){.api = api, .host = host};
	m->engine_connected = BH_GAUGE(m, "beachhead_engine_connected",
				       "1 while the container engine answers.");
	m->inspect_failures = BH_COUNTER(m, "beachhead_inspect_failures_total",
					 "Inspections of a container that failed.", NULL, NULL);
	/* The core counts the other states of beachhead_containers. */
	m->unhealthy = bh_metric_new(api, host, BH_METRIC_GAUGE, "beachhead_containers",
				     "Containers reported by the inspector, by state.", "state",
				     "unhealthy", NULL, 0);
	m->on = m->engine_connected != NULL;
	BH_METRIC_SET(m, m->engine_connected, 0);
}

void docker_metrics_free(struct docker_metrics *m)
{
	for (size_t i = 0; i < m->n_actions; i++)
		free(m->actions[i].action);
	m->n_actions = 0;
}

void docker_metrics_engine(struct docker_metrics *m, bool connected)
{
	BH_METRIC_SET(m, m->engine_connected, connected ? 1 : 0);
}

static struct bh_metric *events_of(struct docker_metrics *m, const char *action, size_t len)
{
	for (size_t i = 0; i < m->n_actions; i++)
		if (strlen(m->actions[i].action) == len && strncmp(m->actions[i].action, action, len) == 0)
			return m->actions[i].events;
	char *copy = m->n_actions < DOCKER_METRICS_MAX_ACTIONS ? strndup(action, len) : NULL;
	if (!copy) {
		if (!m->other_events)
			m->other_events = BH_COUNTER(m, "beachhead_events_total", EVENTS_HELP,
						     "action", "other");
		return m->other_events;
	}
	struct bh_metric *events = BH_COUNTER(m, "beachhead_events_total", EVENTS_HELP, "action", copy);
	m->actions[m->n_actions].action = copy;
	m->actions[m->n_actions++].events = events;
	return events;
}

void docker_metrics_event(struct docker_metrics *m, const char *action)
{
	if (!m->on || !action)
		return;
	size_t len = strcspn(action, ":");
	BH_METRIC_INC(m, events_of(m, action, len));
}

void docker_metrics_inspect_failed(struct docker_metrics *m)
{
	BH_METRIC_INC(m, m->inspect_failures);
}

void docker_metrics_unhealthy(struct docker_metrics *m, size_t count)
{
	BH_METRIC_SET(m, m->unhealthy, (double)count);
}
