/*
 * publisher-etcd's metrics (docs/metrics.md): those of every publisher
 * (common/publisher_metrics.h) and its own, registered from start() and
 * updated by one call where each event happens.
 */
#ifndef ETCD_METRICS_H
#define ETCD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "common/publisher_metrics.h"

/* errors_total{kind} */
enum etcd_error_kind {
	ETCD_ERR_SESSION,    /* the cluster did not answer (grant, keep-alive, probe, a write) */
	ETCD_ERR_LEASE_LOST, /* the lease expired while we were cut off */
	ETCD_ERR_WRITE,      /* a put or delete refused for its key */
	ETCD_ERR_COUNT
};

struct etcd_metrics {
	struct bh_publisher_metrics common; /* errors_total{kind} by enum etcd_error_kind */
	struct bh_metric *lease_ttl;
	struct bh_metric *reconciled;
};

void etcd_metrics_register(struct etcd_metrics *m, const struct bh_host_api *api,
			   struct bh_host *host);
void etcd_metrics_connected(struct etcd_metrics *m, bool up);
void etcd_metrics_error(struct etcd_metrics *m, enum etcd_error_kind kind);
/* A put (or delete) acknowledged, sent_ms the loop time it was sent. */
void etcd_metrics_write_done(struct etcd_metrics *m, bool put, uint64_t sent_ms);
/* The lease's TTL as granted or as the last keep-alive answered (0: none). */
void etcd_metrics_lease_ttl(struct etcd_metrics *m, int64_t seconds);
/* The reconciliation of the namespace (a key someone else deleted or
 * overwrote, put back): call once per key it repaired. */
void etcd_metrics_reconciled(struct etcd_metrics *m);

#endif
