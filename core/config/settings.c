#include "config.h"

#include "settings.h"
#include "config_errors.h"
#include "config_preflight.h"
#include "original_flags.h"
#include <beachhead/sdk.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Without a file every setting takes its default, as with a file that sets
 * none: Docker in, Redis on localhost:6379 out (the original's defaults). */
static const char builtin_config[] = "";

#define DEFAULT_EXPIRE 60u
#define DEFAULT_KEY_PREFIX "/beachhead/"

/* Indexed by enum setting_id. */
static const char *const known_top_level[SETTING_COUNT + 1] = {
	"inspector", "publishers", "expire", "refresh", "key_prefix", "containers",
	"enumerate", "missing_envvar", "error_missing_container", "plugin_dir",
	"log_level", "timestamps", "systemd", "domains", "host_id", "state_dir",
	"metrics_listen", NULL,
};

const char *settings_source_file(const struct settings *st, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);
	return file ? file : st->config_file;
}

struct load_ctx {
	struct settings *settings;
	/* The SDK's bh_config_* helpers report here: one line per mistake. */
	struct config_errors errors;
};

static int fail(struct load_ctx *ctx, const config_setting_t *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends one line to the error text: an operator fixing a file wants every
 * mistake in one run (as `nginx -t` reports them), not one per attempt. */
static void append_error(struct load_ctx *ctx, char *line)
{
	config_errors_add(&ctx->errors, line);
}

/* Records an error, prefixed with file:line of the setting at fault (the
 * SDK's wording), or with the file alone when the file as a whole is at
 * fault. */
static int fail(struct load_ctx *ctx, const config_setting_t *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (where) {
		bh_config_verror(&ctx->errors.cfg, where, fmt, ap);
	} else {
		char *body = bh_vstrfmt(fmt, ap);
		append_error(ctx, bh_strfmt("%s: %s", ctx->settings->config_file, body ? body : "?"));
		free(body);
	}
	va_end(ap);
	return -1;
}

/* "FILE:LINE" of a setting read from the file, for --verbose. */
static int note_origin(struct load_ctx *ctx, enum setting_id id, const config_setting_t *s)
{
	struct settings *st = ctx->settings;
	free(st->origins[id]);
	st->origins[id] = bh_strfmt("%s:%u", settings_source_file(st, s), config_setting_source_line(s));
	return st->origins[id] ? 0 : fail(ctx, NULL, "out of memory");
}

static int note_cli_origin(struct load_ctx *ctx, enum setting_id id, const char *option)
{
	struct settings *st = ctx->settings;
	free(st->origins[id]);
	st->origins[id] = bh_strfmt("command line (%s)", option);
	return st->origins[id] ? 0 : fail(ctx, NULL, "out of memory");
}

static int expect_type(struct load_ctx *ctx, const config_setting_t *s, int type)
{
	return bh_config_expect(&ctx->errors.cfg, s, type);
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
	return bh_config_string(&ctx->errors.cfg, s, out);
}

static int read_bool(struct load_ctx *ctx, const config_setting_t *s, bool *out)
{
	int value;
	if (bh_config_bool(&ctx->errors.cfg, s, &value) < 0)
		return -1;
	*out = value != 0;
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
	int rc = 0;
	for (int i = 0; i < count; i++) {
		char instance[32];
		snprintf(instance, sizeof instance, "publishers[%d]", i);
		/* A bad element is reported and skipped: the others still get
		 * checked (and their plugins loaded by --check-config). */
		if (read_slot(ctx, config_setting_get_elem(list, (unsigned)i), instance,
			      &st->publishers[st->n_publishers]) < 0)
			rc = -1;
		else
			st->n_publishers++;
	}
	return rc;
}

static int read_containers(struct load_ctx *ctx, config_setting_t *s)
{
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return fail(ctx, s, "'containers' must be an array of names: [\"web\", ...]");
	int count = config_setting_length(s);
	char **names = calloc((size_t)count + 1, sizeof *names);
	if (!names)
		return fail(ctx, s, "out of memory");
	ctx->settings->containers = names;
	int rc = 0;
	size_t n = 0;
	for (int i = 0; i < count; i++) {
		const config_setting_t *elem = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(elem) != CONFIG_TYPE_STRING)
			rc = fail(ctx, elem, "'containers' must hold strings");
		else if (config_setting_get_string(elem)[0] == '\0')
			rc = fail(ctx, elem, "'containers' holds an empty name");
		else if (!(names[n++] = strdup(config_setting_get_string(elem))))
			return fail(ctx, s, "out of memory");
	}
	return rc;
}

