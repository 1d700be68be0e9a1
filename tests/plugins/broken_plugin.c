/*
 * TEST-ONLY deliberately broken plugins: one source, one defect per build,
 * selected by -DBROKEN_<defect>.  The loader must refuse each with a message
 * naming the file and the problem.
 */
#include "config.h"

#include <beachhead/plugin.h>

#if !defined(BROKEN_NO_INIT)
static int noop_init(const struct bh_init *args, void **self)
{
	(void)args;
	*self = NULL;
	return BH_OK;
}
#endif

static int noop_start(void *self)
{
	(void)self;
	return BH_OK;
}

static void noop_void(void *self)
{
	(void)self;
}

static int noop_resync(void *self)
{
	(void)self;
	return BH_OK;
}

#if defined(BROKEN_ABI_MAJOR)
#define TABLE_MAJOR (BH_ABI_MAJOR + 1)
#else
#define TABLE_MAJOR BH_ABI_MAJOR
#endif

#if defined(BROKEN_ABI_MINOR)
#define TABLE_MINOR (BH_ABI_MINOR + 1)
#else
#define TABLE_MINOR BH_ABI_MINOR
#endif

#if defined(BROKEN_STRUCT_SIZE)
#define TABLE_SIZE 16u
#else
#define TABLE_SIZE sizeof(struct bh_plugin)
#endif

#if defined(BROKEN_NO_SYMBOL)
#define TABLE_SYMBOL not_the_plugin_table
#else
#define TABLE_SYMBOL beachhead_plugin
#endif

BH_PLUGIN_EXPORT const struct bh_plugin TABLE_SYMBOL = {
	.abi_major = TABLE_MAJOR,
	.abi_minor = TABLE_MINOR,
	.struct_size = TABLE_SIZE,
	.kind = BH_PLUGIN_INSPECTOR,
	.name = "broken",
	.version = "0",
	.description = "test-only broken plugin",
#if defined(BROKEN_NO_INIT)
	.init = NULL,
#else
	.init = noop_init,
#endif
	.start = noop_start,
	.stop = noop_void,
	.destroy = noop_void,
	.resync = noop_resync,
};
