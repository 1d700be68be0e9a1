/*
 * A valid new configuration replaces the running one:
 *
 *   1. the new plugins are loaded and initialised (validated) first;
 *   2. the old inspector stops; an old publisher with no identical successor
 *      (same plugin, same settings) withdraws every registration, and all of
 *      them do when the key prefix changes: that is what the new
 *      configuration no longer covers; then the old publishers stop too, so
 *      that nothing (no replay after a reconnect either) re-publishes what
 *      they just withdrew;
 *   3. once the old publishers have flushed (so a DEL from an old connection
 *      can never land after a SET from a new one), the withdrawals they still
 *      owe (their store is down) are taken from them, the old set is
 *      destroyed, the new one started, the owed withdrawals handed to the
 *      successors (handover.c), every new publisher gets a replay of the
 *      current registrations, and a full pass runs at once (its sweep
 *      withdraws containers the new configuration no longer names).
 * Nothing else is withdrawn.
 */
#include "config.h"

#include "reload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handover.h"
#include "log.h"
#include "notify.h"
#include <beachhead/sdk.h>

/* Appends a canonical text of a setting (names, types, values) to out. */
static void describe_setting(FILE *out, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	fprintf(out, "%s:%d=", name ? name : "", config_setting_type(s));
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(out, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		fprintf(out, "%.17g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		fprintf(out, "%d", config_setting_get_bool(s));
		break;
	case CONFIG_TYPE_STRING: {
		const char *v = config_setting_get_string(s);
		fprintf(out, "%zu:%s", strlen(v), v);
		break;
	}
	default:
		fputc('{', out);
		for (int i = 0; i < config_setting_length(s); i++)
			describe_setting(out, config_setting_get_elem(s, (unsigned)i));
		fputc('}', out);
		break;
	}
	fputc(';', out);
}

static char *describe_slot(const struct plugin_slot *slot)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	describe_setting(out, slot->group);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* An old publisher continues when the new configuration has one with the
 * same plugin and the same settings: its registrations stay covered. */
static bool has_identical_successor(const struct plugin_instance *old, const struct plugin_set *next)
{
	char *old_text = describe_slot(old->slot);
	bool found = false;
	for (size_t i = 0; old_text && !found && i < next->n_publishers; i++) {
		char *new_text = describe_slot(next->publishers[i].slot);
		found = new_text && strcmp(old_text, new_text) == 0;
		free(new_text);
	}
	free(old_text);
	return found;
}

/* Second half, once the old publishers have flushed (or the wait gave up):
 * destroys the old set and starts the new one, handing it what the old
 * publishers still owe; every new publisher wants a replay.  -1 (reported)
 * when the new set failed to start. */
static int reload_switch(struct plugin_set *old, struct plugin_set *next,
			 struct registrations *registrations)
{
	/* What the old publishers could not deliver goes to their successors
	 * (after the start below, before the replay: DEL, then SET). */
	struct handover *owed = handover_take(old, next);
	registrations_use_set(registrations, next);
	plugin_set_destroy(old);
	registrations_abandon_pass(registrations);
	log_setup(next->settings->log_level, next->settings->timestamps);
	int started = plugin_set_start(next);
	if (started < 0)
		log_error("reload: the new configuration failed to start; exiting");
	/* Even then: the publishers that did start may still deliver them. */
	handover_give(next, registrations, owed);
	if (started < 0)
		return -1;
	for (size_t i = 0; i < next->n_publishers; i++)
		next->publishers[i].replay_requested = true;
	return 0;
}

static struct settings *load_new_settings(const struct cli_options *opts)
{
	struct settings *settings = calloc(1, sizeof *settings);
	char *error = NULL;
	if (settings && settings_load(settings, opts, &error) == 0) {
		if (settings->run_mode == RUN_MODE_SERVICE)
			return settings;
		/* A running daemon does not turn into a one-pass run. */
		error = bh_strfmt("%s: refresh = 0 (one pass, then exit) cannot be reloaded into",
				  settings->config_file);
		settings_free(settings);
		free(settings);
		settings = NULL;
	}
	/* One line per error; the last one says what happens. */
	const char *text = error ? error : "out of memory";
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		bool last = line[len] == '\0';
		log_error("reload: %.*s%s", (int)len, line, last ? "; keeping the running configuration" : "");
		line += last ? len : len + 1;
	}
	free(error);
	if (settings)
		settings_free(settings);
	free(settings);
	return NULL;
}

