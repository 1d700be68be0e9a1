/*
 * One configuration's plugins and their life cycle: load + validate all ->
 * init (each checks its own settings) -> start (publishers first) -> stop
 * (the inspector first; publishers keep flushing) -> destroy -> dlclose.
 * A reload builds a second set beside the running one and retires the old.
 */
#ifndef BH_PLUGIN_SET_H
#define BH_PLUGIN_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <beachhead/plugin.h>

#include "loader.h"
#include "metrics_registry.h"
#include "settings.h"

/* What a plugin's calls of the host services reach (host_api.h); opaque here. */
struct host_services;
struct owner_identity;

/* struct bh_host is what a plugin sees of its own instance. */
struct bh_host {
	struct host_services *services;
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
	/* The last warning or error it logged, and when (loop_now_ms()):
	 * /readyz shows it beside the status of a failed check. */
	char *last_warning;
	uint64_t last_warning_ms;
	/* Where its metrics live (ABI 1.3), once it registered one: they go
	 * with the instance. */
	struct metrics_registry *metrics;
};

/* Heap-allocated so that the instances (which plugins know through their
 * bh_host) never move. */
struct plugin_set {
	struct settings *settings; /* owned: the slots point into it */
	const struct owner_identity *owner; /* borrowed; NULL for --check-config */
	struct plugin_instance inspector;
	struct plugin_instance *publishers;
	size_t n_publishers;
};

/* Loads and initialises every plugin of a configuration (taking ownership
 * of settings in every case); returns NULL (everything reported) when any
 * is refused.  Plugins get api and services; with describe_to
 * (--check-config --verbose) each plugin's "plugin" line is printed there;
 * owner (the daemon's identity, outliving the set) goes to each init(). */
struct plugin_set *plugin_set_create(struct settings *settings, const struct bh_host_api *api,
				     struct host_services *services, FILE *describe_to,
				     const struct owner_identity *owner);
int plugin_set_start(struct plugin_set *set);
void plugin_set_stop_inspector(struct plugin_set *set);
/* Stops the inspector, then every publisher (they keep flushing). */
void plugin_set_stop(struct plugin_set *set);
void plugin_set_destroy(struct plugin_set *set);

/* Operations the started publishers have not confirmed yet. */
size_t plugin_set_pending(const struct plugin_set *set);
/* Plugins older than ABI 1.2 cannot list their settings: prints their
 * groups as the configuration gives them. */
void plugin_set_describe_undescribed(const struct plugin_set *set, FILE *out);

/* What metrics and /readyz call an instance: "publisher-redis[0]" (its
 * place in the publishers list), the plugin's name for the inspector.
 * malloc'd; NULL when out of memory. */
char *plugin_instance_label(const struct plugin_instance *inst);

/* Keeps text (malloc'd; taken) as the instance's last warning. */
void plugin_instance_note_warning(struct plugin_instance *inst, char *text, uint64_t now_ms);

/* Started and not stopped: takes new work. */
bool plugin_instance_active(const struct plugin_instance *inst);

/* The plugin's own name ("publisher-redis") and kind. */
const char *plugin_instance_name(const struct plugin_instance *inst);
enum bh_plugin_kind plugin_instance_kind(const struct plugin_instance *inst);

/* The one place the core calls a plugin's functions (besides the life cycle
 * above): what the rest of the core asks of one instance. */
/* The inspector: a full pass now; BH_OK when it started. */
int plugin_instance_resync(const struct plugin_instance *inspector);
/* A publisher: one registration or withdrawal, whatever its state (a
 * replay, a handover); the plugin's verdict. */
int plugin_instance_publish(const struct plugin_instance *publisher, const struct bh_registration *reg);
int plugin_instance_withdraw(const struct plugin_instance *publisher, const char *key,
			     const char *container);
/* Operations a started publisher has not confirmed yet (0 when not started). */
size_t plugin_instance_pending(const struct plugin_instance *publisher);
/* A started publisher of ABI 1.2 or later hands the withdrawals it still
 * owes to each(arg, key, container); false when it cannot. */
bool plugin_instance_hand_over(const struct plugin_instance *publisher,
			       void (*each)(void *arg, const char *key, const char *container), void *arg);
/* To every active publisher (a refusal is theirs to report). */
void plugin_set_publish(const struct plugin_set *set, const struct bh_registration *reg);
void plugin_set_withdraw(const struct plugin_set *set, const char *key, const char *container);
/* Every active publisher that can list its keys (ABI 1.2 sweep). */
void plugin_set_sweep(const struct plugin_set *set, const char *key_namespace);

#endif
