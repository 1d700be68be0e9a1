#include "config.h"

#include "claims.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strfmt.h"

static char *lowercase(const char *text)
{
	char *copy = strdup(text);
	for (char *p = copy; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

/* Does a (created_a, name_a) hold against b?  Unknown (0) is newest. */
static bool is_older(int64_t created_a, const char *name_a, int64_t created_b, const char *name_b)
{
	if (created_a != created_b) {
		if (created_a == 0)
			return false;
		if (created_b == 0)
			return true;
		return created_a < created_b;
	}
	return strcmp(name_a, name_b) < 0;
}

static bool list_contains(char **names, const char *name)
{
	for (char **n = names; n && *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

void claims_free_list(char **names)
{
	for (char **n = names; n && *n; n++)
		free(*n);
	free(names);
}

char *claims_conflict(struct daemon *d, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, char ***younger)
{
	*younger = NULL;
	size_t n_younger = 0;
	for (size_t i = 0; i < specs->count; i++) {
		char *domain = lowercase(specs->items[i].domain);
		if (!domain)
			return strfmt("out of memory");
		struct registration_entry *claim = registry_find(&d->claims, domain);
		free(domain);
		if (!claim || strcmp(claim->key, container) == 0)
			continue;
		const struct registration_entry *holder = registry_find(&d->registry, claim->key);
		if (!holder)
			continue; /* stale claim: released with its registration */
		if (is_older(holder->created_ns, holder->container, created_ns, container)) {
			claims_free_list(*younger);
			*younger = NULL;
			return strfmt("domain '%s' is already claimed by the older container %s; "
				      "registration not published",
				      specs->items[i].domain, holder->container);
		}
		if (list_contains(*younger, holder->container))
			continue;
		char **grown = realloc(*younger, (n_younger + 2) * sizeof *grown);
		if (!grown) {
			claims_free_list(*younger);
			*younger = NULL;
			return strfmt("out of memory");
		}
		*younger = grown;
		grown[n_younger] = strdup(holder->container);
		grown[n_younger + 1] = NULL;
		if (!grown[n_younger]) {
			claims_free_list(*younger);
			*younger = NULL;
			return strfmt("out of memory");
		}
		n_younger++;
	}
	return NULL;
}

void claims_release(struct daemon *d, struct registration_entry *e)
{
	for (char **dom = e->domains; dom && *dom; dom++) {
		struct registration_entry *claim = registry_find(&d->claims, *dom);
		if (claim && strcmp(claim->key, e->container) == 0)
			registry_remove(&d->claims, *dom);
		free(*dom);
	}
	free(e->domains);
	e->domains = NULL;
}

int claims_take(struct daemon *d, struct registration_entry *e, const struct domain_spec_list *specs)
{
	claims_release(d, e);
	e->domains = calloc(specs->count + 1, sizeof *e->domains);
	if (!e->domains)
		return -1;
	for (size_t i = 0; i < specs->count; i++) {
		if (!(e->domains[i] = lowercase(specs->items[i].domain)) ||
		    !registry_put(&d->claims, e->domains[i], e->container, ""))
			return -1;
	}
	return 0;
}
