/*
 * Full passes and inspections.
 *
 * A full pass is ONE request: GET /containers/json.  The listing carries
 * what a pass needs (id, name, state, health in the Status text, labels,
 * networks with addresses, published ports); what it lacks (the environment,
 * the exact creation time) never changes after creation and is remembered
 * per id (known.c) from the one inspection of each container.  So a pass
 * inspects only ids it has never read; an unchanged pass costs the engine
 * one request, whatever the number of containers.
 *
 * Failures are per container.  An inspection that times out, is refused,
 * oversized or malformed concerns that container only: it is logged once
 * per change naming it, its registration is kept (container_keep), and the
 * pass goes on for everybody else.  Only a listing that fails makes the pass
 * incomplete, and an incomplete pass withdraws nothing.
 *
 * Races with events: a pass's listing and the inspections it starts are
 * snapshots; an event on the stream may be newer.  Every event about a
 * known container stamps it with a sequence number; a listing asked for
 * before that event does not speak for it (its registration is kept, the
 * event path owns it).  Per id there is at most one inspection in flight
 * and one queued: a newer event coalesces into the queued one, and an
 * answer overtaken by it is dropped (the queued one reads the engine's
 * state after the event).  die, stop and pause are confirmed this way
 * before anything is withdrawn (the engine's state wins over the order of
 * events), unless an inspection of the container has outgrown its
 * deadline (confirm_behind_stuck); a kill that starts a drain, a destroy
 * and a rename mark inspections of the container stale.  Withdrawals name the container id, so an answer about an old
 * container never withdraws a new one that took over its name
 * (container_gone).
 *
 * Starvation: an inspection that has not answered within
 * inspect_deadline_ms stops counting against INSPECT_WINDOW and the pass
 * stops waiting for it; at most max_inspections are in flight in all.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "inspector_docker.h"

/* Inspections in flight that count: enough to hide the round trip, few
 * enough not to flood the engine.  One that has not answered within
 * inspect_deadline_ms stops counting (it goes on to timeout_ms, within
 * max_inspections in all): an engine that never answers about a few
 * containers cannot hold every slot while the others wait. */
#define INSPECT_WINDOW 4
/* Containers remembered as already warned about an address fallback. */
#define MAX_WARNED 1024

enum job_kind {
	JOB_PASS,    /* a listed container never read before, or an explicit name */
	JOB_EVENT,   /* start, unpause, health, rename */
	JOB_NETWORK, /* network connect/disconnect of a registered container */
	JOB_LATE,    /* a pass's that outgrew inspect_deadline_ms: the pass no
			longer waits for it, its answer is reported as an event's */
};

struct inspect_job {
	struct inspector *in;
	struct dc_request *req; /* NULL while queued */
	char *ref;  /* what we ask the engine for: the id, or an explicit name */
	char *id;   /* NULL when asked by name */
	char *name; /* for messages and missing reports */
	char *down_reason; /* a withdrawing event to confirm: withdraw when the
			      engine cannot say (NULL: keep) */
	enum job_kind kind;
	bool explicit_name;
	bool stale;
	bool counted; /* in flight and counted against INSPECT_WINDOW */
	bool indexed; /* in jobs_waiting (queued) or jobs_flying (sent) by id */
	uint64_t sent_ms;
	struct bh_strmap_node node; /* key: id */
	struct inspect_job *prev, *next;
};

static void pump(struct inspector *in);
static void maybe_end_pass(struct inspector *in);

/* --- once-per-change messages about one container --- */

