/*
 * The effective configuration: the libconfig file (or the built-in defaults,
 * which equal the original tool's) with the command line applied on top.
 */
#ifndef BH_SETTINGS_H
#define BH_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libconfig.h>

#include <beachhead/plugin.h>

#include "cli.h"
#include "listen_address.h"
#include "original_flags.h"
#include "ownership.h"

#define DEFAULT_CONFIG_FILE BH_SYSCONFDIR "/beachhead.conf"
#define BUILTIN_CONFIG_NAME "(built-in defaults)"
/* systemd's StateDirectory=beachhead-companion; the Debian package creates it. */
#define DEFAULT_STATE_DIR "/var/lib/beachhead-companion"

/* How the daemon runs: as a service, every `refresh` seconds, or the
 * original's one-pass mode (refresh = 0): one pass, wait for the stores,
 * exit with a status that says whether everything was written. */
enum run_mode {
	RUN_MODE_SERVICE,
	RUN_MODE_ONE_PASS
};

enum missing_envvar_mode {
	MISSING_ENVVAR_AUTO,  /* error for named containers, ignored for enumerated */
	MISSING_ENVVAR_ERROR, /* always an error */
	MISSING_ENVVAR_IGNORE /* never an error */
};

/* The top-level settings, in the order beachhead.conf(5) lists them. */
enum setting_id {
	SETTING_INSPECTOR,
	SETTING_PUBLISHERS,
	SETTING_EXPIRE,
	SETTING_REFRESH,
	SETTING_KEY_PREFIX,
	SETTING_CONTAINERS,
	SETTING_ENUMERATE,
	SETTING_MISSING_ENVVAR,
	SETTING_ERROR_MISSING_CONTAINER,
	SETTING_PLUGIN_DIR,
	SETTING_LOG_LEVEL,
	SETTING_TIMESTAMPS,
	SETTING_SYSTEMD,
	SETTING_DOMAINS,
	SETTING_HOST_ID,
	SETTING_STATE_DIR,
	SETTING_METRICS_LISTEN,
	SETTING_COUNT
};

/* What messages and --verbose call a value from the command line:
 * "command line (--docker-url)". */
#define SETTINGS_CLI_ORIGIN "command line ("

struct plugin_slot {
	const char *plugin;       /* name or path; owned by cfg */
	config_setting_t *group;  /* the plugin's own settings; owned by cfg */
	char *instance;           /* "inspector", "publishers[1]" */
	/* The settings of group the original's flags set (original_flags.c). */
	struct flag_origins flag_origins;
};

struct settings {
	config_t cfg; /* owns the tree the slots point into */
	char *config_file;  /* path read, or BUILTIN_CONFIG_NAME */

	struct plugin_slot inspector;
	struct plugin_slot *publishers;
	size_t n_publishers;

	unsigned expire;
	unsigned refresh; /* seconds; 0 in one-pass mode */
	enum run_mode run_mode;
	char *key_prefix;
	char *host_id;       /* NULL = none: keys are key_prefix + container */
	char *key_namespace; /* key_prefix [+ host_id + "/"]: keys = this + container */
	char *state_dir;     /* what survives a restart (owner token, etcd lease id) */
	/* /metrics, /healthz, /readyz: "ADDR:PORT" as given, and parsed;
	 * NULL = off (the default: no socket, no cost). */
	char *metrics_listen;
	struct listen_address metrics_address;
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
	/* Where each top-level value came from, for --verbose: "FILE:LINE",
	 * "command line (--expire)", "environment (...)"; NULL = default. */
	char *origins[SETTING_COUNT];
};

/*
 * Builds settings from opts.  Returns 0, or -1 with *error set to a malloc'd
 * text of one line per error (file:line where a setting is at fault, the
 * file alone where the file as a whole is).  After -1 the settings hold what
 * was right (plugin slots that are sound), for --check-config to go on
 * checking the plugins; settings_free them either way.
 */
int settings_load(struct settings *settings, const struct cli_options *opts, char **error);
void settings_free(struct settings *settings);

/* The file a setting was read from (an @include'd one, or the main file). */
const char *settings_source_file(const struct settings *st, const config_setting_t *s);
/* "command line (--docker-url)" for a value the command line put into a
 * plugin's group, else NULL (slot may be NULL: none). */
const char *settings_flag_origin(const struct plugin_slot *slot, const config_setting_t *s);

/* settings_dump.c (--check-config --verbose): every setting, its value and
 * its origin, one "NAME VALUE<TAB># ORIGIN" line each.  settings_dump_line
 * writes one setting of a plugin's slot (named "inspector.url"); given is
 * the setting in the file or set by the command line, or NULL. */
void settings_dump_core(const struct settings *st, FILE *out);
void settings_dump_group(const struct settings *st, const struct plugin_slot *slot, FILE *out);
void settings_dump_line(FILE *out, const char *config_file, const struct plugin_slot *slot,
			const char *name, const char *value, const config_setting_t *given,
			const char *origin_if_absent);

#endif
