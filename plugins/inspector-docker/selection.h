/*
 * Which containers this instance follows (selection.c): every container
 * with specs (enumerate), and the containers named explicitly, by name or
 * by an id prefix.
 */
#ifndef DOCKER_SELECTION_H
#define DOCKER_SELECTION_H

#include <stdbool.h>

struct selection {
	char **names; /* explicit names, NULL-terminated copy */
	bool enumerate;
};

/* Copies the names (a leading '/' dropped, empty ones skipped); false when
 * out of memory (selection_free still frees what was copied). */
bool selection_init(struct selection *sel, const char *const *names, bool enumerate);
void selection_free(struct selection *sel);
/* Named explicitly, by name or by id (either may be NULL). */
bool selection_named(const struct selection *sel, const char *name, const char *id);
/* Followed: enumerate, or named explicitly. */
bool selection_wants(const struct selection *sel, const char *name, const char *id);

#endif
