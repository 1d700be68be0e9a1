#include "config.h"

#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"

#include <beachhead/sdk.h>

static bool enabled;

#ifdef HAVE_SYSTEMD
static void send_state(const char *state)
{
	if (!enabled)
		return;
	/* unset_environment = 0: every later notification (STATUS, WATCHDOG,
	 * RELOADING, STOPPING) needs NOTIFY_SOCKET again. */
	int rc = sd_notify(0, state);
	if (rc < 0)
		log_debug("sd_notify(%s): %s", state, strerror(-rc));
}

bool notify_setup(int mode)
{
	bool have_socket = getenv("NOTIFY_SOCKET") != NULL;
	enabled = mode == 1 || (mode < 0 && have_socket);
	if (mode == 1 && !have_socket)
		log_info("--systemd: NOTIFY_SOCKET is not set (not started by systemd?); "
			 "notifications go nowhere");
	return enabled;
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;
	if (enabled && sd_watchdog_enabled(0, &usec) > 0)
		return usec;
	return 0;
}

void notify_ready(void)
{
	send_state("READY=1");
}

void notify_reloading(void)
{
	/* Newer systemd (Type=notify-reload) also wants MONOTONIC_USEC. */
	struct timespec ts;
	char msg[64];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u);
	send_state(msg);
}

void notify_stopping(void)
{
	send_state("STOPPING=1");
}

void notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}

void notify_status(const char *text)
{
	if (!enabled)
		return;
	char *msg = bh_strfmt("STATUS=%s", text);
	if (!msg)
		return;
	/* STATUS is one line: a newline would start another assignment. */
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	send_state(msg);
	free(msg);
}

#else /* !HAVE_SYSTEMD */

bool notify_setup(int mode)
{
	if (mode == 1)
		log_warning("--systemd: this build has no systemd support (--without-systemd)");
	enabled = false;
	return false;
}

uint64_t notify_watchdog_usec(void)
{
	return 0;
}

void notify_ready(void)
{
}

void notify_reloading(void)
{
}

void notify_stopping(void)
{
}

void notify_watchdog(void)
{
}

void notify_status(const char *text)
{
	(void)text;
}

#endif

bool notify_enabled(void)
{
	return enabled;
}
