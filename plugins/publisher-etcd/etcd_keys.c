/*
 * What this daemon holds in etcd, key by key: the value the core wants and
 * the value etcd confirmed.  Comparing the two is what makes a refresh write
 * nothing when nothing changed.  Kept in a bh_strmap: refreshes look every
 * key up.
 *
 * What the watch shows about a key is judged here too (etcd_key_event,
 * etcd_key_snapshot): the verdict says whether someone else deleted or
 * overwrote it; the publisher logs and puts it back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "etcd_keys.h"

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
	return BH_STRMAP_ADD(&k->map, key, struct etcd_key, node, key);
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

static void node_free(struct bh_strmap_node *node)
{
	key_free(key_of(node));
}

void etcd_keys_free(struct etcd_keys *k)
{
	bh_strmap_clear(&k->map, node_free);
}

bool etcd_key_dirty(const struct etcd_key *e)
{
	if (e->stale)
		return true;
	if (e->foreign || (e->adopted && !e->want))
		return false; /* another host's value stands; kept for the sweep */
	if (!e->want || !e->stored)
		return e->want != e->stored;
	return strcmp(e->want, e->stored) != 0;
}

/* ------------------------------------------------------ what etcd shows */

static bool holds(const char *stored, const struct etcd_kv *kv)
{
	return stored && strlen(stored) == kv->value_len && memcmp(stored, kv->value, kv->value_len) == 0;
}

static void set_stored(struct etcd_key *e, char *value /* consumed */, int64_t revision)
{
	free(e->stored);
	e->stored = value;
	e->stored_rev = value ? revision : 0;
}

enum etcd_seen etcd_key_event(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease, bool shared)
{
	if (kv->mod_revision <= e->stored_rev)
		return ETCD_SEEN_NOTHING; /* our write's echo, or older */
	if (e->call) {
		/* Judged when the write's revision is known (on_written). */
		if (kv->mod_revision > e->event_rev)
			e->event_rev = kv->mod_revision;
		return ETCD_SEEN_NOTHING;
	}
	if (!kv->deleted && kv->lease == lease && holds(e->stored, kv)) {
		e->stored_rev = kv->mod_revision;
		return ETCD_SEEN_NOTHING;
	}
	bool had = e->stored != NULL || e->foreign;
	set_stored(e, NULL, 0);
	if (kv->deleted) {
		e->foreign = false;
		return had && e->want ? ETCD_SEEN_DELETED : ETCD_SEEN_NOTHING;
	}
	if (!e->want)
		return ETCD_SEEN_NOTHING;
	if (shared && kv->lease != lease) {
		bool news = !e->foreign;
		e->foreign = true;
		return news ? ETCD_SEEN_FOREIGN_HOST : ETCD_SEEN_NOTHING;
	}
	return ETCD_SEEN_OVERWRITTEN;
}

enum etcd_seen etcd_key_snapshot(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease)
{
	e->seen = true;
	if (e->call)
		return ETCD_SEEN_NOTHING;
	bool was_ours = e->stored != NULL;
	bool changed = !holds(e->stored, kv);
	if (kv->lease == lease) {
		char *copy = malloc(kv->value_len + 1);
		if (copy) {
			memcpy(copy, kv->value, kv->value_len);
			copy[kv->value_len] = '\0';
		}
		set_stored(e, copy, kv->mod_revision);
	} else if (!e->foreign) {
		set_stored(e, NULL, 0);
	}
	return was_ours && changed && e->want ? ETCD_SEEN_OVERWRITTEN : ETCD_SEEN_NOTHING;
}

enum etcd_seen etcd_key_snapshot_missing(struct etcd_key *e)
{
	if (e->seen || e->call)
		return ETCD_SEEN_NOTHING;
	bool had = e->stored != NULL;
	e->foreign = false;
	set_stored(e, NULL, 0);
	return had && e->want ? ETCD_SEEN_DELETED : ETCD_SEEN_NOTHING;
}

void etcd_key_forget(struct etcd_key *e)
{
	set_stored(e, NULL, 0);
	e->stale = false;
	e->adopted = false;
}
