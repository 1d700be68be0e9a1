/*
 * Published-port mode: what the engine publishes, applied to parsed specs.
 *
 * The inspector reports facts (struct bh_port_binding); the grammar stays in
 * domain_spec.c.  Each scheme of each spec names a container port; it becomes
 * the host port a tcp binding publishes it on:
 *
 *   bound on every address (0.0.0.0, ::)  -> the container's address (the
 *                                            host's advertise_address)
 *   bound on a specific address           -> that address
 *   bound only on loopback (127.x, ::1)   -> left out, warning: a proxy on
 *                                            another machine cannot reach it
 *   not published                         -> left out, warning (also for the
 *                                            implied schemes of a plain spec)
 *
 * A spec with no scheme left is dropped.
 */
#ifndef BH_PUBLISHED_PORTS_H
#define BH_PUBLISHED_PORTS_H

#include <beachhead/plugin.h>

#include "domain_spec.h"

/* Rewrites specs in place for c's bindings (c->ports_published is set).
 * Hosts it sets point into c: valid while c is.  Each warning names the
 * domain, the port and the binding.  Returns -1 when out of memory. */
int published_ports_apply(const struct bh_container *c, struct domain_spec_list *specs,
			  domain_spec_warn_cb warn, void *warn_arg);

#endif
