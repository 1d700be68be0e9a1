/*
 * inspector-docker: private declarations shared by the plugin's files.
 *
 *   inspector_docker.c life cycle, engine connection state, the exported table
 *   docker_config.c the plugin's libconfig group (init)
 *   docker_client.c the engine's HTTP API over plugins/common/http_multi.c
 *   docker_json.c   /version, /containers/json, inspect and event documents
 *   address.c       which host goes into a registration; published-port specs
 *   sync.c          full passes and single-container inspections
 *   known.c         what is remembered per container id between passes
 *   events.c        the /events stream
 *   holdback.c      running containers held back: draining, unhealthy
 */
#ifndef BH_INSPECTOR_DOCKER_H
#define BH_INSPECTOR_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>
#include <beachhead/strmap.h>

#include "common/backoff.h"
#include "docker_metrics.h"

/* ------------------------------------------------------------------ settings */

enum address_mode { ADDRESS_IP, ADDRESS_NAME, ADDRESS_PUBLISHED };

struct docker_config {
	char *url;               /* unix:///path, tcp://host:port, http(s)://... */
	char *url_origin;        /* for the log: "default", "DOCKER_HOST", "FILE:LINE", ... */
	bool tls;                /* use https for tcp:// */
	bool tls_verify;         /* verify the engine's certificate */
	char *cert_path;         /* dir with ca.pem, cert.pem, key.pem; may be NULL */
	enum address_mode address;
	char *envvar;            /* "BEACHHEAD_DOMAINS" */
	char *label;             /* "beachhead.domains"; NULL = labels not read */
	char *network;           /* ip mode: preferred network; may be NULL */
	char *advertise_address; /* published mode */
	bool skip_unhealthy;
	bool drain;              /* withdraw at the stop signal, not at die */
	long timeout_ms;
	long inspect_deadline_ms; /* an inspection this old stops counting
				     against the concurrency limit */
	unsigned max_inspections; /* inspections in flight at most, answered or not */
	long event_stall_ms;      /* no bytes this long inside an event: reconnect */
	size_t max_response_bytes;
	size_t max_list_bytes; /* the container listing (all containers at once) */
};

int docker_config_parse(const struct bh_init *args, struct docker_config *out);
void docker_config_free(struct docker_config *s);

/* ------------------------------------------------------------- HTTP client */

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
/* "unix socket /x" or the base URL, for messages. */
const char *dc_describe(const struct dc_client *c);

/* ---------------------------------------------------------------- JSON */

struct dk_network {
	char *name;
	char *ip;
};

struct dk_port {
	unsigned container_port;
	char proto[8];      /* "tcp", "udp", "sctp" (truncated if longer) */
	unsigned host_port; /* 0 = not published */
	char *host_ip;
};

struct dk_container {
	char *id;
	char *name; /* without the leading '/' */
	bool running;
	bool paused;
	char *status; /* State.Status, for messages */
	char *health; /* State.Health.Status or NULL */
	char *env_spec;   /* value of the variable, NULL when absent */
	char *label_spec; /* value of the label, NULL when absent */
	char *top_ip;     /* NetworkSettings.IPAddress, NULL when empty */
	struct dk_network *networks; /* sorted by name */
	size_t n_networks;
	struct dk_port *ports;
	size_t n_ports;
	char **labels;      /* "key=value", NULL-terminated (never NULL after a parse) */
	int64_t created_ns; /* Created, ns since the epoch; 0 = unknown */
	char *stop_signal;    /* Config.StopSignal as written, or NULL */
	long stop_timeout_s;  /* Config.StopTimeout; <= 0 = not set */
	bool too_large;     /* listing: its labels exceed max_response_bytes; only
			       id, name and state are filled */
	bool from_listing;  /* built from a listing entry, not an inspect document */
};

struct dk_event {
	char *action; /* "start", "die", "health_status: healthy", ... */
	char *id;
	char *name;     /* Actor.Attributes.name, no leading '/' */
	char *old_name; /* rename only */
	bool network;   /* a network event: id is the container's (may be NULL) */
	char *signal;   /* kill only: Actor.Attributes.signal, e.g. "15" */
};

/* Each returns 0, or -1 with *error set to a malloc'd message. */
/* *api_version is NULL when the document has none; an ApiVersion that is
 * not MAJOR.MINOR is an error (it would go into every request path). */
