/*
 * A small set of keys, each with a 64-bit tag: the withdrawals that still owe
 * a DEL (made while Redis was unreachable) and, when notifications are on,
 * a hash of the last value stored per key (to notify only on real changes),
 * and the SETs a server refused (with the data needed to retry them).
 */
#ifndef BH_REDIS_KEYSET_H
#define BH_REDIS_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/strmap.h>

struct keyset {
	struct bh_strmap map;
	size_t pop_cursor; /* where keyset_pop() goes on looking */
};

void keyset_init(struct keyset *set);
void keyset_clear(struct keyset *set);
/* Inserts or updates; returns 0 or -1 (out of memory). */
int keyset_put(struct keyset *set, const char *key, uint64_t tag);
/* Returns true and stores the tag when key is present. */
bool keyset_get(const struct keyset *set, const char *key, uint64_t *tag);
void keyset_remove(struct keyset *set, const char *key);
/* Removes and returns any one key (caller frees), or NULL when empty;
 * stores its tag and data pointer where tag and data are not NULL. */
char *keyset_pop(struct keyset *set, uint64_t *tag, void **data);

/* Data pointers (owned by the caller; keyset_clear does not free them).
 * put_data inserts or replaces and hands back the replaced pointer (or
 * NULL) through *old; returns 0 or -1 (out of memory, nothing changed). */
int keyset_put_data(struct keyset *set, const char *key, void *data, void **old);
/* Removes key and returns its data (NULL when absent). */
void *keyset_take(struct keyset *set, const char *key);

uint64_t keyset_hash(const char *data, size_t len);

#endif
