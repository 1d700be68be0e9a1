/*
 * What the plugin tells the core about containers (reporter.c): one
 * container from an inspection or a completed listing entry, withdrawals by
 * id, the keep of a container a pass cannot judge, the bracket of a full
 * pass, and problems with one container, logged once per change.
 */
#ifndef DOCKER_REPORTER_H
#define DOCKER_REPORTER_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

#include "docker_config.h"
#include "docker_json.h"
#include "holdback.h"
#include "known.h"

struct reporter {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct docker_config *config;
	struct holdback *holdback;
	struct known_set *known; /* where problems are remembered per id */
	bool one_pass;           /* every problem is an error (the exit status) */
	bool in_pass;            /* between pass_begin and pass_end */
	char **warned; /* containers already warned about an address fallback */
	size_t n_warned;
};

/* A container that runs (or not), from an inspect document or a listing
 * entry completed from what is known: registered, held back or withdrawn.
 * in_pass: a full pass judges it (an explicitly named container that does
 * not run is missing, not withdrawn). */
void reporter_container(struct reporter *r, const struct dk_container *c, bool in_pass,
			bool explicit_name);
/* Withdraws `name` if its registration belongs to id (ABI 1.2), else by name. */
void reporter_withdraw(struct reporter *r, const char *id, const char *name, const char *reason);
/* During a pass: the container's registration stays, whatever this pass saw. */
void reporter_keep(struct reporter *r, const char *id, const char *name);
/* A failure about one container: logged when it is news for that container
 * (debug otherwise); an error in one-pass mode always counts. */
void reporter_problem(struct reporter *r, const char *id, const char *name, bool error,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The container is readable again: said once, if it had a problem. */
void reporter_problem_solved(struct reporter *r, const char *id, const char *name);
/* Its inspect document or listing entry exceeds max_response_bytes: refused
 * (once per change), kept, never asked for again. */
void reporter_oversized(struct reporter *r, const char *id, const char *name);
/* The core's bracket around a full pass; complete: it may withdraw what the
 * pass did not see.  pass_end may stop the plugin (one-pass mode): the
 * caller touches nothing after it. */
void reporter_pass_begin(struct reporter *r);
void reporter_pass_end(struct reporter *r, bool complete);
/* A pass abandoned on the way out: the core is not told. */
void reporter_pass_abandon(struct reporter *r);
void reporter_free(struct reporter *r);

#endif
