/*
 * Plugin life cycle and scheduling: load + validate all -> init -> start ->
 * loop (full pass now and every `refresh` seconds) -> stop -> drain -> destroy.
 */
#include "config.h"

#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "log.h"

/* How long publishers may take to flush at exit, and how often we look. */
#define DRAIN_TIMEOUT_MS 5000u
#define DRAIN_POLL_MS 10u

static void begin_drain(struct daemon *d, const char *why);

void daemon_report_error(struct daemon *d, const char *origin, const char *container,
			 const char *message)
{
	d->errors++;
	if (container)
		log_msg(BH_LOG_ERROR, origin, "container %s: %s", container, message);
	else
		log_msg(BH_LOG_ERROR, origin, "%s", message);
}

/* --- loading --- */

static char *instance_origin(const struct daemon *d, const struct plugin_instance *inst,
			     size_t index)
{
	const char *name = inst->loaded.table->name;
	size_t same = 0;
	for (size_t i = 0; i < d->n_publishers; i++)
		if (d->publishers[i].loaded.table && strcmp(d->publishers[i].loaded.table->name, name) == 0)
			same++;
	char *origin = NULL;
	int rc = same > 1 ? asprintf(&origin, "%s[%zu]", name, index) : asprintf(&origin, "%s", name);
	return rc < 0 ? NULL : origin;
}

static int load_instance(struct daemon *d, struct plugin_instance *inst,
			 const struct plugin_slot *slot, enum bh_plugin_kind kind)
{
	char *error = NULL;
	inst->slot = slot;
	inst->host.daemon = d;
	inst->host.instance = inst;
	if (loader_load(slot->plugin, d->settings->plugin_path, kind, &inst->loaded, &error) < 0) {
		log_error("%s:%u: %s: %s", d->settings->config_file,
			  config_setting_source_line(slot->group), slot->instance,
			  error ? error : "out of memory");
		free(error);
		return -1;
	}
	log_debug("%s: loaded %s %s from %s", slot->instance, inst->loaded.table->name,
		  inst->loaded.table->version ? inst->loaded.table->version : "?", inst->loaded.path);
	return 0;
}

static int init_instance(struct daemon *d, struct plugin_instance *inst, size_t index)
{
	inst->origin = instance_origin(d, inst, index);
	if (!inst->origin)
		return -1;
	const struct settings *st = d->settings;
	struct bh_init args = {
		.size = sizeof args,
		.api = &host_api,
		.host = &inst->host,
		.config = inst->slot->group,
		.config_file = st->config_file,
		.instance = inst->slot->instance,
		.key_prefix = st->key_prefix,
		.expire = st->expire,
		.refresh = st->refresh,
		.containers = (const char *const *)st->containers,
		.enumerate = st->enumerate,
	};
	if (inst->loaded.table->init(&args, &inst->self) != BH_OK) {
		log_error("%s: %s refused its configuration", inst->slot->instance, inst->origin);
		return -1;
	}
	inst->initialized = true;
	return 0;
}

static int load_all(struct daemon *d)
{
	struct settings *st = d->settings;
	int rc = load_instance(d, &d->inspector, &st->inspector, BH_PLUGIN_INSPECTOR);
	d->publishers = calloc(st->n_publishers, sizeof *d->publishers);
	if (!d->publishers)
		return -1;
	d->n_publishers = st->n_publishers;
	for (size_t i = 0; i < st->n_publishers; i++)
		if (load_instance(d, &d->publishers[i], &st->publishers[i], BH_PLUGIN_PUBLISHER) < 0)
			rc = -1;
	if (rc < 0)
		return -1; /* every refusal reported, then stop */
	if (init_instance(d, &d->inspector, 0) < 0)
		return -1;
	for (size_t i = 0; i < d->n_publishers; i++)
		if (init_instance(d, &d->publishers[i], i) < 0)
			return -1;
	return 0;
}

static void teardown_instance(struct plugin_instance *inst)
{
	if (inst->started)
		inst->loaded.table->stop(inst->self);
	if (inst->initialized)
		inst->loaded.table->destroy(inst->self);
	inst->started = inst->initialized = false;
	loader_unload(&inst->loaded);
	free(inst->origin);
	free(inst->status);
	inst->origin = inst->status = NULL;
}

static void teardown_all(struct daemon *d)
{
	/* The inspector first: nothing new reaches publishers afterwards. */
	teardown_instance(&d->inspector);
	for (size_t i = 0; i < d->n_publishers; i++)
		teardown_instance(&d->publishers[i]);
	free(d->publishers);
	d->publishers = NULL;
	d->n_publishers = 0;
}

/* --- passes --- */

static void start_pass(struct daemon *d)
{
	if (d->draining)
		return;
	if (d->pass_running) {
		log_warning("the previous full pass has not finished after %u s; skipping this one",
			    d->settings->refresh);
	} else if (d->inspector.loaded.table->resync(d->inspector.self) != BH_OK) {
		log_warning("%s: could not start a full pass", d->inspector.origin);
	}
	if (d->settings->refresh > 0 &&
	    loop_timer_arm(d->refresh_timer, (uint64_t)d->settings->refresh * 1000u) < 0)
		d->fatal = true;
}

static void on_refresh_timer(void *arg)
{
	start_pass(arg);
}

