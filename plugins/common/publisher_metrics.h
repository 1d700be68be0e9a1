/*
 * The metrics every in-tree publisher keeps alike (docs/metrics.md):
 * connected, writes by op, write duration, reconnects, and a helper for its
 * errors_total{kind} series.  Each publisher's own metrics file adds what
 * only it has.  Handles may be NULL (metrics off): updates then do nothing.
 */
#ifndef BH_PUBLISHER_METRICS_H
#define BH_PUBLISHER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

struct bh_publisher_metrics {
	const struct bh_host_api *api; /* for the SDK's BH_* macros */
	struct bh_host *host;
	struct bh_metric *connected;
	struct bh_metric *writes_set;
	struct bh_metric *writes_del;
	struct bh_metric *write_duration;
	struct bh_metric *reconnects;
	bool up;     /* as last reported */
	bool was_up; /* a connection after the first one is a reconnect */
};

/* From start(). */
void bh_publisher_metrics_register(struct bh_publisher_metrics *m, const struct bh_host_api *api,
				   struct bh_host *host);
/* beachhead_publisher_errors_total{kind}: one series per kind. */
struct bh_metric *bh_publisher_metrics_error_kind(struct bh_publisher_metrics *m, const char *kind);
/* The connection came up or went down (repeats change nothing). */
void bh_publisher_metrics_connected(struct bh_publisher_metrics *m, bool up);
/* A write acknowledged: set (or delete), sent_ms the loop time it was sent. */
void bh_publisher_metrics_write_done(struct bh_publisher_metrics *m, bool set, uint64_t sent_ms);

#endif
