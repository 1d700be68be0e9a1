/*
 * What each event of the engine's stream (events.c) does:
 *
 *   start, unpause            inspect, then container_up (or down)
 *   health_status: ...        inspect when skip_unhealthy is on
 *   die, stop, pause          inspect: withdrawn when the engine says it does
 *                             not run (or cannot say); a late die of a
 *                             restart does not withdraw the running container
 *   destroy                   withdraw at once (an id never comes back)
 *   rename                    withdraw the old name, inspect the new one
 *   kill                      with the stop signal or SIGKILL: withdraw at
 *                             once (drain, see holdback.c); other signals
 *                             are ignored, a reload need not end anything
 *   network connect/disconnect  inspect the container again (its address)
 *
 * Withdrawals name the container id (see reporter_withdraw): a late event
 * about an old container never withdraws a new one that took over its
 * name, and events about ids not known here withdraw nothing (logged at
 * debug).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "event_actions.h"

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* connect/disconnect carry the container's id: its address may have
 * changed, and a proxy must not wait a refresh for it. */
static void handle_network_event(struct event_actions *a, const struct dk_event *ev)
{
	if (ev->id && (strcmp(ev->action, "connect") == 0 || strcmp(ev->action, "disconnect") == 0))
		inspections_for_network_change(a->inspections, ev->id);
}

static bool is_down_action(const char *a)
{
	return strcmp(a, "die") == 0 || strcmp(a, "stop") == 0 || strcmp(a, "pause") == 0;
}

/* Withdrawals by id, for ids known here only. */
static void withdraw_known(struct event_actions *a, const struct dk_event *ev, const char *name,
			   const char *reason)
{
	if (!inspections_knows(a->inspections, ev->id)) {
		a->api->log(a->host, BH_LOG_DEBUG, "event %s about %.12s, a container not known here: ignored",
			     ev->action, ev->id ? ev->id : "(no id)");
		return;
	}
	if (name)
		reporter_withdraw(a->reporter, ev->id, name, reason);
}

/* kill with the stop signal or SIGKILL (drain): withdrawn at once. */
static void handle_kill(struct event_actions *a, const struct dk_event *ev)
{
	if (!inspections_knows(a->inspections, ev->id)) {
		withdraw_known(a, ev, NULL, NULL); /* says why it is ignored */
		return;
	}
	int signo = holdback_on_kill(a->holdback, ev);
	if (!signo)
		return;
	char reason[64];
	snprintf(reason, sizeof reason, "signal %d: draining", signo);
	inspections_mark_stale(a->inspections, ev->id);
	withdraw_known(a, ev, ev->name, reason);
}

static void handle_container_event(struct event_actions *a, const struct dk_event *ev)
{
	const char *action = ev->action;
	if (strcmp(action, "start") == 0 || strcmp(action, "unpause") == 0) {
		/* A new run: whatever grace period the last one had is over. */
		holdback_process_ended(a->holdback, ev->id);
		if (selection_wants(a->selection, ev->name, ev->id))
			inspections_for_event(a->inspections, ev->id, ev->name);
	} else if (starts_with(action, "health_status")) {
		if (a->config->skip_unhealthy && selection_wants(a->selection, ev->name, ev->id))
			inspections_for_event(a->inspections, ev->id, ev->name);
	} else if (is_down_action(action)) {
		holdback_process_ended(a->holdback, ev->id);
		inspections_confirm_down(a->inspections, ev->id, ev->name, action);
	} else if (strcmp(action, "destroy") == 0) {
		holdback_process_ended(a->holdback, ev->id);
		holdback_forget(a->holdback, ev->id, ev->name);
		inspections_mark_stale(a->inspections, ev->id);
		withdraw_known(a, ev, ev->name, action);
		known_forget(a->known, ev->id);
	} else if (strcmp(action, "kill") == 0) {
		handle_kill(a, ev);
	} else if (strcmp(action, "rename") == 0) {
		/* An answer under way may carry the old name, which no
		 * container has any longer: the new name's inspection (queued
		 * below when the new name is followed) answers instead. */
		inspections_mark_stale(a->inspections, ev->id);
		if (ev->old_name)
			withdraw_known(a, ev, ev->old_name, "renamed");
		if (selection_wants(a->selection, ev->name, ev->id))
			inspections_for_event(a->inspections, ev->id, ev->name);
	}
}

void event_actions_handle(struct event_actions *a, const struct dk_event *ev)
{
	docker_metrics_event(a->metrics, ev->action);
	a->api->log(a->host, BH_LOG_DEBUG, "event %s%s %s", ev->network ? "network " : "", ev->action,
		    ev->name ? ev->name : ev->id ? ev->id : "?");
	if (ev->network) {
		handle_network_event(a, ev);
	} else if (ev->id) {
		/* What a listing asked for earlier says about this container
		 * is now outdated. */
		known_note_event(a->known, ev->id);
		handle_container_event(a, ev);
	} else {
		a->api->log(a->host, BH_LOG_DEBUG, "event %s without a container id: ignored", ev->action);
	}
}