void daemon_pass_finished(struct daemon *d)
{
	if (d->settings->refresh == 0)
		begin_drain(d, "one pass done");
}

/* --- replay --- */

static void on_replay_timer(void *arg)
{
	struct daemon *d = arg;
	for (size_t i = 0; i < d->n_publishers; i++) {
		struct plugin_instance *p = &d->publishers[i];
		if (p->replay_requested && p->started) {
			p->replay_requested = false;
			registrations_replay(d, p);
		}
	}
}

void daemon_schedule_replay(struct daemon *d)
{
	/* Never from inside the publisher's own call: from the loop. */
	if (d->replay_timer && !loop_timer_armed(d->replay_timer))
		(void)loop_timer_arm(d->replay_timer, 0);
}

/* --- shutdown --- */

static size_t total_pending(const struct daemon *d)
{
	size_t pending = 0;
	for (size_t i = 0; i < d->n_publishers; i++) {
		const struct plugin_instance *p = &d->publishers[i];
		if (p->started)
			pending += p->loaded.table->pending(p->self);
	}
	return pending;
}

static void on_drain_timer(void *arg)
{
	struct daemon *d = arg;
	size_t pending = total_pending(d);
	if (pending == 0) {
		loop_quit(d->loop);
		return;
	}
	if (loop_now_ms() >= d->drain_deadline_ms) {
		log_error("%zu operations still unacknowledged after %u ms; exiting anyway", pending,
			  DRAIN_TIMEOUT_MS);
		d->errors++;
		loop_quit(d->loop);
		return;
	}
	if (loop_timer_arm(d->drain_timer, DRAIN_POLL_MS) < 0)
		loop_quit(d->loop);
}

static void begin_drain(struct daemon *d, const char *why)
{
	if (d->draining)
		return;
	d->draining = true;
	log_info("stopping: %s", why);
	loop_timer_disarm(d->refresh_timer);
	if (d->inspector.started) {
		d->inspector.loaded.table->stop(d->inspector.self);
		d->inspector.started = false;
	}
	d->drain_deadline_ms = loop_now_ms() + DRAIN_TIMEOUT_MS;
	on_drain_timer(d);
}

static void on_signal(void *arg, int signo)
{
	struct daemon *d = arg;
	if (signo == SIGHUP) {
		log_warning("SIGHUP: configuration reload is not supported yet; ignored");
		return;
	}
	if (d->draining) {
		log_warning("second %s: exiting without waiting for publishers", strsignal(signo));
		loop_quit(d->loop);
		return;
	}
	begin_drain(d, strsignal(signo));
}

/* --- life cycle --- */

static int start_all(struct daemon *d)
{
	/* Publishers first, so that the inspector's first reports have a sink. */
	for (size_t i = 0; i < d->n_publishers; i++) {
		struct plugin_instance *p = &d->publishers[i];
		if (p->loaded.table->start(p->self) != BH_OK) {
			log_error("%s: failed to start", p->origin);
			return -1;
		}
		p->started = true;
	}
	if (d->inspector.loaded.table->start(d->inspector.self) != BH_OK) {
		log_error("%s: failed to start", d->inspector.origin);
		return -1;
	}
	d->inspector.started = true;
	return 0;
}

static int setup_loop(struct daemon *d)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	/* A peer closing a socket must be an error return, not a death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	d->loop = loop_new();
	if (!d->loop || loop_signals(d->loop, signals, 3, on_signal, d) < 0)
		return -1;
	d->refresh_timer = loop_timer_new(d->loop, on_refresh_timer, d);
	d->replay_timer = loop_timer_new(d->loop, on_replay_timer, d);
	d->drain_timer = loop_timer_new(d->loop, on_drain_timer, d);
	return d->refresh_timer && d->replay_timer && d->drain_timer ? 0 : -1;
}

int daemon_run(struct settings *settings, bool check_only)
{
	struct daemon d = {0};
	d.settings = settings;
	int status = EXIT_OK;
	if (registry_init(&d.registry) < 0 || registry_init(&d.rejections) < 0 || setup_loop(&d) < 0) {
		log_error("cannot set up the event loop");
		status = EXIT_RUNTIME_ERROR;
		goto out;
	}
	if (load_all(&d) < 0) {
		status = EXIT_CONFIG_ERROR;
		goto out;
	}
	if (check_only) {
		log_info("configuration %s is valid", settings->config_file);
		goto out;
	}
	if (settings->expire > 0 && settings->refresh >= settings->expire)
		log_warning("refresh (%u s) is not shorter than expire (%u s): registrations will "
			    "lapse between refreshes",
			    settings->refresh, settings->expire);
	if (start_all(&d) < 0) {
		status = EXIT_RUNTIME_ERROR;
		goto out;
	}
	log_info("started: inspector %s, %zu publisher(s), expire %u s, refresh %u s%s",
		 d.inspector.origin, d.n_publishers, settings->expire, settings->refresh,
		 settings->refresh == 0 ? " (one pass)" : "");
	start_pass(&d);
	if (loop_run(d.loop) < 0 || d.fatal)
		status = EXIT_RUNTIME_ERROR;
	else if (settings->refresh == 0 && d.errors > 0)
		status = EXIT_RUNTIME_ERROR;
out:
	teardown_all(&d);
	registry_free(&d.registry);
	registry_free(&d.rejections);
	loop_free(d.loop);
	return status;
}
