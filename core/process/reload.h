/*
 * SIGHUP: re-read the configuration.  An invalid one is reported (file:line)
 * and the running one keeps going.  A valid one replaces it in two halves,
 * with reload.c waiting between them for the old publishers to flush; the
 * daemon hears the outcome through struct reload_events.
 */
#ifndef BH_RELOAD_H
#define BH_RELOAD_H

#include "cli.h"
#include "flush_wait.h"
#include "host_api.h"
#include "loop.h"
#include "plugin_set.h"
#include "registrations.h"

/* How long a reload waits for the old publishers to flush. */
#define RELOAD_SWITCH_TIMEOUT_MS 5000u

/* What a reload tells the daemon. */
struct reload_events {
	/* The new set runs (started; every publisher wants a replay): the
	 * daemon schedules it. */
	void (*switched)(void *arg);
	/* The new set failed to start (reported): the daemon cannot go on. */
	void (*failed)(void *arg);
	void *arg;
};

/* SIGHUP's state: the new set waiting while the old publishers flush. */
struct reload {
	const struct cli_options *opts; /* re-applied on every reload */
	struct plugin_set **running;    /* the daemon's; replaced by the switch */
	struct plugin_set *next;
	struct registrations *registrations;
	struct host_services *services;
	struct flush_wait wait;
	struct reload_events events;
};

/* 0, or -1 when the loop has no timer for it. */
int reload_init(struct reload *reload, struct loop *loop, const struct cli_options *opts,
		struct plugin_set **running, struct registrations *registrations,
		struct host_services *services, struct reload_events events);
/* SIGHUP: prepares the new configuration (a refused one keeps the running
 * one), then switches to it once the old publishers flushed or
 * RELOAD_SWITCH_TIMEOUT_MS passed. */
void reload_begin(struct reload *reload);
/* Shutting down: a set still waiting is never started (reload_free
 * destroys it). */
void reload_abandon(struct reload *reload);
void reload_free(struct reload *reload);


#endif
