/*
 * SIGHUP: re-read the configuration.  An invalid one is reported (file:line)
 * and the running one keeps going.  A valid one replaces it:
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

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "handover.h"
#include "log.h"
#include "notify.h"
#include <beachhead/sdk.h>

#define SWITCH_TIMEOUT_MS 5000u
#define SWITCH_POLL_MS 10u

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

static void switch_to_next(struct daemon *d)
{
	/* What the old publishers could not deliver goes to their successors
	 * (after the start below, before the replay: DEL, then SET). */
	struct handover *owed = handover_take(d->set, d->next);
	plugin_set_destroy(d->set);
	d->set = d->next;
	d->next = NULL;
	d->pass_running = false; /* the old inspector's pass is abandoned */
	log_setup(d->set->settings->log_level, d->set->settings->timestamps);
	if (plugin_set_start(d, d->set) < 0) {
		log_error("reload: the new configuration failed to start; exiting");
		d->fatal = true;
		loop_quit(d->loop);
		handover_give(d, owed);
		return;
	}
	handover_give(d, owed);
	for (size_t i = 0; i < d->set->n_publishers; i++)
		d->set->publishers[i].replay_requested = true;
	daemon_schedule_replay(d);
	loop_timer_disarm(d->refresh_timer);
	daemon_start_pass(d);
	log_info("reloaded %s: inspector %s, %zu publisher(s), expire %u s, refresh %u s",
		 d->set->settings->config_file, d->set->inspector.origin, d->set->n_publishers,
		 d->set->settings->expire, d->set->settings->refresh);
	notify_ready();
	daemon_status_changed(d);
}

static void on_switch_timer(void *arg)
{
	struct daemon *d = arg;
	if (d->draining || !d->next)
		return; /* shutting down: the new set is never started */
	size_t pending = daemon_set_pending(d->set);
	if (pending > 0 && loop_now_ms() < d->switch_deadline_ms) {
		if (loop_timer_arm(d->switch_timer, SWITCH_POLL_MS) == 0)
			return;
	}
	if (pending > 0)
		log_warning("reload: %zu operations of the old publishers never completed "
			    "(withdrawals they owe go to their successors)",
			    pending);
	switch_to_next(d);
}

static struct settings *load_new_settings(const struct daemon *d)
{
	struct settings *settings = calloc(1, sizeof *settings);
	char *error = NULL;
	if (settings && settings_load(settings, d->opts, &error) == 0) {
		if (settings->refresh > 0)
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

void reload_configuration(struct daemon *d)
{
	if (d->next) {
		log_warning("SIGHUP: a reload is already in progress; ignored");
		return;
	}
	log_info("SIGHUP: reloading the configuration");
	notify_reloading();
	if (!d->switch_timer && !(d->switch_timer = loop_timer_new(d->loop, on_switch_timer, d))) {
		log_error("reload abandoned: cannot create a timer: %s; keeping the running "
			  "configuration",
			  strerror(errno));
		notify_ready();
		return;
	}
	struct settings *settings = load_new_settings(d);
	struct plugin_set *next = settings ? plugin_set_create(d, settings) : NULL;
	if (!next) {
		if (settings)
			log_error("reload: the new configuration was refused; keeping the running one");
		notify_ready();
		return;
	}
	struct plugin_set *old = d->set;
	bool prefix_changed = strcmp(old->settings->key_namespace, next->settings->key_namespace) != 0;
	plugin_set_stop_inspector(old);
	for (size_t i = 0; i < old->n_publishers; i++)
		if (prefix_changed || !has_identical_successor(&old->publishers[i], next))
			registrations_withdraw_all_from(d, &old->publishers[i]);
	/* The old publishers only flush from now on: a reconnect must not get
	 * them a replay that would SET again what they just deleted. */
	plugin_set_stop(old);
	/* The `domains` policy may have changed: claims are rebuilt by the
	 * new configuration's first pass (conflicts settle within it). */
	registry_free(&d->claims);
	registry_free(&d->contenders);
	if (registry_init(&d->claims) < 0 || registry_init(&d->contenders) < 0) {
		log_error("reload: out of memory; exiting");
		d->fatal = true;
		loop_quit(d->loop);
	}
	if (prefix_changed) {
		/* Every key changes: the new pass registers them afresh. */
		registry_free(&d->registry);
		if (registry_init(&d->registry) < 0) {
			log_error("reload: out of memory; exiting");
			d->fatal = true;
			loop_quit(d->loop);
		}
	}
	d->next = next;
	d->switch_deadline_ms = loop_now_ms() + SWITCH_TIMEOUT_MS;
	on_switch_timer(d);
}
