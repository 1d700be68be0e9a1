/*
 * Inspections: the full pass (list, then inspect every target with a small
 * window of requests in flight) and single inspections triggered by events.
 * Both end in report_container(), which turns an inspect document into
 * container_up / container_down / container_missing.
 *
 * Races with events: an inspection answered "running" may be overtaken by a
 * die event for the same container on the stream connection.  A down event
 * therefore marks every inspection of that container in flight as stale; a
 * stale answer is dropped (a later start event brings a fresh inspection).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "inspector_docker.h"

/* Inspections in flight during a pass: enough to hide the round trip,
 * few enough not to queue up inside the engine or exceed the connections. */
#define PASS_WINDOW 4
/* Containers remembered as already warned about an address fallback. */
#define MAX_WARNED 1024

struct inspect_job {
	struct inspector *in;
	struct dc_request *req;
	char *ref;  /* what we asked the engine for: id or name */
	char *name; /* name for messages, missing reports and stale matching */
	bool explicit_name;
	bool in_pass;
	bool stale;
	struct inspect_job *prev, *next;
};

static void pump(struct inspector *in);

/* --- jobs --- */

static void job_unlink(struct inspector *in, struct inspect_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (in->jobs == j)
		in->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
	if (j->in_pass)
		in->jobs_in_flight_pass--;
}

static void job_free(struct inspect_job *j)
{
	free(j->ref);
	free(j->name);
	free(j);
}

static bool already_warned(struct inspector *in, const char *name)
{
	for (size_t i = 0; i < in->n_warned; i++)
		if (strcmp(in->warned[i], name) == 0)
			return true;
	if (in->n_warned >= MAX_WARNED) {
		/* Bounded under container churn: forget, warn again later. */
		for (size_t i = 0; i < in->n_warned; i++)
			free(in->warned[i]);
		in->n_warned = 0;
	}
	char **grown = realloc(in->warned, (in->n_warned + 1) * sizeof *grown);
	char *copy = strdup(name);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			in->warned = grown;
		return false;
	}
	in->warned = grown;
	in->warned[in->n_warned++] = copy;
	return false;
}

/* Reports one inspected container to the core. */
static void report_container(struct inspector *in, const struct dk_container *c,
			     const struct inspect_job *j)
{
	const struct bh_host_api *api = in->api;
	if (!c->running || c->paused) {
		char *why = NULL;
		if (asprintf(&why, "is %s", c->paused ? "paused" : c->status ? c->status : "not running") < 0)
			why = NULL;
		/* Only a pass judges named containers; an event just withdraws. */
		if (j->in_pass && j->explicit_name)
			api->container_missing(in->host, j->name, why ? why : "is not running");
		else
			api->container_down(in->host, c->name, why ? why : "is not running");
		free(why);
		return;
	}
	holdback_note_inspect(in, c);
	if (holdback_draining(in, c->id)) {
		api->log(in->host, BH_LOG_DEBUG,
			 "container %s: draining after its stop signal; not registered", c->name);
		return;
	}
	if (in->settings.skip_unhealthy && c->health && strcmp(c->health, "healthy") != 0) {
		holdback_unhealthy(in, c);
		return;
	}
	holdback_healthy(in, c->name);
	/* The variable wins over the label, as in the original (it only knew
	 * the variable): a label cannot silently override what the image or
	 * operator set in the environment. */
	const char *specs = c->env_spec;
	char *source = NULL;
	int rc;
	if (specs)
		rc = asprintf(&source, "env %s", in->settings.envvar);
	else if (c->label_spec && (specs = c->label_spec))
		rc = asprintf(&source, "label %s", in->settings.label);
	else if (in->settings.label)
		rc = asprintf(&source, "env %s or label %s", in->settings.envvar, in->settings.label);
	else
		rc = asprintf(&source, "env %s", in->settings.envvar);
	if (rc < 0) {
		api->report_error(in->host, c->name, "out of memory");
		return;
	}
	char *warning = NULL, *error = NULL, *published = NULL;
	char *address = dk_address(&in->settings, c, &warning);
	if (!address) {
		/* Out of memory: a registration without a host must not reach
		 * the core (it would publish "(null)" or crash). */
		api->report_error(in->host, c->name, "cannot determine its address (out of memory)");
		goto out;
	}
	if (warning && !already_warned(in, c->name))
		api->log(in->host, BH_LOG_WARNING, "container %s %s", c->name, warning);
	free(warning);
	warning = NULL;
	if (specs && in->settings.address == ADDRESS_PUBLISHED) {
		published = dk_publish_specs(specs, c, &warning, &error);
		if (!published) {
			api->report_error(in->host, c->name, "%s", error ? error : "out of memory");
			api->container_down(in->host, c->name, "no published port");
			goto out;
		}
		if (warning)
			api->log(in->host, BH_LOG_WARNING, "container %s: %s", c->name, warning);
		specs = published;
	}
	/* Network names for the core's per-network ownership rules. */
	const char **networks = calloc(c->n_networks + 1, sizeof *networks);
	if (!networks) {
		api->report_error(in->host, c->name, "out of memory");
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
		.explicitly_named = j->explicit_name,
		.labels = (const char *const *)c->labels,
		.networks = networks,
		.created_ns = c->created_ns,
	};
	api->container_up(in->host, &report);
	free(networks);
out:
	free(source);
	free(address);
	free(published);
	free(warning);
	free(error);
}

