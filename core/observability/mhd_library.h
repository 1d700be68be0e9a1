/*
 * libmicrohttpd, loaded with dlopen() the first time metrics_listen asks for
 * it: a daemon without metrics maps none of it (nor GnuTLS, which it
 * brings).  The functions the HTTP endpoint calls, with their own
 * prototypes from <microhttpd.h>.
 */
#ifndef BH_MHD_LIBRARY_H
#define BH_MHD_LIBRARY_H

#include <microhttpd.h>

struct mhd_library {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
};

/* The library (loaded on the first call, then kept), or NULL with *error
 * a static text naming the file and the Debian package. */
const struct mhd_library *mhd_library_load(const char **error);
/* At exit, after every HTTP endpoint stopped. */
void mhd_library_unload(void);

#endif