static void problem(struct inspector *in, const char *id, const char *name, bool error,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A failure about one container: logged when it is news for that container
 * (debug otherwise); an error in one-pass mode always counts. */
static void problem(struct inspector *in, const char *id, const char *name, bool error,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = bh_vstrfmt(fmt, ap);
	va_end(ap);
	/* Remembered per id, also for a container not read yet (its first
	 * inspection is what fails). */
	struct known_container *k = id ? known_add(&in->known, id, name) : NULL;
	bool news = !msg || known_problem_is_news(k, msg);
	const char *text = msg ? msg : "(out of memory)";
	if (news && (error || in->refresh == 0))
		in->api->report_error(in->host, name, "%s", text);
	else
		in->api->log(in->host, news ? BH_LOG_WARNING : BH_LOG_DEBUG, "container %s: %s", name,
			     text);
	free(msg);
}

static void problem_solved(struct inspector *in, const char *id, const char *name)
{
	struct known_container *k = known_find(&in->known, id);
	if (k && k->problem && known_problem_is_news(k, NULL))
		in->api->log(in->host, BH_LOG_INFO, "container %s: readable again", name);
}

/* container_gone and container_keep are ABI 1.2, like this plugin: the
 * loader of an older core refuses it, so they are always there. */
void sync_withdraw(struct inspector *in, const char *id, const char *name, const char *reason)
{
	if (id)
		in->api->container_gone(in->host, id, name, reason);
	else
		in->api->container_down(in->host, name, reason);
}

static void keep(struct inspector *in, const char *id, const char *name)
{
	if (in->pass_active && id)
		in->api->container_keep(in->host, id, name);
}

/* --- jobs --- */

/* One queued job and one request in flight per id at most: events for the
 * same id coalesce into the queued job (the latest event wins), which is
 * sent when the one in flight has answered. */
static struct inspect_job *job_of(struct bh_strmap_node *n)
{
	return n ? BH_STRMAP_ENTRY(n, struct inspect_job, node) : NULL;
}

static struct inspect_job *waiting_job(const struct inspector *in, const char *id)
{
	return id ? job_of(bh_strmap_find(&in->jobs_waiting, id)) : NULL;
}

static struct inspect_job *flying_job(const struct inspector *in, const char *id)
{
	return id ? job_of(bh_strmap_find(&in->jobs_flying, id)) : NULL;
}

/* Not indexed (out of memory): the job works, it only does not coalesce. */
static void job_index(struct inspector *in, struct inspect_job *j)
{
	if (!j->id)
		return;
	j->node.key = j->id;
	j->indexed = bh_strmap_insert(j->req ? &in->jobs_flying : &in->jobs_waiting, &j->node) == 0;
}

static void job_unindex(struct inspector *in, struct inspect_job *j)
{
	if (j->indexed)
		bh_strmap_unlink(j->req ? &in->jobs_flying : &in->jobs_waiting, &j->node);
	j->indexed = false;
}

static void job_unlink(struct inspector *in, struct inspect_job *j)
{
	job_unindex(in, j);
	if (j->prev)
		j->prev->next = j->next;
	else if (in->jobs == j)
		in->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else if (in->jobs_tail == j)
		in->jobs_tail = j->prev;
	j->prev = j->next = NULL;
	if (j->req && j->counted)
		in->jobs_in_flight--;
	if (j->req)
		in->jobs_sent--;
	if (j->kind == JOB_PASS)
		in->pass_jobs--;
}

static void job_free(struct inspect_job *j)
{
	free(j->ref);
	free(j->id);
	free(j->name);
	free(j->down_reason);
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

/* Reports one container (from an inspection, or a listing entry completed
 * from what is known) to the core. */
static void report_container(struct inspector *in, const struct dk_container *c, bool in_pass,
			     bool explicit_name)
{
	const struct bh_host_api *api = in->api;
	if (!c->running || c->paused) {
		char *why = bh_strfmt("is %s", c->paused ? "paused" : c->status ? c->status : "not running");
		/* Only a pass judges named containers; an event just withdraws. */
		if (in_pass && explicit_name)
			api->container_missing(in->host, c->name, why ? why : "is not running");
		else
			sync_withdraw(in, c->id, c->name, why ? why : "is not running");
		free(why);
		return;
	}
	if (!c->from_listing)
		holdback_note_inspect(in, c); /* a listing has no StopSignal */
	if (holdback_draining(in, c->id)) {
		api->log(in->host, BH_LOG_DEBUG,
			 "container %s: draining after its stop signal; not registered", c->name);
		return;
	}
	if (in->config.skip_unhealthy && c->health && strcmp(c->health, "healthy") != 0) {
		holdback_unhealthy(in, c);
		return;
	}
	holdback_healthy(in, c->name);
	/* The variable wins over the label, as in the original (it only knew
	 * the variable): a label cannot silently override what the image or
	 * operator set in the environment. */
	const char *specs = c->env_spec;
	char *source;
	if (specs)
		source = bh_strfmt("env %s", in->config.envvar);
	else if (c->label_spec && (specs = c->label_spec))
		source = bh_strfmt("label %s", in->config.label);
	else if (in->config.label)
		source = bh_strfmt("env %s or label %s", in->config.envvar, in->config.label);
	else
		source = bh_strfmt("env %s", in->config.envvar);
	if (!source) {
		api->report_error(in->host, c->name, "out of memory");
		return;
	}
	char *warning = NULL;
	struct bh_port_binding *bindings = NULL;
	const char **networks = NULL;
	char *address = address_for_registration(&in->config, c, &warning);
	if (!address) {
		/* Out of memory: a registration without a host must not reach
		 * the core (it would publish "(null)" or crash). */
		api->report_error(in->host, c->name, "cannot determine its address (out of memory)");
		goto out;
	}
	if (warning && !already_warned(in, c->name))
		api->log(in->host, BH_LOG_WARNING, "container %s %s", c->name, warning);
	/* Published mode: the engine's facts; the core maps the specs. */
	bool published = in->config.address == ADDRESS_PUBLISHED;
	if (published && c->n_ports > 0 && !(bindings = calloc(c->n_ports, sizeof *bindings))) {
		api->report_error(in->host, c->name, "out of memory");
		goto out;
	}
	for (size_t i = 0; published && i < c->n_ports; i++)
		bindings[i] = (struct bh_port_binding){c->ports[i].container_port, c->ports[i].proto,
						       c->ports[i].host_ip, c->ports[i].host_port};
	/* Network names for the core's per-network ownership rules. */
	networks = calloc(c->n_networks + 1, sizeof *networks);
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
		.explicitly_named = explicit_name,
		.labels = (const char *const *)c->labels,
		.networks = networks,
		.created_ns = c->created_ns,
		.ports_published = published,
		.bindings = bindings,
		.n_bindings = published ? c->n_ports : 0,
	};
	api->container_up(in->host, &report);
out:
	free(networks);
	free(bindings);
	free(source);
	free(address);
	free(warning);
}

/* --- the inspection queue --- */

/* A live inspection of id, in flight or (waiting_only) not yet sent. */
static bool job_in_queue(const struct inspector *in, const char *id, bool waiting_only)
{
	const struct inspect_job *w = waiting_job(in, id), *f = flying_job(in, id);
	return (w && !w->stale) || (!waiting_only && f && !f->stale);
}

static bool replace_string(char **slot, const char *value)
{
	char *copy = NULL;
	if (value && !(copy = strdup(value)))
		return false;
	free(*slot);
	*slot = copy;
	return true;
}

/* A newer event for an id already queued: that job will read the engine's
 * state when it is sent, which answers both.  An event outranks the pass
 * (which then no longer waits for it), and its down_reason (NULL for a
 * start) replaces the older one. */
static void coalesce(struct inspector *in, struct inspect_job *w, const char *name,
		     enum job_kind kind, bool explicit_name, const char *down_reason)
{
	w->stale = false;
	w->explicit_name = w->explicit_name || explicit_name;
	if (kind == JOB_PASS)
		return;
	if (w->kind == JOB_PASS) {
		keep(in, w->id, w->name);
		in->pass_jobs--;
	}
	if (w->kind != JOB_EVENT)
		w->kind = kind;
	if (kind == JOB_EVENT && !replace_string(&w->down_reason, down_reason))
		(void)replace_string(&w->down_reason, NULL); /* OOM: keep rather than withdraw */
	if (name && strcmp(name, w->name) != 0)
		(void)replace_string(&w->name, name);
}

static struct inspect_job *queue_job(struct inspector *in, const char *id, const char *name,
				     enum job_kind kind, bool explicit_name, const char *down_reason)
{
	struct inspect_job *w = waiting_job(in, id);
	if (w) {
		coalesce(in, w, name, kind, explicit_name, down_reason);
		return w;
	}
	struct inspect_job *j = calloc(1, sizeof *j);
	if (!j || !(j->ref = strdup(id ? id : name)) || (id && !(j->id = strdup(id))) ||
	    !(j->name = strdup(name ? name : id)) || !replace_string(&j->down_reason, down_reason)) {
		if (j)
			job_free(j);
		in->api->report_error(in->host, name ? name : id,
				      "cannot start an inspection (out of memory)");
		return NULL;
	}
	j->in = in;
	j->kind = kind;
	j->explicit_name = explicit_name;
	j->prev = in->jobs_tail;
	if (in->jobs_tail)
		in->jobs_tail->next = j;
	else
		in->jobs = j;
	in->jobs_tail = j;
	if (kind == JOB_PASS)
		in->pass_jobs++;
	job_index(in, j);
	return j;
}

static void on_inspect(void *arg, const struct dc_result *res);

/* The next job to start: events first (a start event is what a proxy waits
 * for), then the pass's, oldest first; never a second request for an id
 * with one in flight. */
static struct inspect_job *next_queued(struct inspector *in)
{
	struct inspect_job *first_pass = NULL;
	for (struct inspect_job *j = in->jobs; j; j = j->next) {
		if (j->req || flying_job(in, j->id))
			continue;
		if (j->kind != JOB_PASS)
			return j;
		if (!first_pass)
			first_pass = j;
	}
	return first_pass;
}

/* The inspection could not say (failed, refused, unreadable): the
 * registration is kept, unless the job confirms a withdrawing event, which
 * then stands. */
static void unanswered(struct inspector *in, const struct inspect_job *j)
{
	if (j->down_reason && j->id)
		sync_withdraw(in, j->id, j->name, j->down_reason);
	else
		keep(in, j->id, j->name);
}

static bool send_job(struct inspector *in, struct inspect_job *j)
{
	char *escaped = curl_easy_escape(NULL, j->ref, 0);
	char *path = escaped ? bh_strfmt("%s/containers/%s/json", in->api_prefix, escaped) : NULL;
	curl_free(escaped);
	struct dc_request *req = path ? dc_get(in->client, path, on_inspect, j) : NULL;
	free(path);
	if (!req)
		return false;
	job_unindex(in, j);
	j->req = req;
	job_index(in, j);
	j->counted = true;
	j->sent_ms = in->api->now_ms(in->host);
	in->jobs_in_flight++;
	in->jobs_sent++;
	return true;
}

static void on_deadline(void *arg);

/* The timer for the oldest counted inspection's deadline. */
static void arm_deadline(struct inspector *in)
{
	uint64_t oldest = UINT64_MAX;
	for (const struct inspect_job *j = in->jobs; j; j = j->next)
		if (j->req && j->counted && j->sent_ms < oldest)
			oldest = j->sent_ms;
	if (oldest == UINT64_MAX) {
		if (in->deadline_timer)
			in->api->timer_disarm(in->host, in->deadline_timer);
		return;
	}
	if (!in->deadline_timer && !(in->deadline_timer = in->api->timer_new(in->host, on_deadline, in)))
		return; /* out of memory: slots free at the request timeout */
	uint64_t now = in->api->now_ms(in->host);
	uint64_t due = oldest + (uint64_t)in->config.inspect_deadline_ms;
	if (in->api->timer_arm(in->host, in->deadline_timer, due > now ? due - now : 0) < 0)
		in->api->log(in->host, BH_LOG_WARNING, "cannot arm the inspection deadline timer");
}

/* A withdrawing event queued behind an inspection of the same id that has
 * outgrown its deadline: the engine cannot say in time (it holds that
 * container), and the confirmation would wait up to twice timeout_ms.  The
 * event stands at once; the queued inspection still runs and registers the
 * container again if it does run. */
static void confirm_behind_stuck(struct inspector *in, struct inspect_job *w)
{
	const struct inspect_job *f = flying_job(in, w->id);
	if (!w->down_reason || !f || f->counted)
		return;
	in->api->log(in->host, BH_LOG_DEBUG,
		     "container %s: %s not confirmed (an inspection of it does not answer); withdrawn",
		     w->name, w->down_reason);
	sync_withdraw(in, w->id, w->name, w->down_reason);
	free(w->down_reason);
	w->down_reason = NULL;
}

/* No answer within the deadline: the request goes on to its timeout, but
 * frees its slot, and a pass no longer waits for it (its registrations are
 * published at the pass's end). */
static void outgrown(struct inspector *in, struct inspect_job *j)
{
	j->counted = false;
	in->jobs_in_flight--;
	in->api->log(in->host, BH_LOG_DEBUG,
		     "container %s: no answer to its inspection after %ld ms; not waited for any longer",
		     j->name, in->config.inspect_deadline_ms);
	if (j->kind == JOB_PASS) {
		keep(in, j->id, j->name);
		in->pass_jobs--;
		j->kind = JOB_LATE;
	}
	struct inspect_job *w = waiting_job(in, j->id);
	if (w)
		confirm_behind_stuck(in, w);
}

static void on_deadline(void *arg)
{
	struct inspector *in = arg;
	uint64_t now = in->api->now_ms(in->host);
	for (struct inspect_job *j = in->jobs; j; j = j->next)
		if (j->req && j->counted && now - j->sent_ms >= (uint64_t)in->config.inspect_deadline_ms)
			outgrown(in, j);
	pump(in);
}

static void pump(struct inspector *in)
{
	struct inspect_job *j;
	while (in->jobs_in_flight < INSPECT_WINDOW && in->jobs_sent < in->config.max_inspections &&
	       (j = next_queued(in))) {
		if (j->stale) {
			/* Overtaken by a withdrawal before it was sent. */
		} else if (send_job(in, j)) {
			continue;
		} else {
			problem(in, j->id, j->name, true, "cannot start an inspection (out of memory)");
			unanswered(in, j);
		}
		job_unlink(in, j);
		job_free(j);
	}
	arm_deadline(in);
	maybe_end_pass(in);
}

/* --- one inspection's answer --- */

static void inspected(struct inspector *in, const struct inspect_job *j, const char *body,
		      size_t len)
{
	struct dk_container c;
	char *error = NULL;
	if (dk_parse_inspect(body, len, in->config.envvar, in->config.label, &c, &error) < 0) {
		problem(in, j->id, j->name, true, "%s", error ? error : "out of memory");
		free(error);
		unanswered(in, j);
		return;
	}
	bool runs = c.running && !c.paused;
	/* A network change of a container that no longer runs: its die or
	 * pause event withdraws it; an answer overtaken by that event must
	 * not. */
	if (j->kind == JOB_NETWORK && !runs) {
		dk_container_free(&c);
		return;
	}
	problem_solved(in, c.id, c.name);
	if (runs) {
		struct known_container *k = known_add(&in->known, c.id, c.name);
		if (k) {
			if (!known_learn(k, &c))
				known_forget(&in->known, c.id); /* OOM: read again next pass */
			else
				k->listed_pass = in->pass_no;
		}
	}
	report_container(in, &c, j->kind == JOB_PASS, j->explicit_name);
	dk_container_free(&c);
}

/* A container whose inspect document, or whose entry in the listing,
 * exceeds max_response_bytes: refused alone, once per change, whichever of
 * the two sees it first.  Its env and labels never change: it is not asked
 * for again. */
static void refuse_oversized(struct inspector *in, const char *id, const char *name)
{
	struct known_container *k = id ? known_add(&in->known, id, name) : NULL;
	if (k) {
		k->unreadable = true;
		k->listed_pass = in->pass_no;
	}
	problem(in, id, name, true, "larger than max_response_bytes (%zu); not registered",
		in->config.max_response_bytes);
	keep(in, id, name);
}

/* A newer event is queued for the job's id: its inspection answers.  A
 * network event changes nothing about whether the container runs, so a
 * withdrawal this job was confirming is now the newer job's to confirm. */
static void overtaken(struct inspector *in, struct inspect_job *j, struct inspect_job *newer)
{
	in->api->log(in->host, BH_LOG_DEBUG,
		     "container %s: an inspection overtaken by a newer event; asking again", j->name);
	if (j->down_reason && newer->kind == JOB_NETWORK) {
		newer->kind = JOB_EVENT;
		free(newer->down_reason);
		newer->down_reason = j->down_reason;
		j->down_reason = NULL;
	}
	keep(in, j->id, j->name);
}

static void on_inspect(void *arg, const struct dc_result *res)
{
	struct inspect_job *j = arg;
	struct inspector *in = j->in;
	job_unlink(in, j);
	struct inspect_job *newer = waiting_job(in, j->id);
	if (j->stale) {
		in->api->log(in->host, BH_LOG_DEBUG, "container %s: dropped a stale inspection", j->name);
	} else if (newer) {
		overtaken(in, j, newer);
	} else if (res->oversized) {
		refuse_oversized(in, j->id, j->name);
		unanswered(in, j);
	} else if (!res->transport_ok) {
		docker_metrics_inspect_failed(&in->metrics);
		problem(in, j->id, j->name, false, "cannot inspect: %s", res->error);
		unanswered(in, j);
	} else if (res->status == 404) {
		if (j->explicit_name && !j->id)
			in->api->container_missing(in->host, j->name, "no such container");
		else
			sync_withdraw(in, j->id, j->name, "no such container");
		known_forget(&in->known, j->id);
	} else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		docker_metrics_inspect_failed(&in->metrics);
		problem(in, j->id, j->name, true, "inspect failed: HTTP %ld%s%s", res->status,
			msg ? ": " : "", msg ? msg : "");
		free(msg);
		unanswered(in, j);
	} else {
		inspected(in, j, res->body, res->len);
	}
	job_free(j);
	pump(in);
}

