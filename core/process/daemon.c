/*
 * The daemon: owns the loop, the running plugin set and the registrations,
 * and schedules everything on timers: full passes now and every `refresh`
 * seconds, replays, reloads, the systemd status and watchdog, and the drain
 * at exit.  It calls down into the parts of the core; they tell it what
 * happened through core_events, never by calling back.
 */
#include "config.h"

#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_events.h"
#include "error_tally.h"
#include "flush_wait.h"
#include "host_api.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "observability.h"
#include "owner_identity.h"
#include "plugin_set.h"
#include "registrations.h"
#include "reload.h"
#include "settings.h"
#include "status_line.h"
#include <beachhead/sdk.h>

/* How long publishers may take to flush at exit (and at the end of a
 * one-pass run). */
#define DRAIN_TIMEOUT_MS 5000u

struct daemon {
	struct loop *loop;
	struct plugin_set *set; /* the running configuration */
	struct registrations registrations;
	struct error_tally errors;
	struct core_events events;     /* what the parts tell the daemon */
	struct host_services services; /* what the plugins' calls reach */
	struct owner_identity owner;   /* who claims namespaces; for every set */
	struct observability metrics;  /* metrics_listen: /metrics, /healthz, /readyz */
	struct reload reload;          /* SIGHUP: the next set, while the old flushes */
	struct notify_schedule notify; /* systemd STATUS= and watchdog */
	bool fatal;                    /* a runtime failure that ends the daemon */

	/* Passes: every refresh seconds, and soon when a part asks. */
	struct bh_timer *refresh_timer;
	struct bh_timer *pass_request_timer;
	struct bh_timer *replay_timer;
	/* The end of a one-pass run (settle) and of any run (drain): both wait
	 * for the publishers to flush. */
	struct flush_wait settle;
	struct flush_wait drain;
	bool draining;
	bool abandon_drain; /* one pass: the stores were given up on */
};

static void begin_drain(struct daemon *d, const char *why);

static void exit_on_failure(struct daemon *d)
{
	d->fatal = true;
	loop_quit(d->loop);
}

/* --- passes --- */

static void start_pass(struct daemon *d)
{
	struct plugin_set *set = d->set;
	if (d->draining)
		return;
	if (d->registrations.pass_running) {
		log_warning("the previous full pass has not finished after %u s; skipping this one "
			    "(registrations are refreshed all the same)",
			    set->settings->refresh);
	} else if (plugin_instance_resync(&set->inspector) != BH_OK) {
		if (set->settings->run_mode == RUN_MODE_ONE_PASS) {
			/* No pass will ever end: a one-pass run must not wait. */
			error_tally_report(&d->errors, set->inspector.origin, NULL,
					   "could not start the full pass");
			begin_drain(d, "the full pass could not start");
			return;
		}
		log_warning("%s: could not start a full pass", set->inspector.origin);
	}
	if (set->settings->run_mode == RUN_MODE_SERVICE &&
	    loop_timer_arm(d->refresh_timer, (uint64_t)set->settings->refresh * 1000u) < 0) {
		/* Without the timer nothing would ever refresh again. */
		log_error("cannot arm the refresh timer; exiting");
		exit_on_failure(d);
	}
}

static void on_pass_request_timer(void *arg)
{
	struct daemon *d = arg;
	if (d->draining || d->registrations.pass_running)
		return;
	if (plugin_instance_resync(&d->set->inspector) != BH_OK)
		log_debug("%s: the requested pass did not start", d->set->inspector.origin);
}

/* A full pass soon (from the loop), without moving the refresh schedule. */
static void on_pass_wanted(void *arg)
{
	struct daemon *d = arg;
	if (!loop_timer_armed(d->pass_request_timer) && loop_timer_arm(d->pass_request_timer, 0) < 0)
		log_warning("cannot schedule a full pass");
}

/* Every current registration is republished first, from memory: a pass
 * that is slow, skipped, incomplete or could not read some containers never
 * lets a live registration lapse.  The pass then brings the changes. */
static void on_refresh_timer(void *arg)
{
	struct daemon *d = arg;
	if (!d->draining)
		registrations_refresh_all(&d->registrations);
	start_pass(d);
}

static size_t publishers_pending(void *arg)
{
	const struct daemon *d = arg;
	return plugin_set_pending(d->set);
}

/*
 * A one-pass run ends once the stores acknowledged what the pass wrote (or
 * gave up), so that their errors and what was really written are reported
 * before "stopping", and the exit status covers them.
 */
static void on_settled(void *arg, size_t left)
{
	struct daemon *d = arg;
	if (left > 0) {
		log_error("%zu operations still unacknowledged after %u ms", left, DRAIN_TIMEOUT_MS);
		error_tally_count(&d->errors);
		d->abandon_drain = true; /* waited long enough: no second wait */
	}
	registrations_one_pass_written(&d->registrations, left == 0);
	begin_drain(d, "one pass done");
}

