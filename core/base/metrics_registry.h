/*
 * The metrics the daemon exposes: families (a name, a help text, a type and
 * the names of their labels) holding series (one set of label values and
 * its value), and their rendering in the Prometheus text exposition format
 * 0.0.4.  The core and the plugins (through the host API, ABI 1.3) hold
 * handles; two handles of the same name and labels share one series, so a
 * counter of a publisher carries on across a reload that replaces the
 * plugin instance.  A series lives as long as a handle on it; the handles of
 * an owner (a plugin instance) go with it.
 *
 * Nothing here does I/O but metrics_render, into the stream it is given.
 */
#ifndef BH_METRICS_REGISTRY_H
#define BH_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_label {
	const char *name;
	const char *value;
};

struct metrics_registry;
struct metric_handle;

struct metrics_registry *metrics_registry_new(void);
/* Frees every family, series and handle. */
void metrics_registry_free(struct metrics_registry *reg);

/* Bucket upper bounds, for histograms that pass none (seconds: 1 ms .. 10 s). */
extern const double metrics_default_buckets[];
extern const size_t metrics_default_n_buckets;

/*
 * A handle on the series name{labels}, created with its family when new.
 * owner (may be NULL: the core) is what metrics_release_owner takes back.
 * Histograms take their bucket bounds (strictly increasing, finite; +Inf is
 * added), or the default ones when n_buckets is 0.  NULL with *error set (a
 * static text) for a name or label that the format forbids, a conflict with
 * the family of that name (type, label names, buckets), or no memory.
 */
struct metric_handle *metrics_register(struct metrics_registry *reg, const void *owner,
				       enum metric_type type, const char *name, const char *help,
				       const struct metric_label *labels, size_t n_labels,
				       const double *buckets, size_t n_buckets, const char **error);
/* Releases every handle of owner.  A series nobody holds any more is no
 * longer rendered, but kept with its value until metrics_sweep: registered
 * again before (a reload's new plugin instance), it carries on. */
void metrics_release_owner(struct metrics_registry *reg, const void *owner);
/* Frees the series nobody holds (and families left empty). */
void metrics_sweep(struct metrics_registry *reg);

enum metric_type metric_type(const struct metric_handle *h);
/* Counter: adds v (a negative or NaN v is ignored: counters only grow).
 * Gauge: adds v. */
void metric_add(struct metric_handle *h, double v);
/* Gauge: sets v (counters and histograms: ignored). */
void metric_set(struct metric_handle *h, double v);
/* Histogram: counts one observation (others: ignored; NaN ignored). */
void metric_observe(struct metric_handle *h, double v);
/* Counter / gauge value; a histogram's count. */
double metric_value(const struct metric_handle *h);
/* loop_now_ms() when a gauge last changed value (or was created). */
uint64_t metric_changed_ms(const struct metric_handle *h);

/* The gauge or counter `name` that owner registered (its first series), or
 * NULL: how the readiness checks find a plugin's connection state. */
struct metric_handle *metrics_find_owned(const struct metrics_registry *reg, const void *owner,
					 const char *name);

/* Writes every family with at least one series; -1 when the stream fails. */
int metrics_render(const struct metrics_registry *reg, FILE *out);

/* Helpers of the format, exposed for unit tests and other writers. */
/* A value as the format spells it: shortest round-trip decimal, +Inf, -Inf, NaN. */
void metrics_format_number(char *buf, size_t size, double v);
bool metrics_valid_name(const char *name);
bool metrics_valid_label_name(const char *name);

#endif
