/*
 * publisher-etcd: private declarations shared by the plugin's files.
 *
 *   etcd_config.c     the plugin's libconfig group (init)
 *   etcd_client.c     JSON gateway calls: endpoints in turn, auth token
 *   etcd_password.c   which password an authentication sends
 *   etcd_json.c       base64 keys, int64 strings, prefix ends
 *   etcd_keys.c       what this daemon holds in etcd, key by key; judges
 *                     what the watch shows about a key
 *   etcd_lease_file.c the lease id kept in state_dir across restarts
 *   etcd_watch.c      snapshot + /v3/watch stream of the namespace
 *   etcd_claim.c      the namespace's owner record
 *   publisher_etcd.c  life cycle, lease, keep-alive, claim, puts, deletes,
 *                     reconciliation (the callbacks of the parts above)
 */
#ifndef BH_PUBLISHER_ETCD_H
#define BH_PUBLISHER_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <beachhead/plugin.h>
#include <beachhead/strmap.h>

#include "common/http_multi.h"

/* ------------------------------------------------------------------ settings */

struct etcd_settings {
	char **endpoints; /* "http(s)://host:port", NULL-terminated, >= 1 */
	size_t n_endpoints;
	char *user;       /* NULL = no auth */
	char *password;   /* read from password_file at init */
	char *password_file; /* read again at each authentication */
	char *instance;   /* "publishers[1]": names the state file, keys remembered passwords */
	char *ca_file, *cert_file, *key_file;
	long timeout_ms;         /* one request, whole */
	long connect_timeout_ms; /* one connection attempt */
};

int etcd_settings_parse(const struct bh_init *args, struct etcd_settings *out);
void etcd_settings_free(struct etcd_settings *s);
/* password_file's first line (malloc'd), or NULL and *why (malloc'd). */
char *etcd_read_password_file(const char *path, char **why);

/* ---------------------------------------------------------------- password */

/* Which password an authentication sends (etcd_password.c): password_file
 * as it is now, unless etcd refused exactly that and accepted another one
 * earlier (before a SIGHUP, in this process): then that one, with one error
 * saying so.  A password etcd refuses never replaces one it accepts. */
struct etcd_password;
struct etcd_password *etcd_password_new(const struct bh_host_api *api, struct bh_host *host,
					const struct etcd_settings *settings);
/* Reads password_file again; NULL only when out of memory. */
const char *etcd_password_choose(struct etcd_password *pw);
/* etcd's answer to the chosen password.  True: another password is worth
 * trying at once (the one accepted before). */
bool etcd_password_verdict(struct etcd_password *pw, bool accepted, const char *error);
void etcd_password_free(struct etcd_password *pw);

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
/* A streaming POST (the watch) to the endpoint in use, with the current
 * token; body is consumed.  chunk runs inside libcurl (see http_multi.h),
 * done once at the end.  NULL when it could not be started. */
struct bh_http_request *etcd_stream(struct etcd_client *c, const char *path, json_object *body,
				    bh_http_chunk_cb chunk, bh_http_done_cb done, void *arg);
void etcd_stream_cancel(struct etcd_client *c, struct bh_http_request *r);
void etcd_stream_resume(struct etcd_client *c, struct bh_http_request *r);
/* The endpoint in use, for messages. */
const char *etcd_endpoint(const struct etcd_client *c);

/* base64 of keys and values in the gateway's JSON; malloc'd or NULL. */
char *etcd_b64_encode(const char *data, size_t len);
/* NUL-terminated; NULL when not base64 or out of memory. */
char *etcd_b64_decode(const char *text, size_t *len);

/* ------------------------------------------------------------------- json */

/* etcd_json.c.  The add functions return false when out of memory. */
bool etcd_json_add_string(json_object *o, const char *name, char *value /* consumed */);
bool etcd_json_add_b64(json_object *o, const char *name, const char *text);
bool etcd_json_add_lease(json_object *o, const char *name, int64_t lease);
/* {"key": base64(key)}; NULL when out of memory. */
json_object *etcd_key_body(const char *key);
int64_t etcd_json_int64(json_object *o, const char *name);
/* header.revision of an answer, 0 when none. */
int64_t etcd_reply_revision(const struct etcd_reply *reply);
/* The first key after every key that starts with prefix (etcd's range_end
 * for a prefix); NULL when prefix is all 0xff bytes or out of memory. */
char *etcd_prefix_end(const char *prefix);

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
	int64_t stored_rev; /* revision of stored (our write, or seen in a snapshot) */
	int64_t event_rev;  /* a foreign-looking event seen while call was in flight */
	bool seen;          /* reported by the snapshot under way */
	bool foreign;       /* no host id: another host put it; its value stands */
	bool adopted;       /* found on our lease after a restart, not yet wanted */
	bool foreign_logged;
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

