/*
 * Full passes (full_pass.c): one listing of the running containers, each
 * reported from it, or inspected once when never read before; the core's
 * pass bracket around it all.
 */
#ifndef DOCKER_FULL_PASS_H
#define DOCKER_FULL_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "docker_client.h"
#include "docker_config.h"
#include "inspections.h"
#include "known.h"
#include "reporter.h"
#include "selection.h"

struct full_pass {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct dc_client *client;           /* asks for the listing */
	const struct docker_config *config; /* label, size limits */
	const struct selection *selection;  /* which listed containers count */
	struct known_set *known;   /* completes listing entries; forgets the unlisted */
	struct reporter *reporter; /* the pass bracket (in_pass: a pass is under way) */
	struct inspections *inspections; /* first inspections of new containers */
	bool one_pass; /* the core stops the plugin from inside pass_end */

	bool failed;    /* the listing failed: the pass ends incomplete */
	bool again;     /* a (re)connection came during the pass: one more */
	uint64_t listing_seq; /* the event sequence number its listing is as new as */
	struct dc_request *list_req;
};

void full_pass_init(struct full_pass *p, const struct bh_host_api *api, struct bh_host *host,
		    struct dc_client *client, const struct docker_config *config,
		    const struct selection *selection, struct known_set *known,
		    struct reporter *reporter, struct inspections *inspections, bool one_pass);
/* Begins a pass, unless one is under way. */
void full_pass_start(struct full_pass *p);
/* After every (re)connection of the event stream: a pass at once, or one
 * more after the pass under way (its listing may predate the stream). */
void full_pass_after_connect(struct full_pass *p);
/* The inspections' settled callback (arg: the pass): ends the pass when
 * nothing is left to wait for. */
void full_pass_settled(void *arg);
/* Cuts the pass under way short: it ends incomplete (report: the core is
 * told, it withdraws nothing) and none follows. */
void full_pass_abort(struct full_pass *p, bool report);

#endif