static void on_status_changed(void *arg);

static void on_pass_finished(void *arg)
{
	struct daemon *d = arg;
	observability_pass_finished(&d->metrics);
	on_status_changed(d);
	if (d->set->settings->run_mode == RUN_MODE_ONE_PASS && !d->draining)
		flush_wait_start(&d->settle, DRAIN_TIMEOUT_MS);
}

/* --- replay --- */

static void on_replay_timer(void *arg)
{
	struct daemon *d = arg;
	for (size_t i = 0; i < d->set->n_publishers; i++) {
		struct plugin_instance *p = &d->set->publishers[i];
		if (p->replay_requested && plugin_instance_active(p)) {
			p->replay_requested = false;
			registrations_replay(&d->registrations, p);
		}
	}
}

static void on_replay_wanted(void *arg)
{
	struct daemon *d = arg;
	/* Never from inside the publisher's own call: from the loop. */
	if (!loop_timer_armed(d->replay_timer) && loop_timer_arm(d->replay_timer, 0) < 0)
		log_error("cannot arm the replay timer: a publisher that asked for a replay "
			  "may miss registrations until the next full pass");
}

/* --- systemd status and watchdog --- */

/* The summary line of systemd's STATUS= and SIGUSR1. */
static char *status_text(void *arg)
{
	const struct daemon *d = arg;
	return status_line(registrations_count(&d->registrations), &d->errors, d->set, d->draining);
}

static void on_status_changed(void *arg)
{
	struct daemon *d = arg;
	notify_status_changed(&d->notify);
}

/* --- reload (reload.c prepares, waits and switches; the daemon runs the result) --- */

static void on_reload_switched(void *arg)
{
	struct daemon *d = arg;
	observability_set_started(&d->metrics, d->set);
	on_replay_wanted(d);
	loop_timer_disarm(d->refresh_timer);
	start_pass(d);
	log_info("reloaded %s: inspector %s, %zu publisher(s), expire %u s, refresh %u s",
		 d->set->settings->config_file, d->set->inspector.origin, d->set->n_publishers,
		 d->set->settings->expire, d->set->settings->refresh);
	notify_ready();
	on_status_changed(d);
}

static void on_reload_failed(void *arg)
{
	exit_on_failure(arg);
}

/* --- shutdown --- */

static void on_drained(void *arg, size_t left)
{
	struct daemon *d = arg;
	if (left > 0) {
		log_error("%zu operations still unacknowledged after %u ms; exiting anyway", left,
			  DRAIN_TIMEOUT_MS);
		error_tally_count(&d->errors);
	}
	loop_quit(d->loop);
}

static void begin_drain(struct daemon *d, const char *why)
{
	if (d->draining)
		return;
	d->draining = true;
	registrations_close(&d->registrations);
	log_info("stopping: %s", why);
	notify_stopping();
	loop_timer_disarm(d->refresh_timer);
	/* A reload waiting for the old publishers to flush is abandoned: the
	 * new set never starts (daemon_run destroys it unstarted), and the
	 * old one drains as usual. */
	reload_abandon(&d->reload);
	/* The inspector produces nothing more; publishers flush what they hold. */
	plugin_set_stop(d->set);
	if (d->abandon_drain)
		loop_quit(d->loop);
	else
		flush_wait_start(&d->drain, DRAIN_TIMEOUT_MS);
}

