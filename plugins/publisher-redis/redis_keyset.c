/*
 * A set of strings with a tag and a data pointer each, kept in a bh_strmap
 * so that a refresh of many thousand registrations stays O(1) per key.
 */
#include "config.h"

#include "redis_keyset.h"

#include <stdlib.h>
#include <string.h>

struct keyset_entry {
	struct bh_strmap_node node;
	char *key;
	uint64_t tag;
	void *data;
};

uint64_t keyset_hash(const char *data, size_t len)
{
	return bh_fnv1a(data, len);
}

void keyset_init(struct keyset *set)
{
	memset(set, 0, sizeof *set);
}

static struct keyset_entry *entry_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct keyset_entry, node) : NULL;
}

static void entry_free(struct keyset_entry *e)
{
	free(e->key);
	free(e);
}

static void node_free(struct bh_strmap_node *node)
{
	entry_free(entry_of(node));
}

void keyset_clear(struct keyset *set)
{
	bh_strmap_clear(&set->map, node_free);
	keyset_init(set);
}

static struct keyset_entry *find(const struct keyset *set, const char *key)
{
	return entry_of(bh_strmap_find(&set->map, key));
}

static struct keyset_entry *add(struct keyset *set, const char *key)
{
	return BH_STRMAP_ADD(&set->map, key, struct keyset_entry, node, key);
}

int keyset_put(struct keyset *set, const char *key, uint64_t tag)
{
	struct keyset_entry *e = find(set, key);
	if (!e && !(e = add(set, key)))
		return -1;
	e->tag = tag;
	return 0;
}

bool keyset_get(const struct keyset *set, const char *key, uint64_t *tag)
{
	struct keyset_entry *e = find(set, key);
	if (!e)
		return false;
	if (tag)
		*tag = e->tag;
	return true;
}

void *keyset_take(struct keyset *set, const char *key)
{
	struct keyset_entry *e = entry_of(bh_strmap_remove(&set->map, key));
	if (!e)
		return NULL;
	void *data = e->data;
	entry_free(e);
	return data;
}

void keyset_remove(struct keyset *set, const char *key)
{
	(void)keyset_take(set, key);
}

int keyset_put_data(struct keyset *set, const char *key, void *data, void **old)
{
	*old = NULL;
	struct keyset_entry *e = find(set, key);
	if (e)
		*old = e->data;
	else if (!(e = add(set, key)))
		return -1;
	e->data = data;
	return 0;
}

/* Scans on from where the last pop stopped (wrapping round once), so that
 * emptying a set of n keys costs O(n + buckets), not O(n * buckets). */
char *keyset_pop(struct keyset *set, uint64_t *tag, void **data)
{
	struct bh_strmap *map = &set->map;
	if (map->count == 0)
		return NULL;
	for (size_t scanned = 0; scanned < map->n_buckets; scanned++) {
		size_t i = (set->pop_cursor + scanned) & (map->n_buckets - 1);
		if (map->buckets[i]) {
			struct keyset_entry *e = entry_of(map->buckets[i]);
			bh_strmap_unlink(map, &e->node);
			char *key = e->key;
			if (data)
				*data = e->data;
			if (tag)
				*tag = e->tag;
			free(e);
			set->pop_cursor = i;
			return key;
		}
	}
	return NULL;
}