static int read_missing_envvar(struct load_ctx *ctx, config_setting_t *s)
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

static int read_log_level(struct load_ctx *ctx, config_setting_t *s)
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

static int setting_id_of(const char *name)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		if (strcmp(known_top_level[id], name) == 0)
			return id;
	return -1;
}

/* A key prefix is what keeps our keys apart from everybody else's in a
 * shared database: an empty one would write bare container names. */
static int check_state_dir(struct load_ctx *ctx, config_setting_t *where)
{
	const char *dir = ctx->settings->state_dir;
	if (dir[0] != '/')
		return fail(ctx, where, "'state_dir' \"%s\" must be an absolute path", dir);
	return 0;
}

static int check_metrics_listen(struct load_ctx *ctx, config_setting_t *where)
{
	const char *why = NULL;
	struct settings *st = ctx->settings;
	if (listen_address_parse(st->metrics_listen, &st->metrics_address, &why) < 0)
		return fail(ctx, where, "'metrics_listen' \"%s\": %s", st->metrics_listen, why);
	return 0;
}

/* A setting the command line overrides and the environment fills in when
 * neither the command line nor the file gives it (--plugin-dir's order):
 * stores the winner in *field with its origin and sets *taken to it (NULL
 * when the file's value, or none, stands) and *origin to its name. */
static int override_from_cli_or_env(struct load_ctx *ctx, enum setting_id id, char **field,
				    const char *from_cli, const char *option, const char *env_name,
				    const char **taken, const char **origin)
{
	const char *env = getenv(env_name);
	const char *value = from_cli ? from_cli : *field ? NULL : env && env[0] ? env : NULL;
	*taken = value;
	*origin = from_cli ? option : env_name;
	if (!value)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return fail(ctx, NULL, "out of memory");
	free(*field);
	*field = copy;
	if (from_cli)
		return note_cli_origin(ctx, id, option);
	free(ctx->settings->origins[id]);
	ctx->settings->origins[id] = bh_strfmt("environment (%s)", env_name);
	return 0;
}

/* --metrics-listen wins over metrics_listen, which wins over
 * BEACHHEAD_METRICS_LISTEN (as for state_dir).  The variable lets a
 * container image turn the listener on for the daemon and for
 * --health-check (which docker runs with the container's environment, not
 * its arguments) alike. */
static int apply_metrics_listen(struct load_ctx *ctx, const char *from_cli)
{
	struct settings *st = ctx->settings;
	const char *value, *origin;
	if (override_from_cli_or_env(ctx, SETTING_METRICS_LISTEN, &st->metrics_listen, from_cli,
				     "--metrics-listen", "BEACHHEAD_METRICS_LISTEN", &value, &origin) < 0)
		return -1;
	const char *why = NULL;
	if (value && listen_address_parse(value, &st->metrics_address, &why) < 0)
		return fail(ctx, NULL, "%s \"%s\": %s", origin, value, why);
	return 0;
}

static int check_key_prefix(struct load_ctx *ctx, config_setting_t *where)
{
	if (ctx->settings->key_prefix && ctx->settings->key_prefix[0] == '\0')
		return fail(ctx, where, "'key_prefix' must not be empty: keys would be bare container "
				  "names in a database that other programs share");
	return 0;
}

/* A missing inspector or publishers setting means the built-in default
 * plugin with its own defaults, as README and beachhead.conf(5) document. */
static config_setting_t *add_default_slot(struct load_ctx *ctx, const char *name, int type)
{
	config_setting_t *root = config_root_setting(&ctx->settings->cfg);
	config_setting_t *s = config_setting_add(root, name, type);
	if (s && type == CONFIG_TYPE_LIST)
		s = config_setting_add(s, NULL, CONFIG_TYPE_GROUP);
	config_setting_t *plugin = s ? config_setting_add(s, "plugin", CONFIG_TYPE_STRING) : NULL;
	const char *value = type == CONFIG_TYPE_LIST ? "publisher-redis" : "inspector-docker";
	if (!plugin || config_setting_set_string(plugin, value) != CONFIG_TRUE) {
		fail(ctx, NULL, "out of memory");
		return NULL;
	}
	return type == CONFIG_TYPE_LIST ? config_setting_parent(s) : s;
}

