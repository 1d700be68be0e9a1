#include "config.h"

#include "etcd_metrics.h"

#include <beachhead/sdk.h>

void etcd_metrics_register(struct etcd_metrics *m, const struct bh_host_api *api,
			   struct bh_host *host)
{
	static const char *const kinds[ETCD_ERR_COUNT] = {"session", "lease_lost", "write"};
	struct bh_publisher_metrics *c = &m->common;
	bh_publisher_metrics_register(c, api, host, kinds, ETCD_ERR_COUNT);
	m->lease_ttl = BH_GAUGE(c, "beachhead_etcd_lease_ttl_seconds",
				"TTL of the lease the keys are on, as etcd last answered (0: none).");
	m->reconciled = BH_COUNTER(c, "beachhead_etcd_reconciled_total",
				   "Keys put back or deleted because etcd differed from the daemon.",
				   NULL, NULL);
}

void etcd_metrics_connected(struct etcd_metrics *m, bool up)
{
	bh_publisher_metrics_connected(&m->common, up);
}

void etcd_metrics_error(struct etcd_metrics *m, enum etcd_error_kind kind)
{
	bh_publisher_metrics_error(&m->common, kind);
}

void etcd_metrics_write_done(struct etcd_metrics *m, bool put, uint64_t sent_ms)
{
	bh_publisher_metrics_write_done(&m->common, put, sent_ms);
}

void etcd_metrics_lease_ttl(struct etcd_metrics *m, int64_t seconds)
{
	BH_METRIC_SET(&m->common, m->lease_ttl, (double)(seconds > 0 ? seconds : 0));
}

void etcd_metrics_reconciled(struct etcd_metrics *m)
{
	BH_METRIC_INC(&m->common, m->reconciled);
}
