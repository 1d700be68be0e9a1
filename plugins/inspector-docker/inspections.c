/*
 * Single-container inspections: GET /containers/ID/json, for a full pass's
 * containers never read before (and explicit names the listing did not
 * show) and for events.
 *
 * Failures are per container.  An inspection that times out, is refused,
 * oversized or malformed concerns that container only: it is logged once
 * per change naming it, its registration is kept (container_keep), and the
 * pass goes on for everybody else.
 *
 * Races with events: per id there is at most one inspection in flight and
 * one queued: a newer event coalesces into the queued one, and an answer
 * overtaken by it is dropped (the queued one reads the engine's state after
 * the event).  die, stop and pause are confirmed this way before anything
 * is withdrawn (the engine's state wins over the order of events), unless
 * an inspection of the container has outgrown its deadline
 * (confirm_behind_stuck); a kill that starts a drain, a destroy and a
 * rename mark inspections of the container stale.
 *
 * Starvation: an inspection that has not answered within
 * inspect_deadline_ms stops counting against INSPECT_WINDOW and the pass
 * stops waiting for it; at most max_inspections are in flight in all.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <beachhead/sdk.h>

#include "inspections.h"

/* Inspections in flight that count: enough to hide the round trip, few
 * enough not to flood the engine.  One that has not answered within
 * inspect_deadline_ms stops counting (it goes on to timeout_ms, within
 * max_inspections in all): an engine that never answers about a few
 * containers cannot hold every slot while the others wait. */
#define INSPECT_WINDOW 4

enum job_kind {
	JOB_PASS,    /* a listed container never read before, or an explicit name */
	JOB_EVENT,   /* start, unpause, health, rename */
	JOB_NETWORK, /* network connect/disconnect of a registered container */
	JOB_LATE,    /* a pass's that outgrew inspect_deadline_ms: the pass no
			longer waits for it, its answer is reported as an event's */
};

struct inspect_job {
	struct inspections *q;
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
	bool indexed; /* in waiting (queued) or flying (sent) by id */
	uint64_t sent_ms;
	struct bh_strmap_node node; /* key: id */
	struct inspect_job *prev, *next;
};

void inspections_init(struct inspections *q, const struct bh_host_api *api, struct bh_host *host,
		      struct dc_client *client, const struct docker_config *config,
		      const struct selection *selection, struct known_set *known,
		      struct reporter *reporter, struct docker_metrics *metrics,
		      const struct inspections_callbacks *callbacks, void *arg)
{
	*q = (struct inspections){.api = api, .host = host, .client = client, .config = config,
				  .selection = selection, .known = known, .reporter = reporter,
				  .metrics = metrics, .callbacks = *callbacks, .callbacks_arg = arg};
}

/* --- jobs --- */

/* One queued job and one request in flight per id at most: events for the
 * same id coalesce into the queued job (the latest event wins), which is
 * sent when the one in flight has answered. */
static struct inspect_job *job_of(struct bh_strmap_node *n)
{
	return n ? BH_STRMAP_ENTRY(n, struct inspect_job, node) : NULL;
}

static struct inspect_job *waiting_job(const struct inspections *q, const char *id)
{
	return id ? job_of(bh_strmap_find(&q->waiting, id)) : NULL;
}

static struct inspect_job *flying_job(const struct inspections *q, const char *id)
{
	return id ? job_of(bh_strmap_find(&q->flying, id)) : NULL;
}

/* Not indexed (out of memory): the job works, it only does not coalesce. */
static void job_index(struct inspections *q, struct inspect_job *j)
{
	if (!j->id)
		return;
	j->node.key = j->id;
	j->indexed = bh_strmap_insert(j->req ? &q->flying : &q->waiting, &j->node) == 0;
}

static void job_unindex(struct inspections *q, struct inspect_job *j)
{
	if (j->indexed)
		bh_strmap_unlink(j->req ? &q->flying : &q->waiting, &j->node);
	j->indexed = false;
}

static void job_unlink(struct inspections *q, struct inspect_job *j)
{
	job_unindex(q, j);
	if (j->prev)
		j->prev->next = j->next;
	else if (q->jobs == j)
		q->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else if (q->jobs_tail == j)
		q->jobs_tail = j->prev;
	j->prev = j->next = NULL;
	if (j->req && j->counted)
		q->in_flight--;
	if (j->req)
		q->sent--;
	if (j->kind == JOB_PASS)
		q->pass_jobs--;
}

static void job_free(struct inspect_job *j)
{
	free(j->ref);
	free(j->id);
	free(j->name);
	free(j->down_reason);
	free(j);
}