/* --- the pass --- */

static void end_pass(struct inspector *in)
{
	in->pass_active = false;
	/* Only in daemon mode: in one-pass mode the core stops us from inside
	 * pass_end, so nothing may touch `in` after it.  Never on the way
	 * out (stop() abandons the pass): a pass begun there never ends. */
	bool again = in->pass_again && in->refresh > 0 && !in->stopping;
	in->pass_again = false;
	in->api->pass_end(in->host, !in->pass_failed);
	if (again)
		sync_start_pass(in);
}

static void maybe_end_pass(struct inspector *in)
{
	if (in->pass_active && !in->list_req && in->pass_jobs == 0)
		end_pass(in);
}

static bool interesting(const struct inspector *in, const char *name, const char *id)
{
	return in->enumerate || inspector_is_explicit(in, name, id);
}

/* One listed container: reported from the listing when it was read before,
 * queued for its first inspection otherwise. */
static void listed(struct inspector *in, struct dk_container *c)
{
	bool explicit_name = inspector_is_explicit(in, c->name, c->id);
	if (!in->enumerate && !explicit_name)
		return;
	struct known_container *k = known_find(&in->known, c->id);
	if (k)
		k->listed_pass = in->pass_no;
	if (k && k->event_seq > in->pass_seq) {
		/* An event came after the listing was asked for: it knows
		 * better, and it acts (or acted) on its own. */
		keep(in, c->id, c->name);
		return;
	}
	if (k && k->unreadable) {
		keep(in, c->id, c->name);
		return;
	}
	if (c->too_large) {
		refuse_oversized(in, c->id, c->name);
		return;
	}
	if (k && k->inspected) {
		if (!known_apply(k, c)) {
			in->api->report_error(in->host, c->name, "out of memory");
			keep(in, c->id, c->name);
			return;
		}
		report_container(in, c, true, explicit_name);
		return;
	}
	if (job_in_queue(in, c->id, false)) {
		/* Its first inspection is under way (an event's): it reports. */
		keep(in, c->id, c->name);
		return;
	}
	if (!known_add(&in->known, c->id, c->name) ||
	    !queue_job(in, c->id, c->name, JOB_PASS, explicit_name, NULL))
		keep(in, c->id, c->name);
	else
		known_find(&in->known, c->id)->listed_pass = in->pass_no;
}

