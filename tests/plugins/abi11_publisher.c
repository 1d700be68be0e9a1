/*
 * TEST-ONLY publisher built the way an ABI 1.1 plugin was: its exported table
 * ends at pending(), before ABI 1.2's sweep.  The core must load it and must
 * never read past its struct_size (ASan's global redzones catch a read of
 * the missing sweep field); with a host id the daemon simply does not sweep
 * it.  Each publish and withdraw is logged, so tests can see it works.
 */
#include "config.h"

#include <stddef.h>

#include <beachhead/plugin.h>

/* struct bh_plugin as ABI 1.1 had it: the same fields up to pending(). */
struct bh_plugin_1_1 {
	uint32_t abi_major, abi_minor, struct_size, kind;
	const char *name, *version, *description;
	int (*init)(const struct bh_init *args, void **self);
	int (*start)(void *self);
	void (*stop)(void *self);
	void (*destroy)(void *self);
	int (*resync)(void *self);
	int (*publish)(void *self, const struct bh_registration *registration);
	int (*withdraw)(void *self, const char *key, const char *container);
	size_t (*pending)(void *self);
};

_Static_assert(offsetof(struct bh_plugin_1_1, pending) == offsetof(struct bh_plugin, pending),
	       "the 1.1 layout must match the current header up to pending()");

struct abi11 {
	const struct bh_host_api *api;
	struct bh_host *host;
};
static struct abi11 the_instance;

static int abi11_init(const struct bh_init *args, void **self)
{
	the_instance.api = args->api;
	the_instance.host = args->host;
	*self = &the_instance;
	return BH_OK;
}

static int abi11_start(void *self)
{
	(void)self;
	return BH_OK;
}

static void abi11_void(void *self)
{
	(void)self;
}

static int abi11_publish(void *self, const struct bh_registration *r)
{
	struct abi11 *p = self;
	p->api->log(p->host, BH_LOG_INFO, "abi 1.1 publish %s", r->key);
	return BH_OK;
}

static int abi11_withdraw(void *self, const char *key, const char *container)
{
	struct abi11 *p = self;
	(void)container;
	p->api->log(p->host, BH_LOG_INFO, "abi 1.1 withdraw %s", key);
	return BH_OK;
}

static size_t abi11_pending(void *self)
{
	(void)self;
	return 0;
}

BH_PLUGIN_EXPORT const struct bh_plugin_1_1 beachhead_plugin = {
	.abi_major = 1,
	.abi_minor = 1,
	.struct_size = sizeof(struct bh_plugin_1_1),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-abi11",
	.version = "0",
	.description = "test-only ABI 1.1 publisher",
	.init = abi11_init,
	.start = abi11_start,
	.stop = abi11_void,
	.destroy = abi11_void,
	.publish = abi11_publish,
	.withdraw = abi11_withdraw,
	.pending = abi11_pending,
};