static int read_inspector(struct load_ctx *ctx, config_setting_t *s)
{
	return read_slot(ctx, s, "inspector", &ctx->settings->inspector);
}

static int read_domains(struct load_ctx *ctx, config_setting_t *s)
{
	return ownership_parse(s, &ctx->errors.cfg, &ctx->settings->ownership);
}

static int read_systemd(struct load_ctx *ctx, config_setting_t *s)
{
	bool on = false;
	int rc = read_bool(ctx, s, &on);
	ctx->settings->systemd = on ? 1 : 0;
	return rc;
}

/* How each top-level setting is read (indexed by enum setting_id): a plain
 * value into a field of struct settings, then an optional check; or a
 * reader of its own. */
enum value_kind { VALUE_SECONDS, VALUE_STRING, VALUE_BOOL, VALUE_OWN };

static const struct {
	enum value_kind kind;
	size_t field; /* offsetof(struct settings, ...) for the plain kinds */
	int (*read)(struct load_ctx *ctx, config_setting_t *s); /* VALUE_OWN, or a check */
} top_level_readers[SETTING_COUNT] = {
	[SETTING_INSPECTOR] = {VALUE_OWN, 0, read_inspector},
	[SETTING_PUBLISHERS] = {VALUE_OWN, 0, read_publishers},
	[SETTING_EXPIRE] = {VALUE_SECONDS, offsetof(struct settings, expire), NULL},
	[SETTING_REFRESH] = {VALUE_SECONDS, offsetof(struct settings, refresh), NULL},
	[SETTING_KEY_PREFIX] = {VALUE_STRING, offsetof(struct settings, key_prefix), check_key_prefix},
	[SETTING_CONTAINERS] = {VALUE_OWN, 0, read_containers},
	[SETTING_ENUMERATE] = {VALUE_BOOL, offsetof(struct settings, enumerate), NULL},
	[SETTING_MISSING_ENVVAR] = {VALUE_OWN, 0, read_missing_envvar},
	[SETTING_ERROR_MISSING_CONTAINER] = {VALUE_BOOL, offsetof(struct settings, error_missing_container), NULL},
	[SETTING_PLUGIN_DIR] = {VALUE_STRING, offsetof(struct settings, plugin_path), NULL},
	[SETTING_LOG_LEVEL] = {VALUE_OWN, 0, read_log_level},
	[SETTING_TIMESTAMPS] = {VALUE_BOOL, offsetof(struct settings, timestamps), NULL},
	[SETTING_SYSTEMD] = {VALUE_OWN, 0, read_systemd},
	[SETTING_DOMAINS] = {VALUE_OWN, 0, read_domains},
	[SETTING_HOST_ID] = {VALUE_STRING, offsetof(struct settings, host_id), NULL},
	[SETTING_STATE_DIR] = {VALUE_STRING, offsetof(struct settings, state_dir), check_state_dir},
	[SETTING_METRICS_LISTEN] = {VALUE_STRING, offsetof(struct settings, metrics_listen), check_metrics_listen},
};

static int read_one_top_level(struct load_ctx *ctx, config_setting_t *s, enum setting_id id)
{
	void *field = (char *)ctx->settings + top_level_readers[id].field;
	int rc = 0;
	switch (top_level_readers[id].kind) {
	case VALUE_SECONDS:
		rc = read_seconds(ctx, s, field);
		break;
	case VALUE_STRING:
		rc = copy_string(ctx, s, field);
		break;
	case VALUE_BOOL:
		rc = read_bool(ctx, s, field);
		break;
	case VALUE_OWN:
		return top_level_readers[id].read(ctx, s);
	}
	if (rc < 0 || !top_level_readers[id].read)
		return rc;
	return top_level_readers[id].read(ctx, s);
}

