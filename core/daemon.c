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
#include "notify.h"
#include <beachhead/sdk.h>

/* How long publishers may take to flush at exit, and how often we look. */
#define DRAIN_TIMEOUT_MS 5000u
#define DRAIN_POLL_MS 10u
/* The systemd status line is refreshed at most this often. */
#define STATUS_DELAY_MS 1000u

static void begin_drain(struct daemon *d, const char *why);

void daemon_report_error(struct daemon *d, const char *origin, const char *container,
			 const char *message)
{
	d->errors++;
	char *line = container ? bh_strfmt("container %s: %s", container, message)
			       : bh_strfmt("%s", message);
	log_msg(BH_LOG_ERROR, origin, "%s", line ? line : message);
	free(d->last_error);
	d->last_error = line;
	daemon_status_changed(d);
}

/* --- plugin sets --- */

static char *instance_origin(const struct plugin_set *set, const struct plugin_instance *inst,
			     size_t index)
{
	const char *name = inst->loaded.table->name;
	size_t same = 0;
	for (size_t i = 0; i < set->n_publishers; i++)
		if (set->publishers[i].loaded.table &&
		    strcmp(set->publishers[i].loaded.table->name, name) == 0)
			same++;
	return same > 1 ? bh_strfmt("%s[%zu]", name, index) : bh_strfmt("%s", name);
}

static int load_instance(struct daemon *d, const struct settings *st, struct plugin_instance *inst,
			 const struct plugin_slot *slot, enum bh_plugin_kind kind)
{
	char *error = NULL;
	inst->slot = slot;
	inst->host.daemon = d;
	inst->host.instance = inst;
	if (!slot->plugin)
		return -1; /* the file got this slot wrong: settings_load said so */
	if (loader_load(slot->plugin, st->plugin_path, kind, &inst->loaded, &error) < 0) {
		/* The group may come from an @include'd file: name that one.  A
		 * default slot (absent from the file) has no line. */
		unsigned line = config_setting_source_line(slot->group);
		if (line)
			log_error("%s:%u: %s: %s", settings_source_file(st, slot->group), line,
				  slot->instance, error ? error : "out of memory");
		else
			log_error("%s: %s (default): %s", st->config_file, slot->instance,
				  error ? error : "out of memory");
		free(error);
		return -1;
	}
	log_info("%s: %s %s (plugin ABI %u.%u) from %s", slot->instance, inst->loaded.table->name,
		 inst->loaded.table->version ? inst->loaded.table->version : "?",
		 inst->loaded.table->abi_major, inst->loaded.table->abi_minor, inst->loaded.path);
	return 0;
}

