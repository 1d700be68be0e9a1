#include "config.h"

#include "core_metrics.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <beachhead/plugin.h>

#include "log.h"
#include "loop.h"
#include "process_stats.h"
#include "readiness.h"

/* Pass durations: a few ms for a handful of containers, seconds for
 * thousands behind a slow engine. */
static const double pass_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

struct core_metric_def {
	enum metric_type type;
	const char *name;
	const char *help;
	const char *label;
	const char *value;
};

/* Indexed by enum core_gauge. */
static const struct core_metric_def gauge_defs[GAUGE_COUNT] = {
	{METRIC_GAUGE, "beachhead_registrations", "Registrations currently held (one key each).", NULL, NULL},
	{METRIC_GAUGE, "beachhead_domains", "Distinct domains currently registered.", NULL, NULL},
	{METRIC_GAUGE, "beachhead_containers", "Containers reported by the inspector, by state.", "state", "registered"},
	{METRIC_GAUGE, "beachhead_containers", "Containers reported by the inspector, by state.", "state", "refused"},
	{METRIC_GAUGE, "beachhead_containers", "Containers reported by the inspector, by state.", "state", "invalid"},
	{METRIC_GAUGE, "beachhead_containers", "Containers reported by the inspector, by state.", "state", "no_domains"},
	{METRIC_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.", NULL, NULL},
	{METRIC_COUNTER, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", NULL, NULL},
	{METRIC_GAUGE, "process_open_fds", "Number of open file descriptors.", NULL, NULL},
	{METRIC_GAUGE, "process_max_fds", "Maximum number of open file descriptors.", NULL, NULL},
	{METRIC_GAUGE, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", NULL, NULL},
	{METRIC_GAUGE, "beachhead_ready", "1 when /readyz answers 200 (engine, full passes, publishers).", NULL, NULL},
};

static struct metric_handle *define(struct metrics_registry *reg, const struct core_metric_def *d,
				    const double *buckets, size_t n_buckets)
{
	struct metric_label label = {d->label, d->value};
	const char *error = NULL;
	struct metric_handle *h = metrics_register(reg, NULL, d->type, d->name, d->help,
						   d->label ? &label : NULL, d->label ? 1 : 0,
						   buckets, n_buckets, &error);
	if (!h)
		log_error("metrics: cannot define %s: %s", d->name, error);
	return h;
}

/* Constant series: the build and the daemon's start. */
static int define_constants(struct metrics_registry *reg)
{
	char abi[32];
	snprintf(abi, sizeof abi, "%d.%d", BH_ABI_MAJOR, BH_ABI_MINOR);
	struct metric_label build[] = {{"version", PACKAGE_VERSION}, {"abi", abi}};
	const char *error = NULL;
	struct metric_handle *info =
		metrics_register(reg, NULL, METRIC_GAUGE, "beachhead_build_info",
				 "The daemon's version and plugin ABI (always 1).", build, 2, NULL, 0, &error);
	struct metric_handle *start =
		info ? metrics_register(reg, NULL, METRIC_GAUGE, "beachhead_start_time_seconds",
					"When the daemon started, seconds since the epoch.", NULL, 0,
					NULL, 0, &error)
		     : NULL;
	if (!start) {
		log_error("metrics: cannot define the build and start metrics: %s", error);
		return -1;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	metric_set(info, 1);
	metric_set(start, (double)now.tv_sec + (double)now.tv_nsec / 1e9);
	return 0;
}

int core_metrics_init(struct core_metrics *m, struct metrics_registry *reg)
{
	static const struct core_metric_def passes[] = {
		{METRIC_COUNTER, "beachhead_passes_total", "Full passes ended, by result.", "result", "complete"},
		{METRIC_COUNTER, "beachhead_passes_total", "Full passes ended, by result.", "result", "incomplete"},
		{METRIC_HISTOGRAM, "beachhead_pass_duration_seconds", "Duration of full passes.", NULL, NULL},
	};
	*m = (struct core_metrics){.reg = reg};
	if (define_constants(reg) < 0)
		return -1;
	for (int i = 0; i < GAUGE_COUNT; i++)
		if (!(m->gauges[i] = define(reg, &gauge_defs[i], NULL, 0)))
			return -1;
	m->passes_complete = define(reg, &passes[0], NULL, 0);
	m->passes_incomplete = define(reg, &passes[1], NULL, 0);
	m->pass_duration = define(reg, &passes[2], pass_buckets, sizeof pass_buckets / sizeof(double));
	return m->passes_complete && m->passes_incomplete && m->pass_duration ? 0 : -1;
}

#define PENDING_NAME "beachhead_publisher_pending"

void core_metrics_add_publishers(struct core_metrics *m, struct plugin_set *set)
{
	for (size_t i = 0; m->reg && i < set->n_publishers; i++) {
		struct plugin_instance *p = &set->publishers[i];
		char *name = plugin_instance_label(p);
		struct metric_label label = {"publisher", name};
		const char *error = "out of memory";
		struct metric_handle *h =
			name ? metrics_register(m->reg, p, METRIC_GAUGE, PENDING_NAME,
						"Writes queued or owed, not acknowledged by the store yet.",
						&label, 1, NULL, 0, &error)
			     : NULL;
		if (h)
			p->metrics = m->reg;
		else
			log_warning("metrics: %s for %s: %s", PENDING_NAME, p->origin, error);
		free(name);
	}
}

static void collect_pending(struct core_metrics *m, const struct plugin_set *set)
{
	for (size_t i = 0; set && i < set->n_publishers; i++) {
		const struct plugin_instance *p = &set->publishers[i];
		struct metric_handle *h = metrics_find_owned(m->reg, p, PENDING_NAME);
		if (h)
			metric_set(h, (double)plugin_instance_pending(p));
	}
}

void core_metrics_pass_finished(struct core_metrics *m, const struct registrations *r)
{
	if (!m->reg)
		return;
	metric_add(r->last_pass_complete ? m->passes_complete : m->passes_incomplete, 1);
	if (r->last_pass_end_ms >= r->pass_begin_ms)
		metric_observe(m->pass_duration, (double)(r->last_pass_end_ms - r->pass_begin_ms) / 1000.0);
}

struct domain_count {
	struct bh_strmap seen;
	struct bh_strmap_node *nodes; /* one per domain of every registration */
	size_t used;
	bool counting; /* first visit: only count; second: insert */
	size_t total;
};

static void visit_domains(void *arg, struct registration_entry *e)
{
	struct domain_count *c = arg;
	for (char **d = e->domains; d && *d; d++) {
		if (c->counting) {
			c->total++;
		} else if (!bh_strmap_find(&c->seen, *d)) {
			struct bh_strmap_node *n = &c->nodes[c->used++];
			n->key = *d;
			(void)bh_strmap_insert(&c->seen, n);
		}
	}
}

/* Distinct domains over every registration (replicas share theirs); -1
 * when out of memory. */
static double count_domains(const struct registrations *r)
{
	struct domain_count c = {.counting = true};
	registration_table_each(&r->table, visit_domains, &c);
	if (c.total == 0)
		return 0;
	if (!(c.nodes = calloc(c.total, sizeof *c.nodes)))
		return -1;
	c.counting = false;
	registration_table_each(&r->table, visit_domains, &c);
	double distinct = (double)c.seen.count;
	bh_strmap_free(&c.seen);
	free(c.nodes);
	return distinct;
}

static void collect(struct core_metrics *m, const struct registrations *r)
{
	struct metric_handle **g = m->gauges;
	size_t registered = registrations_count(r);
	metric_set(g[GAUGE_REGISTRATIONS], (double)registered);
	metric_set(g[GAUGE_DOMAINS], count_domains(r));
	metric_set(g[GAUGE_REGISTERED], (double)registered);
	metric_set(g[GAUGE_REFUSED], (double)r->claims.contenders.count);
	metric_set(g[GAUGE_INVALID], (double)r->states.counts[CONTAINER_INVALID]);
	metric_set(g[GAUGE_NO_DOMAINS], (double)r->states.counts[CONTAINER_NO_DOMAINS]);
	collect_pending(m, r->set);
	size_t len = 0;
	bool ready = false;
	free(r->set ? readiness_report(r->set, r, m->reg, loop_now_ms(), &len, &ready) : NULL);
	metric_set(g[GAUGE_READY], ready ? 1 : 0);
	struct process_stats ps;
	if (process_stats_read(&ps) < 0)
		log_debug("metrics: /proc could not be read completely");
	metric_set(g[GAUGE_RESIDENT], ps.resident_bytes);
	metric_set(g[GAUGE_OPEN_FDS], ps.open_fds);
	metric_set(g[GAUGE_MAX_FDS], ps.max_fds);
	metric_set(g[GAUGE_PROCESS_START], ps.start_time_seconds);
	if (ps.cpu_seconds > m->cpu_seconds_seen) {
		metric_add(g[GAUGE_CPU], ps.cpu_seconds - m->cpu_seconds_seen);
		m->cpu_seconds_seen = ps.cpu_seconds;
	}
}

char *core_metrics_render(struct core_metrics *m, const struct registrations *r, size_t *len)
{
	char *text = NULL;
	*len = 0;
	FILE *out = open_memstream(&text, len);
	if (!out)
		return NULL;
	collect(m, r);
	int rc = metrics_render(m->reg, out);
	if (fclose(out) != 0 || rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}
