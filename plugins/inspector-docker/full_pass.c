/*
 * Full passes.
 *
 * A full pass is ONE request: GET /containers/json.  The listing carries
 * what a pass needs (id, name, state, health in the Status text, labels,
 * networks with addresses, published ports); what it lacks (the environment,
 * the exact creation time) never changes after creation and is remembered
 * per id (known.c) from the one inspection of each container
 * (inspections.c).  So a pass inspects only ids it has never read; an
 * unchanged pass costs the engine one request, whatever the number of
 * containers.
 *
 * Only a listing that fails makes the pass incomplete, and an incomplete
 * pass withdraws nothing; an inspection that fails concerns its container
 * alone (its registration is kept).
 *
 * Races with events: a pass's listing is a snapshot; an event on the
 * stream may be newer.  Every event about a known container stamps it with
 * a sequence number (known_note_event); a listing asked for before that
 * event does not speak for it (its registration is kept, the event path
 * owns it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "full_pass.h"

void full_pass_init(struct full_pass *p, const struct bh_host_api *api, struct bh_host *host,
		    struct dc_client *client, const struct docker_config *config,
		    const struct selection *selection, struct known_set *known,
		    struct reporter *reporter, struct inspections *inspections, bool one_pass)
{
	*p = (struct full_pass){.api = api, .host = host, .client = client, .config = config,
				.selection = selection, .known = known, .reporter = reporter,
				.inspections = inspections, .one_pass = one_pass};
}

static void end_pass(struct full_pass *p)
{
	/* Only in daemon mode: in one-pass mode the core stops us from inside
	 * pass_end, so nothing may touch `p` after it. */
	bool again = p->again && !p->one_pass;
	p->again = false;
	reporter_pass_end(p->reporter, !p->failed);
	if (again)
		full_pass_start(p);
}

void full_pass_settled(void *arg)
{
	struct full_pass *p = arg;
	if (p->reporter->in_pass && !p->list_req && inspections_pass_jobs(p->inspections) == 0)
		end_pass(p);
}

/* One listed container: reported from the listing when it was read before,
 * queued for its first inspection otherwise. */
static void listed(struct full_pass *p, struct dk_container *c)
{
	bool explicit_name = selection_named(p->selection, c->name, c->id);
	if (!p->selection->enumerate && !explicit_name)
		return;
	struct known_container *k = known_find(p->known, c->id);
	if (k)
		known_mark_listed(p->known, k);
	if (k && k->event_seq > p->listing_seq) {
		/* An event came after the listing was asked for: it knows
		 * better, and it acts (or acted) on its own. */
		reporter_keep(p->reporter, c->id, c->name);
		return;
	}
	if (k && k->unreadable) {
		reporter_keep(p->reporter, c->id, c->name);
		return;
	}
	if (c->too_large) {
		reporter_oversized(p->reporter, c->id, c->name);
		return;
	}
	if (k && k->inspected) {
		if (!known_apply(k, c)) {
			p->api->report_error(p->host, c->name, "out of memory");
			reporter_keep(p->reporter, c->id, c->name);
			return;
		}
		reporter_container(p->reporter, c, true, explicit_name);
		return;
	}
	if (inspections_pending(p->inspections, c->id)) {
		/* Its first inspection is under way (an event's): it reports. */
		reporter_keep(p->reporter, c->id, c->name);
		return;
	}
	if (!(k = known_add(p->known, c->id, c->name)) ||
	    !inspections_queue_for_pass(p->inspections, c->id, c->name, explicit_name))
		reporter_keep(p->reporter, c->id, c->name);
	else
		known_mark_listed(p->known, k);
}

/* An explicitly named container the listing did not show is inspected by
 * name: the answer says whether it is missing or not running. */
static void explicit_not_listed(struct full_pass *p, const struct dk_container *list, size_t count)
{
	for (char **c = p->selection->names; *c; c++) {
		bool found = false;
		for (size_t i = 0; !found && i < count; i++)
			found = strcmp(list[i].name, *c) == 0 || strncmp(list[i].id, *c, strlen(*c)) == 0;
		if (!found)
			(void)inspections_queue_for_pass(p->inspections, NULL, *c, true);
	}
}

static void list_failed(struct full_pass *p, const char *fmt, const char *what)
{
	p->failed = true;
	if (p->one_pass)
		p->api->report_error(p->host, NULL, fmt, what);
	else
		p->api->log(p->host, BH_LOG_WARNING, "full pass incomplete (withdrawing nothing): %s",
			    what);
}

static void on_list(void *arg, const struct dc_result *res)
{
	struct full_pass *p = arg;
	p->list_req = NULL;
	struct dk_container *list = NULL;
	size_t count = 0;
	char *error = NULL;
	if (res->oversized) {
		list_failed(p, "listing containers: %s", res->error);
	} else if (!res->transport_ok) {
		list_failed(p, "engine unreachable: %s", res->error);
	} else if (res->status != 200) {
		char *msg = dk_error_message(res->body, res->len);
		error = bh_strfmt("listing containers failed: HTTP %ld%s%s", res->status,
				  msg ? ": " : "", msg ? msg : "");
		free(msg);
		list_failed(p, "%s", error ? error : "listing containers failed");
	} else if (dk_parse_list(res->body, res->len, p->config->label, p->config->max_response_bytes,
				 &list, &count, &error) < 0) {
		list_failed(p, "listing containers: %s", error ? error : "out of memory");
	} else {
		for (size_t i = 0; i < count; i++)
			listed(p, &list[i]);
		explicit_not_listed(p, list, count);
		/* Gone from a complete listing (and no newer event): forget. */
		known_forget_unlisted(p->known, p->listing_seq);
	}
	free(error);
	dk_list_free(list, count);
	inspections_pump(p->inspections);
}

void full_pass_start(struct full_pass *p)
{
	if (p->reporter->in_pass)
		return;
	p->failed = false;
	p->listing_seq = known_begin_pass(p->known);
	reporter_pass_begin(p->reporter);
	/* Running containers only (the default of /containers/json); a
	 * listing is needed also for explicit names: it is one request
	 * instead of one per name. */
	char *path = bh_strfmt("%s/containers/json", dc_api_prefix(p->client));
	if (path)
		p->list_req = dc_get_max(p->client, path, p->config->max_list_bytes, on_list, p);
	free(path);
	if (p->list_req)
		return;
	list_failed(p, "%s", "cannot start listing containers");
	inspections_pump(p->inspections);
}

void full_pass_after_connect(struct full_pass *p)
{
	if (p->reporter->in_pass)
		p->again = true;
	else
		full_pass_start(p);
}

void full_pass_abort(struct full_pass *p, bool report)
{
	if (!p->reporter->in_pass)
		return;
	dc_cancel(p->client, p->list_req);
	p->list_req = NULL;
	inspections_drop_pass_jobs(p->inspections);
	p->failed = true;
	p->again = false; /* on the way out: a pass begun now would never end */
	if (report)
		end_pass(p);
	else
		reporter_pass_abandon(p->reporter);
}
