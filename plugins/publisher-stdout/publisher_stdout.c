/*
 * publisher-stdout: writes each publish and withdrawal as one JSON object per
 * line on standard output, flushed per line.  It is what --dry-run uses and
 * what the tests use to watch the core:
 *   {"op":"set","key":"/beachhead/web","ttl":60,"value":[...]}
 *   {"op":"del","key":"/beachhead/web"}
 * One line per change: the core publishes every registration again on every
 * full pass (that refreshes a store's expiry), but a refresh that changes
 * nothing is not printed.  Settings: none besides `plugin`.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <beachhead/plugin.h>

struct stdout_publisher {
	const struct bh_host_api *api;
	struct bh_host *host;
	bool write_failed;
	struct json_object *printed; /* key -> the set line last printed for it */
};

static int stdout_init(const struct bh_init *args, void **self)
{
	config_setting_t *group = (config_setting_t *)args->config;
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		if (strcmp(config_setting_name(s), "plugin") != 0) {
			args->api->log(args->host, BH_LOG_ERROR, "%s:%u: %s: unknown setting '%s'",
				       config_setting_source_file(s) ? config_setting_source_file(s)
								     : args->config_file,
				       config_setting_source_line(s), args->instance,
				       config_setting_name(s));
			return BH_ERR;
		}
	}
	struct stdout_publisher *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	p->api = args->api;
	p->host = args->host;
	if (!(p->printed = json_object_new_object())) {
		free(p);
		return BH_ERR;
	}
	*self = p;
	return BH_OK;
}

static int stdout_start(void *self)
{
	(void)self;
	return BH_OK;
}

static void stdout_stop(void *self)
{
	(void)self;
}

static void stdout_destroy(void *self)
{
	struct stdout_publisher *p = self;
	json_object_put(p->printed);
	free(p);
}

/* JSON string literal for text, or NULL. Caller frees. */
static char *quote(const char *text)
{
	struct json_object *str = json_object_new_string(text);
	if (!str)
		return NULL;
	const char *q = json_object_to_json_string_ext(
		str, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = q ? strdup(q) : NULL;
	json_object_put(str);
	return copy;
}

static int emit_line(struct stdout_publisher *p, const char *line)
{
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF) {
		if (!p->write_failed)
			p->api->report_error(p->host, NULL, "cannot write to stdout: %s",
					     strerror(errno));
		p->write_failed = true;
		return BH_ERR;
	}
	p->write_failed = false;
	return BH_OK;
}

static int stdout_publish(void *self, const struct bh_registration *reg)
{
	struct stdout_publisher *p = self;
	char *key = quote(reg->key);
	char *line = NULL;
	/* The value is the core's JSON: embedded as is, not re-encoded. */
	int rc = key ? asprintf(&line, "{\"op\":\"set\",\"key\":%s,\"ttl\":%u,\"value\":%s}\n", key,
				reg->ttl, reg->value)
		     : -1;
	if (rc < 0) {
		free(key);
		return BH_ERR;
	}
	struct json_object *last = NULL;
	if (json_object_object_get_ex(p->printed, reg->key, &last) &&
	    strcmp(json_object_get_string(last), line) == 0) {
		free(key);
		free(line);
		return BH_OK; /* a refresh, not a change */
	}
	rc = emit_line(p, line);
	/* Remembered only once printed: a failed write is retried next time. */
	struct json_object *copy = rc == BH_OK ? json_object_new_string(line) : NULL;
	if (copy && json_object_object_add(p->printed, reg->key, copy) != 0)
		json_object_put(copy);
	free(key);
	free(line);
	return rc;
}

static int stdout_withdraw(void *self, const char *key, const char *container)
{
	struct stdout_publisher *p = self;
	(void)container;
	char *quoted = quote(key);
	char *line = NULL;
	json_object_object_del(p->printed, key);
	int rc = quoted ? asprintf(&line, "{\"op\":\"del\",\"key\":%s}\n", quoted) : -1;
	free(quoted);
	if (rc < 0)
		return BH_ERR;
	rc = emit_line(p, line);
	free(line);
	return rc;
}

static size_t stdout_pending(void *self)
{
	(void)self;
	return 0; /* every line is flushed before publish() returns */
}

BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-stdout",
	.version = PACKAGE_VERSION,
	.description = "JSON lines on stdout (dry runs, tests)",
	.init = stdout_init,
	.start = stdout_start,
	.stop = stdout_stop,
	.destroy = stdout_destroy,
	.publish = stdout_publish,
	.withdraw = stdout_withdraw,
	.pending = stdout_pending,
};
