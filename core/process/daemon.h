/*
 * The daemon: loads the configured plugins, runs them on the loop, turns what
 * the inspector reports into registrations for every publisher, and shuts
 * down (draining publishers) on a signal or after a one-pass run.
 */
#ifndef BH_DAEMON_H
#define BH_DAEMON_H

#include <stdbool.h>

#include "settings.h"

/* Exit statuses (documented in README and --help). */
#define EXIT_OK 0
#define EXIT_RUNTIME_ERROR 1
#define EXIT_CONFIG_ERROR 2

/* Runs the whole life cycle; returns the process exit status.  Takes
 * ownership of settings (heap-allocated); opts is kept for reloads.  With
 * check_only, stops after every plugin's init() (and prints the effective
 * configuration with opts->verbose).  settings_refused: settings_load
 * reported errors; the plugins of the sound slots are still checked. */
int daemon_run(struct settings *settings, const struct cli_options *opts, bool check_only,
	       bool settings_refused);

#endif
