#include "config.h"

#include "loader.h"
#include "abi_boundary.h"
#include "plugin_trust.h"
#include <beachhead/sdk.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case BH_PLUGIN_INSPECTOR:
		return "inspector";
	case BH_PLUGIN_PUBLISHER:
		return "publisher";
	}
	return "unknown";
}

char *loader_check_table(const struct bh_plugin *t, enum bh_plugin_kind kind)
{
	if (t->abi_major != BH_ABI_MAJOR)
		return bh_strfmt("built for plugin ABI %u.%u, but this daemon has ABI %u.%u "
			       "(major versions differ)",
			       t->abi_major, t->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR);
	if (t->abi_minor > BH_ABI_MINOR)
		return bh_strfmt("built for plugin ABI %u.%u, newer than this daemon's ABI %u.%u",
			       t->abi_major, t->abi_minor, BH_ABI_MAJOR, BH_ABI_MINOR);
	if (t->struct_size < BH_PLUGIN_SIZE_1_0)
		return bh_strfmt("symbol table is %u bytes, smaller than the %zu bytes that "
			       "ABI %u.0 requires",
			       t->struct_size, (size_t)BH_PLUGIN_SIZE_1_0, BH_ABI_MAJOR);
	if (t->kind != (uint32_t)kind)
		return bh_strfmt("is a%s %s plugin (kind %u), but this slot needs a%s %s",
			       t->kind == BH_PLUGIN_INSPECTOR ? "n" : "", kind_name(t->kind), t->kind,
			       kind == BH_PLUGIN_INSPECTOR ? "n" : "", kind_name(kind));
	if (!t->name || !t->name[0])
		return bh_strfmt("has no name");
	const char *missing = NULL;
	if (!t->init)
		missing = "init";
	else if (!t->start)
		missing = "start";
	else if (!t->stop)
		missing = "stop";
	else if (!t->destroy)
		missing = "destroy";
	else if (kind == BH_PLUGIN_INSPECTOR && !t->resync)
		missing = "resync";
	else if (kind == BH_PLUGIN_PUBLISHER && !t->publish)
		missing = "publish";
	else if (kind == BH_PLUGIN_PUBLISHER && !t->withdraw)
		missing = "withdraw";
	else if (kind == BH_PLUGIN_PUBLISHER && !t->pending)
		missing = "pending";
	if (missing)
		return bh_strfmt("required function '%s' is missing (NULL)", missing);
	return NULL;
}

static bool is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Returns a malloc'd path of an existing file, or NULL. */
static char *find_in_dirs(const char *name, const char *dirs)
{
	if (!dirs)
		return NULL;
	const char *p = dirs;
	while (*p) {
		size_t len = strcspn(p, ":");
		if (len > 0) {
			/* "name" and "name.so" both mean name.so. */
			size_t name_len = strlen(name);
			bool has_suffix = name_len > 3 && strcmp(name + name_len - 3, ".so") == 0;
			char *candidate = bh_strfmt("%.*s/%s%s", (int)len, p, name, has_suffix ? "" : ".so");
			if (candidate && is_regular_file(candidate))
				return candidate;
			free(candidate);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

static char *resolve(const char *name_or_path, const char *search_path, char **error)
{
	if (strchr(name_or_path, '/')) {
		if (!is_regular_file(name_or_path)) {
			*error = bh_strfmt("plugin file %s: %s", name_or_path,
					 access(name_or_path, F_OK) == 0 ? "not a regular file" : "no such file");
			return NULL;
		}
		char *copy = strdup(name_or_path);
		if (!copy)
			*error = bh_strfmt("out of memory");
		return copy;
	}
	char *found = find_in_dirs(name_or_path, search_path);
	if (!found)
		found = find_in_dirs(name_or_path, BH_PKGLIBDIR);
	if (!found)
		*error = bh_strfmt("plugin '%s': no %s.so in %s%s%s", name_or_path, name_or_path,
				 search_path ? search_path : "", search_path ? ":" : "", BH_PKGLIBDIR);
	return found;
}

int loader_load(const char *name_or_path, const char *search_path, enum bh_plugin_kind kind,
		struct loaded_plugin *out, char **error)
{
	memset(out, 0, sizeof *out);
	*error = NULL;
	char *path = resolve(name_or_path, search_path, error);
	if (!path)
		return -1;
	char *distrust = plugin_trust_check(path);
	if (distrust) {
		*error = bh_strfmt("plugin file %s: refused: %s", path, distrust);
		free(distrust);
		free(path);
		return -1;
	}
	/* RTLD_LOCAL: plugins cannot see each other's symbols, and RTLD_NOW
	 * surfaces a missing dependency here rather than mid-run. */
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *why = dlerror();
		*error = bh_strfmt("plugin file %s: cannot load: %s", path, why ? why : "unknown error");
		free(path);
		return -1;
	}
	(void)dlerror();
	const struct bh_plugin *table = dlsym(handle, BH_PLUGIN_SYMBOL);
	if (!table) {
		*error = bh_strfmt("plugin file %s: does not export the symbol '%s' "
				 "(not a beachhead-companion plugin?)",
				 path, BH_PLUGIN_SYMBOL);
		dlclose(handle);
		free(path);
		return -1;
	}
	char *reason = loader_check_table(table, kind);
	if (reason) {
		*error = bh_strfmt("plugin file %s: refused: %s", path, reason);
		free(reason);
		dlclose(handle);
		free(path);
		return -1;
	}
	/* The core reads its own full-size copy from here on: fields appended
	 * after the plugin's ABI minor read as NULL. */
	struct bh_plugin *full = malloc(sizeof *full);
	if (!full) {
		*error = bh_strfmt("plugin file %s: out of memory", path);
		dlclose(handle);
		free(path);
		return -1;
	}
	abi_plugin_table_normalize(table, full);
	out->handle = handle;
	out->path = path;
	out->own_table = full;
	out->table = full;
	return 0;
}

void loader_unload(struct loaded_plugin *plugin)
{
	/* Under the sanitizers, keep modules mapped so that leak reports can
	 * still symbolize plugin frames. */
	if (plugin->handle && !getenv("BEACHHEAD_NO_DLCLOSE"))
		dlclose(plugin->handle);
	free(plugin->path);
	free(plugin->own_table);
	memset(plugin, 0, sizeof *plugin);
}
