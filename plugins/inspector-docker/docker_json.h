/*
 * The engine's documents (docker_json.c): /version, /containers/json,
 * inspect and event documents, read into plain structs.
 */
#ifndef DOCKER_JSON_H
#define DOCKER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
