/*
 * Which containers this instance follows (see selection.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "selection.h"

bool selection_init(struct selection *sel, const char *const *names, bool enumerate)
{
	size_t n = 0;
	while (names && names[n])
		n++;
	sel->enumerate = enumerate;
	sel->names = calloc(n + 1, sizeof *sel->names);
	if (!sel->names)
		return false;
	for (size_t i = 0, k = 0; i < n; i++) {
		/* Docker shows names with a leading '/'; people copy them. */
		const char *name = names[i][0] == '/' ? names[i] + 1 : names[i];
		if (!name[0])
			continue;
		if (!(sel->names[k++] = strdup(name)))
			return false;
	}
	return true;
}

void selection_free(struct selection *sel)
{
	for (char **c = sel->names; c && *c; c++)
		free(*c);
	free(sel->names);
	sel->names = NULL;
}

bool selection_named(const struct selection *sel, const char *name, const char *id)
{
	for (char **c = sel->names; *c; c++) {
		if (name && strcmp(*c, name) == 0)
			return true;
		/* Named by id or an id prefix of at least 12 digits, as docker accepts. */
		if (id && strlen(*c) >= 12 && strncmp(id, *c, strlen(*c)) == 0)
			return true;
	}
	return false;
}

bool selection_wants(const struct selection *sel, const char *name, const char *id)
{
	return sel->enumerate || selection_named(sel, name, id);
}
