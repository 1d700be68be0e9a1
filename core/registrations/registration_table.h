/*
 * The registrations the daemon currently holds, by container name: what was
 * last published for each container, so that withdrawals, sweeps after a
 * full pass and replays to a reconnected publisher need no engine round trip.
 */
#ifndef BH_REGISTRATION_TABLE_H
#define BH_REGISTRATION_TABLE_H

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

struct registration_table {
	struct bh_strmap map;
};

/* A zeroed table is a valid empty one too; this only says so. */
void registration_table_init(struct registration_table *reg);
void registration_table_free(struct registration_table *reg);

struct registration_entry *registration_table_find(const struct registration_table *reg, const char *container);
/* Creates or updates; copies the strings. Returns the entry or NULL (OOM). */
struct registration_entry *registration_table_put(struct registration_table *reg, const char *container,
					const char *key, const char *value);
void registration_table_remove(struct registration_table *reg, const char *container);

typedef void (*registration_table_visit_cb)(void *arg, struct registration_entry *entry);
/* Visits every entry; the callback must not add or remove entries. */
void registration_table_each(const struct registration_table *reg, registration_table_visit_cb cb, void *arg);

#endif
