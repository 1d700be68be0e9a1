/*
 * The metrics every in-tree publisher keeps alike (docs/metrics.md):
 * connected, writes by op, write duration, reconnects, and its
 * errors_total{kind} series, one per kind the publisher names.  Each publisher's own metrics file adds what
 * only it has.  Handles may be NULL (metrics off): updates then do nothing.
 */
#ifndef BH_PUBLISHER_METRICS_H
#define BH_PUBLISHER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

/* Kinds of errors_total a publisher may name (publisher-redis has 6). */
#define BH_PUBLISHER_ERROR_KINDS_MAX 8

struct bh_publisher_metrics {
	const struct bh_host_api *api; /* for the SDK's BH_* macros */
	struct bh_host *host;
	struct bh_metric *connected;
	struct bh_metric *writes_set;
	struct bh_metric *writes_del;
	struct bh_metric *write_duration;
	struct bh_metric *reconnects;
	struct bh_metric *errors[BH_PUBLISHER_ERROR_KINDS_MAX]; /* errors_total{kind} */
	size_t n_error_kinds;
	bool up;     /* as last reported */
	bool was_up; /* a connection after the first one is a reconnect */
};

/* From start().  error_kinds: the kind labels of
 * beachhead_publisher_errors_total, indexed by the publisher's own enum of
 * error kinds (at most BH_PUBLISHER_ERROR_KINDS_MAX; more are ignored). */
void bh_publisher_metrics_register(struct bh_publisher_metrics *m, const struct bh_host_api *api,
				   struct bh_host *host, const char *const *error_kinds,
				   size_t n_error_kinds);
/* One error of that kind (an index into error_kinds). */
void bh_publisher_metrics_error(struct bh_publisher_metrics *m, unsigned kind);
/* The connection came up or went down (repeats change nothing). */
void bh_publisher_metrics_connected(struct bh_publisher_metrics *m, bool up);
/* A write acknowledged: set (or delete), sent_ms the loop time it was sent. */
void bh_publisher_metrics_write_done(struct bh_publisher_metrics *m, bool set, uint64_t sent_ms);

#endif
