/*
 * What the plugin tells the core about containers (see reporter.h).
 *
 * Withdrawals name the container id (container_gone, ABI 1.2), so an
 * answer about an old container never withdraws a new one that took over
 * its name.  A running container is registered unless it is held back
 * (holdback.c: draining after its stop signal, unhealthy with
 * skip_unhealthy).  Problems with one container are remembered per id
 * (known.c) and logged once per change, not once per pass.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "address.h"
#include "reporter.h"

/* Containers remembered as already warned about an address fallback. */
#define MAX_WARNED 1024

void reporter_problem(struct reporter *r, const char *id, const char *name, bool error,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = bh_vstrfmt(fmt, ap);
	va_end(ap);
	/* Remembered per id, also for a container not read yet (its first
	 * inspection is what fails). */
	struct known_container *k = id ? known_add(r->known, id, name) : NULL;
	bool news = !msg || known_problem_is_news(k, msg);
	const char *text = msg ? msg : "(out of memory)";
	if (news && (error || r->one_pass))
		r->api->report_error(r->host, name, "%s", text);
	else
		r->api->log(r->host, news ? BH_LOG_WARNING : BH_LOG_DEBUG, "container %s: %s", name,
			    text);
	free(msg);
}

void reporter_problem_solved(struct reporter *r, const char *id, const char *name)
{
	struct known_container *k = known_find(r->known, id);
	if (k && k->problem && known_problem_is_news(k, NULL))
		r->api->log(r->host, BH_LOG_INFO, "container %s: readable again", name);
}

/* container_gone and container_keep are ABI 1.2, like this plugin: the
 * loader of an older core refuses it, so they are always there. */
void reporter_withdraw(struct reporter *r, const char *id, const char *name, const char *reason)
{
	if (id)
		r->api->container_gone(r->host, id, name, reason);
	else
		r->api->container_down(r->host, name, reason);
}

void reporter_keep(struct reporter *r, const char *id, const char *name)
{
	if (r->in_pass && id)
		r->api->container_keep(r->host, id, name);
}

/* Its env and labels never change: it is not asked for again. */
void reporter_oversized(struct reporter *r, const char *id, const char *name)
{
	struct known_container *k = id ? known_add(r->known, id, name) : NULL;
	if (k) {
		k->unreadable = true;
		known_mark_listed(r->known, k);
	}
	reporter_problem(r, id, name, true, "larger than max_response_bytes (%zu); not registered",
			 r->config->max_response_bytes);
	reporter_keep(r, id, name);
}

void reporter_pass_begin(struct reporter *r)
{
	r->in_pass = true;
	r->api->pass_begin(r->host);
}

void reporter_pass_end(struct reporter *r, bool complete)
{
	r->in_pass = false;
	r->api->pass_end(r->host, complete);
}

void reporter_pass_abandon(struct reporter *r)
{
	r->in_pass = false;
}

static bool already_warned(struct reporter *r, const char *name)
{
	for (size_t i = 0; i < r->n_warned; i++)
		if (strcmp(r->warned[i], name) == 0)
			return true;
	if (r->n_warned >= MAX_WARNED) {
		/* Bounded under container churn: forget, warn again later. */
		for (size_t i = 0; i < r->n_warned; i++)
			free(r->warned[i]);
		r->n_warned = 0;
	}
	char **grown = realloc(r->warned, (r->n_warned + 1) * sizeof *grown);
	char *copy = strdup(name);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			r->warned = grown;
		return false;
	}
	r->warned = grown;
	r->warned[r->n_warned++] = copy;
	return false;
}

static void not_running(struct reporter *r, const struct dk_container *c, bool in_pass,
			bool explicit_name)
{
	char *why = bh_strfmt("is %s", c->paused ? "paused" : c->status ? c->status : "not running");
	/* Only a pass judges named containers; an event just withdraws. */
	if (in_pass && explicit_name)
		r->api->container_missing(r->host, c->name, why ? why : "is not running");
	else
		reporter_withdraw(r, c->id, c->name, why ? why : "is not running");
	free(why);
}