/* First half: loads and initialises the new configuration; NULL (every
 * error reported) keeps the running one untouched.  Otherwise retires the
 * running set (see above) and returns the new one, not started. */
static struct plugin_set *reload_prepare(const struct cli_options *opts, struct plugin_set *running,
					 struct registrations *registrations,
					 struct host_services *services)
{
	struct settings *settings = load_new_settings(opts);
	struct plugin_set *next = settings ? plugin_set_create(settings, &host_api, services, NULL, running->owner) : NULL;
	if (!next) {
		if (settings)
			log_error("reload: the new configuration was refused; keeping the running one");
		return NULL;
	}
	bool prefix_changed =
		strcmp(running->settings->key_namespace, next->settings->key_namespace) != 0;
	plugin_set_stop_inspector(running);
	for (size_t i = 0; i < running->n_publishers; i++)
		if (prefix_changed || !has_identical_successor(&running->publishers[i], next))
			registrations_withdraw_all_from(registrations, &running->publishers[i]);
	/* The old publishers only flush from now on: a reconnect must not get
	 * them a replay that would SET again what they just deleted. */
	plugin_set_stop(running);
	/* The `domains` policy may have changed: claims are rebuilt by the new
	 * configuration's first pass.  With a new prefix every key changes: the
	 * new pass registers them afresh. */
	registrations_reset_for_reload(registrations, prefix_changed);
	return next;
}

/* The listener stays as it started: its socket was bound once, and
 * scrapers keep their target through a reload. */
static void warn_metrics_listen_changed(const struct settings *old, const struct settings *next)
{
	const char *a = old->metrics_listen, *b = next->metrics_listen;
	if ((a || b) && (!a || !b || strcmp(a, b) != 0))
		log_warning("reload: metrics_listen changed (%s -> %s); it takes effect at the next "
			    "restart", a ? a : "off", b ? b : "off");
}

static size_t running_pending(void *arg)
{
	const struct reload *reload = arg;
	return plugin_set_pending(*reload->running);
}

/* The old publishers flushed (left = 0) or the wait gave up. */
static void on_flushed(void *arg, size_t left)
{
	struct reload *reload = arg;
	if (!reload->next)
		return;
	if (left > 0)
		log_warning("reload: %zu operations of the old publishers never completed "
			    "(withdrawals they owe go to their successors)",
			    left);
	struct plugin_set *old = *reload->running;
	warn_metrics_listen_changed(old->settings, reload->next->settings);
	*reload->running = reload->next;
	reload->next = NULL;
	if (reload_switch(old, *reload->running, reload->registrations) < 0)
		reload->events.failed(reload->events.arg);
	else
		reload->events.switched(reload->events.arg);
}

int reload_init(struct reload *reload, struct loop *loop, const struct cli_options *opts,
		struct plugin_set **running, struct registrations *registrations,
		struct host_services *services, struct reload_events events)
{
	*reload = (struct reload){
		.opts = opts,
		.running = running,
		.registrations = registrations,
		.services = services,
		.events = events,
	};
	return flush_wait_init(&reload->wait, loop, running_pending, on_flushed, reload);
}

void reload_begin(struct reload *reload)
{
	if (reload->next) {
		log_warning("SIGHUP: a reload is already in progress; ignored");
		return;
	}
	log_info("SIGHUP: reloading the configuration");
	notify_reloading();
	reload->next = reload_prepare(reload->opts, *reload->running, reload->registrations,
				      reload->services);
	if (!reload->next) {
		notify_ready();
		return;
	}
	flush_wait_start(&reload->wait, RELOAD_SWITCH_TIMEOUT_MS);
}

void reload_abandon(struct reload *reload)
{
	flush_wait_cancel(&reload->wait);
}

void reload_free(struct reload *reload)
{
	plugin_set_destroy(reload->next);
	reload->next = NULL;
}
