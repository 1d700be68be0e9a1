/*
 * The original tool's plugin flags (--docker-url, --docker-network,
 * --envvar, --redis-host, --redis-port) put into the groups of the plugins
 * they always meant.  original_flags.c is the one place in the core that
 * names a plugin's setting (tests/core/layers.sh checks it): the rest of the
 * core reads plugin groups only as opaque libconfig trees.
 */
#ifndef BH_ORIGINAL_FLAGS_H
#define BH_ORIGINAL_FLAGS_H

#include <libconfig.h>

#include "cli.h"

/* Most flags one plugin group gets (inspector-docker: three). */
#define ORIGINAL_FLAGS_PER_GROUP 3

/* A setting of a plugin's group that a flag set, and the flag's name as
 * messages and --check-config --verbose say it: "command line
 * (--docker-url)".  The setting belongs to the configuration tree. */
struct flag_origin {
	const config_setting_t *setting;
	const char *origin;
};

struct flag_origins {
	struct flag_origin of[ORIGINAL_FLAGS_PER_GROUP];
	size_t count;
};

/* One plugin group as original_flags_apply sees it: its plugin (name or
 * path, NULL when the file got it wrong), its group, where to note origins. */
struct flag_target {
	const char *plugin;
	config_setting_t *group;
	struct flag_origins *origins;
};

/*
 * Sets the flags opts gives into the groups they mean: the inspector's
 * (when it is the plugin the flag is for) and every publisher of that
 * plugin.  Returns 0, or -1 with *error a malloc'd one-line message
 * ("--redis-host and --redis-port need a publisher-redis publisher, ...",
 * "out of memory"), or -1 with *error NULL when the inspector's slot is
 * broken (already reported).
 */
int original_flags_apply(const struct cli_options *opts, const struct flag_target *inspector,
			 const struct flag_target *publishers, size_t n_publishers, char **error);

/* The flag that set s, or NULL (s came from the file or is absent). */
const char *flag_origins_find(const struct flag_origins *origins, const config_setting_t *s);

#endif