int dk_parse_version(const char *body, size_t len, char **api_version, char **error);
/* MinAPIVersion of a /version document, malloc'd, or NULL. */
char *dk_parse_min_version(const char *body, size_t len);
/* The engine's name and version for logs ("Docker Engine - Community 24.0.7"),
 * malloc'd, or NULL. */
char *dk_parse_engine_version(const char *body, size_t len);
/* /containers/json: every entry with an Id (running state, health from the
 * Status text, labels, networks, published ports; no env, no top-level
 * IPAddress).  An entry whose labels exceed max_item_bytes is kept with
 * too_large set and its details left out. */
int dk_parse_list(const char *body, size_t len, const char *label, size_t max_item_bytes,
		  struct dk_container **list, size_t *count, char **error);
void dk_list_free(struct dk_container *list, size_t count);
int dk_parse_inspect(const char *body, size_t len, const char *envvar, const char *label,
		     struct dk_container *out, char **error);
int dk_parse_event(const char *line, size_t len, struct dk_event *out, char **error);
/* The engine's {"message": "..."} error text, malloc'd, or NULL. */
char *dk_error_message(const char *body, size_t len);
void dk_container_free(struct dk_container *c);
void dk_event_free(struct dk_event *e);
/* "1.41" vs "1.43": <0, 0, >0. */
int dk_version_cmp(const char *a, const char *b);

/* -------------------------------------------------------------- addresses */

/* The host for the registration, malloc'd; *warning (malloc'd) is set when a
 * fallback was taken.  NULL only when out of memory or nothing fits. */
char *address_for_registration(const struct docker_config *s, const struct dk_container *c, char **warning);

/* ------------------------------------------------- what is known per id */

struct known_container {
	char *id;
	char *name;         /* last known name */
	char *env_spec;     /* the variable's value, NULL when absent */
	char *top_network;  /* network of the inspect's top-level IPAddress */
	int64_t created_ns;
	bool inspected;     /* env_spec and created_ns are known */
	bool unreadable;    /* its inspect document exceeds max_response_bytes:
			       not asked again (it cannot shrink) */
	uint64_t event_seq; /* sequence number of the last event about it */
	uint64_t listed_pass; /* last pass whose listing showed it */
	char *problem;      /* last problem logged about it, digits squashed
			       (once per change) */
	struct bh_strmap_node node; /* keyed by id */
};

struct known_set {
	struct bh_strmap map;
};

struct known_container *known_find(const struct known_set *set, const char *id);
/* Finds or creates; NULL when out of memory. */
struct known_container *known_add(struct known_set *set, const char *id, const char *name);
void known_forget(struct known_set *set, const char *id);
/* Forgets what the listing of `pass` did not show, unless an event newer
 * than the listing (event_seq > since_seq) says otherwise. */
void known_forget_unlisted(struct known_set *set, uint64_t pass, uint64_t since_seq);
void known_free(struct known_set *set);
/* Remembers what never changes from an inspect document; false on OOM. */
bool known_learn(struct known_container *k, const struct dk_container *c);
/* Completes a listing entry with what is remembered; false on OOM. */
bool known_apply(const struct known_container *k, struct dk_container *c);
/* Records the problem (NULL: none); true when it differs from the last one. */
bool known_problem_is_news(struct known_container *k, const char *problem);

/* ---------------------------------------------------------------- the plugin */

struct inspect_job; /* sync.c */
struct holdback;    /* holdback.c */
struct event_stream; /* events.c */

enum engine_state { ENGINE_DOWN, ENGINE_CONNECTING, ENGINE_UP };

struct inspector {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct docker_config config;
	char **containers; /* explicit names, NULL-terminated copy */
	bool enumerate;
	unsigned refresh;

	struct dc_client *client;
	char *api_prefix; /* "/v1.41" (or "" when the engine did not say) */
	enum engine_state state;
	bool started;
	bool stopping;
	bool unreachable_logged;
	struct bh_backoff backoff;
	struct bh_timer *reconnect_timer;
	struct dc_request *version_req;

