/*
 * --check-config --verbose: the effective configuration, one setting per
 * line with its value and where the value came from, as `sshd -T` prints
 * it.  Plugin settings are shown as given (file or command line); a plugin
 * setting that is not shown takes that plugin's documented default.
 */
#include "config.h"

#include "settings.h"

#include <stdio.h>
#include <string.h>

static const char *origin_of(const struct settings *st, enum setting_id id)
{
	return st->origins[id] ? st->origins[id] : "default";
}

static void print_scalar(FILE *out, const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(out, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		fprintf(out, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", out);
		break;
	case CONFIG_TYPE_STRING:
		fprintf(out, "\"%s\"", config_setting_get_string(s));
		break;
	default:
		fputs("(...)", out);
		break;
	}
}

static void print_group(FILE *out, const struct settings *st, const char *prefix,
			const config_setting_t *group)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		/* A secret is never printed, wherever it comes from. */
		bool secret = strcmp(name, "password") == 0;
		fprintf(out, "%s.%s ", prefix, name);
		if (secret)
			fputs("(hidden)", out);
		else
			print_scalar(out, s);
		if (settings_is_cli(s))
			fprintf(out, "\t# %s\n", config_setting_source_file(s));
		else if (config_setting_source_line(s) == 0)
			fputs("\t# default\n", out);
		else
			fprintf(out, "\t# %s:%u\n", settings_source_file(st, s),
				config_setting_source_line(s));
	}
}

static const char *missing_envvar_name(enum missing_envvar_mode mode)
{
	return mode == MISSING_ENVVAR_ERROR ? "error" : mode == MISSING_ENVVAR_IGNORE ? "ignore" : "auto";
}

void settings_dump(const struct settings *st, FILE *out)
{
	static const char *const levels[] = {"error", "warning", "info", "debug"};
	fprintf(out, "config_file %s\n", st->config_file);
	fprintf(out, "expire %u\t# %s\n", st->expire, origin_of(st, SETTING_EXPIRE));
	fprintf(out, "refresh %u\t# %s\n", st->refresh,
		st->origins[SETTING_REFRESH] ? st->origins[SETTING_REFRESH] : "default (45% of expire)");
	fprintf(out, "key_prefix \"%s\"\t# %s\n", st->key_prefix ? st->key_prefix : "",
		origin_of(st, SETTING_KEY_PREFIX));
	fputs("containers [", out);
	for (char **c = st->containers; c && *c; c++)
		fprintf(out, "%s\"%s\"", c == st->containers ? "" : ", ", *c);
	fprintf(out, "]\t# %s\n", origin_of(st, SETTING_CONTAINERS));
	fprintf(out, "enumerate %s\t# %s\n", st->enumerate ? "true" : "false",
		origin_of(st, SETTING_ENUMERATE));
	fprintf(out, "missing_envvar \"%s\"\t# %s\n", missing_envvar_name(st->missing_envvar),
		origin_of(st, SETTING_MISSING_ENVVAR));
	fprintf(out, "error_missing_container %s\t# %s\n", st->error_missing_container ? "true" : "false",
		origin_of(st, SETTING_ERROR_MISSING_CONTAINER));
	fprintf(out, "plugin_dir \"%s\"\t# %s\n", st->plugin_path ? st->plugin_path : "",
		origin_of(st, SETTING_PLUGIN_DIR));
	fprintf(out, "log_level \"%s\"\t# %s\n", levels[st->log_level], origin_of(st, SETTING_LOG_LEVEL));
	fprintf(out, "timestamps %s\t# %s\n", st->timestamps ? "true" : "false",
		origin_of(st, SETTING_TIMESTAMPS));
	fprintf(out, "systemd %s\t# %s\n",
		st->systemd < 0 ? "auto" : st->systemd ? "true" : "false", origin_of(st, SETTING_SYSTEMD));
	if (st->inspector.group)
		print_group(out, st, "inspector", st->inspector.group);
	for (size_t i = 0; i < st->n_publishers; i++)
		print_group(out, st, st->publishers[i].instance, st->publishers[i].group);
	fflush(out);
}
