/*
 * The core's half of the consumer contract: what the inspector reports about
 * containers becomes publish (SET) and withdraw (DEL) calls on every
 * publisher.  A container whose specs are invalid is never half-published:
 * its registration is withdrawn and the error names container, domain and
 * option; other containers are untouched.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "daemon_internal.h"
#include "domain_spec.h"
#include "log.h"
#include "ownership.h"
#include "published_ports.h"
#include "registration_json.h"
#include <beachhead/sdk.h>

/* Bytes of a registration's value shown in the log. */
#define LOGGED_VALUE_MAX 1000u

static struct bh_registration to_registration(const struct daemon *d,
					      const struct registration_entry *e)
{
	struct bh_registration reg = {
		.size = sizeof reg,
		.key = e->key,
		.container = e->container,
		.value = e->value,
		.value_len = strlen(e->value),
		.ttl = d->set->settings->expire,
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

static void publish_all(struct daemon *d, struct registration_entry *e)
{
	/* Logged when handed to the publishers, never for a registration
	 * that is dropped before (a claimant refused later in the pass); in a
	 * one-pass run only once the stores acknowledged it. */
	bool one_pass = d->set->settings->refresh == 0;
	if (e->announce && !one_pass) {
		announce(e);
		e->announce = false;
	}
	e->published = true;
	struct bh_registration reg = to_registration(d, e);
	for (size_t i = 0; i < d->set->n_publishers; i++) {
		struct plugin_instance *p = &d->set->publishers[i];
		if (p->started && !p->stopped && p->loaded.table->publish(p->self, &reg) != BH_OK)
			log_debug("%s: publish of %s refused", p->origin, e->key);
	}
}

/* Withdraws the container's registration from every publisher, if it has one. */
static void withdraw(struct daemon *d, const char *container, const char *reason)
{
	struct registration_entry *e = registry_find(&d->registry, container);
	if (!e)
		return;
	/* A contender for a domain this one held may take it now. */
	bool wanted = claims_release(d, e);
	if (e->published) {
		log_info("container %s: withdrawing %s (%s)", container, e->key, reason);
		for (size_t i = 0; i < d->set->n_publishers; i++) {
			struct plugin_instance *p = &d->set->publishers[i];
			if (p->started && !p->stopped &&
			    p->loaded.table->withdraw(p->self, e->key, e->container) != BH_OK)
				log_debug("%s: withdrawal of %s refused", p->origin, e->key);
		}
	} else {
		/* Never written: a DEL would only wake every confd watcher. */
		log_debug("container %s: dropping %s before it was written (%s)", container, e->key, reason);
	}
	registry_remove(&d->registry, container);
	daemon_status_changed(d);
	if (wanted)
		daemon_request_pass(d);
}

/*
 * Every full pass reports every container again.  What the core says about
 * a container (an error, a note) is remembered, so that it is logged once
 * per change and then only at debug level: the log stays readable.
 * Returns true when msg is news for this container.
 */
static bool remember(struct daemon *d, const char *container, const char *msg)
{
	struct registration_entry *seen = registry_find(&d->rejections, container);
	if (seen && strcmp(seen->value, msg) == 0)
		return false;
	(void)registry_put(&d->rejections, container, "", msg);
	return true;
}

/* An error about a container: logged once per change, but counted every
 * time (the one-pass exit status depends on it).  Returns whether it was
 * news. */
static bool report(struct daemon *d, const char *container, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool report(struct daemon *d, const char *container, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = bh_vstrfmt(fmt, ap);
	va_end(ap);
	bool news = !msg || remember(d, container, msg);
	if (news) {
		daemon_report_error(d, "core", container, msg ? msg : "(out of memory)");
	} else {
		d->errors++;
		log_debug("container %s: still: %s", container, msg);
	}
	free(msg);
	return news;
}

/* The container is fine again (or gone): its next error is news. */
static void forget_rejection(struct daemon *d, const char *container)
{
	registry_remove(&d->rejections, container);
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

static bool missing_is_error(const struct daemon *d, const struct bh_container *c)
{
	switch (d->set->settings->missing_envvar) {
	case MISSING_ENVVAR_ERROR:
		return true;
	case MISSING_ENVVAR_IGNORE:
		return false;
	case MISSING_ENVVAR_AUTO:
		break;
	}
	return c->explicitly_named;
}

static char *make_key(const struct daemon *d, const char *container)
{
	return bh_strfmt("%s%s", d->set->settings->key_namespace, container);
}

/* The sharing group of each spec (see claims.h), or NULL (out of memory).
 * Strings point into the policy or the container: valid for this call. */
static const char **sharing_groups(struct daemon *d, const struct bh_container *c,
				   const struct domain_spec_list *specs, char **refusal)
{
	const struct ownership_policy *policy = &d->set->settings->ownership;
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
static bool may_claim(struct daemon *d, const struct bh_container *c,
		      const struct domain_spec_list *specs, int64_t created_ns, const char ***groups)
{
	char *reason = NULL;
	*groups = sharing_groups(d, c, specs, &reason);
	if (reason || !*groups) {
		report(d, c->name, "%s; registration not published", reason ? reason : "out of memory");
		free(reason);
		withdraw(d, c->name, "a domain it asks for is not allowed");
		return false;
	}
	char **younger = NULL;
	char *conflict = claims_conflict(d, c->name, created_ns, specs, *groups, &younger);
	if (conflict) {
		report(d, c->name, "%s", conflict);
		free(conflict);
		withdraw(d, c->name, "an older container holds its domain");
		claims_contender_add(d, c->name, specs);
		return false;
	}
	for (char **y = younger; y && *y; y++) {
		struct registration_entry *e = registry_find(&d->registry, *y);
		report(d, *y, "an older container, %s, claims one of its domains; registration %s", c->name,
		       e && e->published ? "withdrawn" : "not published");
		if (e)
			claims_contender_from(d, e);
		withdraw(d, *y, "an older container claims its domain");
	}
	claims_free_list(younger);
	return true;
}

void registrations_container_up(struct daemon *d, const struct bh_container *c)
{
	if (d->draining || !c || !c->name || !c->name[0])
		return;
	const char *source = c->spec_source ? c->spec_source : "domain specs";
	if (!c->specs) {
		if (missing_is_error(d, c))
			report(d, c->name, "no %s on this container", source);
		else
			log_debug("container %s: no %s, skipped", c->name, source);
		withdraw(d, c->name, "its domain specs are gone");
		return;
	}
	if (!c->address || !c->address[0]) {
		report(d, c->name, "no address to register (the inspector found none)");
		withdraw(d, c->name, "it has no address");
		return;
	}
	struct domain_spec_list specs;
	char *error = NULL;
	struct warn_ctx warn = {c->name, source, NULL, 0};
	if (domain_spec_parse(c->specs, &specs, &error, spec_warning, &warn) < 0) {
		flush_warnings(&warn, report(d, c->name, "%s: %s; registration not published", source,
					      error ? error : "out of memory"));
		free(error);
		withdraw(d, c->name, "its domain specs are invalid");
		return;
	}
	if (specs.count == 0) {
		char *note = bh_strfmt("%s lists no domain, nothing to register", source);
		bool news = !note || remember(d, c->name, note);
		log_msg(news ? BH_LOG_INFO : BH_LOG_DEBUG, "core", "container %s: %s", c->name,
			note ? note : "lists no domain");
		free(note);
		flush_warnings(&warn, news);
		domain_spec_list_free(&specs);
		withdraw(d, c->name, "it lists no domain");
		return;
	}
	if (c->ports_published && published_ports_apply(c, &specs, spec_warning, &warn) < 0) {
		flush_warnings(&warn, report(d, c->name, "out of memory; registration not published"));
		domain_spec_list_free(&specs);
		return;
	}
	if (specs.count == 0) {
		/* Every domain was left out: a registration the proxy could
		 * never reach is worse than none. */
		flush_warnings(&warn, report(d, c->name, "published address mode: no domain has a "
						       "published port; registration not published"));
		domain_spec_list_free(&specs);
		withdraw(d, c->name, "no domain has a published port");
		return;
	}
	int64_t created_ns = c->created_ns;
	const char **groups = NULL;
	if (!may_claim(d, c, &specs, created_ns, &groups)) {
		free(groups);
		flush_warnings(&warn, false);
		domain_spec_list_free(&specs);
		return;
	}
	char *value = registration_json(&specs, c->address);
	char *key = make_key(d, c->name);
	struct registration_entry *existing = registry_find(&d->registry, c->name);
	bool changed = !existing || !value || strcmp(existing->value, value) != 0;
	struct registration_entry *e = key && value ? registry_put(&d->registry, c->name, key, value) : NULL;
	free(key);
	free(value);
	flush_warnings(&warn, changed);
	if (!e) {
		report(d, c->name, "out of memory building its registration");
		free(groups);
		domain_spec_list_free(&specs);
		return;
	}
	e->seen_pass = d->pass;
	e->created_ns = created_ns;
	remember_id(e, c->id);
	if (claims_take(d, e, &specs, groups) < 0)
		log_error("container %s: out of memory recording its domains", c->name);
	free(groups);
	domain_spec_list_free(&specs);
	forget_rejection(d, c->name);
	claims_contender_forget(d, c->name);
	if (changed) {
		e->announce = true;
		daemon_status_changed(d);
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
	if (!d->pass_running)
		publish_all(d, e);
	else if (changed)
		e->deferred = true;
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

void registrations_container_down(struct daemon *d, const char *name, const char *reason)
{
	if (!name)
		return;
	forget_rejection(d, name);
	claims_contender_forget(d, name);
	withdraw(d, name, reason ? reason : "container stopped");
}

void registrations_container_gone(struct daemon *d, const char *id, const char *name,
				  const char *reason)
{
	if (!name)
		return;
	struct registration_entry *e = registry_find(&d->registry, name);
	if (e && !same_container(e, id)) {
		/* The name was reused: the answer is about the old container. */
		log_debug("container %s: %s (%.12s), but the name now belongs to %.12s; kept", name,
			  reason ? reason : "gone", id, e->id);
		return;
	}
	registrations_container_down(d, name, reason);
}

void registrations_container_keep(struct daemon *d, const char *id, const char *name)
{
	struct registration_entry *e = name ? registry_find(&d->registry, name) : NULL;
	if (e && same_container(e, id))
		e->seen_pass = d->pass;
}

static void publish_now(void *arg, struct registration_entry *e)
{
	e->deferred = false;
	publish_all(arg, e);
}

void registrations_refresh_all(struct daemon *d)
{
	if (d->registry.map.count == 0)
		return;
	log_debug("refreshing %zu registrations", d->registry.map.count);
	registry_each(&d->registry, publish_now, d);
}

void registrations_container_missing(struct daemon *d, const char *name, const char *reason)
{
	if (!name)
		return;
	if (d->set->settings->error_missing_container)
		report(d, name, "container missing: %s", reason ? reason : "not found");
	else
		log_info("container %s: missing (%s)", name, reason ? reason : "not found");
	claims_contender_forget(d, name);
	withdraw(d, name, "container missing");
}

void registrations_pass_begin(struct daemon *d)
{
	d->pass++;
	d->pass_running = true;
	log_debug("full pass %llu begins", (unsigned long long)d->pass);
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
static void sweep_namespace(struct daemon *d)
{
	const struct settings *st = d->set->settings;
	if (!st->host_id)
		return;
	for (size_t i = 0; i < d->set->n_publishers; i++) {
		struct plugin_instance *p = &d->set->publishers[i];
		const struct bh_plugin *t = p->loaded.table;
		if (p->started && !p->stopped && t->sweep)
			(void)t->sweep(p->self, st->key_namespace);
	}
}

void registrations_pass_end(struct daemon *d, int complete)
{
	if (!d->pass_running)
		return;
	d->pass_running = false;
	log_debug("full pass %llu ends (%s)", (unsigned long long)d->pass,
		  complete ? "complete" : "incomplete");
	if (complete && d->registry.map.count > 0) {
		/* Collect first: withdrawing changes the registry. */
		struct sweep_ctx ctx = {d->pass, calloc(d->registry.map.count, sizeof(char *)), 0};
		registry_each(&d->registry, collect_stale, &ctx);
		for (size_t i = 0; i < ctx.n_stale; i++) {
			withdraw(d, ctx.stale[i], "not seen in the full pass");
			free(ctx.stale[i]);
		}
		free(ctx.stale);
	}
	if (complete)
		claims_contenders_sweep(d);
	registry_each(&d->registry, publish_deferred, d);
	if (complete)
		sweep_namespace(d);
	daemon_pass_finished(d);
}

struct replay_ctx {
	struct daemon *daemon;
	struct plugin_instance *publisher;
};

static void replay_one(void *arg, struct registration_entry *e)
{
	struct replay_ctx *ctx = arg;
	struct bh_registration reg = to_registration(ctx->daemon, e);
	(void)ctx->publisher->loaded.table->publish(ctx->publisher->self, &reg);
}

struct withdraw_ctx {
	struct plugin_instance *publisher;
};

static void withdraw_one(void *arg, struct registration_entry *e)
{
	struct withdraw_ctx *ctx = arg;
	if (!e->published)
		return; /* never written: nothing to delete */
	(void)ctx->publisher->loaded.table->withdraw(ctx->publisher->self, e->key, e->container);
}

void registrations_withdraw_all_from(struct daemon *d, struct plugin_instance *publisher)
{
	if (!publisher->started || d->registry.map.count == 0)
		return;
	log_info("%s: withdrawing its %zu registrations (not covered by the new configuration)",
		 publisher->origin, d->registry.map.count);
	struct withdraw_ctx ctx = {publisher};
	registry_each(&d->registry, withdraw_one, &ctx);
}

void registrations_replay(struct daemon *d, struct plugin_instance *publisher)
{
	log_info("%s: replaying %zu registrations", publisher->origin, d->registry.map.count);
	struct replay_ctx ctx = {d, publisher};
	registry_each(&d->registry, replay_one, &ctx);
}

void registrations_store_failed(struct daemon *d, const char *container)
{
	struct registration_entry *e = container ? registry_find(&d->registry, container) : NULL;
	if (e)
		e->store_failed = true;
	else if (!container)
		d->store_trouble = true;
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

void registrations_one_pass_written(struct daemon *d, bool all_acknowledged)
{
	/* A store that failed as a whole (refused AUTH, unreachable) may have
	 * dropped what it was given: nothing it holds counts as written. */
	bool confirmed = all_acknowledged && !d->store_trouble;
	registry_each(&d->registry, report_written, &confirmed);
}
