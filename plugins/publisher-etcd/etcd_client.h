/*
 * publisher-etcd's calls to the JSON gateway (etcd_client.c): endpoints in
 * turn, the auth token, streams for the watch.
 */
#ifndef BH_ETCD_CLIENT_H
#define BH_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <beachhead/plugin.h>

#include "common/http_multi.h"
#include "etcd_config.h"

struct etcd_client;
struct etcd_call;

struct etcd_reply {
	bool ok;                /* HTTP 200 with a JSON object */
	json_object *json;      /* the answer (ok) or the error document; may be NULL */
	int code;               /* gRPC status code of an error document, else 0 */
	const char *error;      /* what went wrong when !ok */
};

/* Called once per call, from the loop; json is released when it returns. */
typedef void (*etcd_done_cb)(void *arg, const struct etcd_reply *reply);

struct etcd_client *etcd_client_new(const struct bh_host_api *api, struct bh_host *host,
				    const struct etcd_settings *settings);
/* POST body (a JSON object, consumed) to path ("/v3/kv/put", ...).  Tries
 * the endpoints in turn on a transport failure or an unavailable member;
 * authenticates first (and again when the token expired) when a user is
 * configured.  NULL when it could not even be queued (body is consumed). */
struct etcd_call *etcd_call_start(struct etcd_client *c, const char *path, json_object *body,
				  etcd_done_cb done, void *arg);
/* Forgets a call: its callback will not run.  NULL is ignored. */
void etcd_cancel(struct etcd_client *c, struct etcd_call *call);
void etcd_client_free(struct etcd_client *c);
/* A streaming POST (the watch) to the endpoint in use, with the current
 * token; body is consumed.  chunk runs inside libcurl (see http_multi.h),
 * done once at the end.  NULL when it could not be started. */
struct bh_http_request *etcd_stream(struct etcd_client *c, const char *path, json_object *body,
				    bh_http_chunk_cb chunk, bh_http_done_cb done, void *arg);
void etcd_stream_cancel(struct etcd_client *c, struct bh_http_request *r);
/* The endpoint in use, for messages. */
const char *etcd_endpoint(const struct etcd_client *c);

/* header.revision of an answer, 0 when none. */
int64_t etcd_reply_revision(const struct etcd_reply *reply);

/* gRPC codes the gateway puts into error documents. */
#define ETCD_CODE_NOT_FOUND 5     /* lease not found */
#define ETCD_CODE_UNAVAILABLE 14  /* no leader, leader changed, timeout */
#define ETCD_CODE_UNAUTHENTICATED 16

#endif
