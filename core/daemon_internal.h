/* State shared by daemon.c, reload.c, registrations.c and host_api.c. */
#ifndef BH_DAEMON_INTERNAL_H
#define BH_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <beachhead/plugin.h>

#include "cli.h"
#include "loader.h"
#include "loop.h"
#include "registry.h"
#include "settings.h"

struct daemon;

/* struct bh_host is what a plugin sees of its own instance. */
struct bh_host {
	struct daemon *daemon;
	struct plugin_instance *instance;
};

struct plugin_instance {
	struct bh_host host;
	struct loaded_plugin loaded;
	const struct plugin_slot *slot;
	char *origin; /* log prefix: plugin name, plus [i] when repeated */
	void *self;
	bool initialized;
	bool started;
	bool stopped; /* stop() called: flushing, no new work */
	bool replay_requested;
	bool described; /* listed its settings (describe_setting, ABI 1.2) */
	char *status;
};

/* One configuration's plugins.  Heap-allocated so that the instances (which
 * plugins know through their bh_host) never move; a reload builds a new set
 * and retires the old one. */
struct plugin_set {
	struct settings *settings; /* owned: the slots point into it */
	struct plugin_instance inspector;
	struct plugin_instance *publishers;
	size_t n_publishers;
};

struct daemon {
	const struct cli_options *opts; /* re-applied on every reload */
	struct plugin_set *set;         /* the running configuration */
	struct plugin_set *next;        /* a reloaded configuration waiting for the
					 * old publishers to flush their withdrawals */
	uint64_t switch_deadline_ms;
	struct loop *loop;

	struct registry registry;
	struct registry rejections; /* container -> last error reported for it */
	struct registry claims;     /* lowercased domain -> oldest holder (in `key`)
				     * and its sharing group (in `value`) */
	struct registry contenders; /* containers refused for a held domain, with
				     * the domains they ask for */
	uint64_t pass;              /* number of the latest pass begun */
	bool pass_running;
	unsigned errors;            /* report_error calls: one-pass exit status */
	char *last_error;           /* for the systemd status line */
	bool fatal;                 /* a runtime failure that ends the daemon */

	struct bh_timer *refresh_timer;
	struct bh_timer *replay_timer;
	struct bh_timer *drain_timer;
	struct bh_timer *settle_timer; /* one pass: waits for the stores */
	uint64_t settle_deadline_ms;
	bool abandon_drain;            /* one pass: the stores were given up on */
	bool store_trouble;            /* a publisher reported an error of its own */
	struct bh_timer *switch_timer;
	struct bh_timer *status_timer;
	struct bh_timer *pass_request_timer;
	struct bh_timer *watchdog_timer;
	uint64_t watchdog_interval_ms;
	bool draining;
	uint64_t drain_deadline_ms;
	/* --check-config --verbose: plugins' describe_setting calls print the
	 * effective configuration on this stream; NULL otherwise. */
	FILE *describe_to;
	const char *describe_config_file;
};

extern const struct bh_host_api host_api;

/* registrations.c: the core's half of the contract.  c is the core's
 * full-size copy of the report (abi_container_normalize). */
void registrations_container_up(struct daemon *d, const struct bh_container *c);
void registrations_container_down(struct daemon *d, const char *name, const char *reason);
void registrations_container_missing(struct daemon *d, const char *name, const char *reason);
/* ABI 1.2: withdraw only when the registration belongs to container id. */
void registrations_container_gone(struct daemon *d, const char *id, const char *name,
				  const char *reason);
/* ABI 1.2: a running container the pass could not read keeps its registration. */
void registrations_container_keep(struct daemon *d, const char *id, const char *name);
/* Publishes every current registration again (the refresh timer): expiry
 * never depends on a pass finishing. */
void registrations_refresh_all(struct daemon *d);
void registrations_pass_begin(struct daemon *d);
void registrations_pass_end(struct daemon *d, int complete);
void registrations_replay(struct daemon *d, struct plugin_instance *publisher);
/* A store reported an error about a container's registration, or about
 * itself (container NULL). */
void registrations_store_failed(struct daemon *d, const char *container);
/* One-pass run, stores settled: announces what was written, reports what
 * was not (all_acknowledged: nothing is pending any more). */
void registrations_one_pass_written(struct daemon *d, bool all_acknowledged);
/* Withdraws every current registration from one publisher only. */
void registrations_withdraw_all_from(struct daemon *d, struct plugin_instance *publisher);

/* daemon.c */
void daemon_report_error(struct daemon *d, const char *origin, const char *container,
			 const char *message);
void daemon_pass_finished(struct daemon *d);
void daemon_schedule_replay(struct daemon *d);
void daemon_status_changed(struct daemon *d);
void daemon_start_pass(struct daemon *d);
/* A full pass soon (from the loop), without moving the refresh schedule. */
void daemon_request_pass(struct daemon *d);
size_t daemon_set_pending(const struct plugin_set *set);

/* Plugin sets (daemon.c): load + init every plugin of a configuration;
 * returns NULL (everything reported) when any is refused. */
struct plugin_set *plugin_set_create(struct daemon *d, struct settings *settings);
int plugin_set_start(struct daemon *d, struct plugin_set *set);
void plugin_set_stop_inspector(struct plugin_set *set);
/* Stops the inspector, then every publisher (they keep flushing). */
void plugin_set_stop(struct plugin_set *set);
void plugin_set_destroy(struct plugin_set *set);

/* reload.c */
void reload_configuration(struct daemon *d);

#endif
