#include "config.h"

#include "publisher_metrics.h"

#include <beachhead/sdk.h>

#define WRITES_HELP "Writes the store acknowledged, by operation."

void bh_publisher_metrics_register(struct bh_publisher_metrics *m, const struct bh_host_api *api,
				   struct bh_host *host, const char *const *error_kinds,
				   size_t n_error_kinds)
{
	*m = (struct bh_publisher_metrics){.api = api, .host = host};
	m->connected = BH_GAUGE(m, "beachhead_publisher_connected",
				"1 while the publisher's store connection is up.");
	m->writes_set = BH_COUNTER(m, "beachhead_publisher_writes_total", WRITES_HELP, "op", "set");
	m->writes_del = BH_COUNTER(m, "beachhead_publisher_writes_total", WRITES_HELP, "op", "del");
	m->write_duration = BH_HISTOGRAM(m, "beachhead_publisher_write_duration_seconds",
					 "Time from a write's request to its acknowledgement.", NULL, 0);
	m->reconnects = BH_COUNTER(m, "beachhead_publisher_reconnects_total",
				   "Connections made again after a loss.", NULL, NULL);
	BH_METRIC_SET(m, m->connected, 0);
	if (n_error_kinds > BH_PUBLISHER_ERROR_KINDS_MAX)
		n_error_kinds = BH_PUBLISHER_ERROR_KINDS_MAX;
	m->n_error_kinds = n_error_kinds;
	for (size_t i = 0; i < n_error_kinds; i++)
		m->errors[i] = BH_COUNTER(m, "beachhead_publisher_errors_total",
					  "Errors of the publisher, by kind.", "kind", error_kinds[i]);
}

void bh_publisher_metrics_error(struct bh_publisher_metrics *m, unsigned kind)
{
	if (kind < m->n_error_kinds)
		BH_METRIC_INC(m, m->errors[kind]);
}

void bh_publisher_metrics_connected(struct bh_publisher_metrics *m, bool up)
{
	if (up == m->up)
		return;
	m->up = up;
	BH_METRIC_SET(m, m->connected, up ? 1 : 0);
	if (up && m->was_up)
		BH_METRIC_INC(m, m->reconnects);
	m->was_up = m->was_up || up;
}

void bh_publisher_metrics_write_done(struct bh_publisher_metrics *m, bool set, uint64_t sent_ms)
{
	uint64_t now = m->api->now_ms(m->host);
	BH_METRIC_INC(m, set ? m->writes_set : m->writes_del);
	BH_METRIC_OBSERVE(m, m->write_duration, now >= sent_ms ? (double)(now - sent_ms) / 1000.0 : 0);
}
