/*
 * Withdrawals a retiring publisher still owes its store (a DEL it could not
 * deliver: the store was down) must not die with it: with expire = 0 the key
 * would stay forever.  When a reload replaces the publishers, each old one
 * hands what it owes (ABI 1.2 hand_over_withdrawals) to its successor: the
 * new publisher of the same plugin, at the same position if there is one
 * there, else the first.  The successor sends them through its withdraw()
 * before the replay of the current registrations; a key that is registered
 * again meanwhile is skipped (the replay stores it).
 */
#include "config.h"

#include "handover.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

struct owed_withdrawal {
	char *key;
	char *container; /* may be NULL */
	size_t successor; /* index into the new set's publishers */
	struct owed_withdrawal *next;
};

struct handover {
	struct owed_withdrawal *head;
	struct owed_withdrawal **tail;
	size_t count;
};

struct collect_ctx {
	struct handover *handover;
	const struct plugin_instance *from;
	bool has_successor;
	size_t successor;
	size_t count;
	bool out_of_memory;
};

static bool find_successor(const struct plugin_instance *old, size_t old_index,
			   const struct plugin_set *next, size_t *successor)
{
	const char *name = plugin_instance_name(old);
	if (old_index < next->n_publishers &&
	    strcmp(plugin_instance_name(&next->publishers[old_index]), name) == 0) {
		*successor = old_index;
		return true;
	}
	for (size_t i = 0; i < next->n_publishers; i++) {
		if (strcmp(plugin_instance_name(&next->publishers[i]), name) == 0) {
			*successor = i;
			return true;
		}
	}
	return false;
}

static void collect_one(void *arg, const char *key, const char *container)
{
	struct collect_ctx *ctx = arg;
	ctx->count++;
	if (!ctx->has_successor) {
		/* Nobody can send it any more: the operator must. */
		log_warning("reload: %s: %s%s%s was withdrawn but its store never confirmed it, and "
			    "no publisher of the new configuration takes over: the key is left "
			    "behind",
			    ctx->from->origin, key, container ? " of container " : "",
			    container ? container : "");
		return;
	}
	struct owed_withdrawal *w = calloc(1, sizeof *w);
	if (w) {
		w->key = strdup(key);
		w->container = container ? strdup(container) : NULL;
		w->successor = ctx->successor;
	}
	if (!w || !w->key || (container && !w->container)) {
		if (w) {
			free(w->key);
			free(w->container);
			free(w);
		}
		ctx->out_of_memory = true;
		return;
	}
	*ctx->handover->tail = w;
	ctx->handover->tail = &w->next;
	ctx->handover->count++;
}

struct handover *handover_take(struct plugin_set *old, const struct plugin_set *next)
{
	struct handover *h = calloc(1, sizeof *h);
	if (!h) {
		log_error("reload: out of memory: withdrawals the old publishers owe are lost");
		return NULL;
	}
	h->tail = &h->head;
	for (size_t i = 0; i < old->n_publishers; i++) {
		struct plugin_instance *inst = &old->publishers[i];
		struct collect_ctx ctx = {.handover = h, .from = inst};
		ctx.has_successor = find_successor(inst, i, next, &ctx.successor);
		if (!plugin_instance_hand_over(inst, collect_one, &ctx))
			continue;
		if (ctx.out_of_memory)
			log_error("reload: %s: out of memory: some owed withdrawals are lost",
				  inst->origin);
		if (ctx.count > 0 && ctx.has_successor)
			log_info("reload: %s hands %zu owed withdrawal(s) to %s of the new "
				 "configuration",
				 inst->origin, ctx.count, next->publishers[ctx.successor].slot->instance);
	}
	return h;
}

void handover_give(const struct plugin_set *set, const struct registrations *registrations,
		   struct handover *h)
{
	if (!h)
		return;
	struct owed_withdrawal *w = h->head;
	while (w) {
		struct owed_withdrawal *next = w->next;
		const struct plugin_instance *to =
			w->successor < set->n_publishers ? &set->publishers[w->successor] : NULL;
		/* Registered again (same container, same key): the replay stores it. */
		if (to && to->started && !registrations_hold(registrations, w->container, w->key))
			(void)plugin_instance_withdraw(to, w->key, w->container);
		free(w->key);
		free(w->container);
		free(w);
		w = next;
	}
	free(h);
}
