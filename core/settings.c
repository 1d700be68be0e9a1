#include "config.h"

#include "settings.h"
#include "strfmt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Equal to the original's defaults: Docker in, Redis on localhost:6379 out. */
static const char builtin_config[] =
	"inspector = { plugin = \"inspector-docker\"; };\n"
	"publishers = ( { plugin = \"publisher-redis\"; } );\n";

#define DEFAULT_EXPIRE 60u
#define DEFAULT_KEY_PREFIX "/beachhead/"

static const char *const known_top_level[] = {
	"inspector", "publishers", "expire", "refresh", "key_prefix", "containers",
	"enumerate", "missing_envvar", "error_missing_container", "plugin_dir",
	"log_level", "timestamps", "systemd", "domains", "host_id", NULL,
};

struct load_ctx {
	struct settings *settings;
	char **error;
};

static int fail(struct load_ctx *ctx, const config_setting_t *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error, prefixed with file:line of the setting at fault. */
static int fail(struct load_ctx *ctx, const config_setting_t *where, const char *fmt, ...)
{
	if (*ctx->error)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *body = vstrfmt(fmt, ap);
	va_end(ap);
	int rc;
	if (where) {
		const char *file = config_setting_source_file(where);
		rc = asprintf(ctx->error, "%s:%u: %s", file ? file : ctx->settings->config_file,
			      config_setting_source_line(where), body ? body : "?");
	} else {
		rc = asprintf(ctx->error, "%s: %s", ctx->settings->config_file, body ? body : "?");
	}
	if (rc < 0)
		*ctx->error = NULL;
	free(body);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "something else";
}

static int expect_type(struct load_ctx *ctx, const config_setting_t *s, int type)
{
	int actual = config_setting_type(s);
	if (actual == type || (type == CONFIG_TYPE_INT && actual == CONFIG_TYPE_INT64))
		return 0;
	return fail(ctx, s, "'%s' must be %s, not %s", config_setting_name(s) ? config_setting_name(s) : "value",
		    type_name(type), type_name(actual));
}

static int read_seconds(struct load_ctx *ctx, const config_setting_t *s, unsigned *out)
{
	if (expect_type(ctx, s, CONFIG_TYPE_INT) < 0)
		return -1;
	long long value = config_setting_get_int64(s);
	if (value < 0 || value > INT_MAX)
		return fail(ctx, s, "'%s' must be a number of seconds >= 0", config_setting_name(s));
	*out = (unsigned)value;
	return 0;
}

static int copy_string(struct load_ctx *ctx, const config_setting_t *s, char **out)
{
	if (expect_type(ctx, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	char *copy = strdup(config_setting_get_string(s));
	if (!copy)
		return fail(ctx, s, "out of memory");
	free(*out);
	*out = copy;
	return 0;
}

static int read_bool(struct load_ctx *ctx, const config_setting_t *s, bool *out)
{
	if (expect_type(ctx, s, CONFIG_TYPE_BOOL) < 0)
		return -1;
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int read_slot(struct load_ctx *ctx, config_setting_t *group, const char *instance,
		     struct plugin_slot *slot)
{
	if (expect_type(ctx, group, CONFIG_TYPE_GROUP) < 0)
		return -1;
	config_setting_t *plugin = config_setting_get_member(group, "plugin");
	if (!plugin)
		return fail(ctx, group, "%s: missing 'plugin' (a plugin name or path)", instance);
	if (expect_type(ctx, plugin, CONFIG_TYPE_STRING) < 0)
		return -1;
	if (config_setting_get_string(plugin)[0] == '\0')
		return fail(ctx, plugin, "%s: 'plugin' is empty", instance);
	slot->plugin = config_setting_get_string(plugin);
	slot->group = group;
	slot->instance = strdup(instance);
	if (!slot->instance)
		return fail(ctx, group, "out of memory");
	return 0;
}

static int read_publishers(struct load_ctx *ctx, config_setting_t *list)
{
	struct settings *st = ctx->settings;
	if (config_setting_type(list) != CONFIG_TYPE_LIST)
		return fail(ctx, list, "'publishers' must be a list of groups: ( { plugin = \"...\"; }, ... )");
	int count = config_setting_length(list);
	if (count == 0)
		return fail(ctx, list, "'publishers' is empty: registrations would go nowhere");
	st->publishers = calloc((size_t)count, sizeof *st->publishers);
	if (!st->publishers)
		return fail(ctx, list, "out of memory");
	for (int i = 0; i < count; i++) {
		char instance[32];
		snprintf(instance, sizeof instance, "publishers[%d]", i);
		if (read_slot(ctx, config_setting_get_elem(list, (unsigned)i), instance,
			      &st->publishers[i]) < 0)
			return -1;
		st->n_publishers++;
	}
	return 0;
}

static int read_containers(struct load_ctx *ctx, const config_setting_t *s)
{
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return fail(ctx, s, "'containers' must be an array of names: [\"web\", ...]");
	int count = config_setting_length(s);
	char **names = calloc((size_t)count + 1, sizeof *names);
	if (!names)
		return fail(ctx, s, "out of memory");
	ctx->settings->containers = names;
	for (int i = 0; i < count; i++) {
		const config_setting_t *elem = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING)
			return fail(ctx, elem, "'containers' must hold strings");
		if (config_setting_get_string(elem)[0] == '\0')
			return fail(ctx, elem, "'containers' holds an empty name");
		names[i] = strdup(config_setting_get_string(elem));
		if (!names[i])
			return fail(ctx, s, "out of memory");
	}
	return 0;
}

static int read_missing_envvar(struct load_ctx *ctx, const config_setting_t *s)
{
	if (expect_type(ctx, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	if (strcmp(v, "auto") == 0)
		ctx->settings->missing_envvar = MISSING_ENVVAR_AUTO;
	else if (strcmp(v, "error") == 0)
		ctx->settings->missing_envvar = MISSING_ENVVAR_ERROR;
	else if (strcmp(v, "ignore") == 0)
		ctx->settings->missing_envvar = MISSING_ENVVAR_IGNORE;
	else
		return fail(ctx, s, "'missing_envvar' must be \"auto\", \"error\" or \"ignore\", not \"%s\"", v);
	return 0;
}

static int read_log_level(struct load_ctx *ctx, const config_setting_t *s)
{
	if (expect_type(ctx, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	static const char *const names[] = {"error", "warning", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0) {
			ctx->settings->log_level = (enum bh_log_level)i;
			return 0;
		}
	}
	return fail(ctx, s, "'log_level' must be \"error\", \"warning\", \"info\" or \"debug\", not \"%s\"", v);
}

static bool is_known_top_level(const char *name)
{
	for (const char *const *k = known_top_level; *k; k++)
		if (strcmp(*k, name) == 0)
			return true;
	return false;
}

static int read_top_level(struct load_ctx *ctx)
{
	struct settings *st = ctx->settings;
	config_setting_t *root = config_root_setting(&st->cfg);
	int count = config_setting_length(root);
	bool refresh_given = false;
	for (int i = 0; i < count; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int rc = 0;
		if (!is_known_top_level(name))
			rc = fail(ctx, s, "unknown setting '%s'", name);
		else if (strcmp(name, "inspector") == 0)
			rc = read_slot(ctx, s, "inspector", &st->inspector);
		else if (strcmp(name, "publishers") == 0)
			rc = read_publishers(ctx, s);
		else if (strcmp(name, "expire") == 0)
			rc = read_seconds(ctx, s, &st->expire);
		else if (strcmp(name, "refresh") == 0) {
			rc = read_seconds(ctx, s, &st->refresh);
			refresh_given = true;
		} else if (strcmp(name, "key_prefix") == 0)
			rc = copy_string(ctx, s, &st->key_prefix);
		else if (strcmp(name, "host_id") == 0)
			rc = copy_string(ctx, s, &st->host_id);
		else if (strcmp(name, "containers") == 0)
			rc = read_containers(ctx, s);
		else if (strcmp(name, "enumerate") == 0)
			rc = read_bool(ctx, s, &st->enumerate);
		else if (strcmp(name, "missing_envvar") == 0)
			rc = read_missing_envvar(ctx, s);
		else if (strcmp(name, "error_missing_container") == 0)
			rc = read_bool(ctx, s, &st->error_missing_container);
		else if (strcmp(name, "plugin_dir") == 0)
			rc = copy_string(ctx, s, &st->plugin_path);
		else if (strcmp(name, "log_level") == 0)
			rc = read_log_level(ctx, s);
		else if (strcmp(name, "timestamps") == 0)
			rc = read_bool(ctx, s, &st->timestamps);
		else if (strcmp(name, "domains") == 0) {
			char *error = NULL;
			rc = ownership_parse(s, st->config_file, &st->ownership, &error);
			if (rc < 0) {
				free(*ctx->error);
				*ctx->error = error;
			}
		} else if (strcmp(name, "systemd") == 0) {
			bool on = false;
			rc = read_bool(ctx, s, &on);
			st->systemd = on ? 1 : 0;
		}
		if (rc < 0)
			return -1;
	}
	if (!st->inspector.plugin)
		return fail(ctx, NULL, "no 'inspector' group: inspector = { plugin = \"inspector-docker\"; };");
	if (!st->publishers)
		return fail(ctx, NULL, "no 'publishers' list: publishers = ( { plugin = \"publisher-redis\"; } );");
	return refresh_given ? 1 : 0;
}

/* Reads the file, or the built-in text when no file was asked for and the
 * default file does not exist (the original needed no file at all). */
static int read_source(struct load_ctx *ctx, const char *asked)
{
	struct settings *st = ctx->settings;
	const char *path = asked;
	if (!path && access(DEFAULT_CONFIG_FILE, F_OK) == 0)
		path = DEFAULT_CONFIG_FILE;
	st->config_file = strdup(path ? path : BUILTIN_CONFIG_NAME);
	if (!st->config_file)
		return fail(ctx, NULL, "out of memory");
	int ok;
	if (path) {
		/* config_read_file cannot tell "missing" from "unreadable". */
		FILE *probe = fopen(path, "r");
		if (!probe)
			return fail(ctx, NULL, "cannot open: %s", strerror(errno));
		fclose(probe);
		ok = config_read_file(&st->cfg, path);
	} else {
		ok = config_read_string(&st->cfg, builtin_config);
	}
	if (!ok) {
		if (asprintf(ctx->error, "%s:%d: %s", config_error_file(&st->cfg) ? config_error_file(&st->cfg) : st->config_file,
			     config_error_line(&st->cfg), config_error_text(&st->cfg)) < 0)
			*ctx->error = NULL;
		return -1;
	}
	return 0;
}

/* Sets name in group to a string, creating or replacing it. */
static int override_string(config_setting_t *group, const char *name, const char *value)
{
	config_setting_t *s = config_setting_get_member(group, name);
	if (s && config_setting_type(s) != CONFIG_TYPE_STRING) {
		if (config_setting_remove(group, name) != CONFIG_TRUE)
			return -1;
		s = NULL;
	}
	if (!s)
		s = config_setting_add(group, name, CONFIG_TYPE_STRING);
	return s && config_setting_set_string(s, value) == CONFIG_TRUE ? 0 : -1;
}

static int override_int(config_setting_t *group, const char *name, int value)
{
	config_setting_t *s = config_setting_get_member(group, name);
	if (s && config_setting_type(s) != CONFIG_TYPE_INT) {
		if (config_setting_remove(group, name) != CONFIG_TRUE)
			return -1;
		s = NULL;
	}
	if (!s)
		s = config_setting_add(group, name, CONFIG_TYPE_INT);
	return s && config_setting_set_int(s, value) == CONFIG_TRUE ? 0 : -1;
}

/* The plugin's base name: "/x/y/publisher-redis.so" -> "publisher-redis". */
static bool slot_is(const struct plugin_slot *slot, const char *name)
{
	const char *base = strrchr(slot->plugin, '/');
	base = base ? base + 1 : slot->plugin;
	size_t len = strlen(name);
	return strncmp(base, name, len) == 0 && (base[len] == '\0' || strcmp(base + len, ".so") == 0);
}

/* --dry-run swaps every publisher for one publisher-stdout. */
static int replace_publishers_with_stdout(struct load_ctx *ctx)
{
	struct settings *st = ctx->settings;
	config_setting_t *root = config_root_setting(&st->cfg);
	for (size_t i = 0; i < st->n_publishers; i++)
		free(st->publishers[i].instance);
	free(st->publishers);
	st->publishers = NULL;
	st->n_publishers = 0;
	if (config_setting_get_member(root, "publishers") &&
	    config_setting_remove(root, "publishers") != CONFIG_TRUE)
		return fail(ctx, NULL, "cannot replace publishers for --dry-run");
	config_setting_t *list = config_setting_add(root, "publishers", CONFIG_TYPE_LIST);
	config_setting_t *group = list ? config_setting_add(list, NULL, CONFIG_TYPE_GROUP) : NULL;
	if (!group || override_string(group, "plugin", "publisher-stdout") < 0)
		return fail(ctx, NULL, "out of memory");
	return read_publishers(ctx, list);
}

/* Command-line options of the original override the file. */
static int apply_cli(struct load_ctx *ctx, const struct cli_options *opts, bool refresh_given)
{
	struct settings *st = ctx->settings;
	if (opts->expire >= 0)
		st->expire = (unsigned)opts->expire;
	if (opts->refresh >= 0) {
		st->refresh = (unsigned)opts->refresh;
		refresh_given = true;
	}
	/* 45% of expire, as the original; never 0 for a non-zero expire, since
	 * 0 would silently mean "one pass, then exit". */
	if (!refresh_given) {
		st->refresh = (unsigned)((uint64_t)st->expire * 45u / 100u);
		if (st->expire > 0 && st->refresh == 0)
			st->refresh = 1;
	}
	if (opts->key_prefix) {
		free(st->key_prefix);
		st->key_prefix = strdup(opts->key_prefix);
		if (!st->key_prefix)
			return fail(ctx, NULL, "out of memory");
	}
	if (opts->n_containers > 0) {
		for (char **c = st->containers; c && *c; c++)
			free(*c);
		free(st->containers);
		st->containers = calloc((size_t)opts->n_containers + 1, sizeof *st->containers);
		if (!st->containers)
			return fail(ctx, NULL, "out of memory");
		for (int i = 0; i < opts->n_containers; i++) {
			if (opts->containers[i][0] == '\0')
				return fail(ctx, NULL, "container %d on the command line is an empty name",
					    i + 1);
			if (!(st->containers[i] = strdup(opts->containers[i])))
				return fail(ctx, NULL, "out of memory");
		}
	}
	if (opts->enumerate)
		st->enumerate = true;
	if (opts->error_missing_envvar != opts->ignore_missing_envvar)
		st->missing_envvar = opts->error_missing_envvar ? MISSING_ENVVAR_ERROR : MISSING_ENVVAR_IGNORE;
	if (opts->error_missing_container)
		st->error_missing_container = true;
	if (opts->plugin_path) {
		free(st->plugin_path);
		if (!(st->plugin_path = strdup(opts->plugin_path)))
			return fail(ctx, NULL, "out of memory");
	}
	if (opts->quiet && st->log_level > BH_LOG_WARNING)
		st->log_level = BH_LOG_WARNING;
	if (opts->verbose)
		st->log_level = BH_LOG_DEBUG;
	if (opts->no_timestamp)
		st->timestamps = false;
	if (opts->systemd)
		st->systemd = 1;
	st->dry_run = opts->dry_run;

	/* Plugin-specific options of the original go into the groups of the
	 * plugins they always meant. */
	bool docker = slot_is(&st->inspector, "inspector-docker");
	if ((opts->docker_url || opts->docker_network || opts->envvar) && !docker)
		return fail(ctx, NULL, "--docker-url, --docker-network and --envvar need the inspector-docker "
				 "inspector, but the configuration uses '%s'", st->inspector.plugin);
	if ((opts->docker_url && override_string(st->inspector.group, "url", opts->docker_url) < 0) ||
	    (opts->docker_network && override_string(st->inspector.group, "address", "name") < 0) ||
	    (opts->envvar && override_string(st->inspector.group, "envvar", opts->envvar) < 0))
		return fail(ctx, NULL, "out of memory");
	bool redis_options = opts->redis_host || opts->redis_port > 0;
	bool redis_found = false;
	for (size_t i = 0; i < st->n_publishers; i++) {
		struct plugin_slot *slot = &st->publishers[i];
		if (!slot_is(slot, "publisher-redis"))
			continue;
		redis_found = true;
		if ((opts->redis_host && override_string(slot->group, "host", opts->redis_host) < 0) ||
		    (opts->redis_port > 0 && override_int(slot->group, "port", opts->redis_port) < 0))
			return fail(ctx, NULL, "out of memory");
	}
	if (redis_options && !redis_found)
		return fail(ctx, NULL, "--redis-host and --redis-port need a publisher-redis publisher, "
				 "but the configuration has none");
	if (st->dry_run && replace_publishers_with_stdout(ctx) < 0)
		return -1;
	return 0;
}

/*
 * host_id (or --host-id, which wins) puts this daemon's keys into a namespace
 * of their own, key_prefix + host_id + "/", which the daemon owns: it may
 * delete there what no running container backs.  One path segment, hence no
 * '/', no whitespace (confd's key globbing and shell recipes), not empty.
 */
static int apply_host_id(struct load_ctx *ctx, const char *from_cli)
{
	struct settings *st = ctx->settings;
	const config_setting_t *where = from_cli ? NULL : config_lookup(&st->cfg, "host_id");
	if (from_cli) {
		free(st->host_id);
		if (!(st->host_id = strdup(from_cli)))
			return fail(ctx, NULL, "out of memory");
	}
	const char *id = st->host_id;
	const char *origin = from_cli ? "--host-id" : "'host_id'";
	if (id && !id[0])
		return fail(ctx, where, "%s must not be empty (leave it out for keys without a host id)",
			    origin);
	for (const char *c = id; c && *c; c++)
		if (*c == '/' || isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
			return fail(ctx, where, "%s \"%s\" must not contain '/', whitespace or control "
				    "characters (it is one key segment)", origin, id);
	st->key_namespace = id ? strfmt("%s%s/", st->key_prefix, id) : strdup(st->key_prefix);
	return st->key_namespace ? 0 : fail(ctx, NULL, "out of memory");
}

int settings_load(struct settings *st, const struct cli_options *opts, char **error)
{
	memset(st, 0, sizeof *st);
	*error = NULL;
	config_init(&st->cfg);
	st->expire = DEFAULT_EXPIRE;
	st->log_level = BH_LOG_INFO;
	st->timestamps = true;
	st->systemd = -1;
	struct load_ctx ctx = {st, error};
	if (read_source(&ctx, opts->config_file) < 0)
		return -1;
	int refresh_given = read_top_level(&ctx);
	if (refresh_given < 0)
		return -1;
	if (!st->key_prefix && !(st->key_prefix = strdup(DEFAULT_KEY_PREFIX)))
		return fail(&ctx, NULL, "out of memory");
	if (!st->containers && !(st->containers = calloc(1, sizeof *st->containers)))
		return fail(&ctx, NULL, "out of memory");
	if (apply_cli(&ctx, opts, refresh_given) < 0 || apply_host_id(&ctx, opts->host_id) < 0)
		return -1;
	/* --plugin-dir and plugin_dir win over the environment. */
	const char *env_path = getenv("BEACHHEAD_PLUGIN_PATH");
	if (env_path && !st->plugin_path && !(st->plugin_path = strdup(env_path)))
		return fail(&ctx, NULL, "out of memory");
	if (!st->enumerate && !st->containers[0])
		return fail(&ctx, NULL, "nothing to inspect: name containers or use --enumerate "
				  "(enumerate = true;)");
	return 0;
}

void settings_free(struct settings *st)
{
	config_destroy(&st->cfg);
	free(st->config_file);
	free(st->inspector.instance);
	for (size_t i = 0; i < st->n_publishers; i++)
		free(st->publishers[i].instance);
	free(st->publishers);
	free(st->key_prefix);
	free(st->host_id);
	free(st->key_namespace);
	for (char **c = st->containers; c && *c; c++)
		free(*c);
	free(st->containers);
	free(st->plugin_path);
	ownership_free(&st->ownership);
	memset(st, 0, sizeof *st);
}