/* An explicitly named container the listing did not show is inspected by
 * name: the answer says whether it is missing or not running. */
static void explicit_not_listed(struct inspector *in, const struct dk_container *list, size_t count)
{
	for (char **c = in->containers; *c; c++) {
		bool found = false;
		for (size_t i = 0; !found && i < count; i++)
			found = strcmp(list[i].name, *c) == 0 || strncmp(list[i].id, *c, strlen(*c)) == 0;
		if (!found)
			(void)queue_job(in, NULL, *c, JOB_PASS, true, NULL);
	}
}

static void list_failed(struct inspector *in, const char *fmt, const char *what)
{
	in->pass_failed = true;
	if (in->refresh == 0)
		in->api->report_error(in->host, NULL, fmt, what);
	else
		in->api->log(in->host, BH_LOG_WARNING, "full pass incomplete (withdrawing nothing): %s",
			     what);
}

static void on_list(void *arg, const struct dc_result *res)
{
	struct inspector *in = arg;
	in->list_req = NULL;
	struct dk_container *list = NULL;
	size_t count = 0;
	char *error = NULL;
	if (res->oversized) {
		list_failed(in, "listing containers: %s", res->error);
	} else if (!res->transport_ok) {
		list_failed(in, "engine unreachable: %s", res->error);
	} else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		error = bh_strfmt("listing containers failed: HTTP %ld%s%s", res->status,
				  msg ? ": " : "", msg ? msg : "");
		free(msg);
		list_failed(in, "%s", error ? error : "listing containers failed");
	} else if (dk_parse_list(res->body, res->len, in->config.label, in->config.max_response_bytes,
				 &list, &count, &error) < 0) {
		list_failed(in, "listing containers: %s", error ? error : "out of memory");
	} else {
		for (size_t i = 0; i < count; i++)
			listed(in, &list[i]);
		explicit_not_listed(in, list, count);
		/* Gone from a complete listing (and no newer event): forget. */
		known_forget_unlisted(&in->known, in->pass_no, in->pass_seq);
	}
	free(error);
	dk_list_free(list, count);
	pump(in);
}

