/* Owed withdrawals passed from retiring publishers to their successors on a
 * reload (see handover.c). */
#ifndef BH_HANDOVER_H
#define BH_HANDOVER_H

#include "plugin_set.h"
#include "registrations.h"

struct handover;

/* Takes what the old publishers owe, before they are destroyed.  Returns
 * NULL only when out of memory (reported). */
struct handover *handover_take(struct plugin_set *old, const struct plugin_set *next);
/* Hands it to the started new set and frees it; a key registered again
 * meanwhile is skipped. */
void handover_give(const struct plugin_set *set, const struct registrations *registrations,
		   struct handover *h);

#endif