/* The pass's list of containers to inspect. */
static void free_targets(struct inspector *in)
{
	for (size_t i = 0; i < in->n_targets; i++)
		free(in->targets[i]);
	free(in->targets);
	free(in->target_explicit);
	in->targets = NULL;
	in->target_explicit = NULL;
	in->n_targets = in->next_target = 0;
}

static void end_pass(struct inspector *in)
{
	free_targets(in);
	in->pass_active = false;
	/* Last: in one-pass mode the core stops us from inside this call. */
	in->api->pass_end(in->host, !in->pass_failed);
}

/* An engine failure during a pass: no more requests, end when the ones in
 * flight are back. */
static void pass_engine_failure(struct inspector *in, const char *why)
{
	if (!in->pass_failed || in->next_target < in->n_targets) {
		if (in->refresh == 0)
			in->api->report_error(in->host, NULL, "engine unreachable: %s", why);
		else
			in->api->log(in->host, BH_LOG_WARNING, "full pass incomplete: %s", why);
	}
	in->pass_failed = true;
	in->next_target = in->n_targets;
}

static void on_inspect(void *arg, const struct dc_result *res)
{
	struct inspect_job *j = arg;
	struct inspector *in = j->in;
	const struct bh_host_api *api = in->api;
	job_unlink(in, j);
	if (j->stale) {
		api->log(in->host, BH_LOG_DEBUG, "container %s: dropped a stale inspection", j->name);
	} else if (res->oversized) {
		api->report_error(in->host, j->name, "%s", res->error);
		if (j->in_pass)
			in->pass_failed = true;
	} else if (!res->transport_ok) {
		if (j->in_pass)
			pass_engine_failure(in, res->error);
		else
			api->log(in->host, BH_LOG_WARNING, "container %s: cannot inspect: %s", j->name,
				 res->error);
	} else if (res->status == 404) {
		if (j->in_pass && j->explicit_name)
			api->container_missing(in->host, j->name, "no such container");
		else
			api->container_down(in->host, j->name, "no such container");
	} else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		api->report_error(in->host, j->name, "inspect failed: HTTP %ld%s%s", res->status,
				  msg ? ": " : "", msg ? msg : "");
		free(msg);
		if (j->in_pass)
			in->pass_failed = true;
	} else {
		struct dk_container c;
		char *error = NULL;
		if (dk_parse_inspect(res->body, res->len, in->settings.envvar, in->settings.label, &c,
				     &error) < 0) {
			api->report_error(in->host, j->name, "%s", error ? error : "out of memory");
			free(error);
			if (j->in_pass)
				in->pass_failed = true;
		} else {
			report_container(in, &c, j);
			dk_container_free(&c);
		}
	}
	bool in_pass = j->in_pass;
	job_free(j);
	if (in_pass && in->pass_active)
		pump(in);
}

static bool start_job(struct inspector *in, const char *ref, const char *name, bool explicit_name,
		      bool in_pass)
{
	struct inspect_job *j = calloc(1, sizeof *j);
	char *escaped = curl_easy_escape(NULL, ref, 0);
	char *path = NULL;
	if (!j || !escaped || asprintf(&path, "%s/containers/%s/json", in->api_prefix, escaped) < 0)
		path = NULL;
	curl_free(escaped);
	if (j) {
		j->in = in;
		j->ref = strdup(ref);
		j->name = strdup(name);
		j->explicit_name = explicit_name;
		j->in_pass = in_pass;
	}
	if (!path || !j->ref || !j->name ||
	    !(j->req = dc_get(in->client, path, on_inspect, j))) {
		free(path);
		if (j)
			job_free(j);
		in->api->report_error(in->host, name, "cannot start an inspection (out of memory)");
		return false;
	}
	free(path);
	j->next = in->jobs;
	if (in->jobs)
		in->jobs->prev = j;
	in->jobs = j;
	if (in_pass)
		in->jobs_in_flight_pass++;
	return true;
}

static void pump(struct inspector *in)
{
	while (in->jobs_in_flight_pass < PASS_WINDOW && in->next_target < in->n_targets) {
		size_t i = in->next_target++;
		const char *ref = in->targets[i];
		/* Targets are "id\0name" pairs packed by add_target. */
		const char *name = ref + strlen(ref) + 1;
		if (!start_job(in, ref, name, in->target_explicit[i], true))
			in->pass_failed = true;
	}
	if (in->jobs_in_flight_pass == 0 && in->next_target >= in->n_targets)
		end_pass(in);
}

