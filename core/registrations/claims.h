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
 *
 * The claims are kept beside the registrations (registration_table.h): a
 * registration lists the domains it serves (lowercased), a claim names the
 * oldest registration serving a domain and its group.
 */
#ifndef BH_CLAIMS_H
#define BH_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include <beachhead/strmap.h>

#include "domain_spec.h"
#include "ownership.h"
#include "registration_table.h"

struct claims {
	struct bh_strmap holders;    /* lowercased domain -> its oldest server and group */
	struct bh_strmap contenders; /* container -> the domains it was refused */
};

void claims_init(struct claims *claims);
void claims_free(struct claims *claims);

/*
 * Checks the domains a container asks for (groups[i] is the sharing group
 * of specs->items[i]) against current holders among the registrations.
 * Returns a malloc'd reason when an older container of another group holds
 * one of them (the container must be refused).  Otherwise returns NULL and
 * sets *younger to a malloc'd NULL-terminated list of holders that must
 * give way (or NULL).
 */
char *claims_conflict(const struct claims *claims, enum ownership_sharing sharing,
		      const struct registration_table *registrations, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, const char *const *groups, char ***younger);

/* Records e's domains (from specs, groups as above) as served by e. */
int claims_take(struct claims *claims, enum ownership_sharing sharing,
		const struct registration_table *registrations, struct registration_entry *e,
		const struct domain_spec_list *specs, const char *const *groups);

/* Drops every claim e holds.  Returns true when a domain became free that
 * a contender asked for: a full pass lets it take over. */
bool claims_release(struct claims *claims, const struct registration_table *registrations,
		    struct registration_entry *e);

void claims_free_list(char **names);

/* Contenders: containers refused because another group holds a domain,
 * each with the number of the pass that last reported it. */
void claims_contender_add(struct claims *claims, const char *container,
			  const struct domain_spec_list *specs, uint64_t pass);
/* A registered container that gives way: it wants its domains back. */
void claims_contender_from(struct claims *claims, const struct registration_entry *e, uint64_t pass);
void claims_contender_forget(struct claims *claims, const char *container);
/* After complete pass `pass`: forgets contenders it did not report. */
void claims_contenders_sweep(struct claims *claims, uint64_t pass);

#endif