/* What the watch showed about a key we hold. */
enum etcd_seen {
	ETCD_SEEN_NOTHING,      /* ours, already known, or nothing to repair */
	ETCD_SEEN_DELETED,      /* someone else deleted it: put it back */
	ETCD_SEEN_OVERWRITTEN,  /* someone else wrote it: put it back */
	ETCD_SEEN_FOREIGN_HOST, /* shared prefix: another host put it on its lease */
};
struct etcd_kv;
/* A watch event; shared: the prefix is not ours alone (no host id). */
enum etcd_seen etcd_key_event(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease, bool shared);
/* A snapshot shows the key (marks it seen). */
enum etcd_seen etcd_key_snapshot(struct etcd_key *e, const struct etcd_kv *kv, int64_t lease);
/* At the snapshot's end: the key was not in it (unless seen). */
enum etcd_seen etcd_key_snapshot_missing(struct etcd_key *e);
/* The lease is gone and with it whatever we stored. */
void etcd_key_forget(struct etcd_key *e);

/* ------------------------------------------------------------- lease file */

/* etcd_lease_file.c: the lease id kept in state_dir across restarts.
 * path: NULL when state_dir is NULL (or out of memory). */
char *etcd_lease_file_path(const char *state_dir, const struct etcd_settings *s, const char *namespace);
/* 0 when there is none (or it is unreadable). */
int64_t etcd_lease_file_read(const char *path);
/* -1 and *why (malloc'd) when it cannot be written; a NULL path is a no-op. */
int etcd_lease_file_write(const char *path, int64_t lease, char **why);

/* ------------------------------------------------------------------ watch */

/* One key as a snapshot or a watch event shows it. */
struct etcd_kv {
	const char *key;
	const char *value; /* "" for a delete */
	size_t value_len;
	int64_t lease;
	int64_t mod_revision;
	int64_t create_revision;
	bool deleted;
};

struct etcd_watch_callbacks {
	/* A ranged read of the prefix begins to report (after a start, or a
	 * lost watch): what is not reported before snapshot_end is absent. */
	void (*snapshot_begin)(void *arg);
	void (*kv)(void *arg, const struct etcd_kv *kv, bool snapshot);
	void (*snapshot_end)(void *arg, int64_t revision);
	/* The snapshot could not be read (it is retried). */
	void (*failed)(void *arg, const struct etcd_reply *reply);
};

struct etcd_watch;
struct etcd_watch *etcd_watch_new(const struct bh_host_api *api, struct bh_host *host,
				  struct etcd_client *client, const char *prefix,
				  const struct etcd_watch_callbacks *cb, void *arg);
/* Reads the prefix, then follows it; a no-op while running. */
void etcd_watch_start(struct etcd_watch *w);
void etcd_watch_stop(struct etcd_watch *w);
/* The client moved to another member: the stream follows. */
void etcd_watch_follow_client(struct etcd_watch *w);
void etcd_watch_free(struct etcd_watch *w);

/* ------------------------------------------------------------------ claim */

/* etcd_claim.c: the owner record at namespace + BH_OWNER_KEY. */
enum etcd_claim_verdict {
	ETCD_CLAIM_HELD,    /* ours, on our lease */
	ETCD_CLAIM_REFUSED, /* another daemon's live claim: owner says whose */
	ETCD_CLAIM_FAILED,  /* no answer to act on: reply says why */
};

struct etcd_claim_result {
	enum etcd_claim_verdict verdict;
	const char *owner;                /* REFUSED: the record, described */
	bool own_token;                   /* REFUSED: our token, on a lease
					   * someone renews: a copy of state_dir */
	const struct etcd_reply *reply;   /* FAILED */
	bool created;                     /* HELD: written now (not found ours) */
	bool taken_over;                  /* HELD: our record from before, re-attached */
};

typedef void (*etcd_claim_cb)(void *arg, const struct etcd_claim_result *result);

struct etcd_claim;
struct etcd_claim *etcd_claim_new(struct etcd_client *client, const char *owner_key,
				  const char *record, const char *token, etcd_claim_cb done, void *arg);
/* Claims for lease (0: none); one attempt at a time (a no-op while one is
 * under way). */
void etcd_claim_try(struct etcd_claim *c, int64_t lease);
/* Rewrites our record over what is there now, if that is still at
 * mod_revision: for a claim someone overwrote in place. */
void etcd_claim_restore(struct etcd_claim *c, int64_t lease, int64_t mod_revision);
bool etcd_claim_busy(const struct etcd_claim *c);
void etcd_claim_cancel(struct etcd_claim *c);
/* A stored value of the owner key is this daemon's record. */
bool etcd_claim_is_mine(const struct etcd_claim *c, const char *value, size_t len);
void etcd_claim_free(struct etcd_claim *c);

#endif