void sync_start_pass(struct inspector *in)
{
	if (in->pass_active)
		return;
	in->pass_active = true;
	in->pass_failed = false;
	in->pass_no++;
	in->pass_seq = in->event_seq;
	in->api->pass_begin(in->host);
	/* Running containers only (the default of /containers/json); a
	 * listing is needed also for explicit names: it is one request
	 * instead of one per name. */
	char *path = bh_strfmt("%s/containers/json", in->api_prefix);
	if (path)
		in->list_req = dc_get_max(in->client, path, in->config.max_list_bytes, on_list, in);
	free(path);
	if (in->list_req)
		return;
	list_failed(in, "%s", "cannot start listing containers");
	pump(in);
}

void sync_pass_after_connect(struct inspector *in)
{
	if (in->pass_active)
		in->pass_again = true;
	else
		sync_start_pass(in);
}

void sync_abort_pass(struct inspector *in, bool report)
{
	if (!in->pass_active)
		return;
	dc_cancel(in->client, in->list_req);
	in->list_req = NULL;
	for (struct inspect_job *j = in->jobs, *next; j; j = next) {
		next = j->next;
		if (j->kind != JOB_PASS)
			continue;
		dc_cancel(in->client, j->req);
		job_unlink(in, j);
		job_free(j);
	}
	in->pass_failed = true;
	if (report)
		end_pass(in);
	else
		in->pass_active = false;
}

