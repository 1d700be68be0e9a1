/*
 * The registrations the daemon currently holds, by container name: what was
 * last published for each container, so that withdrawals, sweeps after a
 * full pass and replays to a reconnected publisher need no engine round trip.
 */
#ifndef BH_REGISTRY_H
#define BH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/strmap.h>

struct registration_entry {
	char *container;
	char *key;
	char *value;
	char *id;           /* engine id of the container it was built from; NULL = unknown */
	uint64_t seen_pass; /* last full pass that reported the container */
	char **domains;     /* lowercased, NULL-terminated: its domain claims */
	int64_t created_ns; /* container creation time (0 = unknown) */
	bool deferred;      /* seen during a full pass, published at its end */
	bool published;     /* handed to the publishers at least once: only
			     * then does a withdrawal need a DEL */
	bool announce;      /* new or changed: log "registering" when published
			     * (one pass: once the stores acknowledged it) */
	bool store_failed;  /* a store reported an error writing it */
	struct bh_strmap_node node; /* keyed by container */
};

struct registry {
	struct bh_strmap map;
};

/* A zeroed registry is a valid empty one too; this only says so. */
void registry_init(struct registry *reg);
void registry_free(struct registry *reg);

struct registration_entry *registry_find(const struct registry *reg, const char *container);
/* Creates or updates; copies the strings. Returns the entry or NULL (OOM). */
struct registration_entry *registry_put(struct registry *reg, const char *container,
					const char *key, const char *value);
void registry_remove(struct registry *reg, const char *container);

typedef void (*registry_visit_cb)(void *arg, struct registration_entry *entry);
/* Visits every entry; the callback must not add or remove entries. */
void registry_each(const struct registry *reg, registry_visit_cb cb, void *arg);

#endif
