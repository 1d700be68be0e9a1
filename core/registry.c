#include "config.h"

#include "registry.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 64u

/* FNV-1a: container names are short; any decent spread will do. */
static size_t hash_name(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

int registry_init(struct registry *reg)
{
	reg->buckets = calloc(INITIAL_BUCKETS, sizeof *reg->buckets);
	reg->n_buckets = reg->buckets ? INITIAL_BUCKETS : 0;
	reg->count = 0;
	return reg->buckets ? 0 : -1;
}

static void entry_free(struct registration_entry *e)
{
	for (char **d = e->domains; d && *d; d++)
		free(*d);
	free(e->domains);
	free(e->container);
	free(e->key);
	free(e->value);
	free(e->id);
	free(e);
}

void registry_free(struct registry *reg)
{
	for (size_t i = 0; i < reg->n_buckets; i++) {
		struct registration_entry *e = reg->buckets[i];
		while (e) {
			struct registration_entry *next = e->next;
			entry_free(e);
			e = next;
		}
	}
	free(reg->buckets);
	memset(reg, 0, sizeof *reg);
}

struct registration_entry *registry_find(const struct registry *reg, const char *container)
{
	if (!reg->n_buckets)
		return NULL;
	struct registration_entry *e = reg->buckets[hash_name(container) % reg->n_buckets];
	for (; e; e = e->next)
		if (strcmp(e->container, container) == 0)
			return e;
	return NULL;
}

/* Doubles the table when the load factor passes 1; on OOM keeps the old one
 * (longer chains, still correct). */
static void maybe_grow(struct registry *reg)
{
	if (reg->count < reg->n_buckets)
		return;
	size_t n = reg->n_buckets * 2;
	struct registration_entry **buckets = calloc(n, sizeof *buckets);
	if (!buckets)
		return;
	for (size_t i = 0; i < reg->n_buckets; i++) {
		struct registration_entry *e = reg->buckets[i];
		while (e) {
			struct registration_entry *next = e->next;
			size_t b = hash_name(e->container) % n;
			e->next = buckets[b];
			buckets[b] = e;
			e = next;
		}
	}
	free(reg->buckets);
	reg->buckets = buckets;
	reg->n_buckets = n;
}

static int replace_string(char **slot, const char *value)
{
	if (*slot && strcmp(*slot, value) == 0)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

struct registration_entry *registry_put(struct registry *reg, const char *container,
					const char *key, const char *value)
{
	struct registration_entry *e = registry_find(reg, container);
	if (e)
		return replace_string(&e->key, key) == 0 && replace_string(&e->value, value) == 0 ? e : NULL;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->container = strdup(container);
	e->key = strdup(key);
	e->value = strdup(value);
	if (!e->container || !e->key || !e->value) {
		entry_free(e);
		return NULL;
	}
	if (!reg->n_buckets && registry_init(reg) < 0) {
		entry_free(e);
		return NULL;
	}
	maybe_grow(reg);
	size_t b = hash_name(container) % reg->n_buckets;
	e->next = reg->buckets[b];
	reg->buckets[b] = e;
	reg->count++;
	return e;
}

void registry_remove(struct registry *reg, const char *container)
{
	if (!reg->n_buckets)
		return;
	struct registration_entry **link = &reg->buckets[hash_name(container) % reg->n_buckets];
	for (; *link; link = &(*link)->next) {
		if (strcmp((*link)->container, container) == 0) {
			struct registration_entry *e = *link;
			*link = e->next;
			entry_free(e);
			reg->count--;
			return;
		}
	}
}

void registry_each(const struct registry *reg, registry_visit_cb cb, void *arg)
{
	for (size_t i = 0; i < reg->n_buckets; i++)
		for (struct registration_entry *e = reg->buckets[i]; e; e = e->next)
			cb(arg, e);
}
