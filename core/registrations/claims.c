#include "config.h"

#include "claims.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

/* A domain's claim: the oldest registered container serving it, and the
 * sharing group that container serves it in. */
struct domain_claim {
	char *domain; /* lowercased */
	char *holder; /* container name */
	char *group;
	struct bh_strmap_node node; /* keyed by domain */
};

struct contender {
	char *container;
	char **domains;     /* lowercased, NULL-terminated */
	uint64_t seen_pass; /* last pass that reported it */
	struct bh_strmap_node node; /* keyed by container */
};

static struct domain_claim *claim_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct domain_claim, node) : NULL;
}

static struct contender *contender_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct contender, node) : NULL;
}

static void claim_free(struct domain_claim *c)
{
	free(c->domain);
	free(c->holder);
	free(c->group);
	free(c);
}

static void contender_free(struct contender *c)
{
	claims_free_list(c->domains);
	free(c->container);
	free(c);
}

void claims_init(struct claims *claims)
{
	bh_strmap_init(&claims->holders);
	bh_strmap_init(&claims->contenders);
}

void claims_free(struct claims *claims)
{
	struct bh_strmap_iter it = bh_strmap_iter(&claims->holders);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		claim_free(claim_of(n));
	bh_strmap_free(&claims->holders);
	it = bh_strmap_iter(&claims->contenders);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		contender_free(contender_of(n));
	bh_strmap_free(&claims->contenders);
}

static struct domain_claim *claim_find(const struct claims *claims, const char *domain)
{
	return claim_of(bh_strmap_find(&claims->holders, domain));
}

static void claim_remove(struct claims *claims, const char *domain)
{
	struct bh_strmap_node *n = bh_strmap_remove(&claims->holders, domain);
	if (n)
		claim_free(claim_of(n));
}

/* Creates or replaces the claim on domain; -1 when out of memory (the old
 * claim, if any, then stays as it was). */
static int claim_set(struct claims *claims, const char *domain, const char *holder, const char *group)
{
	struct domain_claim *old = claim_find(claims, domain);
	if (old && strcmp(old->holder, holder) == 0 && strcmp(old->group, group) == 0)
		return 0; /* a refresh: unchanged */
	struct domain_claim *c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->domain = strdup(domain);
	c->holder = strdup(holder);
	c->group = strdup(group);
	if (!c->domain || !c->holder || !c->group) {
		claim_free(c);
		return -1;
	}
	c->node.key = c->domain;
	claim_remove(claims, domain);
	if (bh_strmap_insert(&claims->holders, &c->node) < 0) {
		claim_free(c); /* only when the map has no buckets yet: it had no old claim */
		return -1;
	}
	return 0;
}

