/*
 * SIGHUP: re-read the configuration.  An invalid one is reported (file:line)
 * and the running one keeps going.  A valid one replaces it in two halves,
 * with the daemon waiting between them for the old publishers to flush.
 */
#ifndef BH_RELOAD_H
#define BH_RELOAD_H

#include "cli.h"
#include "host_api.h"
#include "plugin_set.h"
#include "registrations.h"

/* First half: loads and initialises the new configuration; NULL (every
 * error reported) keeps the running one untouched.  Otherwise retires the
 * running set (see reload.c) and returns the new one, not started. */
struct plugin_set *reload_prepare(const struct cli_options *opts, struct plugin_set *running,
				  struct registrations *registrations, struct host_services *services);

/* Second half, once the old publishers have flushed (or the wait gave up):
 * destroys the old set and starts the new one, handing it what the old
 * publishers still owe; every new publisher wants a replay.  -1 (reported)
 * when the new set failed to start. */
int reload_switch(struct plugin_set *old, struct plugin_set *next, struct registrations *registrations);

#endif
