/* Owed withdrawals passed from retiring publishers to their successors on a
 * reload (see handover.c). */
#ifndef BH_HANDOVER_H
#define BH_HANDOVER_H

#include "daemon_internal.h"

struct handover;

/* Takes what the old publishers owe, before they are destroyed.  Returns
 * NULL only when out of memory (reported). */
struct handover *handover_take(struct plugin_set *old, const struct plugin_set *next);
/* Hands it to the started new set (d->set) and frees it. */
void handover_give(struct daemon *d, struct handover *h);

#endif
