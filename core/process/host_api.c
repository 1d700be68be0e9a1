#include "config.h"

#include "host_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_boundary.h"
#include "log.h"
#include "plugin_set.h"
#include <beachhead/sdk.h>

/* Plugins name a setting "FILE:LINE: ..."; for a value from the command
 * line the core set FILE to "command line (--option)" and LINE is 0, which
 * would read "command line (--docker-url):0: ...": drop the ":0". */
static const char *cli_line_zero(const char *text)
{
	if (strncmp(text, SETTINGS_CLI_ORIGIN "--", strlen(SETTINGS_CLI_ORIGIN "--")) != 0)
		return NULL;
	return strstr(text, "):0:");
}

static void host_log(struct bh_host *host, enum bh_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = bh_vstrfmt(fmt, ap);
	va_end(ap);
	const char *zero = text ? cli_line_zero(text) : NULL;
	if (zero)
		log_msg(level, host->instance->origin, "%.*s%s", (int)(zero - text + 1), text, zero + 3);
	else
		log_msg(level, host->instance->origin, "%s", text ? text : "(message lost: out of memory)");
	if (text && level <= BH_LOG_WARNING)
		plugin_instance_note_warning(host->instance, text, loop_now_ms()); /* takes text */
	else
		free(text);
}

static struct bh_timer *host_timer_new(struct bh_host *host, bh_timer_cb cb, void *arg)
{
	return loop_timer_new(host->services->loop, cb, arg);
}

static int host_timer_arm(struct bh_host *host, struct bh_timer *timer, uint64_t delay_ms)
{
	(void)host;
	return loop_timer_arm(timer, delay_ms);
}

static void host_timer_disarm(struct bh_host *host, struct bh_timer *timer)
{
	(void)host;
	loop_timer_disarm(timer);
}

static void host_timer_free(struct bh_host *host, struct bh_timer *timer)
{
	(void)host;
	loop_timer_free(timer);
}

static struct bh_watch *host_watch_add(struct bh_host *host, int fd, unsigned events,
				       bh_watch_cb cb, void *arg)
{
	return loop_watch_add(host->services->loop, fd, events, cb, arg);
}

static int host_watch_set(struct bh_host *host, struct bh_watch *watch, unsigned events)
{
	(void)host;
	return loop_watch_set(watch, events);
}

static void host_watch_remove(struct bh_host *host, struct bh_watch *watch)
{
	(void)host;
	loop_watch_remove(watch);
}

static uint64_t host_now_ms(struct bh_host *host)
{
	(void)host;
	return loop_now_ms();
}

/* Registrations come only from the running set's inspector, and only until
 * it is stopped: a late report from an inspector a reload is replacing
 * would be built with the old settings (key prefix) and replayed to the new
 * set. */
static bool is_inspector(const struct bh_host *host, const char *what)
{
	const struct plugin_instance *inst = host->instance;
	if (plugin_instance_kind(inst) != BH_PLUGIN_INSPECTOR) {
		log_error("%s: called %s, which only an inspector may call; ignored", inst->origin, what);
		return false;
	}
	const struct plugin_set *running = host->services->registrations->set;
	/* The daemon hands the registrations a set just before its start():
	 * from then on (during start() too) until stop() its inspector speaks. */
	if (running && inst == &running->inspector && !inst->stopped)
		return true;
	if (inst->stopped) /* a late answer while a reload replaces it: normal */
		log_debug("%s: called %s after stop(); ignored", inst->origin, what);
	else
		log_warning("%s: called %s before start(); ignored", inst->origin, what);
	return false;
}

static void host_container_up(struct bh_host *host, const struct bh_container *container)
{
	if (!is_inspector(host, "container_up"))
		return;
	struct bh_container full;
	if (!abi_container_normalize(container, &full)) {
		log_error("%s: called container_up with a struct bh_container of %zu bytes, "
			  "smaller than the %zu bytes of ABI %u.0; ignored",
			  host->instance->origin, container->size, (size_t)BH_CONTAINER_SIZE_1_0,
			  BH_ABI_MAJOR);
		return;
	}
	registrations_container_up(host->services->registrations, &full);
}

static void host_container_down(struct bh_host *host, const char *name, const char *reason)
{
	if (is_inspector(host, "container_down"))
		registrations_container_down(host->services->registrations, name, reason);
}

static void host_container_missing(struct bh_host *host, const char *name, const char *reason)
{
	if (is_inspector(host, "container_missing"))
		registrations_container_missing(host->services->registrations, name, reason);
}

static void host_container_gone(struct bh_host *host, const char *id, const char *name,
				const char *reason)
{
	if (is_inspector(host, "container_gone"))
		registrations_container_gone(host->services->registrations, id, name, reason);
}

static void host_container_keep(struct bh_host *host, const char *id, const char *name)
{
	if (is_inspector(host, "container_keep"))
		registrations_container_keep(host->services->registrations, id, name);
}

