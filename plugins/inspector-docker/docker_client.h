/*
 * The engine's HTTP API (docker_client.c): GET requests and streams.
 */
#ifndef DOCKER_CLIENT_H
#define DOCKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

#include "docker_config.h"

struct dc_client;
struct dc_request;

struct dc_result {
	bool transport_ok; /* false: no usable HTTP answer (see oversized) */
	bool oversized;    /* the answer exceeded max_response_bytes: the
			      engine is fine, this one document is not */
	long status;       /* HTTP status when transport_ok */
	const char *body;  /* NUL-terminated, may contain the engine's error JSON */
	size_t len;
	const char *error; /* what went wrong when !transport_ok */
};

/* Called once per request from the loop, after the request left libcurl;
 * the request is freed when the callback returns.  May start new requests
 * and cancel others. */
typedef void (*dc_done_cb)(void *arg, const struct dc_result *result);
/* Stream data, called from inside libcurl's write callback: it must not
 * call back into the client (buffer and defer instead).  Returns false to
 * refuse the data for now: the transfer pauses (libcurl keeps the data and
 * hands it over again) until dc_resume. */
typedef bool (*dc_chunk_cb)(void *arg, const char *data, size_t len);

struct dc_client *dc_new(const struct bh_host_api *api, struct bh_host *host,
			 const struct docker_config *config);
/* GET path (starts with '/'); NULL when the request could not be queued. */
struct dc_request *dc_get(struct dc_client *c, const char *path, dc_done_cb done, void *arg);
/* Same, with its own cap on the answer instead of max_response_bytes. */
struct dc_request *dc_get_max(struct dc_client *c, const char *path, size_t max_bytes,
			      dc_done_cb done, void *arg);
/* Long-lived GET without total timeout; data goes to chunk, the end to done. */
struct dc_request *dc_stream(struct dc_client *c, const char *path, dc_chunk_cb chunk,
			     dc_done_cb done, void *arg);
/* Resumes a stream paused by its chunk callback; from the loop only, never
 * from inside a client callback.  May call the chunk callback at once. */
void dc_resume(struct dc_client *c, struct dc_request *r);
/* Aborts a request without calling its callback. */
void dc_cancel(struct dc_client *c, struct dc_request *r);
void dc_cancel_all(struct dc_client *c);
void dc_free(struct dc_client *c);
/* The API version the engine is spoken to in ("/v1.43"; "" for unversioned
 * paths), put before the paths of versioned requests; false when out of
 * memory (the old one stays). */
bool dc_set_api_prefix(struct dc_client *c, const char *prefix);
const char *dc_api_prefix(const struct dc_client *c);
/* "unix socket /x" or the base URL, for messages. */
const char *dc_describe(const struct dc_client *c);

#endif