static int init_instance(const struct plugin_set *set, struct plugin_instance *inst, size_t index)
{
	inst->origin = instance_origin(set, inst, index);
	if (!inst->origin)
		return -1;
	const struct settings *st = set->settings;
	struct daemon *d = inst->host.daemon;
	if (d->describe_to) {
		char *plugin = bh_strfmt("\"%s\"", inst->slot->plugin);
		settings_dump_line(d->describe_to, st->config_file, inst->slot->instance, "plugin", plugin,
				   config_setting_get_member(inst->slot->group, "plugin"), "default");
		free(plugin);
	}
	struct bh_init args = {
		.size = sizeof args,
		.api = &host_api,
		.host = &inst->host,
		.config = inst->slot->group,
		.config_file = st->config_file,
		.instance = inst->slot->instance,
		.key_prefix = st->key_namespace, /* with host_id: prefix + id + "/" */
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

struct plugin_set *plugin_set_create(struct daemon *d, struct settings *settings)
{
	struct plugin_set *set = calloc(1, sizeof *set);
	if (!set) {
		settings_free(settings);
		free(settings);
		return NULL;
	}
	set->settings = settings;
	set->publishers = calloc(settings->n_publishers, sizeof *set->publishers);
	if (!set->publishers) {
		plugin_set_destroy(set);
		return NULL;
	}
	set->n_publishers = settings->n_publishers;
	/* Load every plugin before giving up, so that one run reports every
	 * refused file. */
	int rc = load_instance(d, settings, &set->inspector, &settings->inspector, BH_PLUGIN_INSPECTOR);
	for (size_t i = 0; i < set->n_publishers; i++)
		if (load_instance(d, settings, &set->publishers[i], &settings->publishers[i],
				  BH_PLUGIN_PUBLISHER) < 0)
			rc = -1;
	/* init() only reads settings: every plugin that loaded gets to check
	 * its own, so that one run reports all mistakes of all plugins. */
	if (set->inspector.loaded.table && init_instance(set, &set->inspector, 0) < 0)
		rc = -1;
	for (size_t i = 0; i < set->n_publishers; i++)
		if (set->publishers[i].loaded.table && init_instance(set, &set->publishers[i], i) < 0)
			rc = -1;
	if (rc < 0) {
		plugin_set_destroy(set);
		return NULL;
	}
	return set;
}

int plugin_set_start(struct daemon *d, struct plugin_set *set)
{
	(void)d;
	/* Publishers first, so that the inspector's first reports have a sink. */
	for (size_t i = 0; i < set->n_publishers; i++) {
		struct plugin_instance *p = &set->publishers[i];
		if (p->loaded.table->start(p->self) != BH_OK) {
			log_error("%s: failed to start", p->origin);
			return -1;
		}
		p->started = true;
	}
	if (set->inspector.loaded.table->start(set->inspector.self) != BH_OK) {
		log_error("%s: failed to start", set->inspector.origin);
		return -1;
	}
	set->inspector.started = true;
	return 0;
}

static void stop_instance(struct plugin_instance *inst)
{
	if (inst->started && !inst->stopped) {
		inst->loaded.table->stop(inst->self);
		inst->stopped = true;
	}
}

void plugin_set_stop_inspector(struct plugin_set *set)
{
	stop_instance(&set->inspector);
}

void plugin_set_stop(struct plugin_set *set)
{
	/* The inspector first: nothing new reaches publishers afterwards. */
	stop_instance(&set->inspector);
	for (size_t i = 0; i < set->n_publishers; i++)
		stop_instance(&set->publishers[i]);
}

static void teardown_instance(struct plugin_instance *inst)
{
	stop_instance(inst);
	if (inst->initialized)
		inst->loaded.table->destroy(inst->self);
	inst->started = inst->initialized = false;
	loader_unload(&inst->loaded);
	free(inst->origin);
	free(inst->status);
	inst->origin = inst->status = NULL;
}

void plugin_set_destroy(struct plugin_set *set)
{
	if (!set)
		return;
	/* The inspector first: nothing new reaches publishers afterwards. */
	teardown_instance(&set->inspector);
	for (size_t i = 0; i < set->n_publishers; i++)
		teardown_instance(&set->publishers[i]);
	free(set->publishers);
	if (set->settings) {
		settings_free(set->settings);
		free(set->settings);
	}
	free(set);
}

size_t daemon_set_pending(const struct plugin_set *set)
{
	size_t pending = 0;
	for (size_t i = 0; set && i < set->n_publishers; i++) {
		const struct plugin_instance *p = &set->publishers[i];
		if (p->started)
			pending += p->loaded.table->pending(p->self);
	}
	return pending;
}

/* --- passes --- */

void daemon_start_pass(struct daemon *d)
{
	struct plugin_set *set = d->set;
	if (d->draining)
		return;
	if (d->pass_running) {
		log_warning("the previous full pass has not finished after %u s; skipping this one "
			    "(registrations are refreshed all the same)",
			    set->settings->refresh);
	} else if (set->inspector.loaded.table->resync(set->inspector.self) != BH_OK) {
		if (set->settings->refresh == 0) {
			/* No pass will ever end: a one-pass run must not wait. */
			daemon_report_error(d, set->inspector.origin, NULL, "could not start the full pass");
			begin_drain(d, "the full pass could not start");
			return;
		}
		log_warning("%s: could not start a full pass", set->inspector.origin);
	}
	if (set->settings->refresh > 0 &&
	    loop_timer_arm(d->refresh_timer, (uint64_t)set->settings->refresh * 1000u) < 0) {
		/* Without the timer nothing would ever refresh again. */
		log_error("cannot arm the refresh timer; exiting");
		d->fatal = true;
		loop_quit(d->loop);
	}
}

static void on_pass_request_timer(void *arg)
{
	struct daemon *d = arg;
	if (d->draining || d->pass_running)
		return;
	if (d->set->inspector.loaded.table->resync(d->set->inspector.self) != BH_OK)
		log_debug("%s: the requested pass did not start", d->set->inspector.origin);
}

void daemon_request_pass(struct daemon *d)
{
	if (d->pass_request_timer && !loop_timer_armed(d->pass_request_timer) &&
	    loop_timer_arm(d->pass_request_timer, 0) < 0)
		log_warning("cannot schedule a full pass");
}

/* Every current registration is republished first, from memory: a pass
 * that is slow, skipped, incomplete or could not read some containers never
 * lets a live registration lapse.  The pass then brings the changes. */
static void on_refresh_timer(void *arg)
{
	struct daemon *d = arg;
	if (!d->draining)
		registrations_refresh_all(d);
	daemon_start_pass(d);
}

/*
 * A one-pass run ends once the stores acknowledged what the pass wrote (or
 * gave up), so that their errors and what was really written are reported
 * before "stopping", and the exit status covers them.
 */
static void on_settle_timer(void *arg)
{
	struct daemon *d = arg;
	size_t pending = daemon_set_pending(d->set);
	if (pending > 0 && loop_now_ms() < d->settle_deadline_ms &&
	    loop_timer_arm(d->settle_timer, DRAIN_POLL_MS) == 0)
		return;
	if (pending > 0) {
		log_error("%zu operations still unacknowledged after %u ms", pending, DRAIN_TIMEOUT_MS);
		d->errors++;
		d->abandon_drain = true; /* waited long enough: no second wait */
	}
	registrations_one_pass_written(d, pending == 0);
	begin_drain(d, "one pass done");
}

void daemon_pass_finished(struct daemon *d)
{
	daemon_status_changed(d);
	if (d->set->settings->refresh == 0 && !d->draining) {
		d->settle_deadline_ms = loop_now_ms() + DRAIN_TIMEOUT_MS;
		on_settle_timer(d);
	}
}

/* --- replay --- */

static void on_replay_timer(void *arg)
{
	struct daemon *d = arg;
	for (size_t i = 0; i < d->set->n_publishers; i++) {
		struct plugin_instance *p = &d->set->publishers[i];
		if (p->replay_requested && p->started && !p->stopped) {
			p->replay_requested = false;
			registrations_replay(d, p);
		}
	}
}

void daemon_schedule_replay(struct daemon *d)
{
	/* Never from inside the publisher's own call: from the loop. */
	if (d->replay_timer && !loop_timer_armed(d->replay_timer) &&
	    loop_timer_arm(d->replay_timer, 0) < 0)
		log_error("cannot arm the replay timer: a publisher that asked for a replay "
			  "may miss registrations until the next full pass");
}

/* --- systemd status and watchdog --- */

/* Appends "; origin: status" for a plugin that has set a status. */
static void append_plugin_status(FILE *out, const struct plugin_instance *inst)
{
	if (inst->status && inst->status[0])
		fprintf(out, "; %s: %s", inst->origin, inst->status);
}

/* "N registered, M errors; last: ...; plugin: status": the systemd status
 * line and the SIGUSR1 summary.  Returns NULL when out of memory. */
static char *status_text(const struct daemon *d)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	fprintf(out, "%zu registered, %u errors", d->registry.map.count, d->errors);
	if (d->last_error)
		fprintf(out, "; last: %s", d->last_error);
	/* What the plugins say of themselves (set_status), e.g. "redis:
	 * unreachable": the part an operator looks for first. */
	append_plugin_status(out, &d->set->inspector);
	for (size_t i = 0; i < d->set->n_publishers; i++)
		append_plugin_status(out, &d->set->publishers[i]);
	if (d->draining)
		fputs("; stopping", out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void on_status_timer(void *arg)
{
	char *text = status_text(arg);
	if (text)
		notify_status(text);
	free(text);
}

void daemon_status_changed(struct daemon *d)
{
	if (notify_enabled() && d->status_timer && !loop_timer_armed(d->status_timer))
		(void)loop_timer_arm(d->status_timer, STATUS_DELAY_MS);
}

/* The ping comes from the loop itself: a stuck loop stops pinging and
 * systemd kills it, which a helper thread would hide. */
static void on_watchdog_timer(void *arg)
{
	struct daemon *d = arg;
	notify_watchdog();
	if (loop_timer_arm(d->watchdog_timer, d->watchdog_interval_ms) < 0)
		log_error("cannot re-arm the watchdog timer");
}

/* --- shutdown --- */

static void on_drain_timer(void *arg)
{
	struct daemon *d = arg;
	size_t pending = daemon_set_pending(d->set);
	if (pending == 0 || d->abandon_drain) {
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
	notify_stopping();
	loop_timer_disarm(d->refresh_timer);
	/* A reload waiting for the old publishers to flush is abandoned: the
	 * new set never starts (daemon_run destroys it unstarted), and the
	 * old one drains as usual. */
	if (d->switch_timer)
		loop_timer_disarm(d->switch_timer);
	/* The inspector produces nothing more; publishers flush what they hold. */
	plugin_set_stop(d->set);
	d->drain_deadline_ms = loop_now_ms() + DRAIN_TIMEOUT_MS;
	on_drain_timer(d);
}

static void on_signal(void *arg, int signo)
{
	struct daemon *d = arg;
	if (signo == SIGHUP) {
		if (!d->draining)
			reload_configuration(d);
		return;
	}
	if (signo == SIGUSR1) {
		char *text = status_text(d);
		log_info("status (SIGUSR1): %s", text ? text : "out of memory");
		free(text);
		return;
	}
	if (signo == SIGUSR2 || signo == SIGALRM) {
		/* Their default action would end the daemon with no drain. */
		log_info("%s ignored (SIGUSR1 logs a status summary, SIGHUP reloads)", strsignal(signo));
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

static int setup_loop(struct daemon *d)
{
	/* Every signal whose default action would kill the daemon without a
	 * drain and that a person or a script may send: SIGUSR1 logs a status
	 * summary, SIGUSR2 and SIGALRM are logged and ignored. */
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};
	/* A peer closing a socket must be an error return, not a death. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	d->loop = loop_new();
	if (!d->loop || loop_signals(d->loop, signals, (int)(sizeof signals / sizeof signals[0]), on_signal, d) < 0)
		return -1;
	d->refresh_timer = loop_timer_new(d->loop, on_refresh_timer, d);
	d->replay_timer = loop_timer_new(d->loop, on_replay_timer, d);
	d->drain_timer = loop_timer_new(d->loop, on_drain_timer, d);
	d->settle_timer = loop_timer_new(d->loop, on_settle_timer, d);
	d->status_timer = loop_timer_new(d->loop, on_status_timer, d);
	d->pass_request_timer = loop_timer_new(d->loop, on_pass_request_timer, d);
	d->watchdog_timer = loop_timer_new(d->loop, on_watchdog_timer, d);
	return d->refresh_timer && d->replay_timer && d->drain_timer && d->settle_timer && d->status_timer &&
			       d->pass_request_timer &&
			       d->watchdog_timer
		       ? 0
		       : -1;
}

static void setup_systemd(struct daemon *d)
{
	if (!notify_setup(d->set->settings->systemd))
		return;
	uint64_t usec = notify_watchdog_usec();
	if (usec > 0) {
		d->watchdog_interval_ms = usec / 2000u ? usec / 2000u : 1u;
		log_debug("systemd watchdog: pinging every %llu ms",
			  (unsigned long long)d->watchdog_interval_ms);
		on_watchdog_timer(d);
	}
}

/* Plugins older than ABI 1.2 cannot list their settings: list their groups
 * as the configuration gives them. */
static void describe_undescribed(const struct plugin_set *set)
{
	if (!set->inspector.described)
		settings_dump_group(set->settings, &set->settings->inspector, stdout);
	for (size_t i = 0; i < set->n_publishers; i++)
		if (!set->publishers[i].described)
			settings_dump_group(set->settings, &set->settings->publishers[i], stdout);
}

/* The warnings a start would print: --check-config prints them too. */
static void warn_about_settings(const struct settings *settings)
{
	if (settings->expire > 0 && settings->refresh >= settings->expire)
		log_warning("refresh (%u s) is not shorter than expire (%u s): registrations will "
			    "lapse between refreshes",
			    settings->refresh, settings->expire);
}

int daemon_run(struct settings *settings, const struct cli_options *opts, bool check_only,
	       bool settings_refused)
{
	struct daemon d = {0};
	d.opts = opts;
	int status = EXIT_OK;
	if (registry_init(&d.registry) < 0 || registry_init(&d.rejections) < 0 ||
	    registry_init(&d.claims) < 0 || registry_init(&d.contenders) < 0 || setup_loop(&d) < 0) {
		log_error("cannot set up the event loop");
		settings_free(settings);
		free(settings);
		status = EXIT_RUNTIME_ERROR;
		goto out;
	}
	log_info("%s %s (plugin ABI %d.%d), configuration %s", PACKAGE_NAME, PACKAGE_VERSION,
		 BH_ABI_MAJOR, BH_ABI_MINOR, settings->config_file);
	if (check_only)
		warn_about_settings(settings);
	/* The set owns settings from here on, even when it is refused. */
	char *config_file = strdup(settings->config_file);
	if (check_only && opts->verbose) {
		settings_dump_core(settings, stdout);
		d.describe_to = stdout; /* the plugins list theirs from init() */
		d.describe_config_file = config_file;
	}
	d.set = plugin_set_create(&d, settings);
	if (d.set && d.describe_to)
		describe_undescribed(d.set);
	d.describe_to = NULL;
	if (!d.set || settings_refused) {
		if (check_only)
			log_error("configuration %s has errors (see above)",
				  config_file ? config_file : "");
		free(config_file);
		status = EXIT_CONFIG_ERROR;
		goto out;
	}
	free(config_file);
	settings = d.set->settings;
	if (check_only) {
		log_info("configuration %s is valid", settings->config_file);
		goto out;
	}
	warn_about_settings(settings);
	if (plugin_set_start(&d, d.set) < 0) {
		status = EXIT_RUNTIME_ERROR;
		goto out;
	}
	log_info("started: inspector %s, %zu publisher(s), expire %u s, refresh %u s%s",
		 d.set->inspector.origin, d.set->n_publishers, settings->expire, settings->refresh,
		 settings->refresh == 0 ? " (one pass)" : "");
	setup_systemd(&d);
	notify_ready();
	daemon_status_changed(&d);
	daemon_start_pass(&d);
	if (loop_run(d.loop) < 0 || d.fatal)
		status = EXIT_RUNTIME_ERROR;
	else if (d.set->settings->refresh == 0 && d.errors > 0)
		status = EXIT_RUNTIME_ERROR;
out:
	plugin_set_destroy(d.next);
	plugin_set_destroy(d.set);
	registry_free(&d.registry);
	registry_free(&d.rejections);
	registry_free(&d.claims);
	registry_free(&d.contenders);
	free(d.last_error);
	loop_free(d.loop);
	return status;
}