/* Every setting is read and every mistake reported; returns 0, or -1 after
 * errors (the settings that were right are filled in all the same). */
static int read_top_level(struct load_ctx *ctx, bool *refresh_given)
{
	struct settings *st = ctx->settings;
	config_setting_t *root = config_root_setting(&st->cfg);
	int count = config_setting_length(root);
	bool failed = false;
	for (int i = 0; i < count; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int id = setting_id_of(name);
		if (id < 0) {
			failed = true;
			fail(ctx, s, "unknown setting '%s'", name);
			continue;
		}
		if (read_one_top_level(ctx, s, (enum setting_id)id) < 0 ||
		    note_origin(ctx, (enum setting_id)id, s) < 0)
			failed = true;
		if (id == SETTING_REFRESH)
			*refresh_given = true;
	}
	/* Defaults are added only when the setting is absent: a present but
	 * broken one has been reported above. */
	config_setting_t *slot;
	if (!config_setting_get_member(root, "inspector") &&
	    (!(slot = add_default_slot(ctx, "inspector", CONFIG_TYPE_GROUP)) ||
	     read_slot(ctx, slot, "inspector", &st->inspector) < 0))
		failed = true;
	if (!config_setting_get_member(root, "publishers") &&
	    (!(slot = add_default_slot(ctx, "publishers", CONFIG_TYPE_LIST)) ||
	     read_publishers(ctx, slot) < 0))
		failed = true;
	return failed ? -1 : 0;
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
	ctx->errors.init.config_file = st->config_file;
	int ok;
	if (path) {
		/* Nothing that could stop or stall the daemon reaches libconfig. */
		char *why = NULL;
		if (config_preflight(path, CONFIG_MAX_TOTAL_BYTES, &why) < 0) {
			append_error(ctx, why ? why : bh_strfmt("%s: out of memory", path));
			return -1;
		}
		ok = config_read_file(&st->cfg, path);
	} else {
		ok = config_read_string(&st->cfg, builtin_config);
	}
	if (!ok) {
		append_error(ctx, bh_strfmt("%s:%d: %s",
					    config_error_file(&st->cfg) ? config_error_file(&st->cfg) : st->config_file,
					    config_error_line(&st->cfg), config_error_text(&st->cfg)));
		return -1;
	}
	return 0;
}

const char *settings_flag_origin(const struct plugin_slot *slot, const config_setting_t *s)
{
	return slot ? flag_origins_find(&slot->flag_origins, s) : NULL;
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
	config_setting_t *plugin = group ? config_setting_add(group, "plugin", CONFIG_TYPE_STRING) : NULL;
	if (!plugin || config_setting_set_string(plugin, "publisher-stdout") != CONFIG_TRUE)
		return fail(ctx, NULL, "out of memory");
	return read_publishers(ctx, list);
}

/* refresh: 45% of expire, as the original, unless the file or --refresh
 * gives it; never 0 for a non-zero expire, since 0 would silently mean "one
 * pass, then exit". */
static void apply_cli_timing(struct load_ctx *ctx, const struct cli_options *opts, bool refresh_given)
{
	struct settings *st = ctx->settings;
	if (opts->expire >= 0) {
		st->expire = (unsigned)opts->expire;
		note_cli_origin(ctx, SETTING_EXPIRE, "--expire");
	}
	if (opts->refresh >= 0) {
		st->refresh = (unsigned)opts->refresh;
		refresh_given = true;
		note_cli_origin(ctx, SETTING_REFRESH, "--refresh");
	}
	if (!refresh_given) {
		st->refresh = (unsigned)((uint64_t)st->expire * 45u / 100u);
		if (st->expire > 0 && st->refresh < 1)
			st->refresh = 1;
	}
	/* The original said "one pass, then exit" by refresh = 0: the one place
	 * the mode is read from refresh; the rest of the core asks the mode. */
	st->run_mode = st->refresh > 0 ? RUN_MODE_SERVICE : RUN_MODE_ONE_PASS;
}

