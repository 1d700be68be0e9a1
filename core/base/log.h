/* Leveled logging to stderr: one line per message, optional timestamp. */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <beachhead/plugin.h>

void log_setup(enum bh_log_level max_level, bool timestamps);
enum bh_log_level log_max_level(void);

/* origin names the part of the daemon speaking ("core", a plugin name). */
void log_msg(enum bh_log_level level, const char *origin, const char *fmt, ...) BH_PRINTF(3, 4);
void log_vmsg(enum bh_log_level level, const char *origin, const char *fmt, va_list ap)
	BH_PRINTF(3, 0);

/* One error line per line of text (settings_load's list of errors). */
void log_error_lines(const char *text);

#define log_error(...) log_msg(BH_LOG_ERROR, "core", __VA_ARGS__)
#define log_warning(...) log_msg(BH_LOG_WARNING, "core", __VA_ARGS__)
#define log_info(...) log_msg(BH_LOG_INFO, "core", __VA_ARGS__)
#define log_debug(...) log_msg(BH_LOG_DEBUG, "core", __VA_ARGS__)

#endif
