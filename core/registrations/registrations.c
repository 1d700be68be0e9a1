/*
 * The core's half of the consumer contract: what the inspector reports about
 * containers becomes publish (SET) and withdraw (DEL) calls on every
 * publisher.  A container whose specs are invalid is never half-published:
 * its registration is withdrawn and the error names container, domain and
 * option; other containers are untouched.
 */
#include "config.h"

#include "registrations.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_spec.h"
#include "log.h"
#include "loop.h"
#include "ownership.h"
#include "published_ports.h"
#include "registration_json.h"
#include <beachhead/sdk.h>

/* Bytes of a registration's value shown in the log. */
#define LOGGED_VALUE_MAX 1000u

void registrations_init(struct registrations *r, struct error_tally *errors,
			const struct core_events *events)
{
	memset(r, 0, sizeof *r);
	registration_table_init(&r->table);
	claims_init(&r->claims);
	error_memo_init(&r->said);
	container_states_init(&r->states);
	r->errors = errors;
	r->events = events;
}

void registrations_free(struct registrations *r)
{
	registration_table_free(&r->table);
	claims_free(&r->claims);
	error_memo_free(&r->said);
	container_states_free(&r->states);
}

void registrations_use_set(struct registrations *r, const struct plugin_set *set)
{
	r->set = set;
}

void registrations_close(struct registrations *r)
{
	r->closed = true;
}

size_t registrations_count(const struct registrations *r)
{
	return r->table.map.count;
}

bool registrations_hold(const struct registrations *r, const char *container, const char *key)
{
	const struct registration_entry *e = container ? registration_table_find(&r->table, container) : NULL;
	return e && strcmp(e->key, key) == 0;
}

void registrations_reset_for_reload(struct registrations *r, bool forget_registrations)
{
	claims_free(&r->claims);
	claims_init(&r->claims);
	if (forget_registrations) {
		registration_table_free(&r->table);
		registration_table_init(&r->table);
	}
}

void registrations_abandon_pass(struct registrations *r)
{
	r->pass_running = false;
}

static struct bh_registration to_registration(const struct registrations *r,
					      const struct registration_entry *e)
{
	struct bh_registration reg = {
		.size = sizeof reg,
		.key = e->key,
		.container = e->container,
		.value = e->value,
		.value_len = strlen(e->value),
		.ttl = r->set->settings->expire,
	};
	return reg;
}

static void remember_id(struct registration_entry *e, const char *id);

static void announce(const struct registration_entry *e)
{
	/* Thousands of domains make megabytes of JSON: log a head. */
	size_t len = strlen(e->value);
	bool cut = len > LOGGED_VALUE_MAX;
	log_info("container %s: registering %s = %.*s%s", e->container, e->key,
		 (int)(cut ? LOGGED_VALUE_MAX : len), e->value, cut ? "... (truncated)" : "");
}

static void publish_all(struct registrations *r, struct registration_entry *e)
{
	/* Logged when handed to the publishers, never for a registration
	 * that is dropped before (a claimant refused later in the pass); in a
	 * one-pass run only once the stores acknowledged it. */
	bool one_pass = r->set->settings->run_mode == RUN_MODE_ONE_PASS;
	if (e->announce && !one_pass) {
		announce(e);
		e->announce = false;
	}
	e->published = true;
	struct bh_registration reg = to_registration(r, e);
	plugin_set_publish(r->set, &reg);
}

static void status_changed(const struct registrations *r)
{
	r->events->status_changed(r->events->arg);
}

/* Withdraws the container's registration from every publisher, if it has one. */
static void withdraw(struct registrations *r, const char *container, const char *reason)
{
	struct registration_entry *e = registration_table_find(&r->table, container);
	if (!e)
		return;
	/* A contender for a domain this one held may take it now. */
	bool wanted = claims_release(&r->claims, &r->table, e);
	if (e->published) {
		log_info("container %s: withdrawing %s (%s)", container, e->key, reason);
		plugin_set_withdraw(r->set, e->key, e->container);
	} else {
		/* Never written: a DEL would only wake every confd watcher. */
		log_debug("container %s: dropping %s before it was written (%s)", container, e->key, reason);
	}
	registration_table_remove(&r->table, container);
	status_changed(r);
	if (wanted)
		r->events->pass_wanted(r->events->arg);
}

