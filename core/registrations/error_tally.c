#include "config.h"

#include "error_tally.h"

#include <stdlib.h>

#include "log.h"
#include <beachhead/sdk.h>

void error_tally_init(struct error_tally *tally, const struct core_events *events)
{
	tally->count = 0;
	tally->last = NULL;
	tally->events = events;
}

void error_tally_free(struct error_tally *tally)
{
	free(tally->last);
	tally->last = NULL;
}

void error_tally_report(struct error_tally *tally, const char *origin, const char *container,
			const char *message)
{
	tally->count++;
	char *line = container ? bh_strfmt("container %s: %s", container, message)
			       : bh_strfmt("%s", message);
	log_msg(BH_LOG_ERROR, origin, "%s", line ? line : message);
	free(tally->last);
	tally->last = line;
	tally->events->status_changed(tally->events->arg);
}

void error_tally_count(struct error_tally *tally)
{
	tally->count++;
}
