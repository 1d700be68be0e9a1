#include "config.h"

#include "error_memo.h"

#include <stdlib.h>
#include <string.h>

struct memo_entry {
	char *container;
	char *message;
	struct bh_strmap_node node; /* keyed by container */
};

static struct memo_entry *entry_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct memo_entry, node) : NULL;
}

static void entry_free(struct memo_entry *e)
{
	free(e->container);
	free(e->message);
	free(e);
}

void error_memo_init(struct error_memo *memo)
{
	bh_strmap_init(&memo->by_container);
}

void error_memo_free(struct error_memo *memo)
{
	struct bh_strmap_iter it = bh_strmap_iter(&memo->by_container);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		entry_free(entry_of(n));
	bh_strmap_free(&memo->by_container);
}

bool error_memo_is_news(struct error_memo *memo, const char *container, const char *message)
{
	struct memo_entry *e = entry_of(bh_strmap_find(&memo->by_container, container));
	if (e && strcmp(e->message, message) == 0)
		return false;
	char *copy = strdup(message);
	if (!copy)
		return true;
	if (e) {
		free(e->message);
		e->message = copy;
		return true;
	}
	e = calloc(1, sizeof *e);
	if (e && (e->container = strdup(container))) {
		e->message = copy;
		e->node.key = e->container;
		if (bh_strmap_insert(&memo->by_container, &e->node) == 0)
			return true;
		free(e->container);
	}
	free(e);
	free(copy);
	return true;
}

void error_memo_forget(struct error_memo *memo, const char *container)
{
	struct bh_strmap_node *n = bh_strmap_remove(&memo->by_container, container);
	if (n)
		entry_free(entry_of(n));
}
