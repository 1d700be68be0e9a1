/*
 * The effective configuration: the libconfig file (or the built-in defaults,
 * which equal the original tool's) with the command line applied on top.
 */
#ifndef BH_SETTINGS_H
#define BH_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include <beachhead/plugin.h>

#include "cli.h"
#include "ownership.h"

#define DEFAULT_CONFIG_FILE BH_SYSCONFDIR "/beachhead.conf"
#define BUILTIN_CONFIG_NAME "(built-in defaults)"

enum missing_envvar_mode {
	MISSING_ENVVAR_AUTO,  /* error for named containers, ignored for enumerated */
	MISSING_ENVVAR_ERROR, /* always an error */
	MISSING_ENVVAR_IGNORE /* never an error */
};

struct plugin_slot {
	const char *plugin;       /* name or path; owned by cfg */
	config_setting_t *group;  /* the plugin's own settings; owned by cfg */
	char *instance;           /* "inspector", "publishers[1]" */
};

struct settings {
	config_t cfg; /* owns the tree the slots point into */
	char *config_file;  /* path read, or BUILTIN_CONFIG_NAME */

	struct plugin_slot inspector;
	struct plugin_slot *publishers;
	size_t n_publishers;

	unsigned expire;
	unsigned refresh;
	char *key_prefix;
	char *host_id;       /* NULL = none: keys are key_prefix + container */
	char *key_namespace; /* key_prefix [+ host_id + "/"]: keys = this + container */
	char **containers; /* NULL-terminated */
	bool enumerate;
	enum missing_envvar_mode missing_envvar;
	bool error_missing_container;
	char *plugin_path; /* colon-separated, may be NULL */
	enum bh_log_level log_level;
	bool timestamps;
	int systemd; /* 1 on, 0 off, -1 automatic (NOTIFY_SOCKET) */
	bool dry_run;
	struct ownership_policy ownership; /* `domains`: who may claim what */
};

/*
 * Builds settings from opts.  Returns 0, or -1 with *error set to a malloc'd
 * one-line message (with file:line where the file is at fault).
 */
int settings_load(struct settings *settings, const struct cli_options *opts, char **error);
void settings_free(struct settings *settings);

#endif
