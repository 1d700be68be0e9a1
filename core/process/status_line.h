/*
 * The one-line summary an operator sees in `systemctl status` (the systemd
 * STATUS=) and in the log on SIGUSR1.
 */
#ifndef BH_STATUS_LINE_H
#define BH_STATUS_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "error_tally.h"
#include "plugin_set.h"

/* "N registered, M errors; last: ...; plugin: status[; stopping]".
 * Returns a malloc'd string, or NULL when out of memory. */
char *status_line(size_t registered, const struct error_tally *errors, const struct plugin_set *set,
		  bool stopping);

#endif
