/*
 * What this daemon holds in etcd, key by key: the value the core wants and
 * the value etcd confirmed.  Comparing the two is what makes a refresh write
 * nothing when nothing changed.  A chained hash table (FNV-1a) that doubles
 * when it gets full: refreshes look every key up.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "etcd_publisher.h"

#define FIRST_BUCKETS 64u

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

int etcd_keys_init(struct etcd_keys *k)
{
	k->buckets = calloc(FIRST_BUCKETS, sizeof *k->buckets);
	k->n_buckets = FIRST_BUCKETS;
	k->count = 0;
	return k->buckets ? 0 : -1;
}

struct etcd_key *etcd_keys_find(const struct etcd_keys *k, const char *key)
{
	for (struct etcd_key *e = k->buckets[hash(key) % k->n_buckets]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Doubling keeps chains short; a failed allocation only keeps them longer. */
static void grow(struct etcd_keys *k)
{
	size_t n = k->n_buckets * 2;
	struct etcd_key **buckets = calloc(n, sizeof *buckets);
	if (!buckets)
		return;
	for (size_t i = 0; i < k->n_buckets; i++) {
		while (k->buckets[i]) {
			struct etcd_key *e = k->buckets[i];
			k->buckets[i] = e->next;
			size_t b = hash(e->key) % n;
			e->next = buckets[b];
			buckets[b] = e;
		}
	}
	free(k->buckets);
	k->buckets = buckets;
	k->n_buckets = n;
}

struct etcd_key *etcd_keys_get(struct etcd_keys *k, const char *key)
{
	struct etcd_key *e = etcd_keys_find(k, key);
	if (e)
		return e;
	e = calloc(1, sizeof *e);
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	if (k->count >= k->n_buckets)
		grow(k);
	size_t b = hash(key) % k->n_buckets;
	e->next = k->buckets[b];
	k->buckets[b] = e;
	k->count++;
	return e;
}

static void key_free(struct etcd_key *e)
{
	free(e->key);
	free(e->want);
	free(e->stored);
	free(e->sent);
	free(e);
}

void etcd_keys_remove(struct etcd_keys *k, struct etcd_key *e)
{
	for (struct etcd_key **link = &k->buckets[hash(e->key) % k->n_buckets]; *link;
	     link = &(*link)->next) {
		if (*link == e) {
			*link = e->next;
			k->count--;
			key_free(e);
			return;
		}
	}
}

void etcd_keys_each(struct etcd_keys *k, void (*fn)(void *arg, struct etcd_key *e), void *arg)
{
	for (size_t i = 0; i < k->n_buckets; i++) {
		struct etcd_key *e = k->buckets[i];
		while (e) {
			struct etcd_key *next = e->next; /* fn may remove e */
			fn(arg, e);
			e = next;
		}
	}
}

void etcd_keys_free(struct etcd_keys *k)
{
	for (size_t i = 0; k->buckets && i < k->n_buckets; i++) {
		while (k->buckets[i]) {
			struct etcd_key *e = k->buckets[i];
			k->buckets[i] = e->next;
			key_free(e);
		}
	}
	free(k->buckets);
	k->buckets = NULL;
	k->count = 0;
}

bool etcd_key_dirty(const struct etcd_key *e)
{
	if (e->stale)
		return true;
	if (!e->want || !e->stored)
		return e->want != e->stored;
	return strcmp(e->want, e->stored) != 0;
}
