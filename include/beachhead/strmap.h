/*
 * beachhead/strmap.h - an intrusive string-keyed hash map, header only.
 *
 * The core and every plugin keep tables keyed by container name, engine id
 * or store key.  Header-only static inline functions let both use one
 * implementation without a plugin linking any core symbol (modules export
 * only `beachhead_plugin`).
 *
 * Intrusive: the caller embeds a struct bh_strmap_node in its own entry,
 * points node.key at a string the entry owns, and gets the entry back with
 * BH_STRMAP_ENTRY().  The map never allocates or frees entries, only its
 * bucket array.  Chained, FNV-1a hashed, doubling past a load factor of 1;
 * a failed growth only keeps the chains longer.
 *
 *     struct thing { struct bh_strmap_node node; char *name; };
 *     t->name = strdup(name); t->node.key = t->name;
 *     if (bh_strmap_insert(&map, &t->node) < 0) ...            (OOM)
 *     struct bh_strmap_node *n = bh_strmap_find(&map, name);
 *     struct thing *found = n ? BH_STRMAP_ENTRY(n, struct thing, node) : NULL;
 *
 * Iteration tolerates removing (unlinking) the node just returned:
 *
 *     struct bh_strmap_iter it = bh_strmap_iter(&map);
 *     for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
 *             if (gone(n)) { bh_strmap_unlink(&map, n); free_thing(n); }
 */
#ifndef BEACHHEAD_STRMAP_H
#define BEACHHEAD_STRMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bh_strmap_node {
	struct bh_strmap_node *next; /* hash chain; the map's */
	const char *key;             /* set by the caller before insert; not copied */
};

struct bh_strmap {
	struct bh_strmap_node **buckets; /* NULL until the first insert */
	size_t n_buckets;                /* a power of two, or 0 */
	size_t count;
};

#define BH_STRMAP_FIRST_BUCKETS 64u

#define BH_STRMAP_ENTRY(node, type, member) \
	((type *)(void *)((char *)(node) - offsetof(type, member)))

/* A zeroed map is a valid empty one; this only says so. */
static inline void bh_strmap_init(struct bh_strmap *map)
{
	memset(map, 0, sizeof *map);
}

/* Frees the bucket array, not the entries: unlink or free those first. */
static inline void bh_strmap_free(struct bh_strmap *map)
{
	free(map->buckets);
	bh_strmap_init(map);
}

/* FNV-1a, 64 bits: keys are names, ids and store keys, short and produced
 * by us or by the engine; any decent spread will do.  Also usable on its
 * own as a cheap change detector for values. */
static inline uint64_t bh_fnv1a(const void *data, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)data; len--; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

static inline size_t bh_strmap_hash(const char *key)
{
	return (size_t)bh_fnv1a(key, strlen(key));
}

static inline struct bh_strmap_node **bh_strmap_slot_(const struct bh_strmap *map,
						      const char *key)
{
	return &map->buckets[bh_strmap_hash(key) & (map->n_buckets - 1)];
}

