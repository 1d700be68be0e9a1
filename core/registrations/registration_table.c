#include "config.h"

#include "registration_table.h"

#include <stdlib.h>
#include <string.h>

void registration_table_init(struct registration_table *reg)
{
	bh_strmap_init(&reg->map);
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

static struct registration_entry *entry_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct registration_entry, node) : NULL;
}

void registration_table_free(struct registration_table *reg)
{
	struct bh_strmap_iter it = bh_strmap_iter(&reg->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		entry_free(entry_of(n));
	bh_strmap_free(&reg->map);
}

struct registration_entry *registration_table_find(const struct registration_table *reg, const char *container)
{
	return entry_of(bh_strmap_find(&reg->map, container));
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

struct registration_entry *registration_table_put(struct registration_table *reg, const char *container,
					const char *key, const char *value)
{
	struct registration_entry *e = registration_table_find(reg, container);
	if (e)
		return replace_string(&e->key, key) == 0 && replace_string(&e->value, value) == 0 ? e : NULL;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->container = strdup(container);
	e->key = strdup(key);
	e->value = strdup(value);
	e->node.key = e->container;
	if (!e->container || !e->key || !e->value || bh_strmap_insert(&reg->map, &e->node) < 0) {
		entry_free(e);
		return NULL;
	}
	return e;
}

void registration_table_remove(struct registration_table *reg, const char *container)
{
	struct bh_strmap_node *n = bh_strmap_remove(&reg->map, container);
	if (n)
		entry_free(entry_of(n));
}

void registration_table_each(const struct registration_table *reg, registration_table_visit_cb cb, void *arg)
{
	struct bh_strmap_iter it = bh_strmap_iter(&reg->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		cb(arg, entry_of(n));
}