/* Draining or unhealthy: not registered (holdback.c withdraws the unhealthy). */
static bool held_back(struct reporter *r, const struct dk_container *c)
{
	if (!c->from_listing)
		holdback_note_inspect(r->holdback, c); /* a listing has no StopSignal */
	if (holdback_draining(r->holdback, c->id)) {
		r->api->log(r->host, BH_LOG_DEBUG,
			    "container %s: draining after its stop signal; not registered", c->name);
		return true;
	}
	if (r->config->skip_unhealthy && c->health && strcmp(c->health, "healthy") != 0) {
		holdback_unhealthy(r->holdback, c);
		return true;
	}
	holdback_healthy(r->holdback, c->name);
	return false;
}

/* Where the specs come from, for messages, malloc'd (NULL: out of memory).
 * The variable wins over the label, as in the original (it only knew the
 * variable): a label cannot silently override what the image or operator
 * set in the environment. */
static char *spec_source(const struct docker_config *config, const struct dk_container *c,
			 const char **specs)
{
	*specs = c->env_spec;
	if (*specs)
		return bh_strfmt("env %s", config->envvar);
	if (c->label_spec && (*specs = c->label_spec))
		return bh_strfmt("label %s", config->label);
	if (config->label)
		return bh_strfmt("env %s or label %s", config->envvar, config->label);
	return bh_strfmt("env %s", config->envvar);
}

/* The registration of a running container that is not held back. */
static void registered(struct reporter *r, const struct dk_container *c, bool explicit_name,
		       const char *specs, const char *source)
{
	const struct bh_host_api *api = r->api;
	char *warning = NULL;
	struct bh_port_binding *bindings = NULL;
	const char **networks = NULL;
	char *address = address_for_registration(r->config, c, &warning);
	if (!address) {
		/* Out of memory: a registration without a host must not reach
		 * the core (it would publish "(null)" or crash). */
		api->report_error(r->host, c->name, "cannot determine its address (out of memory)");
		goto out;
	}
	if (warning && !already_warned(r, c->name))
		api->log(r->host, BH_LOG_WARNING, "container %s %s", c->name, warning);
	/* Published mode: the engine's facts; the core maps the specs. */
	bool published = r->config->address == ADDRESS_PUBLISHED;
	if (published && c->n_ports > 0 && !(bindings = calloc(c->n_ports, sizeof *bindings))) {
		api->report_error(r->host, c->name, "out of memory");
		goto out;
	}
	for (size_t i = 0; published && i < c->n_ports; i++)
		bindings[i] = (struct bh_port_binding){c->ports[i].container_port, c->ports[i].proto,
						       c->ports[i].host_ip, c->ports[i].host_port};
	/* Network names for the core's per-network ownership rules. */
	networks = calloc(c->n_networks + 1, sizeof *networks);
	if (!networks) {
		api->report_error(r->host, c->name, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->n_networks; i++)
		networks[i] = c->networks[i].name;
	struct bh_container report = {
		.size = sizeof report,
		.name = c->name,
		.id = c->id,
		.address = address,
		.specs = specs,
		.spec_source = source,
		.explicitly_named = explicit_name,
		.labels = (const char *const *)c->labels,
		.networks = networks,
		.created_ns = c->created_ns,
		.ports_published = published,
		.bindings = bindings,
		.n_bindings = published ? c->n_ports : 0,
	};
	api->container_up(r->host, &report);
out:
	free(networks);
	free(bindings);
	free(address);
	free(warning);
}

void reporter_container(struct reporter *r, const struct dk_container *c, bool in_pass,
			bool explicit_name)
{
	if (!c->running || c->paused) {
		not_running(r, c, in_pass, explicit_name);
		return;
	}
	if (held_back(r, c))
		return;
	const char *specs;
	char *source = spec_source(r->config, c, &specs);
	if (!source) {
		r->api->report_error(r->host, c->name, "out of memory");
		return;
	}
	registered(r, c, explicit_name, specs, source);
	free(source);
}

void reporter_free(struct reporter *r)
{
	for (size_t i = 0; i < r->n_warned; i++)
		free(r->warned[i]);
	free(r->warned);
	r->warned = NULL;
	r->n_warned = 0;
}
