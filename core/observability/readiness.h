/*
 * /readyz: ready when the engine answers, the last complete full pass
 * ended within 2 x refresh, and every publisher is connected.  The engine's
 * and the publishers' connection states are the gauges their plugins keep
 * (beachhead_engine_connected, beachhead_publisher_connected, ABI 1.3); a
 * plugin that keeps none (older ABI) is taken at its word by its absence:
 * "ok (not reported)".  One line per check, "NAME: ok" or
 * "NAME: failed: why (since N s)".
 */
#ifndef BH_READINESS_H
#define BH_READINESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_registry.h"
#include "plugin_set.h"
#include "registrations.h"

/* The body (malloc'd, *len bytes) and the verdict; NULL when out of memory. */
char *readiness_report(const struct plugin_set *set, const struct registrations *r,
		       const struct metrics_registry *reg, uint64_t now_ms, size_t *len,
		       bool *ready);

#endif
