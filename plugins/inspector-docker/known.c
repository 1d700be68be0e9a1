/*
 * What the plugin remembers per container id between passes: the parts of an
 * inspect document that a listing does not carry and that never change after
 * creation (the environment's domain specs, the exact creation time), so
 * that a full pass needs one listing and no inspection for a container seen
 * before.  Entries are forgotten when the container is destroyed, or when a
 * complete listing no longer shows it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "known.h"

static void entry_free(struct known_container *k)
{
	free(k->id);
	free(k->name);
	free(k->env_spec);
	free(k->top_network);
	free(k->problem);
	free(k);
}

static struct known_container *known_of(struct bh_strmap_node *node)
{
	return node ? BH_STRMAP_ENTRY(node, struct known_container, node) : NULL;
}

struct known_container *known_find(const struct known_set *set, const char *id)
{
	return known_of(bh_strmap_find(&set->map, id));
}

struct known_container *known_add(struct known_set *set, const char *id, const char *name)
{
	struct known_container *k = known_find(set, id);
	if (k)
		return k;
	char *copy = strdup(name ? name : id);
	k = copy ? BH_STRMAP_ADD(&set->map, id, struct known_container, node, id) : NULL;
	if (!k) {
		free(copy);
		return NULL;
	}
	k->name = copy;
	return k;
}

void known_forget(struct known_set *set, const char *id)
{
	struct bh_strmap_node *n = bh_strmap_remove(&set->map, id);
	if (n)
		entry_free(known_of(n));
}

void known_forget_unlisted(struct known_set *set, uint64_t since_seq)
{
	struct bh_strmap_iter it = bh_strmap_iter(&set->map);
	for (struct bh_strmap_node *n; (n = bh_strmap_next(&it));) {
		struct known_container *k = known_of(n);
		/* An event after the listing was asked for is newer than the
		 * listing: keep what the event brought. */
		if (k->listed_pass != set->pass && k->event_seq <= since_seq) {
			bh_strmap_unlink(&set->map, n);
			entry_free(k);
		}
	}
}

static void node_free(struct bh_strmap_node *node)
{
	entry_free(known_of(node));
}

void known_free(struct known_set *set)
{
	bh_strmap_clear(&set->map, node_free);
}

uint64_t known_begin_pass(struct known_set *set)
{
	set->pass++;
	return set->event_seq;
}

void known_mark_listed(const struct known_set *set, struct known_container *k)
{
	k->listed_pass = set->pass;
}

void known_note_event(struct known_set *set, const char *id)
{
	set->event_seq++;
	struct known_container *k = known_find(set, id);
	if (k)
		k->event_seq = set->event_seq;
}

static bool replace(char **slot, const char *value)
{
	if (*slot && value && strcmp(*slot, value) == 0)
		return true;
	char *copy = NULL;
	if (value && !(copy = strdup(value)))
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

bool known_learn(struct known_container *k, const struct dk_container *c)
{
	/* The network that carries the inspect document's top-level
	 * IPAddress (the default network), so that a listing, which lacks
	 * that field, can still fill it in. */
	const char *top_network = NULL;
	for (size_t i = 0; c->top_ip && i < c->n_networks && !top_network; i++)
		if (c->networks[i].ip && strcmp(c->networks[i].ip, c->top_ip) == 0)
			top_network = c->networks[i].name;
	if (!replace(&k->name, c->name) || !replace(&k->env_spec, c->env_spec) ||
	    !replace(&k->top_network, top_network))
		return false;
	k->created_ns = c->created_ns;
	k->inspected = true;
	k->unreadable = false;
	return true;
}

bool known_apply(const struct known_container *k, struct dk_container *c)
{
	bool oom = false;
	if (k->env_spec && !(c->env_spec = strdup(k->env_spec)))
		oom = true;
	if (k->created_ns)
		c->created_ns = k->created_ns;
	for (size_t i = 0; k->top_network && i < c->n_networks; i++)
		if (strcmp(c->networks[i].name, k->top_network) == 0 && c->networks[i].ip &&
		    !(c->top_ip = strdup(c->networks[i].ip)))
			oom = true;
	return !oom;
}

/* The problem with every run of digits squashed to one '#': libcurl's
 * "Operation timed out after 3001 milliseconds" differs by a millisecond
 * from attempt to attempt, and that is no change worth a log line. */
static char *squash_digits(const char *text)
{
	char *out = malloc(strlen(text) + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (const char *p = text; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (o == out || o[-1] != '#')
				*o++ = '#';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

bool known_problem_is_news(struct known_container *k, const char *problem)
{
	if (!k)
		return true;
	if (!problem) {
		bool had = k->problem != NULL;
		free(k->problem);
		k->problem = NULL;
		return had;
	}
	char *key = squash_digits(problem);
	if (!key)
		return true;
	if (k->problem && strcmp(k->problem, key) == 0) {
		free(key);
		return false;
	}
	free(k->problem);
	k->problem = key;
	return true;
}
