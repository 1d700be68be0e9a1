#include "config.h"

#include "redis_held.h"

#include <stdlib.h>
#include <string.h>

void held_init(struct held_set *set)
{
	bh_strmap_init(&set->map);
}

static void reg_free(struct held_reg *h)
{
	free(h->key);
	free(h->container);
	free(h->value);
	free(h);
}

struct held_reg *held_find(const struct held_set *set, const char *key)
{
	struct bh_strmap_node *n = bh_strmap_find(&set->map, key);
	return n ? BH_STRMAP_ENTRY(n, struct held_reg, node) : NULL;
}

/* Copies value and container into h (replacing what it had). */
static int take_value(struct held_reg *h, const struct bh_registration *reg)
{
	char *value = malloc(reg->value_len + 1);
	char *container = reg->container ? strdup(reg->container) : NULL;
	if (!value || (reg->container && !container)) {
		free(value);
		free(container);
		return -1;
	}
	memcpy(value, reg->value, reg->value_len);
	value[reg->value_len] = '\0';
	free(h->value);
	free(h->container);
	h->value = value;
	h->value_len = reg->value_len;
	h->container = container;
	h->ttl = reg->ttl;
	return 0;
}

struct held_reg *held_put(struct held_set *set, const struct bh_registration *reg)
{
	struct held_reg *h = held_find(set, reg->key);
	if (h)
		return take_value(h, reg) == 0 ? h : NULL;
	h = BH_STRMAP_ADD(&set->map, reg->key, struct held_reg, node, key);
	if (h && take_value(h, reg) < 0) {
		bh_strmap_unlink(&set->map, &h->node);
		reg_free(h);
		return NULL;
	}
	return h;
}

void held_remove(struct held_set *set, const char *key)
{
	struct bh_strmap_node *n = bh_strmap_remove(&set->map, key);
	if (n)
		reg_free(BH_STRMAP_ENTRY(n, struct held_reg, node));
}

static void node_free(struct bh_strmap_node *node)
{
	reg_free(BH_STRMAP_ENTRY(node, struct held_reg, node));
}

void held_clear(struct held_set *set)
{
	bh_strmap_clear(&set->map, node_free);
}

void held_forget_own_events(struct held_set *set)
{
	struct bh_strmap_iter it = bh_strmap_iter(&set->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		BH_STRMAP_ENTRY(n, struct held_reg, node)->own_events = 0;
}
