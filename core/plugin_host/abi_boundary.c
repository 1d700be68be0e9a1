#include "config.h"

#include "abi_boundary.h"

#include <string.h>

/* Copies min(given, full_size) bytes and zero-fills the rest. */
static void copy_zero_filled(const void *given, size_t given_size, void *full, size_t full_size)
{
	size_t n = given_size < full_size ? given_size : full_size;
	memset(full, 0, full_size);
	memcpy(full, given, n);
}

void abi_plugin_table_normalize(const struct bh_plugin *table, struct bh_plugin *full)
{
	copy_zero_filled(table, table->struct_size, full, sizeof *full);
}

bool abi_container_normalize(const struct bh_container *c, struct bh_container *full)
{
	if (c->size < BH_CONTAINER_SIZE_1_0) {
		memset(full, 0, sizeof *full);
		return false;
	}
	copy_zero_filled(c, c->size, full, sizeof *full);
	return true;
}
