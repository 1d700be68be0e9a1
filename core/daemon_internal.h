/* State shared by daemon.c, registrations.c and host_api.c. */
#ifndef BH_DAEMON_INTERNAL_H
#define BH_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/plugin.h>

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
	bool replay_requested;
	char *status;
};

struct daemon {
	struct settings *settings;
	struct loop *loop;
	struct plugin_instance inspector;
	struct plugin_instance *publishers;
	size_t n_publishers;

	struct registry registry;
	struct registry rejections; /* container -> last error reported for it */
	uint64_t pass;     /* number of the latest pass begun */
	bool pass_running;
	unsigned errors;   /* report_error calls: one-pass exit status */
	bool fatal;        /* a runtime failure that ends the daemon */

	struct bh_timer *refresh_timer;
	struct bh_timer *replay_timer;
	struct bh_timer *drain_timer;
	bool draining;
	uint64_t drain_deadline_ms;
};

extern const struct bh_host_api host_api;

/* registrations.c: the core's half of the contract. */
void registrations_container_up(struct daemon *d, const struct bh_container *c);
void registrations_container_down(struct daemon *d, const char *name, const char *reason);
void registrations_container_missing(struct daemon *d, const char *name, const char *reason);
void registrations_pass_begin(struct daemon *d);
void registrations_pass_end(struct daemon *d, int complete);
void registrations_replay(struct daemon *d, struct plugin_instance *publisher);

/* daemon.c */
void daemon_report_error(struct daemon *d, const char *origin, const char *container,
			 const char *message);
void daemon_pass_finished(struct daemon *d);
void daemon_schedule_replay(struct daemon *d);

#endif
