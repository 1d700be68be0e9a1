/*
 * systemd integration (sd_notify): READY, STATUS, WATCHDOG, RELOADING and
 * STOPPING.  Compiled to no-ops without libsystemd (--without-systemd), so
 * the daemon also runs in images that have no systemd at all.
 */
#ifndef BH_NOTIFY_H
#define BH_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

/* mode: 1 = --systemd / systemd = true, 0 = systemd = false, -1 = automatic
 * (on when NOTIFY_SOCKET is set). Returns whether notifications are on. */
bool notify_setup(int mode);
bool notify_enabled(void);

/* Watchdog interval the service manager expects pings at (0 = none). */
uint64_t notify_watchdog_usec(void);

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);
void notify_status(const char *text);

/* The STATUS= line and the watchdog, on the loop. */
struct notify_schedule {
	struct bh_timer *status_timer;
	struct bh_timer *watchdog_timer;
	uint64_t watchdog_interval_ms;
	char *(*status_text)(void *arg); /* malloc'd; NULL: out of memory */
	void *arg;
};

/* 0, or -1 when the loop has no timers for it. */
int notify_schedule_init(struct notify_schedule *schedule, struct loop *loop,
			 char *(*status_text)(void *arg), void *arg);
/* notify_setup(mode), then the watchdog pings when the manager wants them. */
void notify_schedule_start(struct notify_schedule *schedule, int mode);
/* Something the status line shows changed: STATUS= is sent within
 * NOTIFY_STATUS_DELAY_MS (at most that often). */
void notify_status_changed(struct notify_schedule *schedule);

#define NOTIFY_STATUS_DELAY_MS 1000u

#endif
