/*
 * An intrusive doubly-linked list of the requests a client has in flight
 * (http_multi.c, publisher-etcd's etcd_client.c, inspector-docker's
 * docker_client.c): O(1) unlink of the one that finished or was cancelled.
 * The entry type has `prev` and `next` members; head is the client's
 * pointer to the first entry.  Macros, because the entry types differ.
 *
 * header-only: nothing to compile.
 */
#ifndef BH_COMMON_DLIST_H
#define BH_COMMON_DLIST_H

#include <stddef.h>

/* Puts item first. */
#define BH_DLIST_PUSH(head, item)            \
	do {                                 \
		(item)->prev = NULL;         \
		(item)->next = (head);       \
		if (head)                    \
			(head)->prev = (item); \
		(head) = (item);             \
	} while (0)

/* Takes item out (it must be in the list, or already out with both links
 * NULL and not the head) and clears its links. */
#define BH_DLIST_UNLINK(head, item)                        \
	do {                                               \
		if ((item)->prev)                          \
			(item)->prev->next = (item)->next; \
		else if ((head) == (item))                 \
			(head) = (item)->next;             \
		if ((item)->next)                          \
			(item)->next->prev = (item)->prev; \
		(item)->prev = (item)->next = NULL;        \
	} while (0)

#endif