/* --- events --- */

void sync_note_event(struct inspector *in, const char *id)
{
	in->event_seq++;
	struct known_container *k = known_find(&in->known, id);
	if (k)
		k->event_seq = in->event_seq;
}

void sync_forget(struct inspector *in, const char *id)
{
	known_forget(&in->known, id);
}

void sync_inspect_event(struct inspector *in, const char *id, const char *name)
{
	if (queue_job(in, id, name ? name : id, JOB_EVENT, inspector_is_explicit(in, name, id), NULL))
		pump(in);
}

bool sync_knows(const struct inspector *in, const char *id)
{
	return id && (known_find(&in->known, id) || waiting_job(in, id) || flying_job(in, id));
}

void sync_confirm_down(struct inspector *in, const char *id, const char *name, const char *action)
{
	if (!sync_knows(in, id)) {
		in->api->log(in->host, BH_LOG_DEBUG, "event %s about %.12s, a container not known here: ignored",
			     action, id ? id : "(no id)");
		return;
	}
	const struct known_container *k = known_find(&in->known, id);
	const char *n = name ? name : k ? k->name : id;
	struct inspect_job *w = queue_job(in, id, n, JOB_EVENT, inspector_is_explicit(in, n, id), action);
	if (!w)
		return;
	if (!w->req)
		confirm_behind_stuck(in, w);
	pump(in);
}

void sync_inspect_network_change(struct inspector *in, const char *id)
{
	struct known_container *k = known_find(&in->known, id);
	/* Only containers read before: a container being started gets its
	 * connect events before its start event, which inspects it anyway. */
	if (!k || !k->inspected || !interesting(in, k->name, id))
		return;
	sync_note_event(in, id);
	/* One not yet sent will read the new state anyway (a start brings a
	 * connect per network, and its own inspection). */
	if (job_in_queue(in, id, true))
		return;
	if (queue_job(in, id, k->name, JOB_NETWORK, inspector_is_explicit(in, k->name, id), NULL))
		pump(in);
}

void sync_mark_stale(struct inspector *in, const char *id)
{
	/* By id: a name may already belong to another container. */
	struct inspect_job *w = waiting_job(in, id), *f = flying_job(in, id);
	if (w)
		w->stale = true;
	if (f)
		f->stale = true;
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
	bh_strmap_free(&in->jobs_waiting);
	bh_strmap_free(&in->jobs_flying);
	if (in->deadline_timer)
		in->api->timer_free(in->host, in->deadline_timer);
	in->deadline_timer = NULL;
	known_free(&in->known);
}
