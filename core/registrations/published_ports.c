#include "config.h"

#include "published_ports.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

static bool on_every_address(const char *ip)
{
	return !ip || !ip[0] || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

static bool is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

struct reach {
	const char *host; /* NULL: the container's address */
	unsigned port;    /* 0: not reachable */
	const struct bh_port_binding *loopback; /* the binding that was refused */
};

/* Where a proxy reaches container port `port`/tcp: every address first, then
 * the first specific address; loopback only counts for the message. */
static struct reach find_reach(const struct bh_container *c, unsigned port)
{
	struct reach r = {NULL, 0, NULL};
	for (size_t i = 0; i < c->n_bindings; i++) {
		const struct bh_port_binding *b = &c->bindings[i];
		if (b->container_port != port || b->host_port == 0 || !b->proto ||
		    strcmp(b->proto, "tcp") != 0)
			continue;
		if (on_every_address(b->host_ip))
			return (struct reach){NULL, b->host_port, NULL};
		if (is_loopback(b->host_ip)) {
			if (!r.loopback)
				r.loopback = b;
		} else if (!r.port) {
			r.host = b->host_ip;
			r.port = b->host_port;
		}
	}
	return r;
}

/* Maps one scheme; *port becomes the host port or 0.  Returns -1 when out of
 * memory. */
static int map_scheme(const struct bh_container *c, const char *domain, const char *scheme,
		      unsigned *port, const char **host, domain_spec_warn_cb warn, void *warn_arg)
{
	if (*port == 0)
		return 0;
	struct reach r = find_reach(c, *port);
	if (r.port) {
		*port = r.port;
		*host = r.host;
		return 0;
	}
	char *msg;
	if (r.loopback)
		msg = bh_strfmt("%s: %s port %u/tcp is published only on loopback (%s:%u), "
				"which a proxy on another machine cannot reach; left out",
				domain, scheme, *port, r.loopback->host_ip, r.loopback->host_port);
	else
		msg = bh_strfmt("%s: %s port %u/tcp is not published; left out", domain, scheme,
				*port);
	*port = 0;
	if (!msg)
		return -1;
	if (warn)
		warn(warn_arg, msg);
	free(msg);
	return 0;
}

int published_ports_apply(const struct bh_container *c, struct domain_spec_list *specs,
			  domain_spec_warn_cb warn, void *warn_arg)
{
	size_t kept = 0;
	int rc = 0;
	for (size_t i = 0; i < specs->count; i++) {
		struct domain_spec *s = &specs->items[i];
		if (rc == 0)
			rc = map_scheme(c, s->domain, "http", &s->http_port, &s->http_host, warn,
					warn_arg);
		if (rc == 0)
			rc = map_scheme(c, s->domain, "https", &s->https_port, &s->https_host, warn,
					warn_arg);
		if (rc == 0 && (s->http_port || s->https_port)) {
			specs->items[kept++] = *s;
			continue;
		}
		free(s->domain);
		s->domain = NULL;
	}
	specs->count = kept;
	return rc;
}
