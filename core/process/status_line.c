#include "config.h"

#include "status_line.h"

#include <stdio.h>
#include <stdlib.h>

/* Appends "; origin: status" for a plugin that has set a status. */
static void append_plugin_status(FILE *out, const struct plugin_instance *inst)
{
	if (inst->status && inst->status[0])
		fprintf(out, "; %s: %s", inst->origin, inst->status);
}

char *status_line(size_t registered, const struct error_tally *errors, const struct plugin_set *set,
		  bool stopping)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	fprintf(out, "%zu registered, %u errors", registered, errors->count);
	if (errors->last)
		fprintf(out, "; last: %s", errors->last);
	/* What the plugins say of themselves (set_status), e.g. "redis:
	 * unreachable": the part an operator looks for first. */
	append_plugin_status(out, &set->inspector);
	for (size_t i = 0; i < set->n_publishers; i++)
		append_plugin_status(out, &set->publishers[i]);
	if (stopping)
		fputs("; stopping", out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
