#include "config.h"

#include "claims.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

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

static bool list_contains(char *const *names, const char *name)
{
	for (char *const *n = names; n && *n; n++)
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

/* Appends a copy of name unless present; -1 when out of memory. */
static int list_add(char ***list, size_t *count, const char *name)
{
	if (list_contains(*list, name))
		return 0;
	char **grown = realloc(*list, (*count + 2) * sizeof *grown);
	if (!grown)
		return -1;
	*list = grown;
	grown[*count + 1] = NULL;
	if (!(grown[*count] = strdup(name)))
		return -1;
	(*count)++;
	return 0;
}

static bool sharing_off(const struct daemon *d)
{
	return d->set->settings->ownership.sharing == SHARING_ANY;
}

/* Every registered container that serves domain (lowercased). */
struct servers_ctx {
	const char *domain;
	const char *except;
	char ***list;
	size_t *count;
	int rc;
	const struct registration_entry *oldest;
};

static void collect_servers(void *arg, struct registration_entry *e)
{
	struct servers_ctx *ctx = arg;
	if (ctx->except && strcmp(e->container, ctx->except) == 0)
		return;
	if (!list_contains(e->domains, ctx->domain))
		return;
	if (ctx->list && list_add(ctx->list, ctx->count, e->container) < 0)
		ctx->rc = -1;
	if (!ctx->oldest ||
	    is_older(e->created_ns, e->container, ctx->oldest->created_ns, ctx->oldest->container))
		ctx->oldest = e;
}

char *claims_conflict(struct daemon *d, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, const char *const *groups, char ***younger)
{
	*younger = NULL;
	if (sharing_off(d))
		return NULL;
	size_t n_younger = 0;
	for (size_t i = 0; i < specs->count; i++) {
		char *domain = lowercase(specs->items[i].domain);
		if (!domain)
			return bh_strfmt("out of memory");
		struct registration_entry *claim = registry_find(&d->claims, domain);
		const struct registration_entry *holder =
			claim ? registry_find(&d->registry, claim->key) : NULL;
		if (!holder || strcmp(claim->key, container) == 0 || strcmp(claim->value, groups[i]) == 0) {
			free(domain); /* free, ours, or shared within the group */
			continue;
		}
		if (is_older(holder->created_ns, holder->container, created_ns, container)) {
			free(domain);
			claims_free_list(*younger);
			*younger = NULL;
			return bh_strfmt("domain '%s' is already claimed by the older container %s; "
					 "registration not published",
					 specs->items[i].domain, holder->container);
		}
		/* The whole younger group gives way, every replica of it. */
		struct servers_ctx ctx = {domain, container, younger, &n_younger, 0, NULL};
		registry_each(&d->registry, collect_servers, &ctx);
		free(domain);
		if (ctx.rc < 0) {
			claims_free_list(*younger);
			*younger = NULL;
			return bh_strfmt("out of memory");
		}
	}
	return NULL;
}

static bool contender_wants(struct daemon *d, const char *domain, const char *except);

bool claims_release(struct daemon *d, struct registration_entry *e)
{
	bool freed_wanted = false;
	for (char **dom = e->domains; dom && *dom; dom++) {
		struct registration_entry *claim = registry_find(&d->claims, *dom);
		if (claim && strcmp(claim->key, e->container) == 0) {
			/* The claim names the group's oldest server: pass it on
			 * to the next oldest replica, if any. */
			struct servers_ctx ctx = {*dom, e->container, NULL, NULL, 0, NULL};
			registry_each(&d->registry, collect_servers, &ctx);
			if (ctx.oldest) {
				char *group = strdup(claim->value);
				if (!group || !registry_put(&d->claims, *dom, ctx.oldest->container, group))
					registry_remove(&d->claims, *dom);
				free(group);
			} else {
				registry_remove(&d->claims, *dom);
				freed_wanted = freed_wanted || contender_wants(d, *dom, e->container);
			}
		}
		free(*dom);
	}
	free(e->domains);
	e->domains = NULL;
	return freed_wanted;
}

static bool same_domains(char *const *a, char *const *b)
{
	for (; a && b && *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return (!a || !*a) && (!b || !*b);
}

int claims_take(struct daemon *d, struct registration_entry *e, const struct domain_spec_list *specs,
		const char *const *groups)
{
	char **fresh = calloc(specs->count + 1, sizeof *fresh);
	for (size_t i = 0; fresh && i < specs->count; i++)
		if (!(fresh[i] = lowercase(specs->items[i].domain))) {
			claims_free_list(fresh);
			fresh = NULL;
		}
	if (!fresh)
		return -1;
	/* A refresh asks for the same domains: its claims stand as they are
	 * (releasing them would search the registry for the next holder of
	 * each, on every pass). */
	if (same_domains(e->domains, fresh))
		claims_free_list(e->domains);
	else
		(void)claims_release(d, e);
	e->domains = fresh;
	for (size_t i = 0; i < specs->count; i++) {
		if (sharing_off(d))
			break;
		struct registration_entry *claim = registry_find(&d->claims, e->domains[i]);
		const struct registration_entry *holder =
			claim ? registry_find(&d->registry, claim->key) : NULL;
		if (holder && holder != e &&
		    is_older(holder->created_ns, holder->container, e->created_ns, e->container))
			continue; /* an older replica of the same group names the claim */
		if (!registry_put(&d->claims, e->domains[i], e->container, groups[i]))
			return -1;
	}
	return 0;
}

/* --- contenders --- */

struct wants_ctx {
	const char *domain;
	const char *except; /* a holder giving way contends, but not with itself */
	bool found;
};

static void check_wants(void *arg, struct registration_entry *c)
{
	struct wants_ctx *ctx = arg;
	ctx->found = ctx->found ||
		     (strcmp(c->container, ctx->except) != 0 && list_contains(c->domains, ctx->domain));
}

static bool contender_wants(struct daemon *d, const char *domain, const char *except)
{
	struct wants_ctx ctx = {domain, except, false};
	if (d->contenders.map.count > 0)
		registry_each(&d->contenders, check_wants, &ctx);
	return ctx.found;
}

/* Records container as a contender for domains (lowercased, NULL-terminated,
 * taken over in every case). */
static void contender_set(struct daemon *d, const char *container, char **domains)
{
	struct registration_entry *c = domains ? registry_put(&d->contenders, container, "", "") : NULL;
	if (!c) {
		claims_free_list(domains);
		return;
	}
	c->seen_pass = d->pass;
	claims_free_list(c->domains);
	c->domains = domains;
}

void claims_contender_add(struct daemon *d, const char *container, const struct domain_spec_list *specs)
{
	char **domains = calloc(specs->count + 1, sizeof *domains);
	size_t n = 0;
	for (size_t i = 0; domains && i < specs->count; i++)
		if ((domains[n] = lowercase(specs->items[i].domain)))
			n++;
	contender_set(d, container, domains);
}

void claims_contender_from(struct daemon *d, const struct registration_entry *e)
{
	size_t count = 0;
	while (e->domains && e->domains[count])
		count++;
	char **domains = calloc(count + 1, sizeof *domains);
	size_t n = 0;
	for (size_t i = 0; domains && i < count; i++)
		if ((domains[n] = strdup(e->domains[i])))
			n++;
	contender_set(d, e->container, domains);
}

void claims_contender_forget(struct daemon *d, const char *container)
{
	registry_remove(&d->contenders, container);
}

struct sweep_ctx {
	uint64_t pass;
	char **gone;
	size_t n_gone;
	int rc;
};

static void collect_unseen(void *arg, struct registration_entry *c)
{
	struct sweep_ctx *ctx = arg;
	if (c->seen_pass < ctx->pass && list_add(&ctx->gone, &ctx->n_gone, c->container) < 0)
		ctx->rc = -1;
}

void claims_contenders_sweep(struct daemon *d)
{
	struct sweep_ctx ctx = {d->pass, NULL, 0, 0};
	if (d->contenders.map.count == 0)
		return;
	registry_each(&d->contenders, collect_unseen, &ctx);
	for (size_t i = 0; i < ctx.n_gone; i++)
		registry_remove(&d->contenders, ctx.gone[i]);
	claims_free_list(ctx.gone);
}
