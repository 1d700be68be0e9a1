#include "config.h"

#include "redis_metrics.h"

#include <beachhead/sdk.h>

#include "redis_conn.h"

void redis_metrics_register(struct redis_metrics *m, const struct bh_host_api *api,
			    struct bh_host *host)
{
	static const char *const kinds[REDIS_METRIC_ERR_COUNT] = {"link", "refused", "auth", "protocol",
							   "no_master", "write"};
	bh_publisher_metrics_register(&m->common, api, host, kinds, REDIS_METRIC_ERR_COUNT);
	m->failovers = BH_COUNTER(&m->common, "beachhead_redis_failovers_total",
				  "Sentinel named a new master and the publisher moved to it.", NULL, NULL);
}

void redis_metrics_connected(struct redis_metrics *m, bool connected)
{
	bh_publisher_metrics_connected(&m->common, connected);
}

void redis_metrics_link_failure(struct redis_metrics *m, int kind)
{
	enum redis_error_kind k = kind == LINK_REFUSED	   ? REDIS_METRIC_ERR_REFUSED
				  : kind == LINK_AUTH_FAILED ? REDIS_METRIC_ERR_AUTH
				  : kind == LINK_PROTOCOL    ? REDIS_METRIC_ERR_PROTOCOL
				  : kind == LINK_NO_MASTER   ? REDIS_METRIC_ERR_NO_MASTER
							     : REDIS_METRIC_ERR_LINK;
	bh_publisher_metrics_error(&m->common, k);
}

void redis_metrics_write_refused(struct redis_metrics *m)
{
	bh_publisher_metrics_error(&m->common, REDIS_METRIC_ERR_WRITE);
}

void redis_metrics_write_done(struct redis_metrics *m, bool set, uint64_t sent_ms)
{
	bh_publisher_metrics_write_done(&m->common, set, sent_ms);
}

void redis_metrics_failover(struct redis_metrics *m)
{
	BH_METRIC_INC(&m->common, m->failovers);
}
