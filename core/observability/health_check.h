/*
 * --health-check: the daemon's own binary asks a running daemon's /readyz
 * (container images have no curl; their HEALTHCHECK runs this).  A short
 * blocking client, run instead of the daemon, never inside it.
 */
#ifndef BH_HEALTH_CHECK_H
#define BH_HEALTH_CHECK_H

#include <stdio.h>

#include "listen_address.h"

/* Seconds the whole exchange may take. */
#define HEALTH_CHECK_TIMEOUT_S 5

/* GETs /readyz at address (0.0.0.0 / :: mean this host's loopback), prints
 * the body on out (a failure to ask on err); 0 on 200, 1 otherwise. */
int health_check_run(const struct listen_address *address, FILE *out, FILE *err);

#endif