/* --- the queue --- */

/* A live inspection of id, in flight or (waiting_only) not yet sent. */
static bool job_in_queue(const struct inspections *q, const char *id, bool waiting_only)
{
	const struct inspect_job *w = waiting_job(q, id), *f = flying_job(q, id);
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
static void coalesce(struct inspections *q, struct inspect_job *w, const char *name,
		     enum job_kind kind, bool explicit_name, const char *down_reason)
{
	w->stale = false;
	w->explicit_name = w->explicit_name || explicit_name;
	if (kind == JOB_PASS)
		return;
	if (w->kind == JOB_PASS) {
		reporter_keep(q->reporter, w->id, w->name);
		q->pass_jobs--;
	}
	if (w->kind != JOB_EVENT)
		w->kind = kind;
	if (kind == JOB_EVENT && !replace_string(&w->down_reason, down_reason))
		(void)replace_string(&w->down_reason, NULL); /* OOM: keep rather than withdraw */
	if (name && strcmp(name, w->name) != 0)
		(void)replace_string(&w->name, name);
}

static struct inspect_job *queue_job(struct inspections *q, const char *id, const char *name,
				     enum job_kind kind, bool explicit_name, const char *down_reason)
{
	struct inspect_job *w = waiting_job(q, id);
	if (w) {
		coalesce(q, w, name, kind, explicit_name, down_reason);
		return w;
	}
	struct inspect_job *j = calloc(1, sizeof *j);
	if (!j || !(j->ref = strdup(id ? id : name)) || (id && !(j->id = strdup(id))) ||
	    !(j->name = strdup(name ? name : id)) || !replace_string(&j->down_reason, down_reason)) {
		if (j)
			job_free(j);
		q->api->report_error(q->host, name ? name : id,
				     "cannot start an inspection (out of memory)");
		return NULL;
	}
	j->q = q;
	j->kind = kind;
	j->explicit_name = explicit_name;
	j->prev = q->jobs_tail;
	if (q->jobs_tail)
		q->jobs_tail->next = j;
	else
		q->jobs = j;
	q->jobs_tail = j;
	if (kind == JOB_PASS)
		q->pass_jobs++;
	job_index(q, j);
	return j;
}

static void on_inspect(void *arg, const struct dc_result *res);

/* The next job to start: events first (a start event is what a proxy waits
 * for), then the pass's, oldest first; never a second request for an id
 * with one in flight. */
static struct inspect_job *next_queued(struct inspections *q)
{
	struct inspect_job *first_pass = NULL;
	for (struct inspect_job *j = q->jobs; j; j = j->next) {
		if (j->req || flying_job(q, j->id))
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
static void unanswered(struct inspections *q, const struct inspect_job *j)
{
	if (j->down_reason && j->id)
		reporter_withdraw(q->reporter, j->id, j->name, j->down_reason);
	else
		reporter_keep(q->reporter, j->id, j->name);
}

static bool send_job(struct inspections *q, struct inspect_job *j)
{
	char *escaped = curl_easy_escape(NULL, j->ref, 0);
	char *path = escaped ? bh_strfmt("%s/containers/%s/json", dc_api_prefix(q->client), escaped)
			     : NULL;
	curl_free(escaped);
	struct dc_request *req = path ? dc_get(q->client, path, on_inspect, j) : NULL;
	free(path);
	if (!req)
		return false;
	job_unindex(q, j);
	j->req = req;
	job_index(q, j);
	j->counted = true;
	j->sent_ms = q->api->now_ms(q->host);
	q->in_flight++;
	q->sent++;
	return true;
}

/* --- deadlines --- */

static void on_deadline(void *arg);

/* The timer for the oldest counted inspection's deadline. */
static void arm_deadline(struct inspections *q)
{
	uint64_t oldest = UINT64_MAX;
	for (const struct inspect_job *j = q->jobs; j; j = j->next)
		if (j->req && j->counted && j->sent_ms < oldest)
			oldest = j->sent_ms;
	if (oldest == UINT64_MAX) {
		if (q->deadline_timer)
			q->api->timer_disarm(q->host, q->deadline_timer);
		return;
	}
	if (!q->deadline_timer && !(q->deadline_timer = q->api->timer_new(q->host, on_deadline, q)))
		return; /* out of memory: slots free at the request timeout */
	uint64_t now = q->api->now_ms(q->host);
	uint64_t due = oldest + (uint64_t)q->config->inspect_deadline_ms;
	if (q->api->timer_arm(q->host, q->deadline_timer, due > now ? due - now : 0) < 0)
		q->api->log(q->host, BH_LOG_WARNING, "cannot arm the inspection deadline timer");
}

/* A withdrawing event queued behind an inspection of the same id that has
 * outgrown its deadline: the engine cannot say in time (it holds that
 * container), and the confirmation would wait up to twice timeout_ms.  The
 * event stands at once; the queued inspection still runs and registers the
 * container again if it does run. */
static void confirm_behind_stuck(struct inspections *q, struct inspect_job *w)
{
	const struct inspect_job *f = flying_job(q, w->id);
	if (!w->down_reason || !f || f->counted)
		return;
	q->api->log(q->host, BH_LOG_DEBUG,
		    "container %s: %s not confirmed (an inspection of it does not answer); withdrawn",
		    w->name, w->down_reason);
	reporter_withdraw(q->reporter, w->id, w->name, w->down_reason);
	free(w->down_reason);
	w->down_reason = NULL;
}

/* No answer within the deadline: the request goes on to its timeout, but
 * frees its slot, and a pass no longer waits for it (its registrations are
 * published at the pass's end). */
static void outgrown(struct inspections *q, struct inspect_job *j)
{
	j->counted = false;
	q->in_flight--;
	q->api->log(q->host, BH_LOG_DEBUG,
		    "container %s: no answer to its inspection after %ld ms; not waited for any longer",
		    j->name, q->config->inspect_deadline_ms);
	if (j->kind == JOB_PASS) {
		reporter_keep(q->reporter, j->id, j->name);
		q->pass_jobs--;
		j->kind = JOB_LATE;
	}
	struct inspect_job *w = waiting_job(q, j->id);
	if (w)
		confirm_behind_stuck(q, w);
}

static void on_deadline(void *arg)
{
	struct inspections *q = arg;
	uint64_t now = q->api->now_ms(q->host);
	for (struct inspect_job *j = q->jobs; j; j = j->next)
		if (j->req && j->counted && now - j->sent_ms >= (uint64_t)q->config->inspect_deadline_ms)
			outgrown(q, j);
	inspections_pump(q);
}

void inspections_pump(struct inspections *q)
{
	struct inspect_job *j;
	while (q->in_flight < INSPECT_WINDOW && q->sent < q->config->max_inspections &&
	       (j = next_queued(q))) {
		if (j->stale) {
			/* Overtaken by a withdrawal before it was sent. */
		} else if (send_job(q, j)) {
			continue;
		} else {
			reporter_problem(q->reporter, j->id, j->name, true,
					 "cannot start an inspection (out of memory)");
			unanswered(q, j);
		}
		job_unlink(q, j);
		job_free(j);
	}
	arm_deadline(q);
	q->callbacks.settled(q->callbacks_arg);
}

/* --- one inspection's answer --- */

static void inspected(struct inspections *q, const struct inspect_job *j, const char *body,
		      size_t len)
{
	struct dk_container c;
	char *error = NULL;
	if (dk_parse_inspect(body, len, q->config->envvar, q->config->label, &c, &error) < 0) {
		reporter_problem(q->reporter, j->id, j->name, true, "%s", error ? error : "out of memory");
		free(error);
		unanswered(q, j);
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
	reporter_problem_solved(q->reporter, c.id, c.name);
	if (runs) {
		struct known_container *k = known_add(q->known, c.id, c.name);
		if (k) {
			if (!known_learn(k, &c))
				known_forget(q->known, c.id); /* OOM: read again next pass */
			else
				known_mark_listed(q->known, k);
		}
	}
	reporter_container(q->reporter, &c, j->kind == JOB_PASS, j->explicit_name);
	dk_container_free(&c);
}

/* A newer event is queued for the job's id: its inspection answers.  A
 * network event changes nothing about whether the container runs, so a
 * withdrawal this job was confirming is now the newer job's to confirm. */
static void overtaken(struct inspections *q, struct inspect_job *j, struct inspect_job *newer)
{
	q->api->log(q->host, BH_LOG_DEBUG,
		    "container %s: an inspection overtaken by a newer event; asking again", j->name);
	if (j->down_reason && newer->kind == JOB_NETWORK) {
		newer->kind = JOB_EVENT;
		free(newer->down_reason);
		newer->down_reason = j->down_reason;
		j->down_reason = NULL;
	}
	reporter_keep(q->reporter, j->id, j->name);
}

/* The engine answered with an HTTP error (404 aside) or not at all. */
static void failed(struct inspections *q, const struct inspect_job *j, const struct dc_result *res)
{
	docker_metrics_inspect_failed(q->metrics);
	if (!res->transport_ok) {
		reporter_problem(q->reporter, j->id, j->name, false, "cannot inspect: %s", res->error);
	} else {
		char *msg = dk_error_message(res->body, res->len);
		reporter_problem(q->reporter, j->id, j->name, true, "inspect failed: HTTP %ld%s%s",
				 res->status, msg ? ": " : "", msg ? msg : "");
		free(msg);
	}
	unanswered(q, j);
}

static void on_inspect(void *arg, const struct dc_result *res)
{
	struct inspect_job *j = arg;
	struct inspections *q = j->q;
	job_unlink(q, j);
	struct inspect_job *newer = waiting_job(q, j->id);
	if (j->stale) {
		q->api->log(q->host, BH_LOG_DEBUG, "container %s: dropped a stale inspection", j->name);
	} else if (newer) {
		overtaken(q, j, newer);
	} else if (res->oversized) {
		reporter_oversized(q->reporter, j->id, j->name);
		unanswered(q, j);
	} else if (res->transport_ok && res->status == 404) {
		if (j->explicit_name && !j->id)
			q->api->container_missing(q->host, j->name, "no such container");
		else
			reporter_withdraw(q->reporter, j->id, j->name, "no such container");
		known_forget(q->known, j->id);
	} else if (!res->transport_ok || res->status != 200) {
		failed(q, j, res);
	} else {
		inspected(q, j, res->body, res->len);
	}
	job_free(j);
	inspections_pump(q);
}

/* --- for the full pass --- */

bool inspections_queue_for_pass(struct inspections *q, const char *id, const char *name,
				bool explicit_name)
{
	return queue_job(q, id, name, JOB_PASS, explicit_name, NULL) != NULL;
}

size_t inspections_pass_jobs(const struct inspections *q)
{
	return q->pass_jobs;
}

bool inspections_pending(const struct inspections *q, const char *id)
{
	return job_in_queue(q, id, false);
}

void inspections_drop_pass_jobs(struct inspections *q)
{
	for (struct inspect_job *j = q->jobs, *next; j; j = next) {
		next = j->next;
		if (j->kind != JOB_PASS)
			continue;
		dc_cancel(q->client, j->req);
		job_unlink(q, j);
		job_free(j);
	}
}

/* --- for events --- */

void inspections_for_event(struct inspections *q, const char *id, const char *name)
{
	if (queue_job(q, id, name ? name : id, JOB_EVENT, selection_named(q->selection, name, id),
		      NULL))
		inspections_pump(q);
}

bool inspections_knows(const struct inspections *q, const char *id)
{
	return id && (known_find(q->known, id) || waiting_job(q, id) || flying_job(q, id));
}

void inspections_confirm_down(struct inspections *q, const char *id, const char *name,
			      const char *action)
{
	if (!inspections_knows(q, id)) {
		q->api->log(q->host, BH_LOG_DEBUG, "event %s about %.12s, a container not known here: ignored",
			    action, id ? id : "(no id)");
		return;
	}
	const struct known_container *k = known_find(q->known, id);
	const char *n = name ? name : k ? k->name : id;
	struct inspect_job *w =
		queue_job(q, id, n, JOB_EVENT, selection_named(q->selection, n, id), action);
	if (!w)
		return;
	if (!w->req)
		confirm_behind_stuck(q, w);
	inspections_pump(q);
}

void inspections_for_network_change(struct inspections *q, const char *id)
{
	struct known_container *k = known_find(q->known, id);
	/* Only containers read before: a container being started gets its
	 * connect events before its start event, which inspects it anyway. */
	if (!k || !k->inspected || !selection_wants(q->selection, k->name, id))
		return;
	known_note_event(q->known, id);
	/* One not yet sent will read the new state anyway (a start brings a
	 * connect per network, and its own inspection). */
	if (job_in_queue(q, id, true))
		return;
	if (queue_job(q, id, k->name, JOB_NETWORK, selection_named(q->selection, k->name, id), NULL))
		inspections_pump(q);
}

void inspections_mark_stale(struct inspections *q, const char *id)
{
	/* By id: a name may already belong to another container. */
	struct inspect_job *w = waiting_job(q, id), *f = flying_job(q, id);
	if (w)
		w->stale = true;
	if (f)
		f->stale = true;
}

void inspections_free(struct inspections *q)
{
	while (q->jobs) {
		struct inspect_job *j = q->jobs;
		dc_cancel(q->client, j->req);
		job_unlink(q, j);
		job_free(j);
	}
	bh_strmap_free(&q->waiting);
	bh_strmap_free(&q->flying);
	if (q->deadline_timer)
		q->api->timer_free(q->host, q->deadline_timer);
	q->deadline_timer = NULL;
}