static void on_signal(void *arg, int signo)
{
	struct daemon *d = arg;
	if (signo == SIGHUP) {
		if (!d->draining)
			reload_begin(&d->reload);
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

static int setup_loop(struct daemon *d, const struct cli_options *opts)
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
	struct {
		struct bh_timer **timer;
		bh_timer_cb cb;
	} const timers[] = {
		{&d->refresh_timer, on_refresh_timer},
		{&d->pass_request_timer, on_pass_request_timer},
		{&d->replay_timer, on_replay_timer},
	};
	for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
		if (!(*timers[i].timer = loop_timer_new(d->loop, timers[i].cb, d)))
			return -1;
	struct reload_events reloaded = {on_reload_switched, on_reload_failed, d};
	if (flush_wait_init(&d->settle, d->loop, publishers_pending, on_settled, d) < 0 ||
	    flush_wait_init(&d->drain, d->loop, publishers_pending, on_drained, d) < 0 ||
	    notify_schedule_init(&d->notify, d->loop, status_text, d) < 0 ||
	    reload_init(&d->reload, d->loop, opts, &d->set, &d->registrations, &d->services, reloaded) < 0)
		return -1;
	return 0;
}

/* The warnings a start would print: --check-config prints them too. */
static void warn_about_settings(const struct settings *settings)
{
	if (settings->expire > 0 && settings->refresh >= settings->expire)
		log_warning("refresh (%u s) is not shorter than expire (%u s): registrations will "
			    "lapse between refreshes",
			    settings->refresh, settings->expire);
}

/* Wires the parts to each other and to the daemon. */
static void connect_parts(struct daemon *d)
{
	d->events = (struct core_events){
		.status_changed = on_status_changed,
		.pass_wanted = on_pass_wanted,
		.pass_finished = on_pass_finished,
		.replay_wanted = on_replay_wanted,
		.arg = d,
	};
	error_tally_init(&d->errors, &d->events);
	registrations_init(&d->registrations, &d->errors, &d->events);
	d->services = (struct host_services){
		.registrations = &d->registrations,
		.errors = &d->errors,
		.events = &d->events,
	};
}

static void discard_settings(struct settings *settings)
{
	settings_free(settings);
	free(settings);
}

/*
 * Loads and initialises the configuration's plugins (with check_only, only
 * that, listing the settings with --verbose).  Returns -1 when the set is
 * ready to start (d->set), else the exit status.  Takes settings.
 */
static int create_set(struct daemon *d, struct settings *settings, const struct cli_options *opts,
		      bool check_only, bool settings_refused)
{
	log_info("%s %s (plugin ABI %d.%d), configuration %s", PACKAGE_NAME, PACKAGE_VERSION,
		 BH_ABI_MAJOR, BH_ABI_MINOR, settings->config_file);
	if (check_only)
		warn_about_settings(settings);
	if (!check_only && (owner_identity_load(&d->owner, settings->state_dir) < 0 ||
			    /* Before the plugins: they register their metrics from start(). */
			    observability_init(&d->metrics, settings, &d->registrations, &d->set) < 0)) {
		discard_settings(settings);
		return EXIT_RUNTIME_ERROR;
	}
	/* The set owns settings from here on, even when it is refused. */
	char *config_file = strdup(settings->config_file);
	if (check_only && opts->verbose) {
		settings_dump_core(settings, stdout);
		d->services.describe_to = stdout; /* the plugins list theirs from init() */
		d->services.describe_config_file = config_file;
	}
	d->services.metrics = d->metrics.reg;
	d->set = plugin_set_create(settings, &host_api, &d->services, d->services.describe_to,
				   check_only ? NULL : &d->owner);
	if (d->set && d->services.describe_to)
		plugin_set_describe_undescribed(d->set, stdout);
	d->services.describe_to = NULL;
	d->services.describe_config_file = NULL;
	int status = -1;
	if (!d->set || settings_refused) {
		if (check_only)
			log_error("configuration %s has errors (see above)", config_file ? config_file : "");
		status = EXIT_CONFIG_ERROR;
	} else if (check_only) {
		log_info("configuration %s is valid", d->set->settings->config_file);
		status = EXIT_OK;
	}
	free(config_file);
	return status;
}

/* Starts the set and runs the loop until the daemon stops; the exit status. */
static int run_set(struct daemon *d)
{
	const struct settings *settings = d->set->settings;
	warn_about_settings(settings);
	registrations_use_set(&d->registrations, d->set);
	if (plugin_set_start(d->set) < 0 || observability_listen(&d->metrics, d->loop, settings) < 0)
		return EXIT_RUNTIME_ERROR;
	observability_set_started(&d->metrics, d->set);
	log_info("started: inspector %s, %zu publisher(s), expire %u s, refresh %u s%s",
		 d->set->inspector.origin, d->set->n_publishers, settings->expire, settings->refresh,
		 settings->run_mode == RUN_MODE_ONE_PASS ? " (one pass)" : "");
	notify_schedule_start(&d->notify, settings->systemd);
	notify_ready();
	on_status_changed(d);
	start_pass(d);
	if (loop_run(d->loop) < 0 || d->fatal)
		return EXIT_RUNTIME_ERROR;
	/* A reload may have replaced the set: ask the one that ran last. */
	if (d->set->settings->run_mode == RUN_MODE_ONE_PASS && d->errors.count > 0)
		return EXIT_RUNTIME_ERROR;
	return EXIT_OK;
}

int daemon_run(struct settings *settings, const struct cli_options *opts, bool check_only,
	       bool settings_refused)
{
	struct daemon d = {0};
	connect_parts(&d);
	int status;
	if (setup_loop(&d, opts) < 0) {
		log_error("cannot set up the event loop");
		discard_settings(settings);
		status = EXIT_RUNTIME_ERROR;
	} else {
		d.services.loop = d.loop;
		status = create_set(&d, settings, opts, check_only, settings_refused);
		if (status < 0)
			status = run_set(&d);
	}
	observability_stop(&d.metrics);
	reload_free(&d.reload);
	plugin_set_destroy(d.set);
	observability_free(&d.metrics);
	registrations_free(&d.registrations);
	error_tally_free(&d.errors);
	loop_free(d.loop);
	owner_identity_free(&d.owner);
	return status;
}
