/*
 * The original tool's plugin flags, as a table: flag -> plugin -> setting.
 * Adding a flag of the original means one line here; no other file of the
 * core names a plugin's setting.
 */
#include "config.h"

#include "original_flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

/* How a flag's value is read from struct cli_options. */
enum flag_value {
	FLAG_STRING, /* a const char * field, NULL = not given */
	FLAG_SWITCH, /* a bool field; the setting gets the fixed text */
	FLAG_PORT    /* an int field, > 0 when given; the setting is an integer */
};

struct original_flag {
	const char *origin; /* "command line (--docker-url)" */
	const char *setting;
	enum flag_value kind;
	size_t field; /* offsetof(struct cli_options, ...) */
	const char *fixed; /* FLAG_SWITCH's value */
};

struct flag_plugin {
	const char *plugin;
	bool is_publisher; /* every such publisher, else the inspector */
	/* The flags given, but no such plugin configured; the inspector's
	 * refusal ends with the name of the one configured instead. */
	const char *refusal;
	struct original_flag flags[ORIGINAL_FLAGS_PER_GROUP];
};

#define CLI_FIELD(name) offsetof(struct cli_options, name)

static const struct flag_plugin flag_plugins[] = {
	{"inspector-docker", false,
	 "--docker-url, --docker-network and --envvar need the inspector-docker inspector, but the "
	 "configuration uses",
	 {{"command line (--docker-url)", "url", FLAG_STRING, CLI_FIELD(docker_url), NULL},
	  {"command line (--docker-network)", "address", FLAG_SWITCH, CLI_FIELD(docker_network), "name"},
	  {"command line (--envvar)", "envvar", FLAG_STRING, CLI_FIELD(envvar), NULL}}},
	{"publisher-redis", true,
	 "--redis-host and --redis-port need a publisher-redis publisher, but the configuration has none",
	 {{"command line (--redis-host)", "host", FLAG_STRING, CLI_FIELD(redis_host), NULL},
	  {"command line (--redis-port)", "port", FLAG_PORT, CLI_FIELD(redis_port), NULL}}},
};

#define N_FLAG_PLUGINS (sizeof flag_plugins / sizeof flag_plugins[0])

static bool flag_given(const struct cli_options *opts, const struct original_flag *f)
{
	const char *base = (const char *)opts + f->field;
	switch (f->kind) {
	case FLAG_STRING:
		return *(const char *const *)(const void *)base != NULL;
	case FLAG_SWITCH:
		return *(const bool *)(const void *)base;
	case FLAG_PORT:
		return *(const int *)(const void *)base > 0;
	}
	return false;
}

static bool any_flag_given(const struct cli_options *opts, const struct flag_plugin *p)
{
	for (size_t i = 0; i < ORIGINAL_FLAGS_PER_GROUP && p->flags[i].origin; i++)
		if (flag_given(opts, &p->flags[i]))
			return true;
	return false;
}

/* name in group, of the given type: the file's setting when it has that
 * type (it keeps its place), else a new one. */
static config_setting_t *setting_of_type(config_setting_t *group, const char *name, int type)
{
	config_setting_t *s = config_setting_get_member(group, name);
	if (s && config_setting_type(s) != type) {
		if (config_setting_remove(group, name) != CONFIG_TRUE)
			return NULL;
		s = NULL;
	}
	return s ? s : config_setting_add(group, name, type);
}

/*
 * Plugins of ABI 1.x name a setting by config_setting_source_file() and
 * _line() (the SDK's "FILE:LINE: ..." messages, inspector-docker's "url
 * from ..."): for them the flag is the setting's file, at line 0.  This is
 * the one write of libconfig's own fields in the core; the core itself asks
 * struct flag_origins (flag_origins_find), never the file name.
 */
static void label_for_old_plugins(config_setting_t *s, const char *origin)
{
	s->file = origin;
	s->line = 0;
}

static int set_flag(const struct cli_options *opts, const struct original_flag *f,
		    const struct flag_target *t)
{
	const char *base = (const char *)opts + f->field;
	config_setting_t *s;
	int ok;
	if (f->kind == FLAG_PORT) {
		s = setting_of_type(t->group, f->setting, CONFIG_TYPE_INT);
		ok = s && config_setting_set_int(s, *(const int *)(const void *)base) == CONFIG_TRUE;
	} else {
		const char *value = f->kind == FLAG_SWITCH ? f->fixed : *(const char *const *)(const void *)base;
		s = setting_of_type(t->group, f->setting, CONFIG_TYPE_STRING);
		ok = s && config_setting_set_string(s, value) == CONFIG_TRUE;
	}
	if (!ok || t->origins->count >= ORIGINAL_FLAGS_PER_GROUP)
		return -1;
	label_for_old_plugins(s, f->origin);
	t->origins->of[t->origins->count++] = (struct flag_origin){s, f->origin};
	return 0;
}

static int set_flags(const struct cli_options *opts, const struct flag_plugin *p,
		     const struct flag_target *t)
{
	for (size_t i = 0; i < ORIGINAL_FLAGS_PER_GROUP && p->flags[i].origin; i++)
		if (flag_given(opts, &p->flags[i]) && set_flag(opts, &p->flags[i], t) < 0)
			return -1;
	return 0;
}

/* The plugin's base name: "/x/y/publisher-redis.so" -> "publisher-redis". */
static bool target_is(const struct flag_target *t, const char *name)
{
	if (!t->plugin)
		return false; /* a slot the file got wrong (reported) */
	const char *base = strrchr(t->plugin, '/');
	base = base ? base + 1 : t->plugin;
	size_t len = strlen(name);
	return strncmp(base, name, len) == 0 && (base[len] == '\0' || strcmp(base + len, ".so") == 0);
}

static int apply_one_plugin(const struct cli_options *opts, const struct flag_plugin *p,
			    const struct flag_target *inspector, const struct flag_target *publishers,
			    size_t n_publishers, char **error)
{
	if (!any_flag_given(opts, p))
		return 0;
	if (!p->is_publisher && !inspector->plugin)
		return -1; /* the inspector setting is broken, and reported */
	const struct flag_target *targets = p->is_publisher ? publishers : inspector;
	size_t n_targets = p->is_publisher ? n_publishers : 1;
	bool found = false;
	for (size_t i = 0; i < n_targets; i++) {
		if (!target_is(&targets[i], p->plugin))
			continue;
		found = true;
		if (set_flags(opts, p, &targets[i]) < 0) {
			*error = bh_strfmt("out of memory");
			return -1;
		}
	}
	if (!found && p->is_publisher)
		*error = bh_strfmt("%s", p->refusal);
	else if (!found)
		*error = bh_strfmt("%s '%s'", p->refusal, inspector->plugin);
	return found ? 0 : -1;
}

int original_flags_apply(const struct cli_options *opts, const struct flag_target *inspector,
			 const struct flag_target *publishers, size_t n_publishers, char **error)
{
	*error = NULL;
	for (size_t i = 0; i < N_FLAG_PLUGINS; i++)
		if (apply_one_plugin(opts, &flag_plugins[i], inspector, publishers, n_publishers, error) < 0)
			return -1;
	return 0;
}

const char *flag_origins_find(const struct flag_origins *origins, const config_setting_t *s)
{
	for (size_t i = 0; origins && s && i < origins->count; i++)
		if (origins->of[i].setting == s)
			return origins->of[i].origin;
	return NULL;
}
