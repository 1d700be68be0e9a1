/*
 * HTTP requests through libcurl's multi interface, driven by the core loop.
 * Shared by the in-tree plugins (inspector-docker, publisher-etcd); part of
 * the plugins' internal convenience library, never exported.
 *
 * Everything runs on the core loop's thread: libcurl tells us which sockets
 * to watch and when to call it back, we never block.  Finished transfers
 * call their done callback from the loop, after libcurl has let go of them,
 * so a callback may start new requests and cancel others.
 */
#ifndef BH_COMMON_HTTP_MULTI_H
#define BH_COMMON_HTTP_MULTI_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

struct bh_http;
struct bh_http_request;

/* libcurl's global state, taken by each plugin instance in init() and
 * given back when it is freed (libcurl counts the calls).  Logs and returns
 * false when libcurl cannot initialise. */
bool bh_http_library_init(const struct bh_host_api *api, struct bh_host *host);
void bh_http_library_cleanup(void);

/* Per client: how to reach the server.  Strings are copied. */
struct bh_http_options {
	const char *unix_socket; /* talk HTTP over this socket; NULL = TCP */
	const char *ca_file;     /* https: CA bundle; NULL = system default */
	const char *cert_file;   /* https: client certificate; may be NULL */
	const char *key_file;    /* https: its key; may be NULL */
	bool insecure;           /* https: do not verify the server */
	long max_connections;    /* 0 = libcurl's default */
};

struct bh_http_result {
	bool transport_ok; /* false: no usable HTTP answer (see oversized) */
	bool oversized;    /* the answer exceeded the request's max_bytes */
	long status;       /* HTTP status when transport_ok */
	const char *body;  /* NUL-terminated (empty when none) */
	size_t len;
	const char *error; /* libcurl's reason when !transport_ok */
	int os_errno;      /* the system's reason when known (ENOENT, EMFILE), else 0 */
};

/* Called once per request, from the loop; the request is freed when it
 * returns. */
typedef void (*bh_http_done_cb)(void *arg, const struct bh_http_result *result);
/* Body data of a 2xx stream, from inside libcurl's write callback: must not
 * call back into the client.  Return false to pause the transfer (libcurl
 * keeps the data) until bh_http_resume.  Non-2xx answers are buffered and
 * handed to done instead, so that the server's error text can be shown. */
typedef bool (*bh_http_chunk_cb)(void *arg, const char *data, size_t len);

struct bh_http_call {
	const char *url;              /* complete URL (http:// or https://) */
	const char *body;             /* NULL = GET; else POST with this body */
	size_t body_len;
	const char *const *headers;   /* "Name: value", NULL-terminated; may be NULL */
	size_t max_bytes;             /* cap on a buffered answer */
	long timeout_ms;              /* whole transfer; 0 = none (streams) */
	long connect_timeout_ms;      /* 0 = min(timeout_ms, 5 s) */
	bh_http_chunk_cb chunk;       /* NULL = buffer the whole answer */
	bh_http_done_cb done;
	void *arg;
};

struct bh_http *bh_http_new(const struct bh_host_api *api, struct bh_host *host,
			    const struct bh_http_options *options);
/* NULL when the request could not be queued (out of memory, bad option). */
struct bh_http_request *bh_http_start(struct bh_http *c, const struct bh_http_call *call);
/* Resumes a paused stream; from the loop only, never from inside a
 * callback of this client.  May call the chunk callback at once. */
void bh_http_resume(struct bh_http *c, struct bh_http_request *r);
/* Aborts a request without calling its callback; NULL is ignored. */
void bh_http_cancel(struct bh_http *c, struct bh_http_request *r);
void bh_http_cancel_all(struct bh_http *c);
void bh_http_free(struct bh_http *c);

#endif