static int apply_cli_key_prefix(struct load_ctx *ctx, const char *key_prefix)
{
	struct settings *st = ctx->settings;
	if (!key_prefix)
		return 0;
	if (!key_prefix[0]) {
		append_error(ctx, bh_strfmt(SETTINGS_CLI_ORIGIN "--key-prefix): must not be empty: keys "
					 "would be bare container names in a database that other "
					 "programs share"));
		return -1;
	}
	free(st->key_prefix);
	st->key_prefix = strdup(key_prefix);
	if (!st->key_prefix)
		return fail(ctx, NULL, "out of memory");
	return note_cli_origin(ctx, SETTING_KEY_PREFIX, "--key-prefix");
}

/* Container names on the command line replace the file's list. */
static int apply_cli_containers(struct load_ctx *ctx, const struct cli_options *opts)
{
	struct settings *st = ctx->settings;
	if (opts->n_containers <= 0)
		return 0;
	for (char **c = st->containers; c && *c; c++)
		free(*c);
	free(st->containers);
	st->containers = calloc((size_t)opts->n_containers + 1, sizeof *st->containers);
	if (!st->containers)
		return fail(ctx, NULL, "out of memory");
	for (int i = 0; i < opts->n_containers; i++) {
		if (opts->containers[i][0] == '\0')
			return fail(ctx, NULL, "container %d on the command line is an empty name", i + 1);
		if (!(st->containers[i] = strdup(opts->containers[i])))
			return fail(ctx, NULL, "out of memory");
	}
	return note_cli_origin(ctx, SETTING_CONTAINERS, "arguments");
}

/* The switches of the original: each only ever turns its setting one way. */
static void apply_cli_switches(struct load_ctx *ctx, const struct cli_options *opts)
{
	struct settings *st = ctx->settings;
	if (opts->enumerate) {
		st->enumerate = true;
		note_cli_origin(ctx, SETTING_ENUMERATE, "--enumerate");
	}
	if (opts->error_missing_envvar != opts->ignore_missing_envvar) {
		st->missing_envvar = opts->error_missing_envvar ? MISSING_ENVVAR_ERROR : MISSING_ENVVAR_IGNORE;
		note_cli_origin(ctx, SETTING_MISSING_ENVVAR,
				opts->error_missing_envvar ? "--error-missing-envvar" : "--ignore-missing-envvar");
	}
	if (opts->error_missing_container) {
		st->error_missing_container = true;
		note_cli_origin(ctx, SETTING_ERROR_MISSING_CONTAINER, "--error-missing-container");
	}
	if (opts->quiet && st->log_level > BH_LOG_WARNING) {
		st->log_level = BH_LOG_WARNING;
		note_cli_origin(ctx, SETTING_LOG_LEVEL, "--quiet");
	}
	if (opts->verbose) {
		st->log_level = BH_LOG_DEBUG;
		note_cli_origin(ctx, SETTING_LOG_LEVEL, "--verbose");
	}
	if (opts->no_timestamp) {
		st->timestamps = false;
		note_cli_origin(ctx, SETTING_TIMESTAMPS, "--no-timestamp");
	}
	if (opts->systemd) {
		st->systemd = 1;
		note_cli_origin(ctx, SETTING_SYSTEMD, "--systemd");
	}
	st->dry_run = opts->dry_run;
}

static struct flag_target flag_target_of(struct plugin_slot *slot)
{
	return (struct flag_target){slot->plugin, slot->group, &slot->flag_origins};
}

/* The original's plugin flags go into the groups of the plugins they always
 * meant (original_flags.c knows which). */
static int apply_original_flags(struct load_ctx *ctx, const struct cli_options *opts)
{
	struct settings *st = ctx->settings;
	struct flag_target inspector = flag_target_of(&st->inspector);
	struct flag_target *publishers = calloc(st->n_publishers + 1, sizeof *publishers);
	if (!publishers)
		return fail(ctx, NULL, "out of memory");
	for (size_t i = 0; i < st->n_publishers; i++)
		publishers[i] = flag_target_of(&st->publishers[i]);
	char *error = NULL;
	int rc = original_flags_apply(opts, &inspector, publishers, st->n_publishers, &error);
	free(publishers);
	if (rc < 0 && error)
		fail(ctx, NULL, "%s", error);
	free(error);
	return rc;
}