/* An error about a container: logged once per change (every full pass
 * reports every container again, and the log must stay readable), but
 * counted every time (the one-pass exit status depends on it).  Returns
 * whether it was news. */
static bool report(struct registrations *r, const char *container, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool report(struct registrations *r, const char *container, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = bh_vstrfmt(fmt, ap);
	va_end(ap);
	bool news = !msg || error_memo_is_news(&r->said, container, msg);
	if (news) {
		error_tally_report(r->errors, "core", container, msg ? msg : "(out of memory)");
	} else {
		error_tally_count(r->errors);
		log_debug("container %s: still: %s", container, msg);
	}
	free(msg);
	return news;
}

/* Warnings from the spec parser are held until the core knows whether the
 * container's registration changed: only then are they news. */
struct warn_ctx {
	const char *container;
	const char *source;
	char **messages;
	size_t count;
};

static void spec_warning(void *arg, const char *message)
{
	struct warn_ctx *ctx = arg;
	char **grown = realloc(ctx->messages, (ctx->count + 1) * sizeof *grown);
	if (!grown)
		return;
	ctx->messages = grown;
	if ((grown[ctx->count] = strdup(message)))
		ctx->count++;
}

static void flush_warnings(struct warn_ctx *ctx, bool news)
{
	for (size_t i = 0; i < ctx->count; i++) {
		log_msg(news ? BH_LOG_WARNING : BH_LOG_DEBUG, "core", "container %s: %s: %s",
			ctx->container, ctx->source, ctx->messages[i]);
		free(ctx->messages[i]);
	}
	free(ctx->messages);
	ctx->messages = NULL;
	ctx->count = 0;
}

static bool missing_is_error(const struct registrations *r, const struct bh_container *c)
{
	switch (r->set->settings->missing_envvar) {
	case MISSING_ENVVAR_ERROR:
		return true;
	case MISSING_ENVVAR_IGNORE:
		return false;
	case MISSING_ENVVAR_AUTO:
		break;
	}
	return c->explicitly_named;
}

static char *make_key(const struct registrations *r, const char *container)
{
	return bh_strfmt("%s%s", r->set->settings->key_namespace, container);
}

/* The sharing group of each spec (see claims.h), or NULL (out of memory).
 * Strings point into the policy or the container: valid for this call. */
static const char **sharing_groups(struct registrations *r, const struct bh_container *c,
				   const struct domain_spec_list *specs, char **refusal)
{
	const struct ownership_policy *policy = &r->set->settings->ownership;
	const char **groups = calloc(specs->count + 1, sizeof *groups);
	*refusal = NULL;
	for (size_t i = 0; groups && i < specs->count; i++) {
		*refusal = ownership_check(policy, c, specs->items[i].domain, &groups[i]);
		if (*refusal)
			break;
		if (policy->sharing == SHARING_EXCLUSIVE)
			groups[i] = c->name;
	}
	return groups;
}

/*
 * Domain ownership: every domain must be allowed for this container, and
 * none may be held by an older container of another sharing group.
 * Younger holders give way.  On a refusal the container's own registration
 * is withdrawn (never half) and it waits as a contender.
 */
static bool may_claim(struct registrations *r, const struct bh_container *c,
		      const struct domain_spec_list *specs, int64_t created_ns, const char ***groups)
{
	char *reason = NULL;
	*groups = sharing_groups(r, c, specs, &reason);
	if (reason || !*groups) {
		report(r, c->name, "%s; registration not published", reason ? reason : "out of memory");
		free(reason);
		withdraw(r, c->name, "a domain it asks for is not allowed");
		return false;
	}
	char **younger = NULL;
	char *conflict = claims_conflict(&r->claims, r->set->settings->ownership.sharing, &r->table,
					 c->name, created_ns, specs, *groups, &younger);
	if (conflict) {
		report(r, c->name, "%s", conflict);
		free(conflict);
		withdraw(r, c->name, "an older container holds its domain");
		claims_contender_add(&r->claims, c->name, specs, r->pass);
		return false;
	}
	for (char **y = younger; y && *y; y++) {
		struct registration_entry *e = registration_table_find(&r->table, *y);
		report(r, *y, "an older container, %s, claims one of its domains; registration %s", c->name,
		       e && e->published ? "withdrawn" : "not published");
		if (e)
			claims_contender_from(&r->claims, e, r->pass);
		withdraw(r, *y, "an older container claims its domain");
	}
	claims_free_list(younger);
	return true;
}

/*
 * The container's domain specs, parsed and (in published-port mode) mapped
 * to its published ports.  False when there is nothing to register: then
 * it said why (state, report, withdrawal) and *specs is freed.
 */
static bool container_specs(struct registrations *r, const struct bh_container *c, const char *source,
			    struct domain_spec_list *specs, struct warn_ctx *warn)
{
	if (!c->specs) {
		container_states_set(&r->states, c->name, CONTAINER_NO_DOMAINS, r->pass);
		if (missing_is_error(r, c))
			report(r, c->name, "no %s on this container", source);
		else
			log_debug("container %s: no %s, skipped", c->name, source);
		withdraw(r, c->name, "its domain specs are gone");
		return false;
	}
	if (!c->address || !c->address[0]) {
		container_states_set(&r->states, c->name, CONTAINER_INVALID, r->pass);
		report(r, c->name, "no address to register (the inspector found none)");
		withdraw(r, c->name, "it has no address");
		return false;
	}
	char *error = NULL;
	if (domain_spec_parse(c->specs, specs, &error, spec_warning, warn) < 0) {
		container_states_set(&r->states, c->name, CONTAINER_INVALID, r->pass);
		flush_warnings(warn, report(r, c->name, "%s: %s; registration not published", source,
					     error ? error : "out of memory"));
		free(error);
		withdraw(r, c->name, "its domain specs are invalid");
		return false;
	}
	if (specs->count == 0) {
		container_states_set(&r->states, c->name, CONTAINER_NO_DOMAINS, r->pass);
		char *note = bh_strfmt("%s lists no domain, nothing to register", source);
		bool news = !note || error_memo_is_news(&r->said, c->name, note);
		log_msg(news ? BH_LOG_INFO : BH_LOG_DEBUG, "core", "container %s: %s", c->name,
			note ? note : "lists no domain");
		free(note);
		flush_warnings(warn, news);
		domain_spec_list_free(specs);
		withdraw(r, c->name, "it lists no domain");
		return false;
	}
	if (c->ports_published && published_ports_apply(c, specs, spec_warning, warn) < 0) {
		flush_warnings(warn, report(r, c->name, "out of memory; registration not published"));
		domain_spec_list_free(specs);
		return false;
	}
	if (specs->count == 0) {
		/* Every domain was left out: a registration the proxy could
		 * never reach is worse than none. */
		container_states_set(&r->states, c->name, CONTAINER_INVALID, r->pass);
		flush_warnings(warn, report(r, c->name, "published address mode: no domain has a "
						      "published port; registration not published"));
		domain_spec_list_free(specs);
		withdraw(r, c->name, "no domain has a published port");
		return false;
	}
	return true;
}

/* Stores the container's registration (its domains claimed by groups) and
 * publishes it now, or at the end of the running pass. */
static void store_registration(struct registrations *r, const struct bh_container *c,
			       const struct domain_spec_list *specs, const char **groups,
			       struct warn_ctx *warn)
{
	int64_t created_ns = c->created_ns;
	char *value = registration_json(specs, c->address);
	char *key = make_key(r, c->name);
	struct registration_entry *existing = registration_table_find(&r->table, c->name);
	bool changed = !existing || !value || strcmp(existing->value, value) != 0;
	struct registration_entry *e = key && value ? registration_table_put(&r->table, c->name, key, value) : NULL;
	free(key);
	free(value);
	flush_warnings(warn, changed);
	if (!e) {
		report(r, c->name, "out of memory building its registration");
		return;
	}
	e->seen_pass = r->pass;
	e->created_ns = created_ns;
	remember_id(e, c->id);
	if (claims_take(&r->claims, r->set->settings->ownership.sharing, &r->table, e, specs,
			groups) < 0)
		log_error("container %s: out of memory recording its domains", c->name);
	error_memo_forget(&r->said, c->name);
	claims_contender_forget(&r->claims, c->name);
	if (changed) {
		e->announce = true;
		status_changed(r);
	} else {
		log_debug("container %s: refreshing %s", c->name, e->key);
	}
	/* During a full pass, publish at its end: by then every container has
	 * been seen, so a younger container claiming an older one's domain is
	 * never published, not even for the milliseconds until the older one
	 * shows up in the same pass.  An unchanged registration is not
	 * published by a pass: the refresh timer republishes every current
	 * registration (registrations_refresh_all), whether or not a pass
	 * finishes.  Events publish at once. */
	if (!r->pass_running)
		publish_all(r, e);
	else if (changed)
		e->deferred = true;
}

void registrations_container_up(struct registrations *r, const struct bh_container *c)
{
	if (r->closed || !c || !c->name || !c->name[0])
		return;
	const char *source = c->spec_source ? c->spec_source : "domain specs";
	/* Every way out that registers nothing says why (metrics). */
	container_states_forget(&r->states, c->name);
	struct domain_spec_list specs;
	struct warn_ctx warn = {c->name, source, NULL, 0};
	if (!container_specs(r, c, source, &specs, &warn))
		return;
	const char **groups = NULL;
	if (may_claim(r, c, &specs, c->created_ns, &groups))
		store_registration(r, c, &specs, groups, &warn);
	else
		flush_warnings(&warn, false);
	free(groups);
	domain_spec_list_free(&specs);
}

/* The engine id a registration was built from (NULL: the inspector did not
 * say).  On OOM the old id stays: at worst an id-checked withdrawal is
 * skipped, and the next pass's sweep heals it. */
static void remember_id(struct registration_entry *e, const char *id)
{
	if (!id || (e->id && strcmp(e->id, id) == 0))
		return;
	char *copy = strdup(id);
	if (!copy)
		return;
	free(e->id);
	e->id = copy;
}

/* Whether a report about container `id` concerns registration e: an entry
 * or a report without an id cannot tell, and counts as the same. */
static bool same_container(const struct registration_entry *e, const char *id)
{
	return !e->id || !id || strcmp(e->id, id) == 0;
}

static void publish_deferred(void *arg, struct registration_entry *e)
{
	if (e->deferred) {
		e->deferred = false;
		publish_all(arg, e);
	}
}

void registrations_container_down(struct registrations *r, const char *name, const char *reason)
{
	if (!name)
		return;
	error_memo_forget(&r->said, name);
	claims_contender_forget(&r->claims, name);
	container_states_forget(&r->states, name);
	withdraw(r, name, reason ? reason : "container stopped");
}

void registrations_container_gone(struct registrations *r, const char *id, const char *name,
				  const char *reason)
{
	if (!name)
		return;
	struct registration_entry *e = registration_table_find(&r->table, name);
	if (e && !same_container(e, id)) {
		/* The name was reused: the answer is about the old container. */
		log_debug("container %s: %s (%.12s), but the name now belongs to %.12s; kept", name,
			  reason ? reason : "gone", id, e->id);
		return;
	}
	registrations_container_down(r, name, reason);
}

void registrations_container_keep(struct registrations *r, const char *id, const char *name)
{
	struct registration_entry *e = name ? registration_table_find(&r->table, name) : NULL;
	if (e && same_container(e, id))
		e->seen_pass = r->pass;
}

static void publish_now(void *arg, struct registration_entry *e)
{
	e->deferred = false;
	publish_all(arg, e);
}

void registrations_refresh_all(struct registrations *r)
{
	if (r->table.map.count == 0)
		return;
	log_debug("refreshing %zu registrations", r->table.map.count);
	registration_table_each(&r->table, publish_now, r);
}

void registrations_container_missing(struct registrations *r, const char *name, const char *reason)
{
	if (!name)
		return;
	if (r->set->settings->error_missing_container)
		report(r, name, "container missing: %s", reason ? reason : "not found");
	else
		log_info("container %s: missing (%s)", name, reason ? reason : "not found");
	claims_contender_forget(&r->claims, name);
	container_states_forget(&r->states, name);
	withdraw(r, name, "container missing");
}

void registrations_pass_begin(struct registrations *r)
{
	r->pass++;
	r->pass_running = true;
	r->pass_begin_ms = loop_now_ms();
	log_debug("full pass %llu begins", (unsigned long long)r->pass);
}

struct sweep_ctx {
	uint64_t pass;
	char **stale;
	size_t n_stale;
};

static void collect_stale(void *arg, struct registration_entry *e)
{
	struct sweep_ctx *ctx = arg;
	if (e->seen_pass >= ctx->pass)
		return;
	char *copy = ctx->stale ? strdup(e->container) : NULL;
	if (copy)
		ctx->stale[ctx->n_stale++] = copy;
}

/* With a host id the namespace is ours: publishers that can list keys
 * delete what no running container backs (crash leftovers, withdrawals lost
 * while the store was down).  Without one the prefix is shared: never. */
static void sweep_namespace(struct registrations *r)
{
	const struct settings *st = r->set->settings;
	if (st->host_id)
		plugin_set_sweep(r->set, st->key_namespace);
}

void registrations_pass_end(struct registrations *r, int complete)
{
	if (!r->pass_running)
		return;
	r->pass_running = false;
	log_debug("full pass %llu ends (%s)", (unsigned long long)r->pass,
		  complete ? "complete" : "incomplete");
	if (complete && r->table.map.count > 0) {
		/* Collect first: withdrawing changes the table. */
		struct sweep_ctx ctx = {r->pass, calloc(r->table.map.count, sizeof(char *)), 0};
		registration_table_each(&r->table, collect_stale, &ctx);
		for (size_t i = 0; i < ctx.n_stale; i++) {
			withdraw(r, ctx.stale[i], "not seen in the full pass");
			free(ctx.stale[i]);
		}
		free(ctx.stale);
	}
	if (complete) {
		claims_contenders_sweep(&r->claims, r->pass);
		container_states_sweep(&r->states, r->pass);
	}
	r->last_pass_end_ms = loop_now_ms();
	r->last_pass_complete = complete;
	if (complete)
		r->last_complete_pass_end_ms = r->last_pass_end_ms;
	registration_table_each(&r->table, publish_deferred, r);
	if (complete)
		sweep_namespace(r);
	r->events->pass_finished(r->events->arg);
}

struct replay_ctx {
	const struct registrations *registrations;
	const struct plugin_instance *publisher;
};

static void replay_one(void *arg, struct registration_entry *e)
{
	const struct replay_ctx *ctx = arg;
	struct bh_registration reg = to_registration(ctx->registrations, e);
	(void)plugin_instance_publish(ctx->publisher, &reg);
}

static void withdraw_one(void *arg, struct registration_entry *e)
{
	const struct plugin_instance *publisher = arg;
	if (!e->published)
		return; /* never written: nothing to delete */
	(void)plugin_instance_withdraw(publisher, e->key, e->container);
}

void registrations_withdraw_all_from(const struct registrations *r,
				     const struct plugin_instance *publisher)
{
	if (!publisher->started || r->table.map.count == 0)
		return;
	log_info("%s: withdrawing its %zu registrations (not covered by the new configuration)",
		 publisher->origin, r->table.map.count);
	registration_table_each(&r->table, withdraw_one, (void *)publisher);
}

void registrations_replay(const struct registrations *r, const struct plugin_instance *publisher)
{
	log_info("%s: replaying %zu registrations", publisher->origin, r->table.map.count);
	struct replay_ctx ctx = {r, publisher};
	registration_table_each(&r->table, replay_one, &ctx);
}

void registrations_store_failed(struct registrations *r, const char *container)
{
	struct registration_entry *e = container ? registration_table_find(&r->table, container) : NULL;
	if (e)
		e->store_failed = true;
	else if (!container)
		r->store_trouble = true;
}

static void report_written(void *arg, struct registration_entry *e)
{
	const bool *confirmed = arg;
	if (!e->announce || !e->published)
		return;
	e->announce = false;
	if (*confirmed && !e->store_failed)
		announce(e);
	else
		log_error("container %s: %s is not known to be written (a store reported errors)",
			  e->container, e->key);
}

void registrations_one_pass_written(struct registrations *r, bool all_acknowledged)
{
	/* A store that failed as a whole (refused AUTH, unreachable) may have
	 * dropped what it was given: nothing it holds counts as written. */
	bool confirmed = all_acknowledged && !r->store_trouble;
	registration_table_each(&r->table, report_written, &confirmed);
}
