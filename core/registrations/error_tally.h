/*
 * The errors the daemon reported: their number (the exit status of a
 * one-pass run) and the last one (the systemd status line).
 */
#ifndef BH_ERROR_TALLY_H
#define BH_ERROR_TALLY_H

#include "core_events.h"

struct error_tally {
	unsigned count;
	char *last; /* "container NAME: message" or the message; NULL = none */
	const struct core_events *events;
};

void error_tally_init(struct error_tally *tally, const struct core_events *events);
void error_tally_free(struct error_tally *tally);
/* Logs the error (from origin, about container unless NULL), counts it and
 * remembers it as the last one. */
void error_tally_report(struct error_tally *tally, const char *origin, const char *container,
			const char *message);
/* Counts an error that was already logged (a repeat, or one the caller
 * logged itself). */
void error_tally_count(struct error_tally *tally);

#endif
