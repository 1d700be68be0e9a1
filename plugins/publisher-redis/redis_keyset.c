/*
 * Chained hash set of strings.  Grows by doubling so that a refresh of many
 * thousand registrations stays O(1) per key.
 */
#include "config.h"

#include "redis_keyset.h"

#include <stdlib.h>
#include <string.h>

struct keyset_entry {
	char *key;
	uint64_t tag;
	void *data;
	struct keyset_entry *next;
};

/* FNV-1a: good enough for keys we produce ourselves. */
uint64_t keyset_hash(const char *data, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)data[i];
		h *= 1099511628211ull;
	}
	return h;
}

void keyset_init(struct keyset *set)
{
	memset(set, 0, sizeof *set);
}

void keyset_clear(struct keyset *set)
{
	for (size_t i = 0; i < set->n_buckets; i++) {
		struct keyset_entry *e = set->buckets[i];
		while (e) {
			struct keyset_entry *next = e->next;
			free(e->key);
			free(e);
			e = next;
		}
	}
	free(set->buckets);
	keyset_init(set);
}

static struct keyset_entry **find(const struct keyset *set, const char *key)
{
	if (set->n_buckets == 0)
		return NULL;
	size_t b = keyset_hash(key, strlen(key)) & (set->n_buckets - 1);
	struct keyset_entry **link = &set->buckets[b];
	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static int grow(struct keyset *set)
{
	size_t n = set->n_buckets ? set->n_buckets * 2 : 64;
	struct keyset_entry **buckets = calloc(n, sizeof *buckets);
	if (!buckets)
		return -1;
	for (size_t i = 0; i < set->n_buckets; i++) {
		struct keyset_entry *e = set->buckets[i];
		while (e) {
			struct keyset_entry *next = e->next;
			size_t b = keyset_hash(e->key, strlen(e->key)) & (n - 1);
			e->next = buckets[b];
			buckets[b] = e;
			e = next;
		}
	}
	free(set->buckets);
	set->buckets = buckets;
	set->n_buckets = n;
	return 0;
}

int keyset_put(struct keyset *set, const char *key, uint64_t tag)
{
	struct keyset_entry **link = find(set, key);
	if (link && *link) {
		(*link)->tag = tag;
		return 0;
	}
	if (set->count >= set->n_buckets && grow(set) < 0)
		return -1;
	link = find(set, key);
	struct keyset_entry *e = calloc(1, sizeof *e);
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return -1;
	}
	e->tag = tag;
	*link = e;
	set->count++;
	return 0;
}

bool keyset_get(const struct keyset *set, const char *key, uint64_t *tag)
{
	struct keyset_entry **link = find(set, key);
	if (!link || !*link)
		return false;
	if (tag)
		*tag = (*link)->tag;
	return true;
}

void *keyset_take(struct keyset *set, const char *key)
{
	struct keyset_entry **link = find(set, key);
	if (!link || !*link)
		return NULL;
	struct keyset_entry *e = *link;
	void *data = e->data;
	*link = e->next;
	free(e->key);
	free(e);
	set->count--;
	return data;
}

void keyset_remove(struct keyset *set, const char *key)
{
	(void)keyset_take(set, key);
}

int keyset_put_data(struct keyset *set, const char *key, void *data, void **old)
{
	*old = NULL;
	struct keyset_entry **link = find(set, key);
	if (link && *link) {
		*old = (*link)->data;
		(*link)->data = data;
		return 0;
	}
	if (keyset_put(set, key, 0) < 0)
		return -1;
	link = find(set, key);
	(*link)->data = data;
	return 0;
}

/* Scans on from where the last pop stopped (wrapping round once), so that
 * emptying a set of n keys costs O(n + buckets), not O(n * buckets). */
char *keyset_pop(struct keyset *set, uint64_t *tag, void **data)
{
	if (set->count == 0)
		return NULL;
	for (size_t scanned = 0; scanned < set->n_buckets; scanned++) {
		size_t i = (set->pop_cursor + scanned) & (set->n_buckets - 1);
		struct keyset_entry *e = set->buckets[i];
		if (e) {
			char *key = e->key;
			if (data)
				*data = e->data;
			if (tag)
				*tag = e->tag;
			set->buckets[i] = e->next;
			free(e);
			set->count--;
			set->pop_cursor = i;
			return key;
		}
	}
	return NULL;
}
