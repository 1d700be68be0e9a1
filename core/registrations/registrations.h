/*
 * The core's half of the consumer contract: what the inspector reports about
 * containers becomes publish (SET) and withdraw (DEL) calls on every
 * publisher of the running plugin set.  Holds the registrations, the domain
 * claims, the memo of what was said about each container, and the state of
 * the full pass.  What the daemon must act on (status, a pass wanted, a
 * pass finished) goes through core_events.
 */
#ifndef BH_REGISTRATIONS_H
#define BH_REGISTRATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>

#include "claims.h"
#include "container_states.h"
#include "core_events.h"
#include "error_memo.h"
#include "error_tally.h"
#include "plugin_set.h"
#include "registration_table.h"

struct registrations {
	struct registration_table table;     /* container -> what was last published */
	struct claims claims;         /* domain -> holder; contenders */
	struct error_memo said;       /* container -> last error or note logged */
	const struct plugin_set *set; /* the running set: its settings and publishers */
	struct error_tally *errors;
	const struct core_events *events;
	struct container_states states; /* reported but not registered: why */
	uint64_t pass;      /* number of the latest pass begun */
	bool pass_running;
	/* The latest pass that ended (metrics, readiness): loop_now_ms()
	 * values, 0 = none yet. */
	uint64_t pass_begin_ms;
	uint64_t last_pass_end_ms;
	uint64_t last_complete_pass_end_ms;
	bool last_pass_complete;
	bool store_trouble; /* a publisher reported an error of its own */
	bool closed;        /* shutting down: reports are ignored */
};

void registrations_init(struct registrations *r, struct error_tally *errors,
			const struct core_events *events);
void registrations_free(struct registrations *r);
/* The set whose settings and publishers apply from now on. */
void registrations_use_set(struct registrations *r, const struct plugin_set *set);
/* Shutting down: reports that arrive from now on change nothing. */
void registrations_close(struct registrations *r);
size_t registrations_count(const struct registrations *r);
/* The registration of container under key, if it is current. */
bool registrations_hold(const struct registrations *r, const char *container, const char *key);

/* A reload: the `domains` policy may change, so claims are rebuilt by the
 * new configuration's first pass (conflicts settle within it); with a new
 * key prefix every registration goes too (the pass registers them afresh).
 */
void registrations_reset_for_reload(struct registrations *r, bool forget_registrations);
/* The inspector that ran the current pass is gone (a reload switched sets). */
void registrations_abandon_pass(struct registrations *r);

/* The inspector's reports.  c is the core's full-size copy of the report
 * (abi_container_normalize). */
void registrations_container_up(struct registrations *r, const struct bh_container *c);
void registrations_container_down(struct registrations *r, const char *name, const char *reason);
void registrations_container_missing(struct registrations *r, const char *name, const char *reason);
/* ABI 1.2: withdraw only when the registration belongs to container id. */
void registrations_container_gone(struct registrations *r, const char *id, const char *name,
				  const char *reason);
/* ABI 1.2: a running container the pass could not read keeps its registration. */
void registrations_container_keep(struct registrations *r, const char *id, const char *name);
void registrations_pass_begin(struct registrations *r);
void registrations_pass_end(struct registrations *r, int complete);

/* Publishes every current registration again (the refresh timer): expiry
 * never depends on a pass finishing. */
void registrations_refresh_all(struct registrations *r);
void registrations_replay(const struct registrations *r, const struct plugin_instance *publisher);
/* Withdraws every current registration from one publisher only. */
void registrations_withdraw_all_from(const struct registrations *r,
				     const struct plugin_instance *publisher);
/* A store reported an error about a container's registration, or about
 * itself (container NULL). */
void registrations_store_failed(struct registrations *r, const char *container);
/* One-pass run, stores settled: announces what was written, reports what
 * was not (all_acknowledged: nothing is pending any more). */
void registrations_one_pass_written(struct registrations *r, bool all_acknowledged);

#endif
