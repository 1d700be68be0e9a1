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

static void on_status_timer(void *arg)
{
	struct notify_schedule *schedule = arg;
	char *text = schedule->status_text(schedule->arg);
	if (text)
		notify_status(text);
	free(text);
}

/* The ping comes from the loop itself: a stuck loop stops pinging and
 * systemd kills it, which a helper thread would hide. */
static void on_watchdog_timer(void *arg)
{
	struct notify_schedule *schedule = arg;
	notify_watchdog();
	if (loop_timer_arm(schedule->watchdog_timer, schedule->watchdog_interval_ms) < 0)
		log_error("cannot re-arm the watchdog timer");
}

int notify_schedule_init(struct notify_schedule *schedule, struct loop *loop,
			 char *(*status_text)(void *arg), void *arg)
{
	*schedule = (struct notify_schedule){.status_text = status_text, .arg = arg};
	schedule->status_timer = loop_timer_new(loop, on_status_timer, schedule);
	schedule->watchdog_timer = loop_timer_new(loop, on_watchdog_timer, schedule);
	return schedule->status_timer && schedule->watchdog_timer ? 0 : -1;
}

void notify_schedule_start(struct notify_schedule *schedule, int mode)
{
	if (!notify_setup(mode))
		return;
	uint64_t usec = notify_watchdog_usec();
	if (usec > 0) {
		schedule->watchdog_interval_ms = usec / 2000u ? usec / 2000u : 1u;
		log_debug("systemd watchdog: pinging every %llu ms",
			  (unsigned long long)schedule->watchdog_interval_ms);
		on_watchdog_timer(schedule);
	}
}

void notify_status_changed(struct notify_schedule *schedule)
{
	if (notify_enabled() && schedule->status_timer && !loop_timer_armed(schedule->status_timer))
		(void)loop_timer_arm(schedule->status_timer, NOTIFY_STATUS_DELAY_MS);
}
