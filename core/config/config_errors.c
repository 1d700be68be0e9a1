/*
 * The SDK's configuration helpers report through host->log as
 * "FILE:LINE: INSTANCE: message"; the core's own settings have no instance,
 * so it passes a marker as the instance and takes it out again.
 */
#include "config.h"

#include "config_errors.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Never part of a file name or a message. */
#define NO_INSTANCE "\x1f"

void config_errors_add(struct config_errors *errors, char *line)
{
	if (!line)
		return;
	if (!*errors->text) {
		*errors->text = line;
		return;
	}
	char *joined = bh_strfmt("%s\n%s", *errors->text, line);
	free(line);
	if (joined) {
		free(*errors->text);
		*errors->text = joined;
	}
}

static void collect(struct bh_host *host, enum bh_log_level level, const char *fmt, ...)
{
	(void)level;
	struct config_errors *errors = (struct config_errors *)(void *)host;
	va_list ap;
	va_start(ap, fmt);
	char *line = bh_vstrfmt(fmt, ap);
	va_end(ap);
	char *marker = line ? strstr(line, ": " NO_INSTANCE ":") : NULL;
	if (marker)
		memmove(marker, marker + 3, strlen(marker + 3) + 1); /* "F:L: \x1f: m" -> "F:L: m" */
	config_errors_add(errors, line);
}

void config_errors_begin(struct config_errors *errors, const char *config_file, char **text)
{
	memset(errors, 0, sizeof *errors);
	errors->api.abi_major = BH_ABI_MAJOR;
	errors->api.abi_minor = BH_ABI_MINOR;
	errors->api.size = sizeof errors->api;
	errors->api.log = collect;
	errors->init.size = sizeof errors->init;
	errors->init.api = &errors->api;
	errors->init.host = (struct bh_host *)(void *)errors;
	errors->init.config_file = config_file;
	errors->init.instance = NO_INSTANCE;
	errors->cfg = bh_config_begin(&errors->init);
	errors->text = text;
}
