/*
 * The plugin's libconfig group (docker_config.c): every setting, parsed and
 * checked at init.
 */
#ifndef DOCKER_CONFIG_H
#define DOCKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

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

#endif
