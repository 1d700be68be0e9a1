#include "config.h"

#include "log.h"
#include <beachhead/sdk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum bh_log_level max_level = BH_LOG_INFO;
static bool with_timestamps = true;

void log_setup(enum bh_log_level level, bool timestamps)
{
	max_level = level;
	with_timestamps = timestamps;
}

enum bh_log_level log_max_level(void)
{
	return max_level;
}

static const char *level_name(enum bh_log_level level)
{
	switch (level) {
	case BH_LOG_ERROR:
		return "error";
	case BH_LOG_WARNING:
		return "warning";
	case BH_LOG_INFO:
		return "info";
	case BH_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

void log_vmsg(enum bh_log_level level, const char *origin, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	/* Build the whole line first so that one message is one write() (for
	 * lines up to stdio's BUFSIZ): lines stay whole when stderr is shared
	 * with other processes (a pipe, journald). */
	char prefix[64] = "";
	if (with_timestamps) {
		struct timespec now;
		struct tm tm;
		if (clock_gettime(CLOCK_REALTIME, &now) == 0 && gmtime_r(&now.tv_sec, &tm)) {
			size_t n = strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(prefix + n, sizeof prefix - n, ".%03ldZ ", now.tv_nsec / 1000000L);
		}
	}
	char *body = bh_vstrfmt(fmt, ap);
	fprintf(stderr, "%s%s: %s: %s\n", prefix, origin, level_name(level),
		body ? body : "(message lost: out of memory)");
	free(body);
}

void log_msg(enum bh_log_level level, const char *origin, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, origin, fmt, ap);
	va_end(ap);
}

void log_error_lines(const char *text)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		log_error("%.*s", (int)len, line);
		line += len;
		if (*line == '\n')
			line++;
	}
}
