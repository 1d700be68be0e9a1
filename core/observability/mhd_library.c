#include "config.h"

#include "mhd_library.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

static void *handle;
static struct mhd_library library;

/* dlsym's void * into a function pointer: POSIX guarantees it works; the
 * memcpy keeps -Wpedantic quiet. */
static int resolve(void *fn_ptr, size_t size, const char *name)
{
	void *symbol = dlsym(handle, name);
	if (!symbol)
		return -1;
	memcpy(fn_ptr, &symbol, size);
	return 0;
}

#define RESOLVE(field, name) resolve(&library.field, sizeof library.field, name)

const struct mhd_library *mhd_library_load(const char **error)
{
	if (handle)
		return &library;
	if (!(handle = dlopen(BH_MHD_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		*error = "cannot load " BH_MHD_SONAME " (install the Debian package libmicrohttpd12)";
		return NULL;
	}
	if (RESOLVE(start_daemon, "MHD_start_daemon") < 0 ||
	    RESOLVE(stop_daemon, "MHD_stop_daemon") < 0 ||
	    RESOLVE(get_daemon_info, "MHD_get_daemon_info") < 0 ||
	    RESOLVE(get_timeout, "MHD_get_timeout") < 0 || RESOLVE(run, "MHD_run") < 0 ||
	    RESOLVE(create_response_from_buffer, "MHD_create_response_from_buffer") < 0 ||
	    RESOLVE(add_response_header, "MHD_add_response_header") < 0 ||
	    RESOLVE(queue_response, "MHD_queue_response") < 0 ||
	    RESOLVE(destroy_response, "MHD_destroy_response") < 0) {
		*error = BH_MHD_SONAME " lacks a function the daemon calls (too old?)";
		mhd_library_unload();
		return NULL;
	}
	return &library;
}

void mhd_library_unload(void)
{
	if (handle)
		dlclose(handle);
	handle = NULL;
	memset(&library, 0, sizeof library);
}
