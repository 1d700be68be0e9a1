/*
 * publisher-etcd: private declarations shared by the plugin's files.
 *
 *   etcd_config.c     the plugin's libconfig group (init)
 *   etcd_client.c     JSON gateway calls: endpoints in turn, auth token
 *   etcd_keys.c       what this daemon holds in etcd, key by key
 *   publisher_etcd.c  life cycle, lease, keep-alive, puts and deletes
 */
#ifndef BH_PUBLISHER_ETCD_H
#define BH_PUBLISHER_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <beachhead/plugin.h>
#include <beachhead/strmap.h>

/* ------------------------------------------------------------------ settings */

struct etcd_settings {
	char **endpoints; /* "http(s)://host:port", NULL-terminated, >= 1 */
	size_t n_endpoints;
	char *user;       /* NULL = no auth */
	char *password;   /* read from password_file at init */
	char *ca_file, *cert_file, *key_file;
	long timeout_ms;         /* one request, whole */
	long connect_timeout_ms; /* one connection attempt */
};

int etcd_settings_parse(const struct bh_init *args, struct etcd_settings *out);
void etcd_settings_free(struct etcd_settings *s);

/* ------------------------------------------------------------------ client */

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
struct etcd_call *etcd_call(struct etcd_client *c, const char *path, json_object *body,
			    etcd_done_cb done, void *arg);
/* Forgets a call: its callback will not run.  NULL is ignored. */
void etcd_cancel(struct etcd_client *c, struct etcd_call *call);
void etcd_client_free(struct etcd_client *c);
/* The endpoint in use, for messages. */
const char *etcd_endpoint(const struct etcd_client *c);

/* base64 of keys and values in the gateway's JSON; malloc'd or NULL. */
char *etcd_b64_encode(const char *data, size_t len);
/* NUL-terminated; NULL when not base64 or out of memory. */
char *etcd_b64_decode(const char *text, size_t *len);

/* gRPC codes the gateway puts into error documents. */
#define ETCD_CODE_NOT_FOUND 5     /* lease not found */
#define ETCD_CODE_UNAVAILABLE 14  /* no leader, leader changed, timeout */
#define ETCD_CODE_UNAUTHENTICATED 16

/* -------------------------------------------------------------------- keys */

/* One key this daemon is responsible for. */
struct etcd_pub; /* publisher_etcd.c */

struct etcd_key {
	struct etcd_pub *pub; /* the owner, for the client's callbacks */
	char *key;
	char *want;   /* value the core wants there; NULL = withdrawn */
	char *stored; /* value confirmed in etcd on the current lease; NULL = absent/unknown */
	bool stale;   /* delete it even though stored is unknown: found by a
			 sweep, or withdrawn before anything was confirmed */
	bool refused; /* etcd refused the last write (reported once) */
	struct etcd_call *call; /* the put or delete in flight */
	char *sent;   /* what call writes (NULL = a delete) */
	int64_t sent_lease; /* the lease call puts it on */
	uint64_t sent_ms;   /* when call went out (write_duration_seconds) */
	struct bh_strmap_node node; /* keyed by key */
};

struct etcd_keys {
	struct bh_strmap map;
};

int etcd_keys_init(struct etcd_keys *k);
struct etcd_key *etcd_keys_find(const struct etcd_keys *k, const char *key);
/* Finds or adds (want = stored = NULL); NULL when out of memory. */
struct etcd_key *etcd_keys_get(struct etcd_keys *k, const char *key);
void etcd_keys_remove(struct etcd_keys *k, struct etcd_key *e);
/* Calls fn for every key; fn may remove the key it is given. */
void etcd_keys_each(struct etcd_keys *k, void (*fn)(void *arg, struct etcd_key *e), void *arg);
void etcd_keys_free(struct etcd_keys *k);
/* Wants something different from what etcd holds (or a stale key). */
bool etcd_key_dirty(const struct etcd_key *e);

#endif
