#include "config.h"

#include "etcd_metrics.h"

#include <beachhead/sdk.h>

void etcd_metrics_register(struct etcd_metrics *m, const struct bh_host_api *api,
			   struct bh_host *host)
{
	static const char *const kinds[ETCD_ERR_COUNT] = {"session", "lease_lost", "write"};
	*m = (struct etcd_metrics){.api = api, .host = host};
	m->connected = BH_GAUGE(m, "beachhead_publisher_connected",
				"1 while the publisher's store connection is up.");
	m->writes_set = BH_COUNTER(m, "beachhead_publisher_writes_total",
				   "Writes the store acknowledged, by operation.", "op", "set");
	m->writes_del = BH_COUNTER(m, "beachhead_publisher_writes_total",
				   "Writes the store acknowledged, by operation.", "op", "del");
	for (int i = 0; i < ETCD_ERR_COUNT; i++)
		m->errors[i] = BH_COUNTER(m, "beachhead_publisher_errors_total",
					  "Errors of the publisher, by kind.", "kind", kinds[i]);
	m->write_duration = BH_HISTOGRAM(m, "beachhead_publisher_write_duration_seconds",
					 "Time from a write's request to its acknowledgement.", NULL, 0);
	m->reconnects = BH_COUNTER(m, "beachhead_publisher_reconnects_total",
				   "Connections made again after a loss.", NULL, NULL);
	m->lease_ttl = BH_GAUGE(m, "beachhead_etcd_lease_ttl_seconds",
				"TTL of the lease the keys are on, as etcd last answered (0: none).");
	m->reconciled = BH_COUNTER(m, "beachhead_etcd_reconciled_total",
				   "Keys put back or deleted because etcd differed from the daemon.",
				   NULL, NULL);
	BH_METRIC_SET(m, m->connected, 0);
}

void etcd_metrics_connected(struct etcd_metrics *m, bool up)
{
	if (up == m->up)
		return;
	m->up = up;
	BH_METRIC_SET(m, m->connected, up ? 1 : 0);
	if (up && m->was_up)
		BH_METRIC_INC(m, m->reconnects);
	m->was_up = m->was_up || up;
}

void etcd_metrics_error(struct etcd_metrics *m, enum etcd_error_kind kind)
{
	BH_METRIC_INC(m, m->errors[kind]);
}

void etcd_metrics_write_done(struct etcd_metrics *m, bool put, uint64_t sent_ms)
{
	uint64_t now = m->api->now_ms(m->host);
	BH_METRIC_INC(m, put ? m->writes_set : m->writes_del);
	BH_METRIC_OBSERVE(m, m->write_duration, now >= sent_ms ? (double)(now - sent_ms) / 1000.0 : 0);
}

void etcd_metrics_lease_ttl(struct etcd_metrics *m, int64_t seconds)
{
	BH_METRIC_SET(m, m->lease_ttl, (double)(seconds > 0 ? seconds : 0));
}

void etcd_metrics_reconciled(struct etcd_metrics *m)
{
	BH_METRIC_INC(m, m->reconciled);
}
