#include "config.h"

#include "http_endpoint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "mhd_library.h"

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

struct http_endpoint {
	const struct mhd_library *lib;
	struct MHD_Daemon *mhd;
	struct bh_watch *watch;   /* MHD's epoll fd in the core loop */
	struct bh_timer *timer;   /* MHD's next timeout */
	struct http_routes routes;
	unsigned port;
};

/* A connection's request state: what its body has cost so far. */
struct request {
	size_t body_bytes;
};

static void mhd_log(void *arg, const char *fmt, va_list ap)
{
	(void)arg;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	/* Misbehaving scrapers are not the daemon's errors. */
	log_msg(BH_LOG_DEBUG, "metrics", "%s", line);
}

static enum MHD_Result respond(const struct mhd_library *lib, struct MHD_Connection *conn,
			       unsigned status, char *body, size_t len, const char *content_type)
{
	static const char internal_error[] = "internal error\n";
	struct MHD_Response *response =
		body ? lib->create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
		     : lib->create_response_from_buffer(sizeof internal_error - 1,
							(void *)internal_error,
							MHD_RESPMEM_PERSISTENT);
	if (!response) {
		free(body);
		return MHD_NO;
	}
	if (!body)
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	enum MHD_Result ok =
		lib->add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (ok == MHD_YES)
		ok = lib->queue_response(conn, status, response);
	lib->destroy_response(response);
	return ok;
}

static enum MHD_Result respond_text(const struct mhd_library *lib, struct MHD_Connection *conn,
				    unsigned status, const char *text)
{
	char *body = strdup(text);
	return respond(lib, conn, status, body, body ? strlen(body) : 0, CONTENT_TYPE_TEXT);
}

static enum MHD_Result route(struct http_endpoint *e, struct MHD_Connection *conn,
			     const char *url)
{
	size_t len = 0;
	if (strcmp(url, "/metrics") == 0) {
		char *body = e->routes.metrics(e->routes.arg, &len);
		return respond(e->lib, conn, MHD_HTTP_OK, body, len, CONTENT_TYPE_METRICS);
	}
	if (strcmp(url, "/healthz") == 0)
		return respond_text(e->lib, conn, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/readyz") == 0) {
		bool ready = false;
		char *body = e->routes.readiness(e->routes.arg, &len, &ready);
		return respond(e->lib, conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body,
			       len, CONTENT_TYPE_TEXT);
	}
	return respond_text(e->lib, conn, MHD_HTTP_NOT_FOUND,
			    "not found: /metrics, /healthz, /readyz\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **state)
{
	(void)version;
	(void)upload_data;
	struct http_endpoint *e = cls;
	struct request *req = *state;
	if (!req) { /* headers only: the body, if any, comes in the next calls */
		if (!(req = calloc(1, sizeof *req)))
			return MHD_NO;
		*state = req;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* The headers are bounded by the connection's memory; a body
		 * counts against the same 8 KiB, then the client is dropped. */
		req->body_bytes += *upload_data_size;
		*upload_data_size = 0;
		return req->body_bytes > HTTP_MAX_REQUEST_BYTES ? MHD_NO : MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond_text(e->lib, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	return route(e, conn, url);
}

static void on_request_done(void *cls, struct MHD_Connection *conn, void **state,
			    enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	free(*state);
	*state = NULL;
}

/* After every run: when MHD wants to be called again without an fd event
 * (idle timeouts, a response to continue), the timer does it. */
static void schedule(struct http_endpoint *e)
{
	MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
	if (e->lib->get_timeout(e->mhd, &timeout_ms) != MHD_YES) {
		loop_timer_disarm(e->timer);
		return;
	}
	if (loop_timer_arm(e->timer, (uint64_t)timeout_ms) < 0)
		log_warning("metrics: cannot arm the HTTP timer; idle clients are dropped late");
}

static void run(struct http_endpoint *e)
{
	if (e->lib->run(e->mhd) != MHD_YES)
		log_debug("metrics: the HTTP server reported a failed run");
	schedule(e);
}

static void on_ready(void *arg, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	run(arg);
}

static void on_timer(void *arg)
{
	run(arg);
}

static struct MHD_Daemon *start_mhd(struct http_endpoint *e, const struct listen_address *a)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (a->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return e->lib->start_daemon(
		flags, 0, NULL, NULL, on_request, e,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, e, /* first: it covers the other options */
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&a->addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CLIENTS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MAX_REQUEST_BYTES,
		MHD_OPTION_NOTIFY_COMPLETED, on_request_done, e,
		MHD_OPTION_END);
}

struct http_endpoint *http_endpoint_start(struct loop *loop, const struct listen_address *address,
					  const struct http_routes *routes)
{
	char where[80];
	listen_address_format(address, 0, where, sizeof where);
	struct http_endpoint *e = calloc(1, sizeof *e);
	if (!e) {
		log_error("metrics: out of memory");
		return NULL;
	}
	e->routes = *routes;
	const char *why = NULL;
	if (!(e->lib = mhd_library_load(&why))) {
		log_error("metrics: %s", why);
		free(e);
		return NULL;
	}
	e->mhd = start_mhd(e, address);
	if (!e->mhd) {
		log_error("metrics: cannot listen on %s (address in use or not local?)", where);
		free(e);
		return NULL;
	}
	const union MHD_DaemonInfo *epoll_info =
		e->lib->get_daemon_info(e->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *port_info =
		e->lib->get_daemon_info(e->mhd, MHD_DAEMON_INFO_BIND_PORT);
	e->port = port_info ? port_info->port : 0;
	e->timer = loop_timer_new(loop, on_timer, e);
	e->watch = epoll_info && e->timer
			   ? loop_watch_add(loop, epoll_info->epoll_fd, BH_EV_READ, on_ready, e)
			   : NULL;
	if (!e->watch) {
		log_error("metrics: cannot add the HTTP server to the event loop");
		http_endpoint_stop(e);
		return NULL;
	}
	schedule(e);
	return e;
}

void http_endpoint_stop(struct http_endpoint *endpoint)
{
	if (!endpoint)
		return;
	if (endpoint->watch)
		loop_watch_remove(endpoint->watch);
	if (endpoint->timer)
		loop_timer_free(endpoint->timer);
	endpoint->lib->stop_daemon(endpoint->mhd);
	free(endpoint);
}

unsigned http_endpoint_port(const struct http_endpoint *endpoint)
{
	return endpoint->port;
}
