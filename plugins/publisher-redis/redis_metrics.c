#include "config.h"

#include "redis_metrics.h"

#include "redis_publisher.h"

void redis_metrics_register(struct redis_publisher *p)
{
	static const char *const kinds[REDIS_ERR_COUNT] = {"link", "refused", "auth", "protocol",
							   "no_master", "write"};
	struct redis_metrics *m = &p->metrics;
	m->connected = BH_GAUGE(p, "beachhead_publisher_connected",
				"1 while the publisher's store connection is up.");
	m->writes_set = BH_COUNTER(p, "beachhead_publisher_writes_total",
				   "Writes the store acknowledged, by operation.", "op", "set");
	m->writes_del = BH_COUNTER(p, "beachhead_publisher_writes_total",
				   "Writes the store acknowledged, by operation.", "op", "del");
	for (int i = 0; i < REDIS_ERR_COUNT; i++)
		m->errors[i] = BH_COUNTER(p, "beachhead_publisher_errors_total",
					  "Errors of the publisher, by kind.", "kind", kinds[i]);
	m->write_duration = BH_HISTOGRAM(p, "beachhead_publisher_write_duration_seconds",
					 "Time from a write's request to its acknowledgement.", NULL, 0);
	m->reconnects = BH_COUNTER(p, "beachhead_publisher_reconnects_total",
				   "Connections made again after a loss.", NULL, NULL);
	m->failovers = BH_COUNTER(p, "beachhead_redis_failovers_total",
				  "Sentinel named a new master and the publisher moved to it.", NULL, NULL);
	BH_METRIC_SET(p, m->connected, 0);
}

void redis_metrics_connected(struct redis_publisher *p, bool connected)
{
	struct redis_metrics *m = &p->metrics;
	BH_METRIC_SET(p, m->connected, connected ? 1 : 0);
	if (connected && m->was_connected)
		BH_METRIC_INC(p, m->reconnects);
	m->was_connected = m->was_connected || connected;
}

void redis_metrics_link_failure(struct redis_publisher *p, int kind)
{
	enum redis_error_kind k = kind == LINK_REFUSED	   ? REDIS_ERR_REFUSED
				  : kind == LINK_AUTH_FAILED ? REDIS_ERR_AUTH
				  : kind == LINK_PROTOCOL    ? REDIS_ERR_PROTOCOL
				  : kind == LINK_NO_MASTER   ? REDIS_ERR_NO_MASTER
							     : REDIS_ERR_LINK;
	BH_METRIC_INC(p, p->metrics.errors[k]);
}

void redis_metrics_write_refused(struct redis_publisher *p)
{
	BH_METRIC_INC(p, p->metrics.errors[REDIS_ERR_WRITE]);
}

void redis_metrics_write_done(struct redis_publisher *p, bool set, uint64_t sent_ms)
{
	uint64_t now = p->api->now_ms(p->host);
	BH_METRIC_INC(p, set ? p->metrics.writes_set : p->metrics.writes_del);
	BH_METRIC_OBSERVE(p, p->metrics.write_duration, now >= sent_ms ? (double)(now - sent_ms) / 1000.0 : 0);
}

void redis_metrics_failover(struct redis_publisher *p)
{
	BH_METRIC_INC(p, p->metrics.failovers);
}