static char *lowercase(const char *text)
{
	char *copy = strdup(text);
	for (char *p = copy; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

/* The specs' domains, lowercased, NULL-terminated; NULL when out of memory. */
static char **lowercase_domains(const struct domain_spec_list *specs)
{
	char **domains = calloc(specs->count + 1, sizeof *domains);
	for (size_t i = 0; domains && i < specs->count; i++)
		if (!(domains[i] = lowercase(specs->items[i].domain))) {
			claims_free_list(domains);
			return NULL;
		}
	return domains;
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

char *claims_conflict(const struct claims *claims, enum ownership_sharing sharing,
		      const struct registration_table *registrations, const char *container, int64_t created_ns,
		      const struct domain_spec_list *specs, const char *const *groups, char ***younger)
{
	*younger = NULL;
	if (sharing == SHARING_ANY)
		return NULL;
	size_t n_younger = 0;
	for (size_t i = 0; i < specs->count; i++) {
		char *domain = lowercase(specs->items[i].domain);
		if (!domain)
			return bh_strfmt("out of memory");
		const struct domain_claim *claim = claim_find(claims, domain);
		const struct registration_entry *holder =
			claim ? registration_table_find(registrations, claim->holder) : NULL;
		if (!holder || strcmp(claim->holder, container) == 0 || strcmp(claim->group, groups[i]) == 0) {
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
		registration_table_each(registrations, collect_servers, &ctx);
		free(domain);
		if (ctx.rc < 0) {
			claims_free_list(*younger);
			*younger = NULL;
			return bh_strfmt("out of memory");
		}
	}
	return NULL;
}

static bool contender_wants(const struct claims *claims, const char *domain, const char *except);

bool claims_release(struct claims *claims, const struct registration_table *registrations,
		    struct registration_entry *e)
{
	bool freed_wanted = false;
	for (char **dom = e->domains; dom && *dom; dom++) {
		const struct domain_claim *claim = claim_find(claims, *dom);
		if (claim && strcmp(claim->holder, e->container) == 0) {
			/* The claim names the group's oldest server: pass it on
			 * to the next oldest replica, if any. */
			struct servers_ctx ctx = {*dom, e->container, NULL, NULL, 0, NULL};
			registration_table_each(registrations, collect_servers, &ctx);
			if (ctx.oldest) {
				char *group = strdup(claim->group); /* claim_set replaces the claim */
				if (!group || claim_set(claims, *dom, ctx.oldest->container, group) < 0)
					claim_remove(claims, *dom);
				free(group);
			} else {
				claim_remove(claims, *dom);
				freed_wanted = freed_wanted || contender_wants(claims, *dom, e->container);
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

int claims_take(struct claims *claims, enum ownership_sharing sharing,
		const struct registration_table *registrations, struct registration_entry *e,
		const struct domain_spec_list *specs, const char *const *groups)
{
	char **fresh = lowercase_domains(specs);
	if (!fresh)
		return -1;
	/* A refresh asks for the same domains: its claims stand as they are
	 * (releasing them would search the registrations for the next holder
	 * of each, on every pass). */
	if (same_domains(e->domains, fresh))
		claims_free_list(e->domains);
	else
		(void)claims_release(claims, registrations, e);
	e->domains = fresh;
	if (sharing == SHARING_ANY)
		return 0;
	for (size_t i = 0; i < specs->count; i++) {
		const struct domain_claim *claim = claim_find(claims, e->domains[i]);
		const struct registration_entry *holder =
			claim ? registration_table_find(registrations, claim->holder) : NULL;
		if (holder && holder != e &&
		    is_older(holder->created_ns, holder->container, e->created_ns, e->container))
			continue; /* an older replica of the same group names the claim */
		if (claim_set(claims, e->domains[i], e->container, groups[i]) < 0)
			return -1;
	}
	return 0;
}

/* --- contenders --- */

static bool contender_wants(const struct claims *claims, const char *domain, const char *except)
{
	/* A holder giving way contends, but not with itself. */
	struct bh_strmap_iter it = bh_strmap_iter(&claims->contenders);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));) {
		const struct contender *c = contender_of(n);
		if (strcmp(c->container, except) != 0 && list_contains(c->domains, domain))
			return true;
	}
	return false;
}

/* Records container as a contender for domains (lowercased, NULL-terminated,
 * taken over in every case). */
static void contender_set(struct claims *claims, const char *container, char **domains, uint64_t pass)
{
	struct contender *c = contender_of(bh_strmap_find(&claims->contenders, container));
	if (!c && domains && (c = calloc(1, sizeof *c))) {
		c->node.key = c->container = strdup(container);
		if (!c->container || bh_strmap_insert(&claims->contenders, &c->node) < 0) {
			contender_free(c);
			c = NULL;
		}
	}
	if (!c || !domains) {
		claims_free_list(domains);
		return;
	}
	c->seen_pass = pass;
	claims_free_list(c->domains);
	c->domains = domains;
}

void claims_contender_add(struct claims *claims, const char *container,
			  const struct domain_spec_list *specs, uint64_t pass)
{
	contender_set(claims, container, lowercase_domains(specs), pass);
}

void claims_contender_from(struct claims *claims, const struct registration_entry *e, uint64_t pass)
{
	size_t count = 0;
	while (e->domains && e->domains[count])
		count++;
	char **domains = calloc(count + 1, sizeof *domains);
	size_t n = 0;
	for (size_t i = 0; domains && i < count; i++)
		if ((domains[n] = strdup(e->domains[i])))
			n++;
	contender_set(claims, e->container, domains, pass);
}

void claims_contender_forget(struct claims *claims, const char *container)
{
	struct bh_strmap_node *n = bh_strmap_remove(&claims->contenders, container);
	if (n)
		contender_free(contender_of(n));
}

void claims_contenders_sweep(struct claims *claims, uint64_t pass)
{
	/* The iterator allows unlinking the node it just returned. */
	struct bh_strmap_iter it = bh_strmap_iter(&claims->contenders);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));) {
		struct contender *c = contender_of(n);
		if (c->seen_pass < pass) {
			bh_strmap_unlink(&claims->contenders, n);
			contender_free(c);
		}
	}
}
