/*
 * The core's settings are checked with the SDK's helpers (bh_config_expect,
 * bh_config_string, bh_config_bool: one wording for the daemon's settings
 * and the plugins'), but the core collects what they report into one text,
 * one "FILE:LINE: message" line per mistake, for settings_load's caller,
 * instead of logging it: --check-config prints every mistake at once.
 */
#ifndef BH_CONFIG_ERRORS_H
#define BH_CONFIG_ERRORS_H

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>

struct config_errors {
	struct bh_host_api api; /* only log: what the SDK's helpers call */
	struct bh_init init;
	struct bh_config cfg; /* hand &cfg to the SDK's bh_config_* helpers */
	char **text;          /* the caller's; NULL until the first error */
};

/* text: where the lines go (*text NULL or a malloc'd text already). */
void config_errors_begin(struct config_errors *errors, const char *config_file, char **text);
/* Appends one line (taken; NULL = out of memory, dropped). */
void config_errors_add(struct config_errors *errors, char *line);

#endif
