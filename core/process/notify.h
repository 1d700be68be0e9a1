/*
 * systemd integration (sd_notify): READY, STATUS, WATCHDOG, RELOADING and
 * STOPPING.  Compiled to no-ops without libsystemd (--without-systemd), so
 * the daemon also runs in images that have no systemd at all.
 */
#ifndef BH_NOTIFY_H
#define BH_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
