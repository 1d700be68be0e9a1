/*
 * What is remembered per container id between passes (known.c).
 */
#ifndef DOCKER_KNOWN_H
#define DOCKER_KNOWN_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/strmap.h>

#include "docker_json.h"

struct known_container {
	char *id;
	char *name;         /* last known name */
	char *env_spec;     /* the variable's value, NULL when absent */
	char *top_network;  /* network of the inspect's top-level IPAddress */
	int64_t created_ns;
	bool inspected;     /* env_spec and created_ns are known */
	bool unreadable;    /* its inspect document exceeds max_response_bytes:
			       not asked again (it cannot shrink) */
	uint64_t event_seq; /* sequence number of the last event about it */
	uint64_t listed_pass; /* last pass whose listing showed it */
	char *problem;      /* last problem logged about it, digits squashed
			       (once per change) */
	struct bh_strmap_node node; /* keyed by id */
};

struct known_set {
	struct bh_strmap map;
	uint64_t pass;      /* number of the current (or last) full pass */
	uint64_t event_seq; /* events seen so far (see known_container.event_seq) */
};

struct known_container *known_find(const struct known_set *set, const char *id);
/* Finds or creates; NULL when out of memory. */
struct known_container *known_add(struct known_set *set, const char *id, const char *name);
void known_forget(struct known_set *set, const char *id);
/* Forgets what the current pass's listing did not show, unless an event
 * newer than the listing (event_seq > since_seq) says otherwise. */
void known_forget_unlisted(struct known_set *set, uint64_t since_seq);
void known_free(struct known_set *set);
/* A new full pass: returns the event sequence number its listing is as
 * new as (events numbered higher are newer than the listing). */
uint64_t known_begin_pass(struct known_set *set);
/* k is shown by the current pass's listing. */
void known_mark_listed(const struct known_set *set, struct known_container *k);
/* An event about id: numbered, and stamped on the container if known. */
void known_note_event(struct known_set *set, const char *id);
/* Remembers what never changes from an inspect document; false on OOM. */
bool known_learn(struct known_container *k, const struct dk_container *c);
/* Completes a listing entry with what is remembered; false on OOM. */
bool known_apply(const struct known_container *k, struct dk_container *c);
/* Records the problem (NULL: none); true when it differs from the last one. */
bool known_problem_is_news(struct known_container *k, const char *problem);

#endif
