/*
 * Domain ownership: which domains a container may claim at all (allow-lists,
 * global or per label / network), so that one tenant cannot hijack another
 * tenant's domain.  Conflicts between two allowed claims are decided in
 * registrations.c (the oldest container wins).
 *
 * Configuration (optional; without it every domain is allowed, as in the
 * original):
 *   domains = {
 *     allow = [ "example.org", "*.example.org" ];
 *     rules = ( { label = "tenant=blue"; allow = [ "*.blue.example.com" ]; },
 *               { network = "green"; allow = [ ".green.example.com" ]; } );
 *   };
 * Patterns: "example.org" exactly that name; "*.example.org" any name below
 * it; ".example.org" the name and any name below it.  Case-insensitive.
 * A container that matches rules may claim what any of its rules allow (and
 * nothing else); one that matches none falls back to the global `allow`.
 */
#ifndef BH_OWNERSHIP_H
#define BH_OWNERSHIP_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include <beachhead/plugin.h>

struct ownership_rule {
	char *label;   /* "key=value", or "key" for any value; NULL if by network */
	char *network; /* NULL if by label */
	char **allow;  /* NULL-terminated patterns */
	char *where;   /* "file:line", for messages */
};

struct ownership_policy {
	bool configured; /* a `domains` group exists */
	char **allow;    /* NULL-terminated; NULL = any domain */
	struct ownership_rule *rules;
	size_t n_rules;
};

/* Parses the `domains` group.  Returns 0, or -1 with *error set to a
 * malloc'd "file:line: ..." message. */
int ownership_parse(const config_setting_t *group, const char *config_file,
		    struct ownership_policy *out, char **error);
void ownership_free(struct ownership_policy *policy);

/* NULL when the container may claim domain, else a malloc'd reason. */
char *ownership_check(const struct ownership_policy *policy, const struct bh_container *c,
		      const char *domain);

bool ownership_pattern_matches(const char *pattern, const char *domain);

#endif
