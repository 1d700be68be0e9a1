/*
 * Domain ownership: which domains a container may claim at all (allow-lists,
 * global or per label / network), so that one tenant cannot hijack another
 * tenant's domain, and whether several containers may serve one domain
 * (`sharing`; conflicts are settled in claims.c: the oldest claim wins).
 *
 * Configuration (optional; without it every domain is allowed, as in the
 * original):
 *   domains = {
 *     allow = [ "example.org", "*.example.org" ];
 *     rules = ( { label = "tenant=blue"; allow = [ "*.blue.example.com" ]; },
 *               { network = "green"; allow = [ ".green.example.com" ]; } );
 *     sharing = "any";    # or "same-rule", "exclusive"
 *   };
 * Patterns: "example.org" exactly that name; "*.example.org" any name below
 * it; ".example.org" the name and any name below it.  Case-insensitive.
 * A container that matches rules may claim what any of its rules allow (and
 * nothing else); one that matches none falls back to the global `allow`.
 *
 * sharing: "any" (default, the original's behaviour): every allowed
 * container is published, replicas of one domain side by side.
 * "same-rule": containers share a domain only when the same allow rule (or
 * the global `allow`) granted it to each of them: replicas of one tenant
 * share, another tenant cannot join.  "exclusive": one container per domain.
 */
#ifndef BH_OWNERSHIP_H
#define BH_OWNERSHIP_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>

struct ownership_rule {
	char *label;   /* "key=value", or "key" for any value; NULL if by network */
	char *network; /* NULL if by label */
	char **allow;  /* NULL-terminated patterns */
	char *where;   /* "file:line", for messages */
};

enum ownership_sharing { SHARING_ANY, SHARING_SAME_RULE, SHARING_EXCLUSIVE };

struct ownership_policy {
	bool configured; /* a `domains` group exists */
	enum ownership_sharing sharing;
	char **allow;    /* NULL-terminated; NULL = any domain */
	struct ownership_rule *rules;
	size_t n_rules;
};

/* Parses the `domains` group.  Returns 0, or -1 after reporting the first
 * mistake through cfg ("file:line: ..."). */
int ownership_parse(const config_setting_t *group, struct bh_config *cfg, struct ownership_policy *out);
void ownership_free(struct ownership_policy *policy);

/* NULL when the container may claim domain, else a malloc'd reason.  When
 * allowed, *granted_by (if not NULL) names what allowed it: the rule's
 * "file:line", "domains.allow", or "" without a `domains` group.  The
 * string lives as long as the policy.  c is the core's full-size copy
 * (abi_container_normalize): labels and networks are NULL for an ABI 1.0
 * inspector. */
char *ownership_check(const struct ownership_policy *policy, const struct bh_container *c,
		      const char *domain, const char **granted_by);

bool ownership_pattern_matches(const char *pattern, const char *domain);

#endif
