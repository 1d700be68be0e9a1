/*
 * The one place where the core meets structures of a plugin's own size.
 *
 * A plugin built against an older ABI minor hands the core shorter structs
 * (struct bh_plugin, struct bh_container).  Instead of checking
 * `size >= offsetof(...)` before every read of an appended field, the core
 * copies what the plugin gave into a full-size struct of its own, zero-filled
 * beyond the plugin's size, once, where the struct crosses the boundary.
 * Everything behind the boundary reads every field freely: an absent field is
 * zero (NULL, 0), which each field's documentation in plugin.h gives the
 * meaning "unknown" / "not supported".
 */
#ifndef BH_ABI_BOUNDARY_H
#define BH_ABI_BOUNDARY_H

#include <beachhead/plugin.h>

#include <stdbool.h>

/*
 * Copies a plugin's symbol table into *full.  The caller has checked that
 * table->struct_size covers ABI 1.0 (loader_check_table); a struct_size
 * larger than the core's struct is cut to the core's size.  full->struct_size
 * keeps the plugin's value, for messages.
 */
void abi_plugin_table_normalize(const struct bh_plugin *table, struct bh_plugin *full);

/*
 * Copies an inspector's container report into *full.  Returns false (and
 * leaves *full zeroed) when c->size does not even cover ABI 1.0: such a
 * report cannot be read safely.
 */
bool abi_container_normalize(const struct bh_container *c, struct bh_container *full);

#endif
