/*
 * Which host a registration names (the #1 pain point of every peer):
 *   ip        the IP on `network` if set and joined; else the default-bridge
 *             NetworkSettings.IPAddress; else the IP on the first network in
 *             name order (deterministic); else the container name, with a
 *             warning (network none/host give no IP).
 *   name      the container name (for proxies on the same user network).
 *   published advertise_address; the container's port bindings go to the
 *             core with the report, which maps the specs' ports through them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include <beachhead/sdk.h>

char *address_for_registration(const struct docker_config *s, const struct dk_container *c, char **warning)
{
	*warning = NULL;
	if (s->address == ADDRESS_NAME)
		return strdup(c->name);
	if (s->address == ADDRESS_PUBLISHED)
		return strdup(s->advertise_address);
	if (s->network) {
		for (size_t i = 0; i < c->n_networks; i++)
			if (strcmp(c->networks[i].name, s->network) == 0 && c->networks[i].ip)
				return strdup(c->networks[i].ip);
	}
	const char *ip = c->top_ip;
	for (size_t i = 0; !ip && i < c->n_networks; i++)
		ip = c->networks[i].ip;
	if (ip) {
		if (s->network)
			*warning = bh_strfmt("has no address on network '%s'; using %s", s->network, ip);
		return strdup(ip);
	}
	*warning = bh_strfmt("has no IP address (network none or host?); using its name '%s' as host",
			  c->name);
	return strdup(c->name);
}
