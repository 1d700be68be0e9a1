/*
 * The registrations publisher-redis holds: published and not withdrawn
 * since, with their values, so that a key someone else deleted or
 * overwrote can be put back at once (from a keyspace event, or when the
 * namespace's claim is won) without waiting for the core's next pass; and
 * what the sweep keeps.
 */
#ifndef BH_REDIS_HELD_H
#define BH_REDIS_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>
#include <beachhead/strmap.h>

struct held_reg {
	struct bh_strmap_node node;
	char *key;
	char *container;
	char *value;
	size_t value_len;
	unsigned ttl;
	/* Hash of the value this daemon last saw acknowledged by the store
	 * (0: none yet in this run): a SET ... GET that returns anything else
	 * met a foreign writer. */
	uint64_t written_hash;
	/* Our SETs of this key whose `set` keyspace events are still to come:
	 * those events are ours and need no check. */
	unsigned own_events;
	/* Our SETs of this key sent in this run: a check (GET) sent before
	 * the latest of them answers what that SET has since replaced. */
	unsigned sets_sent;
	uint64_t repaired_ms;  /* when an overwrite was last put back (0: never) */
	bool foreign_warned;   /* the foreign-writer warning was given */
	bool fight_warned;     /* "keeps being overwritten" was given */
};

struct held_set {
	struct bh_strmap map;
};

void held_init(struct held_set *set);
/* Inserts or updates key's registration; returns the entry, or NULL (out
 * of memory, the set unchanged). */
struct held_reg *held_put(struct held_set *set, const struct bh_registration *reg);
struct held_reg *held_find(const struct held_set *set, const char *key);
void held_remove(struct held_set *set, const char *key);
void held_clear(struct held_set *set);
/* Forgets every count of own events (their link is gone: events of
 * commands whose outcome is unknown are checked like foreign ones). */
void held_forget_own_events(struct held_set *set);

#endif