static void host_pass_begin(struct bh_host *host)
{
	if (is_inspector(host, "pass_begin"))
		registrations_pass_begin(host->services->registrations);
}

static void host_pass_end(struct bh_host *host, int complete)
{
	if (is_inspector(host, "pass_end"))
		registrations_pass_end(host->services->registrations, complete);
}

static void host_report_error(struct bh_host *host, const char *container, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = bh_vstrfmt(fmt, ap);
	va_end(ap);
	error_tally_report(host->services->errors, host->instance->origin, container,
			   msg ? msg : "(out of memory)");
	if (plugin_instance_kind(host->instance) == BH_PLUGIN_PUBLISHER)
		registrations_store_failed(host->services->registrations, container);
	free(msg);
}

static void host_set_status(struct bh_host *host, const char *text)
{
	char *copy = text ? strdup(text) : NULL;
	free(host->instance->status);
	host->instance->status = copy;
	log_debug("%s: status: %s", host->instance->origin, copy ? copy : "");
	host->services->events->status_changed(host->services->events->arg);
}

static void host_request_replay(struct bh_host *host)
{
	if (plugin_instance_kind(host->instance) != BH_PLUGIN_PUBLISHER) {
		log_error("%s: request_replay is for publishers; ignored", host->instance->origin);
		return;
	}
	host->instance->replay_requested = true;
	host->services->events->replay_wanted(host->services->events->arg);
}

static void host_describe_setting(struct bh_host *host, const char *name, const char *value,
				  const config_setting_t *given, const char *origin_if_absent)
{
	FILE *out = host->services->describe_to;
	if (!out || !name)
		return;
	host->instance->described = true;
	settings_dump_line(out, host->services->describe_config_file, host->instance->slot, name, value,
			   given, origin_if_absent);
}

static struct bh_metric *host_metric_register(struct bh_host *host, enum bh_metric_type type,
					      const char *name, const char *help,
					      const struct bh_metric_label *labels, size_t n_labels,
					      const double *buckets, size_t n_buckets)
{
	struct metrics_registry *reg = host->services->metrics;
	struct plugin_instance *inst = host->instance;
	if (!reg)
		return NULL; /* metrics off: no cost */
	bool publisher = plugin_instance_kind(inst) == BH_PLUGIN_PUBLISHER;
	/* publisher="NAME[i]": two publishers of one plugin stay apart. */
	char *who = publisher ? plugin_instance_label(inst) : NULL;
	struct metric_label *all = calloc(n_labels + 1, sizeof *all);
	size_t n = 0;
	if (all && who)
		all[n++] = (struct metric_label){"publisher", who};
	for (size_t i = 0; all && labels && i < n_labels; i++)
		all[n++] = (struct metric_label){labels[i].name, labels[i].value};
	const char *error = "out of memory";
	enum metric_type kind = type == BH_METRIC_GAUGE	      ? METRIC_GAUGE
				: type == BH_METRIC_HISTOGRAM ? METRIC_HISTOGRAM
							      : METRIC_COUNTER;
	struct metric_handle *h = NULL;
	if (type != BH_METRIC_COUNTER && type != BH_METRIC_GAUGE && type != BH_METRIC_HISTOGRAM)
		error = "unknown metric type";
	else if (all && (!publisher || who))
		h = metrics_register(reg, inst, kind, name, help, all, n, buckets, n_buckets, &error);
	if (h)
		inst->metrics = reg;
	else
		log_warning("%s: metric %s refused: %s", inst->origin, name ? name : "(no name)", error);
	free(all);
	free(who);
	return (struct bh_metric *)h;
}

static void host_metric_add(struct bh_host *host, struct bh_metric *metric, double value)
{
	(void)host;
	metric_add((struct metric_handle *)metric, value);
}

static void host_metric_set(struct bh_host *host, struct bh_metric *metric, double value)
{
	(void)host;
	metric_set((struct metric_handle *)metric, value);
}

static void host_metric_observe(struct bh_host *host, struct bh_metric *metric, double value)
{
	(void)host;
	metric_observe((struct metric_handle *)metric, value);
}

const struct bh_host_api host_api = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.size = sizeof(struct bh_host_api),
	.log = host_log,
	.timer_new = host_timer_new,
	.timer_arm = host_timer_arm,
	.timer_disarm = host_timer_disarm,
	.timer_free = host_timer_free,
	.watch_add = host_watch_add,
	.watch_set = host_watch_set,
	.watch_remove = host_watch_remove,
	.now_ms = host_now_ms,
	.container_up = host_container_up,
	.container_down = host_container_down,
	.container_missing = host_container_missing,
	.pass_begin = host_pass_begin,
	.pass_end = host_pass_end,
	.report_error = host_report_error,
	.set_status = host_set_status,
	.request_replay = host_request_replay,
	.describe_setting = host_describe_setting,
	.container_gone = host_container_gone,
	.container_keep = host_container_keep,
	.metric_register = host_metric_register,
	.metric_add = host_metric_add,
	.metric_set = host_metric_set,
	.metric_observe = host_metric_observe,
};
