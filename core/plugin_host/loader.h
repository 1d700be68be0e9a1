/*
 * Finds, dlopen()s and validates plugins.  Every refusal is one message that
 * names the file and what is wrong with it.
 */
#ifndef BH_LOADER_H
#define BH_LOADER_H

#include <beachhead/plugin.h>

struct loaded_plugin {
	void *handle; /* dlopen handle */
	char *path;   /* the file actually loaded */
	/* The plugin's symbol table as the core reads it: a full-size copy,
	 * zero-filled beyond the plugin's struct_size (see abi_boundary.h), so
	 * an optional function of a newer minor is simply NULL. */
	const struct bh_plugin *table;
	struct bh_plugin *own_table; /* the same copy, for freeing */
};

/*
 * Resolves name_or_path: an absolute or relative path (contains '/') is used
 * as is; a bare name NAME is looked up as NAME.so in each directory of
 * search_path (colon-separated, may be NULL), then in BH_PKGLIBDIR.
 * Returns 0, or -1 with *error set to a malloc'd message.
 */
int loader_load(const char *name_or_path, const char *search_path, enum bh_plugin_kind kind,
		struct loaded_plugin *out, char **error);

/* Validates a symbol table as the loader does (exposed for tests). Returns
 * NULL when acceptable, else a malloc'd reason. */
char *loader_check_table(const struct bh_plugin *table, enum bh_plugin_kind kind);

void loader_unload(struct loaded_plugin *plugin);

#endif
