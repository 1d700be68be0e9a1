#include "config.h"

#include "plugin_set.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "owner_identity.h"
#include <beachhead/sdk.h>

static char *instance_origin(const struct plugin_set *set, const struct plugin_instance *inst,
			     size_t index)
{
	const char *name = inst->loaded.table->name;
	size_t same = 0;
	for (size_t i = 0; i < set->n_publishers; i++)
		if (set->publishers[i].loaded.table &&
		    strcmp(set->publishers[i].loaded.table->name, name) == 0)
			same++;
	return same > 1 ? bh_strfmt("%s[%zu]", name, index) : bh_strfmt("%s", name);
}

static int load_instance(const struct settings *st, struct plugin_instance *inst,
			 const struct plugin_slot *slot, enum bh_plugin_kind kind,
			 struct host_services *services)
{
	char *error = NULL;
	inst->slot = slot;
	inst->host.services = services;
	inst->host.instance = inst;
	if (!slot->plugin)
		return -1; /* the file got this slot wrong: settings_load said so */
	if (loader_load(slot->plugin, st->plugin_path, kind, &inst->loaded, &error) < 0) {
		/* The group may come from an @include'd file: name that one.  A
		 * default slot (absent from the file) has no line. */
		unsigned line = config_setting_source_line(slot->group);
		if (line)
			log_error("%s:%u: %s: %s", settings_source_file(st, slot->group), line,
				  slot->instance, error ? error : "out of memory");
		else
			log_error("%s: %s (default): %s", st->config_file, slot->instance,
				  error ? error : "out of memory");
		free(error);
		return -1;
	}
	log_info("%s: %s %s (plugin ABI %u.%u) from %s", slot->instance, inst->loaded.table->name,
		 inst->loaded.table->version ? inst->loaded.table->version : "?",
		 inst->loaded.table->abi_major, inst->loaded.table->abi_minor, inst->loaded.path);
	return 0;
}

static int init_instance(const struct plugin_set *set, struct plugin_instance *inst, size_t index,
			 const struct bh_host_api *api, FILE *describe_to)
{
	inst->origin = instance_origin(set, inst, index);
	if (!inst->origin)
		return -1;
	const struct settings *st = set->settings;
	if (describe_to) {
		char *plugin = bh_strfmt("\"%s\"", inst->slot->plugin);
		settings_dump_line(describe_to, st->config_file, inst->slot, "plugin", plugin,
				   config_setting_get_member(inst->slot->group, "plugin"), "default");
		free(plugin);
	}
	struct bh_init args = {
		.size = sizeof args,
		.api = api,
		.host = &inst->host,
		.config = inst->slot->group,
		.config_file = st->config_file,
		.instance = inst->slot->instance,
		.key_prefix = st->key_namespace, /* with host_id: prefix + id + "/" */
		.expire = st->expire,
		.refresh = st->refresh,
		.containers = (const char *const *)st->containers,
		.enumerate = st->enumerate,
		.host_id = st->host_id,
		.state_dir = set->owner ? set->owner->state_dir : NULL,
		.owner_token = set->owner ? set->owner->token : NULL,
		.owner_record = set->owner ? set->owner->record : NULL,
		.one_pass = st->run_mode == RUN_MODE_ONE_PASS,
	};
	if (inst->loaded.table->init(&args, &inst->self) != BH_OK) {
		log_error("%s: %s refused its configuration", inst->slot->instance, inst->origin);
		return -1;
	}
	inst->initialized = true;
	return 0;
}

struct plugin_set *plugin_set_create(struct settings *settings, const struct bh_host_api *api,
				     struct host_services *services, FILE *describe_to,
				     const struct owner_identity *owner)
{
	struct plugin_set *set = calloc(1, sizeof *set);
	if (!set) {
		settings_free(settings);
		free(settings);
		return NULL;
	}
	set->settings = settings;
	set->owner = owner;
	set->publishers = calloc(settings->n_publishers, sizeof *set->publishers);
	if (!set->publishers) {
		plugin_set_destroy(set);
		return NULL;
	}
	set->n_publishers = settings->n_publishers;
	/* Load every plugin before giving up, so that one run reports every
	 * refused file. */
	int rc = load_instance(settings, &set->inspector, &settings->inspector, BH_PLUGIN_INSPECTOR,
			       services);
	for (size_t i = 0; i < set->n_publishers; i++)
		if (load_instance(settings, &set->publishers[i], &settings->publishers[i],
				  BH_PLUGIN_PUBLISHER, services) < 0)
			rc = -1;
	/* init() only reads settings: every plugin that loaded gets to check
	 * its own, so that one run reports all mistakes of all plugins. */
	if (set->inspector.loaded.table && init_instance(set, &set->inspector, 0, api, describe_to) < 0)
		rc = -1;
	for (size_t i = 0; i < set->n_publishers; i++)
		if (set->publishers[i].loaded.table &&
		    init_instance(set, &set->publishers[i], i, api, describe_to) < 0)
			rc = -1;
	if (rc < 0) {
		plugin_set_destroy(set);
		return NULL;
	}
	return set;
}

int plugin_set_start(struct plugin_set *set)
{
	/* Publishers first, so that the inspector's first reports have a sink. */
	for (size_t i = 0; i < set->n_publishers; i++) {
		struct plugin_instance *p = &set->publishers[i];
		if (p->loaded.table->start(p->self) != BH_OK) {
			log_error("%s: failed to start", p->origin);
			return -1;
		}
		p->started = true;
	}
	if (set->inspector.loaded.table->start(set->inspector.self) != BH_OK) {
		log_error("%s: failed to start", set->inspector.origin);
		return -1;
	}
	set->inspector.started = true;
	return 0;
}