/* Command-line options of the original override the file. */
static int apply_cli(struct load_ctx *ctx, const struct cli_options *opts, bool refresh_given)
{
	apply_cli_timing(ctx, opts, refresh_given);
	if (apply_cli_key_prefix(ctx, opts->key_prefix) < 0 || apply_cli_containers(ctx, opts) < 0)
		return -1;
	apply_cli_switches(ctx, opts);
	if (apply_original_flags(ctx, opts) < 0)
		return -1;
	if (ctx->settings->dry_run && replace_publishers_with_stdout(ctx) < 0)
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
		note_cli_origin(ctx, SETTING_HOST_ID, "--host-id");
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
	/* confd cleans key paths: /beachhead/./web would be read as
	 * /beachhead/web (another daemon's key), /beachhead/../web as /web. */
	if (id && (!strcmp(id, ".") || !strcmp(id, "..")))
		return fail(ctx, where, "%s must not be \"%s\" (confd reads the keys as paths, "
			    "where it means the directory itself or its parent)", origin, id);
	st->key_namespace = id ? bh_strfmt("%s%s/", st->key_prefix, id) : strdup(st->key_prefix);
	return st->key_namespace ? 0 : fail(ctx, NULL, "out of memory");
}

/* --state-dir wins over state_dir, which wins over BEACHHEAD_STATE_DIR (as
 * for the plugin directories); the default is systemd's StateDirectory=. */
static int apply_state_dir(struct load_ctx *ctx, const char *from_cli)
{
	struct settings *st = ctx->settings;
	const char *value, *origin;
	if (override_from_cli_or_env(ctx, SETTING_STATE_DIR, &st->state_dir, from_cli, "--state-dir",
				     "BEACHHEAD_STATE_DIR", &value, &origin) < 0)
		return -1;
	if (value && value[0] != '/')
		return fail(ctx, NULL, "%s \"%s\" must be an absolute path", origin, value);
	if (!st->state_dir && !(st->state_dir = strdup(DEFAULT_STATE_DIR)))
		return fail(ctx, NULL, "out of memory");
	return 0;
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
	struct load_ctx ctx = {.settings = st};
	config_errors_begin(&ctx.errors, NULL, error);
	if (read_source(&ctx, opts->config_file) < 0)
		return -1;
	/* After a bad setting the rest is still read and checked, so that one
	 * run reports every mistake; the result is then refused as a whole. */
	bool refresh_given = false;
	bool failed = read_top_level(&ctx, &refresh_given) < 0;
	if (!st->key_prefix && !(st->key_prefix = strdup(DEFAULT_KEY_PREFIX)))
		return fail(&ctx, NULL, "out of memory");
	if (!st->containers && !(st->containers = calloc(1, sizeof *st->containers)))
		return fail(&ctx, NULL, "out of memory");
	if (apply_cli(&ctx, opts, refresh_given) < 0)
		failed = true;
	if (apply_host_id(&ctx, opts->host_id) < 0)
		failed = true;
	/* --check-config goes on to the plugins, which need a key prefix. */
	if (!st->key_namespace && !(st->key_namespace = strdup(st->key_prefix)))
		return fail(&ctx, NULL, "out of memory");
	if (apply_state_dir(&ctx, opts->state_dir) < 0)
		failed = true;
	if (apply_metrics_listen(&ctx, opts->metrics_listen) < 0)
		failed = true;
	/* --plugin-dir and plugin_dir win over the environment. */
	const char *taken, *origin;
	if (override_from_cli_or_env(&ctx, SETTING_PLUGIN_DIR, &st->plugin_path, opts->plugin_path,
				     "--plugin-dir", "BEACHHEAD_PLUGIN_PATH", &taken, &origin) < 0)
		return -1;
	if (!st->enumerate && !st->containers[0])
		failed = fail(&ctx, NULL, "nothing to inspect: name containers or use --enumerate "
					  "(enumerate = true;)") < 0;
	return failed ? -1 : 0;
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
	free(st->state_dir);
	free(st->metrics_listen);
	for (char **c = st->containers; c && *c; c++)
		free(*c);
	free(st->containers);
	free(st->plugin_path);
	for (int id = 0; id < SETTING_COUNT; id++)
		free(st->origins[id]);
	ownership_free(&st->ownership);
	memset(st, 0, sizeof *st);
}
