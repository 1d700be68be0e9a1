/*
 * Containers the inspector reported that hold no registration, by why:
 * their specs are invalid (or unusable: no address, no published port), or
 * they ask for no domain.  For beachhead_containers{state}; registered and
 * refused containers are counted where they are kept (the registration table, the
 * claims' contenders).  A container leaves on any later verdict, when it
 * goes, or when a complete pass no longer reports it.
 */
#ifndef BH_CONTAINER_STATES_H
#define BH_CONTAINER_STATES_H

#include <stddef.h>
#include <stdint.h>

#include <beachhead/strmap.h>

enum container_state { CONTAINER_INVALID, CONTAINER_NO_DOMAINS, CONTAINER_STATE_COUNT };

struct container_states {
	struct bh_strmap map;
	size_t counts[CONTAINER_STATE_COUNT];
};

void container_states_init(struct container_states *s);
void container_states_free(struct container_states *s);
/* Records name's state as seen in pass (out of memory: not counted). */
void container_states_set(struct container_states *s, const char *name, enum container_state state,
			  uint64_t pass);
void container_states_forget(struct container_states *s, const char *name);
/* After complete pass `pass`: forgets containers it did not report. */
void container_states_sweep(struct container_states *s, uint64_t pass);

#endif
