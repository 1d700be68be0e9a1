#include "config.h"

#include "container_states.h"

#include <stdlib.h>
#include <string.h>

struct state_entry {
	struct bh_strmap_node node;
	enum container_state state;
	uint64_t seen_pass;
	char name[];
};

void container_states_init(struct container_states *s)
{
	memset(s, 0, sizeof *s);
	bh_strmap_init(&s->map);
}

static void drop(struct container_states *s, struct bh_strmap_node *n)
{
	struct state_entry *e = BH_STRMAP_ENTRY(n, struct state_entry, node);
	bh_strmap_unlink(&s->map, n);
	s->counts[e->state]--;
	free(e);
}

void container_states_free(struct container_states *s)
{
	container_states_sweep(s, UINT64_MAX);
	bh_strmap_free(&s->map);
}

void container_states_set(struct container_states *s, const char *name, enum container_state state,
			  uint64_t pass)
{
	struct bh_strmap_node *n = bh_strmap_find(&s->map, name);
	struct state_entry *e = n ? BH_STRMAP_ENTRY(n, struct state_entry, node) : NULL;
	if (!e) {
		size_t len = strlen(name) + 1;
		if (!(e = malloc(sizeof *e + len)))
			return;
		memcpy(e->name, name, len);
		e->node.key = e->name;
		if (bh_strmap_insert(&s->map, &e->node) < 0) {
			free(e);
			return;
		}
	} else {
		s->counts[e->state]--;
	}
	e->state = state;
	e->seen_pass = pass;
	s->counts[state]++;
}

void container_states_forget(struct container_states *s, const char *name)
{
	struct bh_strmap_node *n = bh_strmap_find(&s->map, name);
	if (n)
		drop(s, n);
}

void container_states_sweep(struct container_states *s, uint64_t pass)
{
	struct bh_strmap_iter it = bh_strmap_iter(&s->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));)
		if (BH_STRMAP_ENTRY(n, struct state_entry, node)->seen_pass < pass)
			drop(s, n);
}
