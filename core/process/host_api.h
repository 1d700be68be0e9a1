/*
 * The services table handed to every plugin at init().  Each entry receives
 * the caller's own struct bh_host (plugin_set.h), so the core knows which
 * plugin speaks (for log prefixes, replay requests and status); the calls
 * reach the parts of the core listed in struct host_services.
 */
#ifndef BH_HOST_API_H
#define BH_HOST_API_H

#include <stdio.h>

#include <beachhead/plugin.h>

#include "core_events.h"
#include "error_tally.h"
#include "loop.h"
#include "metrics_registry.h"
#include "registrations.h"

struct host_services {
	struct loop *loop;
	struct registrations *registrations; /* the inspector's reports go there */
	struct error_tally *errors;          /* report_error */
	const struct core_events *events;    /* status, replay requests */
	struct metrics_registry *metrics;    /* plugins' metrics; NULL = metrics off */
	/* --check-config --verbose: plugins' describe_setting calls print the
	 * effective configuration on this stream; NULL otherwise. */
	FILE *describe_to;
	const char *describe_config_file;
};

extern const struct bh_host_api host_api;

#endif
