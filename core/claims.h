/*
 * Who serves which domain, under the `domains.sharing` policy (see
 * ownership.h).  Each allowed claim belongs to a sharing group: with
 * "same-rule" the allow rule that granted the domain, with "exclusive" the
 * container itself.  Claims of one group share a domain (replicas); claims
 * of different groups conflict, and the group of the OLDEST container
 * (creation time from the inspector; unknown counts as newest; ties go to
 * the smaller name) keeps it.  A refused container is a contender: it takes
 * over when the holders go away.  The rule does not depend on the order of
 * events.  With "any" (the default) nothing is recorded and nothing
 * conflicts.
 */
#ifndef BH_CLAIMS_H
#define BH_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon_internal.h"
#include "domain_spec.h"

/*
 * Checks the domains a container asks for (groups[i] is the sharing group
 * of specs->items[i]) against current holders.  Returns a malloc'd reason
 * when an older container of another group holds one of them (the
 * container must be refused).  Otherwise returns NULL and sets *younger to
 * a malloc'd NULL-terminated list of holders that must give way (or NULL).
 */
char *claims_conflict(struct daemon *d, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, const char *const *groups, char ***younger);

/* Records e's domains (from specs, groups as above) as served by e. */
int claims_take(struct daemon *d, struct registration_entry *e, const struct domain_spec_list *specs,
		const char *const *groups);

/* Drops every claim e holds.  Returns true when a domain became free that
 * a contender asked for: a full pass lets it take over. */
bool claims_release(struct daemon *d, struct registration_entry *e);

void claims_free_list(char **names);

/* Contenders: containers refused because another group holds a domain. */
void claims_contender_add(struct daemon *d, const char *container, const struct domain_spec_list *specs);
/* A registered container that gives way: it wants its domains back. */
void claims_contender_from(struct daemon *d, const struct registration_entry *e);
void claims_contender_forget(struct daemon *d, const char *container);
/* After a complete pass: forgets contenders the pass did not report. */
void claims_contenders_sweep(struct daemon *d);

#endif