static void stop_instance(struct plugin_instance *inst)
{
	if (inst->started && !inst->stopped) {
		inst->loaded.table->stop(inst->self);
		inst->stopped = true;
	}
}

void plugin_set_stop_inspector(struct plugin_set *set)
{
	stop_instance(&set->inspector);
}

void plugin_set_stop(struct plugin_set *set)
{
	/* The inspector first: nothing new reaches publishers afterwards. */
	stop_instance(&set->inspector);
	for (size_t i = 0; i < set->n_publishers; i++)
		stop_instance(&set->publishers[i]);
}

static void teardown_instance(struct plugin_instance *inst)
{
	stop_instance(inst);
	if (inst->initialized)
		inst->loaded.table->destroy(inst->self);
	inst->started = inst->initialized = false;
	metrics_release_owner(inst->metrics, inst);
	inst->metrics = NULL;
	loader_unload(&inst->loaded);
	free(inst->origin);
	free(inst->status);
	free(inst->last_warning);
	inst->origin = inst->status = inst->last_warning = NULL;
}

void plugin_set_destroy(struct plugin_set *set)
{
	if (!set)
		return;
	/* The inspector first: nothing new reaches publishers afterwards. */
	teardown_instance(&set->inspector);
	for (size_t i = 0; i < set->n_publishers; i++)
		teardown_instance(&set->publishers[i]);
	free(set->publishers);
	if (set->settings) {
		settings_free(set->settings);
		free(set->settings);
	}
	free(set);
}

size_t plugin_set_pending(const struct plugin_set *set)
{
	size_t pending = 0;
	for (size_t i = 0; set && i < set->n_publishers; i++)
		pending += plugin_instance_pending(&set->publishers[i]);
	return pending;
}

void plugin_set_describe_undescribed(const struct plugin_set *set, FILE *out)
{
	if (!set->inspector.described)
		settings_dump_group(set->settings, &set->settings->inspector, out);
	for (size_t i = 0; i < set->n_publishers; i++)
		if (!set->publishers[i].described)
			settings_dump_group(set->settings, &set->settings->publishers[i], out);
}

char *plugin_instance_label(const struct plugin_instance *inst)
{
	const char *index = strchr(inst->slot->instance, '[');
	return bh_strfmt("%s%s", inst->loaded.table->name,
			 inst->loaded.table->kind == BH_PLUGIN_PUBLISHER && index ? index : "");
}

void plugin_instance_note_warning(struct plugin_instance *inst, char *text, uint64_t now_ms)
{
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' '; /* one line per check in /readyz */
	free(inst->last_warning);
	inst->last_warning = text;
	inst->last_warning_ms = now_ms;
}

bool plugin_instance_active(const struct plugin_instance *inst)
{
	return inst->started && !inst->stopped;
}

const char *plugin_instance_name(const struct plugin_instance *inst)
{
	return inst->loaded.table->name;
}

enum bh_plugin_kind plugin_instance_kind(const struct plugin_instance *inst)
{
	return inst->loaded.table->kind;
}

int plugin_instance_resync(const struct plugin_instance *inspector)
{
	return inspector->loaded.table->resync(inspector->self);
}

int plugin_instance_publish(const struct plugin_instance *publisher, const struct bh_registration *reg)
{
	return publisher->loaded.table->publish(publisher->self, reg);
}

int plugin_instance_withdraw(const struct plugin_instance *publisher, const char *key,
			     const char *container)
{
	return publisher->loaded.table->withdraw(publisher->self, key, container);
}

size_t plugin_instance_pending(const struct plugin_instance *publisher)
{
	return publisher->started ? publisher->loaded.table->pending(publisher->self) : 0;
}

bool plugin_instance_hand_over(const struct plugin_instance *publisher,
			       void (*each)(void *arg, const char *key, const char *container), void *arg)
{
	if (!publisher->started || !publisher->loaded.table->hand_over_withdrawals)
		return false;
	publisher->loaded.table->hand_over_withdrawals(publisher->self, each, arg);
	return true;
}

void plugin_set_publish(const struct plugin_set *set, const struct bh_registration *reg)
{
	for (size_t i = 0; i < set->n_publishers; i++) {
		const struct plugin_instance *p = &set->publishers[i];
		if (plugin_instance_active(p) && plugin_instance_publish(p, reg) != BH_OK)
			log_debug("%s: publish of %s refused", p->origin, reg->key);
	}
}

void plugin_set_withdraw(const struct plugin_set *set, const char *key, const char *container)
{
	for (size_t i = 0; i < set->n_publishers; i++) {
		const struct plugin_instance *p = &set->publishers[i];
		if (plugin_instance_active(p) && plugin_instance_withdraw(p, key, container) != BH_OK)
			log_debug("%s: withdrawal of %s refused", p->origin, key);
	}
}

void plugin_set_sweep(const struct plugin_set *set, const char *key_namespace)
{
	for (size_t i = 0; i < set->n_publishers; i++) {
		const struct plugin_instance *p = &set->publishers[i];
		if (plugin_instance_active(p) && p->loaded.table->sweep)
			(void)p->loaded.table->sweep(p->self, key_namespace);
	}
}
