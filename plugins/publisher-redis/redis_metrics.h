/*
 * publisher-redis's metrics (docs/metrics.md): those of every publisher
 * (common/publisher_metrics.h) and its own, registered from start() and
 * updated by one call where each event happens.
 */
#ifndef REDIS_METRICS_H
#define REDIS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "common/publisher_metrics.h"

/* errors_total{kind}: the link failures of enum link_logged, and writes
 * the server refused. */
enum redis_error_kind {
	REDIS_METRIC_ERR_LINK,      /* unreachable, closed, timed out */
	REDIS_METRIC_ERR_REFUSED,   /* the handshake was answered with an error */
	REDIS_METRIC_ERR_AUTH,      /* credentials or database refused */
	REDIS_METRIC_ERR_PROTOCOL,  /* not RESP */
	REDIS_METRIC_ERR_NO_MASTER, /* Sentinel named no usable master */
	REDIS_METRIC_ERR_WRITE,     /* a SET or DEL answered with an error */
	REDIS_METRIC_ERR_COUNT
};

struct redis_metrics {
	struct bh_publisher_metrics common; /* errors_total{kind} by enum redis_error_kind */
	struct bh_metric *failovers;
};

/* From start(); the handles stay NULL (updates do nothing) when the core
 * serves no metrics. */
void redis_metrics_register(struct redis_metrics *m, const struct bh_host_api *api,
			    struct bh_host *host);
void redis_metrics_connected(struct redis_metrics *m, bool connected);
/* kind: an enum link_logged value (redis_conn.h). */
void redis_metrics_link_failure(struct redis_metrics *m, int kind);
void redis_metrics_write_refused(struct redis_metrics *m);
/* A SET (or DEL) acknowledged, sent_ms the loop time it was sent. */
void redis_metrics_write_done(struct redis_metrics *m, bool set, uint64_t sent_ms);
void redis_metrics_failover(struct redis_metrics *m);

#endif
