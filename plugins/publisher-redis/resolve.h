/*
 * Host names resolved off the core loop.  getaddrinfo() blocks for as long
 * as the resolver takes (timeout x attempts per name, 10 s with glibc's
 * defaults when no DNS server answers), which must never stall the daemon:
 * each lookup runs in a detached thread of its own, and its answer comes
 * back through an eventfd watched on the loop.
 *
 * The owner may give a lookup up at any time (resolve_cancel), also while
 * the thread still waits for the resolver: the thread then finishes alone
 * and its late answer is dropped.  The thread touches nothing but the job,
 * which it shares with the owner through a reference count; the last of
 * the two frees it.
 *
 * The module is linked with -z nodelete: a thread still waiting for the
 * resolver runs this module's code when it returns, so the module must
 * stay mapped after the core dlclose()s it (a reload, the exit).
 */
#ifndef BH_RESOLVE_H
#define BH_RESOLVE_H

#include <netdb.h>

#include <beachhead/plugin.h>

/* The most lookups waiting for the resolver at once in the process (each
 * holds a thread): beyond that, a lookup fails at once rather than piling
 * up threads behind a resolver that never answers. */
#define RESOLVE_MAX_IN_FLIGHT 16u

struct resolve_job;

/* The answer, on the loop.  addresses: the candidates, now the callee's
 * (freeaddrinfo); NULL when the lookup failed, and error then says why
 * ("cannot resolve NAME: REASON", valid during the call).  The job is gone
 * when this runs: do not cancel it. */
typedef void (*resolve_done_fn)(void *arg, struct addrinfo *addresses, const char *error);

/* Starts resolving name:service (TCP, any address family).  Returns NULL
 * and sets *error (allocated, the caller frees it; NULL: out of memory)
 * when the lookup cannot even start. */
struct resolve_job *resolve_start(const struct bh_host_api *api, struct bh_host *host,
				  const char *name, const char *service, resolve_done_fn done,
				  void *arg, char **error);

/* Gives the lookup up: done() is never called for it. */
void resolve_cancel(struct resolve_job *job);

#endif
