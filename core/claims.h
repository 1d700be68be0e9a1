/*
 * Who holds which domain.  Two containers may not register the same domain:
 * the OLDEST container (creation time from the inspector; unknown counts as
 * newest; ties go to the smaller name) holds it, the other is refused as a
 * whole and logged, and takes over only when the holder goes away.  The
 * rule is deterministic: it does not depend on the order of events.
 */
#ifndef BH_CLAIMS_H
#define BH_CLAIMS_H

#include <stdint.h>

#include "daemon_internal.h"
#include "domain_spec.h"

/*
 * Checks the domains a container asks for against current holders.
 * Returns a malloc'd reason when an older container holds one of them (the
 * container must be refused).  Otherwise returns NULL and sets *younger to a
 * malloc'd NULL-terminated list of holders that must give way (or NULL).
 */
char *claims_conflict(struct daemon *d, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, char ***younger);

/* Records e's domains (from specs) as held by e->container. */
int claims_take(struct daemon *d, struct registration_entry *e, const struct domain_spec_list *specs);

/* Drops every claim e holds. */
void claims_release(struct daemon *d, struct registration_entry *e);

void claims_free_list(char **names);

#endif