static inline struct bh_strmap_node *bh_strmap_find(const struct bh_strmap *map, const char *key)
{
	if (!map->n_buckets || !key)
		return NULL;
	for (struct bh_strmap_node *n = *bh_strmap_slot_(map, key); n; n = n->next)
		if (strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

static inline int bh_strmap_resize_(struct bh_strmap *map, size_t n_buckets)
{
	struct bh_strmap_node **buckets =
		(struct bh_strmap_node **)calloc(n_buckets, sizeof *buckets);
	if (!buckets)
		return -1;
	for (size_t i = 0; i < map->n_buckets; i++) {
		while (map->buckets[i]) {
			struct bh_strmap_node *n = map->buckets[i];
			map->buckets[i] = n->next;
			size_t b = bh_strmap_hash(n->key) & (n_buckets - 1);
			n->next = buckets[b];
			buckets[b] = n;
		}
	}
	free(map->buckets);
	map->buckets = buckets;
	map->n_buckets = n_buckets;
	return 0;
}

/* Links a node whose key is not in the map yet (the caller checks with
 * bh_strmap_find: entries differ in how they update).  -1 only when the
 * first bucket array cannot be allocated. */
static inline int bh_strmap_insert(struct bh_strmap *map, struct bh_strmap_node *node)
{
	if (!map->n_buckets && bh_strmap_resize_(map, BH_STRMAP_FIRST_BUCKETS) < 0)
		return -1;
	if (map->count >= map->n_buckets)
		(void)bh_strmap_resize_(map, map->n_buckets * 2); /* OOM: longer chains */
	struct bh_strmap_node **slot = bh_strmap_slot_(map, node->key);
	node->next = *slot;
	*slot = node;
	map->count++;
	return 0;
}

/* Unlinks a node that is in the map. */
static inline void bh_strmap_unlink(struct bh_strmap *map, struct bh_strmap_node *node)
{
	for (struct bh_strmap_node **link = bh_strmap_slot_(map, node->key); *link;
	     link = &(*link)->next) {
		if (*link == node) {
			*link = node->next;
			node->next = NULL;
			map->count--;
			return;
		}
	}
}

/* Unlinks and returns the node with that key, or NULL. */
static inline struct bh_strmap_node *bh_strmap_remove(struct bh_strmap *map, const char *key)
{
	struct bh_strmap_node *n = bh_strmap_find(map, key);
	if (n)
		bh_strmap_unlink(map, n);
	return n;
}

struct bh_strmap_iter {
	const struct bh_strmap *map;
	size_t bucket;               /* next bucket to start */
	struct bh_strmap_node *next; /* fetched before the current one is returned */
};

static inline struct bh_strmap_iter bh_strmap_iter(const struct bh_strmap *map)
{
	struct bh_strmap_iter it = { map, 0, NULL };
	return it;
}

/* The next node, or NULL at the end.  The node returned may be unlinked
 * (and freed) before the next call; inserting during iteration may or may
 * not visit the new node and, if it grows the table, may skip others. */
static inline struct bh_strmap_node *bh_strmap_next(struct bh_strmap_iter *it)
{
	while (!it->next && it->bucket < it->map->n_buckets)
		it->next = it->map->buckets[it->bucket++];
	struct bh_strmap_node *n = it->next;
	if (n)
		it->next = n->next;
	return n;
}

/* A set of entries that each own their key: the find-or-add and the
 * clear-all every keyed table writes alike.
 *
 *     struct thing { struct bh_strmap_node node; char *name; ... };
 *     struct thing *t = BH_STRMAP_ADD(&map, name, struct thing, node, name);
 *     ...
 *     bh_strmap_clear(&map, free_thing_node);
 *
 * BH_STRMAP_ADD allocates a zeroed entry, gives it its own copy of key (in
 * the char * member key_member, which node.key points at; the entry frees
 * it) and inserts it.  The key must not be in the map yet.  NULL when out
 * of memory (nothing is left allocated). */
static inline void *bh_strmap_add_new_(struct bh_strmap *map, const char *key, size_t size,
				       size_t node_offset, size_t key_offset)
{
	size_t key_len = strlen(key);
	char *entry = (char *)calloc(1, size);
	char *copy = (char *)malloc(key_len + 1); /* not strdup: plain C11 */
	if (copy)
		memcpy(copy, key, key_len + 1);
	if (!entry || !copy) {
		free(entry);
		free(copy);
		return NULL;
	}
	struct bh_strmap_node *node = (struct bh_strmap_node *)(void *)(entry + node_offset);
	memcpy(entry + key_offset, &copy, sizeof copy);
	node->key = copy;
	if (bh_strmap_insert(map, node) < 0) {
		free(copy);
		free(entry);
		return NULL;
	}
	return entry;
}

#define BH_STRMAP_ADD(map, key, type, node_member, key_member)                     \
	((type *)bh_strmap_add_new_((map), (key), sizeof(type), offsetof(type, node_member), \
				    offsetof(type, key_member)))

/* Calls free_entry on every node (which frees the entry that holds it),
 * then frees the bucket array: the map is empty again. */
static inline void bh_strmap_clear(struct bh_strmap *map, void (*free_entry)(struct bh_strmap_node *))
{
	struct bh_strmap_iter it = bh_strmap_iter(map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		free_entry(n);
	bh_strmap_free(map);
}

#ifdef __cplusplus
}
#endif

#endif
