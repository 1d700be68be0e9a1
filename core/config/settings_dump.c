/*
 * --check-config --verbose: the effective configuration, one setting per
 * line with its value and where the value came from, as `sshd -T` prints
 * it:  NAME VALUE<TAB># ORIGIN.  Plugins list their own settings through
 * describe_setting (ABI 1.2); for older plugins the core lists their group
 * as the configuration gives it.
 */
#include "config.h"

#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

static const char *origin_of(const struct settings *st, enum setting_id id)
{
	return st->origins[id] ? st->origins[id] : "default";
}

/* A scalar as the configuration would spell it; malloc'd. */
static char *scalar_text(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return bh_strfmt("%lld", config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return bh_strfmt("%g", config_setting_get_float(s));
	case CONFIG_TYPE_BOOL:
		return bh_strfmt("%s", config_setting_get_bool(s) ? "true" : "false");
	case CONFIG_TYPE_STRING:
		return bh_strfmt("\"%s\"", config_setting_get_string(s));
	}
	return bh_strfmt("(...)");
}

void settings_dump_line(FILE *out, const char *config_file, const struct plugin_slot *slot,
			const char *name, const char *value, const config_setting_t *given,
			const char *origin_if_absent)
{
	/* A secret is never printed, wherever it comes from. */
	if (strcmp(name, "password") == 0 && value)
		value = "(hidden)";
	fprintf(out, "%s.%s %s\t# ", slot->instance, name, value ? value : "(none)");
	const char *file = given ? config_setting_source_file(given) : NULL;
	const char *flag = settings_flag_origin(slot, given);
	if (flag)
		fprintf(out, "%s\n", flag);
	else if (given && config_setting_source_line(given) > 0)
		fprintf(out, "%s:%u\n", file ? file : config_file, config_setting_source_line(given));
	else
		fprintf(out, "%s\n", origin_if_absent ? origin_if_absent : "default");
}

void settings_dump_group(const struct settings *st, const struct plugin_slot *slot, FILE *out)
{
	for (int i = 0; i < config_setting_length(slot->group); i++) {
		const config_setting_t *s = config_setting_get_elem(slot->group, (unsigned)i);
		if (strcmp(config_setting_name(s), "plugin") == 0)
			continue; /* listed before the plugin's init() */
		char *value = scalar_text(s);
		settings_dump_line(out, st->config_file, slot, config_setting_name(s), value, s, "default");
		free(value);
	}
	fflush(out);
}

static const char *missing_envvar_name(enum missing_envvar_mode mode)
{
	return mode == MISSING_ENVVAR_ERROR ? "error" : mode == MISSING_ENVVAR_IGNORE ? "ignore" : "auto";
}

void settings_dump_core(const struct settings *st, FILE *out)
{
	static const char *const levels[] = {"error", "warning", "info", "debug"};
	fprintf(out, "config_file %s\n", st->config_file);
	fprintf(out, "expire %u\t# %s\n", st->expire, origin_of(st, SETTING_EXPIRE));
	fprintf(out, "refresh %u\t# %s\n", st->refresh,
		st->origins[SETTING_REFRESH] ? st->origins[SETTING_REFRESH] : "default (45% of expire)");
	fprintf(out, "key_prefix \"%s\"\t# %s\n", st->key_prefix ? st->key_prefix : "",
		origin_of(st, SETTING_KEY_PREFIX));
	fprintf(out, "host_id %s%s%s\t# %s\n", st->host_id ? "\"" : "", st->host_id ? st->host_id : "(none)",
		st->host_id ? "\"" : "", origin_of(st, SETTING_HOST_ID));
	fprintf(out, "state_dir \"%s\"\t# %s\n", st->state_dir ? st->state_dir : "",
		origin_of(st, SETTING_STATE_DIR));
	fprintf(out, "metrics_listen %s%s%s\t# %s\n", st->metrics_listen ? "\"" : "",
		st->metrics_listen ? st->metrics_listen : "(off)", st->metrics_listen ? "\"" : "",
		origin_of(st, SETTING_METRICS_LISTEN));
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
	if (st->origins[SETTING_DOMAINS])
		fprintf(out, "domains (the group)\t# %s\n", st->origins[SETTING_DOMAINS]);
	else
		fputs("domains (none: any domain)\t# default\n", out);
	fflush(out);
}