static bool add_target(struct inspector *in, size_t *cap, const char *ref, const char *name,
		       bool explicit_name)
{
	if (in->n_targets == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		char **t = realloc(in->targets, n * sizeof *t);
		if (t)
			in->targets = t;
		bool *e = realloc(in->target_explicit, n * sizeof *e);
		if (e)
			in->target_explicit = e;
		if (!t || !e)
			return false;
		*cap = n;
	}
	size_t rl = strlen(ref), nl = strlen(name);
	char *packed = malloc(rl + nl + 2);
	if (!packed)
		return false;
	memcpy(packed, ref, rl + 1);
	memcpy(packed + rl + 1, name, nl + 1);
	in->targets[in->n_targets] = packed;
	in->target_explicit[in->n_targets] = explicit_name;
	in->n_targets++;
	return true;
}

/* Targets: every listed container (if any), then each explicit name that
 * the list did not contain (inspected by name: 404 or not running). */
static void build_targets(struct inspector *in, char **ids, char **names, size_t count)
{
	size_t cap = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < count; i++)
		ok = add_target(in, &cap, ids[i], names[i], inspector_is_explicit(in, names[i], ids[i]));
	for (char **c = in->containers; ok && *c; c++) {
		bool listed = false;
		for (size_t i = 0; !listed && i < count; i++)
			listed = strcmp(names[i], *c) == 0 || strncmp(ids[i], *c, strlen(*c)) == 0;
		if (!listed)
			ok = add_target(in, &cap, *c, *c, true);
	}
	if (!ok) {
		in->api->report_error(in->host, NULL, "out of memory building the pass");
		in->pass_failed = true;
	}
}

static void on_list(void *arg, const struct dc_result *res)
{
	struct inspector *in = arg;
	in->list_req = NULL;
	char **ids = NULL, **names = NULL;
	size_t count = 0;
	if (res->oversized) {
		in->api->report_error(in->host, NULL, "listing containers: %s", res->error);
		in->pass_failed = true;
	} else if (!res->transport_ok) {
		pass_engine_failure(in, res->error);
	} else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		in->api->report_error(in->host, NULL, "listing containers failed: HTTP %ld%s%s",
				      res->status, msg ? ": " : "", msg ? msg : "");
		free(msg);
		in->pass_failed = true;
	} else {
		char *error = NULL;
		if (dk_parse_list(res->body, res->len, &ids, &names, &count, &error) < 0) {
			in->api->report_error(in->host, NULL, "listing containers: %s",
					      error ? error : "out of memory");
			in->pass_failed = true;
		}
		free(error);
	}
	if (!in->pass_failed)
		build_targets(in, ids, names, count);
	for (size_t i = 0; i < count; i++) {
		free(ids[i]);
		free(names[i]);
	}
	free(ids);
	free(names);
	pump(in);
}

void sync_start_pass(struct inspector *in)
{
	if (in->pass_active)
		return;
	in->pass_active = true;
	in->pass_failed = false;
	in->api->pass_begin(in->host);
	if (in->enumerate) {
		/* Running containers only (the default of /containers/json). */
		char *path = NULL;
		if (asprintf(&path, "%s/containers/json", in->api_prefix) >= 0)
			in->list_req = dc_get(in->client, path, on_list, in);
		free(path);
		if (in->list_req)
			return;
		in->api->report_error(in->host, NULL, "cannot start listing containers");
		in->pass_failed = true;
	} else {
		build_targets(in, NULL, NULL, 0);
	}
	pump(in);
}

void sync_abort_pass(struct inspector *in, bool report)
{
	if (!in->pass_active)
		return;
	dc_cancel(in->client, in->list_req);
	in->list_req = NULL;
	for (struct inspect_job *j = in->jobs, *next; j; j = next) {
		next = j->next;
		if (!j->in_pass)
			continue;
		dc_cancel(in->client, j->req);
		job_unlink(in, j);
		job_free(j);
	}
	in->next_target = in->n_targets;
	in->pass_failed = true;
	if (report)
		end_pass(in);
	else
		in->pass_active = false;
}

void sync_inspect_event(struct inspector *in, const char *id, const char *name)
{
	(void)start_job(in, id ? id : name, name ? name : id, inspector_is_explicit(in, name, id),
			false);
}

void sync_mark_stale(struct inspector *in, const char *name, const char *id)
{
	for (struct inspect_job *j = in->jobs; j; j = j->next)
		if ((name && strcmp(j->name, name) == 0) || (id && strcmp(j->ref, id) == 0))
			j->stale = true;
}

void sync_free(struct inspector *in)
{
	sync_abort_pass(in, false);
	while (in->jobs) {
		struct inspect_job *j = in->jobs;
		dc_cancel(in->client, j->req);
		job_unlink(in, j);
		job_free(j);
	}
	free_targets(in);
}
