/*
 * The HTTP listener of /metrics, /healthz and /readyz: libmicrohttpd in its
 * external epoll mode, driven by the core loop (its epoll fd is one watch,
 * its timeouts one timer).  No thread; every request is answered from the
 * loop, and a client that stalls only holds one of the 16 connection slots
 * until the 5 s idle timeout drops it.  What the answers say comes from
 * the caller through struct http_routes: this part knows no metric.
 */
#ifndef BH_HTTP_ENDPOINT_H
#define BH_HTTP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "listen_address.h"
#include "loop.h"

/* Limits (docs/metrics.md). */
#define HTTP_MAX_CLIENTS 16u
#define HTTP_IDLE_TIMEOUT_S 5u
#define HTTP_MAX_REQUEST_BYTES 8192u

struct http_routes {
	/* GET /metrics: the exposition (malloc'd, *len bytes) or NULL (500). */
	char *(*metrics)(void *arg, size_t *len);
	/* GET /readyz: the body (malloc'd) and whether every check passed
	 * (200) or not (503); NULL: 500. */
	char *(*readiness)(void *arg, size_t *len, bool *ready);
	void *arg;
};

struct http_endpoint;

/* Binds address and serves from loop; NULL (logged) when it cannot. */
struct http_endpoint *http_endpoint_start(struct loop *loop, const struct listen_address *address,
					  const struct http_routes *routes);
/* Closes the listener and every connection. */
void http_endpoint_stop(struct http_endpoint *endpoint);
/* The port bound (the chosen one when the address said 0). */
unsigned http_endpoint_port(const struct http_endpoint *endpoint);

#endif
