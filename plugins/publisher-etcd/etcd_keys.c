/*
 * What this daemon holds in etcd, key by key: the value the core wants and
 * the value etcd confirmed.  Comparing the two is what makes a refresh write
 * nothing when nothing changed.  Kept in a bh_strmap: refreshes look every
 * key up.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "etcd_publisher.h"

int etcd_keys_init(struct etcd_keys *k)
{
	bh_strmap_init(&k->map);
	return 0;
}

static struct etcd_key *key_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct etcd_key, node) : NULL;
}

struct etcd_key *etcd_keys_find(const struct etcd_keys *k, const char *key)
{
	return key_of(bh_strmap_find(&k->map, key));
}

static void key_free(struct etcd_key *e)
{
	free(e->key);
	free(e->want);
	free(e->stored);
	free(e->sent);
	free(e);
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
	e->node.key = e->key;
	if (bh_strmap_insert(&k->map, &e->node) < 0) {
		key_free(e);
		return NULL;
	}
	return e;
}

void etcd_keys_remove(struct etcd_keys *k, struct etcd_key *e)
{
	bh_strmap_unlink(&k->map, &e->node);
	key_free(e);
}

void etcd_keys_each(struct etcd_keys *k, void (*fn)(void *arg, struct etcd_key *e), void *arg)
{
	struct bh_strmap_iter it = bh_strmap_iter(&k->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		fn(arg, key_of(n)); /* fn may remove it */
}

void etcd_keys_free(struct etcd_keys *k)
{
	struct bh_strmap_iter it = bh_strmap_iter(&k->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		key_free(key_of(n));
	bh_strmap_free(&k->map);
}

bool etcd_key_dirty(const struct etcd_key *e)
{
	if (e->stale)
		return true;
	if (!e->want || !e->stored)
		return e->want != e->stored;
	return strcmp(e->want, e->stored) != 0;
}