	/* full pass state (sync.c) */
	bool pass_wanted;  /* the core asked while we were connecting */
	bool pass_active;
	bool pass_failed;  /* the listing failed: the pass ends incomplete */
	struct dc_request *list_req;
	uint64_t pass_no;   /* number of the current (or last) pass */
	bool pass_again;    /* a (re)connection came during the pass: one more */
	bool api_answered;  /* the last /version succeeded: passes can run,
			       whatever the state of the event stream */
	uint64_t pass_seq;  /* event_seq when its listing was asked for */
	size_t pass_jobs;   /* inspections the current pass still waits for */
	struct inspect_job *jobs, *jobs_tail; /* queued and in flight, oldest first */
	struct bh_strmap jobs_waiting; /* by id: the one queued job per id */
	struct bh_strmap jobs_flying;  /* by id: the one request in flight per id */
	size_t jobs_in_flight; /* in flight and younger than inspect_deadline_ms */
	size_t jobs_sent;      /* in flight, whatever their age */
	struct bh_timer *deadline_timer; /* the next inspection to outgrow its deadline */
	uint64_t event_seq; /* events seen (see struct known_container) */
	struct known_set known;

	struct event_stream *events;
	char **warned; /* containers already warned about an address fallback */
	size_t n_warned;
	struct holdback *holdback;
	struct docker_metrics metrics; /* docker_metrics.c */
};

/* inspector_docker.c */
/* The event stream ended (or stalled); answered: it had connected and the
 * engine had answered it (a clean end of the response, or bytes), so the
 * engine is fine and the reconnect does not back off; logged as a warning
 * when warn or not answered, else as news (info). */
void inspector_stream_ended(struct inspector *in, bool warn, const char *why, bool answered);
bool inspector_is_explicit(const struct inspector *in, const char *name, const char *id);

/* sync.c */
void sync_start_pass(struct inspector *in);
/* After every (re)connection of the event stream: a pass at once, or one
 * more after the pass under way (its listing may predate the stream). */
void sync_pass_after_connect(struct inspector *in);
void sync_abort_pass(struct inspector *in, bool report);
void sync_inspect_event(struct inspector *in, const char *id, const char *name);
/* die, stop, pause: the engine's state wins over the order of events, so a
 * container known here is inspected and withdrawn only when the engine says
 * it is not running (or the inspection fails); unknown ids are ignored. */
void sync_confirm_down(struct inspector *in, const char *id, const char *name, const char *action);
/* Whether the daemon knows the id (read, or an inspection under way). */
bool sync_knows(const struct inspector *in, const char *id);
/* A network connect/disconnect: inspect a registered container again. */
void sync_inspect_network_change(struct inspector *in, const char *id);
/* An event about the container: what a listing asked for earlier says
 * about it is older than the event. */
void sync_note_event(struct inspector *in, const char *id);
/* The container was destroyed: forget what is known about it. */
void sync_forget(struct inspector *in, const char *id);
/* Answers of inspections of id under way or queued are dropped. */
void sync_mark_stale(struct inspector *in, const char *id);
/* Withdraws `name` if its registration belongs to id (ABI 1.2), else by name. */
void sync_withdraw(struct inspector *in, const char *id, const char *name, const char *reason);
void sync_free(struct inspector *in);

/* holdback.c */
/* Signal name or number as the engine writes it -> number; 0 = unknown. */
int holdback_parse_signal(const char *text);
/* Every inspection: remembers a non-default stop signal or timeout. */
void holdback_note_inspect(struct inspector *in, const struct dk_container *c);
/* A kill event: when it carries the stop signal or SIGKILL (and drain is
 * on), starts the grace period and returns the signal number: the caller
 * withdraws.  0: the container goes on. */
int holdback_on_kill(struct inspector *in, const struct dk_event *ev);
/* Within the grace period after the stop signal: do not register. */
bool holdback_draining(struct inspector *in, const char *id);
/* die / stop: the process is gone, a start registers at once. */
void holdback_process_ended(struct inspector *in, const char *id);
/* skip_unhealthy: held back (logged once per health state), withdrawn. */
void holdback_unhealthy(struct inspector *in, const struct dk_container *c);
void holdback_healthy(struct inspector *in, const char *name);
/* destroy: forgets everything about the container. */
void holdback_forget(struct inspector *in, const char *id, const char *name);
void holdback_free(struct inspector *in);

/* events.c */
struct event_stream *events_open(struct inspector *in);
void events_close(struct inspector *in, struct event_stream *es);

#endif
