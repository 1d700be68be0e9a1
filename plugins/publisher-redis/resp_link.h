/*
 * One connection to a RESP server (Redis or Sentinel) that we own from end to
 * end: a non-blocking socket on the core loop, our own output buffer, our own
 * FIFO of commands awaiting replies.  hiredis is used only to format commands
 * (redisFormatCommandArgv) and to parse replies (redisReader), never for
 * I/O: hiredis' async layer asserts (SIGABRT) on a reply nobody asked for,
 * and a publisher must survive whatever answers on its address.
 *
 * Every failure (I/O error, EOF, a reply with no command awaiting it, a
 * malformed or oversized reply) closes the link and is reported once through
 * failed(); the owner then frees it.  Replies are capped (RESP_LINK_MAX_REPLY
 * bytes of buffered input or built reply): replies to our commands are tiny.
 */
#ifndef BH_RESP_LINK_H
#define BH_RESP_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include <beachhead/plugin.h>

/* The largest reply we accept, and the most elements in one array. */
#define RESP_LINK_MAX_REPLY (1024u * 1024u)
#define RESP_LINK_MAX_ELEMENTS 4096

struct resp_link;

struct resp_address {
	const char *unix_path; /* wins when set */
	const char *host;
	int port;
};

struct resp_link_callbacks {
	/* The socket connected (nothing was answered yet).  May be NULL. */
	void (*connected)(void *arg);
	/* The link broke and is closed: commands still awaiting replies have
	 * had their callbacks run with NULL.  Called at most once; the owner
	 * must resp_link_free() it (it may do so from inside this callback). */
	void (*failed)(void *arg, const char *reason);
	/* A pub/sub push (an array whose first element is "message", or
	 * "pmessage" for a pattern subscription).  NULL: such a reply is a protocol error like any other
	 * unsolicited reply. */
	void (*message)(void *arg, const redisReply *reply);
};

/* The reply to one command; reply == NULL: the link closed before it came.
 * The reply is freed after the callback returns. */
typedef void (*resp_reply_fn)(void *arg, void *privdata, const redisReply *reply);

/* Starts a non-blocking connect; a host name is resolved first, off the
 * loop (resolve.h), and a failed lookup is a failed() like a refused
 * connect ("cannot resolve HOST: REASON").  Returns NULL and sets *error (a static
 * or allocated message, see below) when not even that could start.
 * *error must be freed by the caller. */
struct resp_link *resp_link_open(const struct bh_host_api *api, struct bh_host *host,
				 const struct resp_address *address,
				 const struct resp_link_callbacks *callbacks, void *arg, char **error);

/* Queues one command (sent as soon as the socket is writable).  Returns
 * BH_ERR (and never calls cb) when the link is closed or out of memory. */
int resp_link_send(struct resp_link *link, resp_reply_fn cb, void *privdata, int argc,
		   const char **argv, const size_t *argvlen);

/* Corked, commands are queued (and await their replies in order) but held
 * back; uncork sends them.  The handshake corks the link after its own
 * commands, so that nothing else reaches a server before it is known to
 * be the right one (the master) and to accept us.  Uncork returns BH_ERR
 * when out of memory (the held commands are then lost: the caller drops
 * the link). */
void resp_link_cork(struct resp_link *link);
int resp_link_uncork(struct resp_link *link);

bool resp_link_connected(const struct resp_link *link);
/* While the link still waits for its host name's lookup: "resolving HOST
 * timed out after MS ms" (allocated; NULL otherwise), the reason for a
 * connect timeout that expires then. */
char *resp_link_resolve_timeout(const struct resp_link *link, unsigned ms);
/* Commands sent and not yet answered. */
size_t resp_link_waiting(const struct resp_link *link);

/* Closes (if still open), runs every waiting command's callback with NULL,
 * and frees; safe from inside any of the link's own callbacks. */
void resp_link_free(struct resp_link *link);

/* A glob pattern (SCAN MATCH, PSUBSCRIBE) matching exactly the strings
 * that start with prefix: every byte the glob gives a meaning to is
 * escaped, then '*'.  NULL when out of memory. */
char *resp_match_pattern(const char *prefix);

#endif
