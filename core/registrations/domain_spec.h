/*
 * The domain-spec grammar (the contract of BEACHHEAD_DOMAINS):
 *
 *   specs  = spec *(WS spec)
 *   spec   = DOMAIN *(":" option)
 *   option = ("http" / "https") ["=" PORT]      ; names case-insensitive
 *
 * Neither scheme given -> both; default ports 80 and 443; one trailing '.' of
 * the domain is dropped; unknown options are warned about and ignored so that
 * specs written for newer versions still work.
 */
#ifndef BH_DOMAIN_SPEC_H
#define BH_DOMAIN_SPEC_H

#include <stddef.h>

/* A container may ask for at most this many domains: beyond it the specs
 * are refused as a whole.  (128 KiB, the kernel's cap on one environment
 * string, holds about 7,000 short names; a 1 MiB label about 55,000.) */
#define DOMAIN_SPEC_MAX_DOMAINS 10000

struct domain_spec {
	char *domain;
	unsigned http_port;  /* 0 = no http mapping */
	unsigned https_port; /* 0 = no https mapping */
	/* Where each scheme is reached when not at the container's address
	 * (published-port mode, see published_ports.h); NULL: the container's
	 * address.  Borrowed from the container report. */
	const char *http_host;
	const char *https_host;
};

struct domain_spec_list {
	struct domain_spec *items;
	size_t count;
	size_t capacity;
};

/* Receives each warning (a whole sentence naming domain and option). */
typedef void (*domain_spec_warn_cb)(void *arg, const char *message);

/*
 * Parses all specs of text into out (which must be zeroed or freed).  On an
 * invalid spec returns -1, leaves out empty and sets *error to a malloc'd
 * message naming the domain and the option; the caller adds the container.
 * Returns 0 otherwise (an empty text gives an empty list).
 */
int domain_spec_parse(const char *text, struct domain_spec_list *out, char **error,
		      domain_spec_warn_cb warn, void *warn_arg);

void domain_spec_list_free(struct domain_spec_list *list);

/* The registration id: the domain with every byte outside [A-Za-z0-9_]
 * replaced by '_'.  Returns a malloc'd string or NULL. */
char *domain_spec_id(const char *domain);

#endif
