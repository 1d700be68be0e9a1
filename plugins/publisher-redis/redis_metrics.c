#include "config.h"

#include "redis_metrics.h"

#include <beachhead/sdk.h>

#include "publisher_redis.h"

void redis_metrics_register(struct redis_publisher *p)
{
	static const char *const kinds[REDIS_METRIC_ERR_COUNT] = {"link", "refused", "auth", "protocol",
							   "no_master", "write"};
	struct redis_metrics *m = &p->metrics;
	bh_publisher_metrics_register(&m->common, p->api, p->host, kinds, REDIS_METRIC_ERR_COUNT);
	m->failovers = BH_COUNTER(p, "beachhead_redis_failovers_total",
				  "Sentinel named a new master and the publisher moved to it.", NULL, NULL);
}

void redis_metrics_connected(struct redis_publisher *p, bool connected)
{
	bh_publisher_metrics_connected(&p->metrics.common, connected);
}

void redis_metrics_link_failure(struct redis_publisher *p, int kind)
{
	enum redis_error_kind k = kind == LINK_REFUSED	   ? REDIS_METRIC_ERR_REFUSED
				  : kind == LINK_AUTH_FAILED ? REDIS_METRIC_ERR_AUTH
				  : kind == LINK_PROTOCOL    ? REDIS_METRIC_ERR_PROTOCOL
				  : kind == LINK_NO_MASTER   ? REDIS_METRIC_ERR_NO_MASTER
							     : REDIS_METRIC_ERR_LINK;
	bh_publisher_metrics_error(&p->metrics.common, k);
}

void redis_metrics_write_refused(struct redis_publisher *p)
{
	bh_publisher_metrics_error(&p->metrics.common, REDIS_METRIC_ERR_WRITE);
}

void redis_metrics_write_done(struct redis_publisher *p, bool set, uint64_t sent_ms)
{
	bh_publisher_metrics_write_done(&p->metrics.common, set, sent_ms);
}

void redis_metrics_failover(struct redis_publisher *p)
{
	BH_METRIC_INC(p, p->metrics.failovers);
}
