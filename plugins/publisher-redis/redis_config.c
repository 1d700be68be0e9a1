/*
 * Reads the publisher-redis group.  Every unknown or malformed key is an
 * error that names file and line, so that typos never silently fall back to
 * defaults.  The password is never echoed in any message.
 */
#include "config.h"

#include "redis_config.h"

#include <beachhead/sdk.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_HOST "localhost"
#define DEFAULT_PORT 6379
#define DEFAULT_CONNECT_TIMEOUT_MS 2000u
/* Shorter than the core's 5 s drain limit, so a hung server is dropped (and
 * pending() drains) before the core gives up on us at exit. */
#define DEFAULT_COMMAND_TIMEOUT_MS 3000u
/* A password file is a secret, not a document: refuse anything bigger. */
#define MAX_PASSWORD_FILE 4096

struct parse_ctx {
	const struct bh_init *args;
	struct redis_config *cfg;
	struct bh_config report; /* the SDK's file:line error reporter */
};

static const char *source_file(const struct parse_ctx *ctx, const config_setting_t *s)
{
	return bh_config_file(&ctx->report, s);
}

/* Reports a bad setting through the SDK (file:line: instance: message) and
 * evaluates to BH_ERR, so that callers can `return BAD(...)`. */
#define BAD(ctx, s, fmt, ...) (bh_config_error(&(ctx)->report, (s), fmt, __VA_ARGS__), BH_ERR)

static int get_string(struct parse_ctx *ctx, const config_setting_t *s, char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return BAD(ctx, s, "'%s' must be a string", config_setting_name(s));
	const char *value = config_setting_get_string(s);
	if (value[0] == '\0')
		return BAD(ctx, s, "'%s' must not be empty", config_setting_name(s));
	char *copy = strdup(value);
	if (!copy)
		return BAD(ctx, s, "'%s': out of memory", config_setting_name(s));
	free(*out);
	*out = copy;
	return BH_OK;
}

static int get_int(struct parse_ctx *ctx, const config_setting_t *s, long long min, long long max,
		   long long *out)
{
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return BAD(ctx, s, "'%s' must be an integer", config_setting_name(s));
	long long value = config_setting_get_int64(s);
	if (value < min || value > max)
		return BAD(ctx, s, "'%s' must be between %lld and %lld, not %lld",
			   config_setting_name(s), min, max, value);
	*out = value;
	return BH_OK;
}

/* Reads the whole file; strips one trailing "\n" or "\r\n" (editors add it,
 * nobody means it as part of the password). */
static int read_password_file(struct parse_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])
		return BAD(ctx, s, "'%s' must be a non-empty path", config_setting_name(s));
	const char *path = config_setting_get_string(s);
	FILE *f = fopen(path, "re");
	if (!f)
		return BAD(ctx, s, "password_file %s: %s", path, strerror(errno));
	/* As ssh does for keys: a secret every local user can read is worth a
	 * loud warning (not a refusal: the operator may have reasons). */
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		ctx->args->api->log(ctx->args->host, BH_LOG_WARNING,
				    "%s:%u: %s: password_file %s is readable by every user (mode %04o); "
				    "chmod o-r it",
				    source_file(ctx, s), config_setting_source_line(s), ctx->args->instance,
				    path, (unsigned)(st.st_mode & 07777));
	char *buf = malloc(MAX_PASSWORD_FILE + 1);
	if (!buf) {
		fclose(f);
		return BAD(ctx, s, "password_file %s: out of memory", path);
	}
	size_t len = fread(buf, 1, MAX_PASSWORD_FILE + 1, f);
	int failed = ferror(f);
	fclose(f);
	if (failed || len > MAX_PASSWORD_FILE) {
		free(buf);
		return failed ? BAD(ctx, s, "password_file %s: read error", path)
			      : BAD(ctx, s, "password_file %s: larger than %d bytes", path,
				    MAX_PASSWORD_FILE);
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len)) {
		free(buf);
		return BAD(ctx, s, "password_file %s: %s", path,
			   len == 0 ? "is empty" : "contains a NUL byte");
	}
	free(ctx->cfg->password);
	ctx->cfg->password = buf;
	return BH_OK;
}

/* "host:port" or "[v6-address]:port"; returns BH_OK with *host (allocated)
 * and *port, or BH_ERR. */
int redis_config_split_address(const char *text, char **host, int *port)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text || !colon[1])
		return BH_ERR;
	const char *start = text, *end = colon;
	if (text[0] == '[') {
		if (colon[-1] != ']' || colon - text < 3)
			return BH_ERR;
		start = text + 1;
		end = colon - 1;
	} else if (memchr(text, ':', (size_t)(colon - text))) {
		return BH_ERR; /* a bare IPv6 address needs brackets */
	}
	char *stop = NULL;
	errno = 0;
	long value = strtol(colon + 1, &stop, 10);
	if (errno || *stop || value < 1 || value > 65535)
		return BH_ERR;
	*host = strndup(start, (size_t)(end - start));
	if (!*host)
		return BH_ERR;
	*port = (int)value;
	return BH_OK;
}

static int get_sentinels(struct parse_ctx *ctx, const config_setting_t *s)
{
	struct redis_config *cfg = ctx->cfg;
	int type = config_setting_type(s);
	if ((type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) || config_setting_length(s) == 0)
		return BAD(ctx, s, "'%s' must be a non-empty list of \"host:port\" strings",
			   config_setting_name(s));
	size_t n = (size_t)config_setting_length(s);
	char **list = calloc(n + 1, sizeof *list);
	if (!list)
		return BAD(ctx, s, "'%s': out of memory", config_setting_name(s));
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *text = config_setting_type(e) == CONFIG_TYPE_STRING
					   ? config_setting_get_string(e)
					   : NULL;
		char *host = NULL;
		int port;
		if (!text || redis_config_split_address(text, &host, &port) != BH_OK) {
			for (size_t j = 0; j < i; j++)
				free(list[j]);
			free(list);
			return BAD(ctx, e, "sentinels[%zu] must be \"host:port\" (\"[v6]:port\" for "
					   "IPv6), port 1-65535",
				   i);
		}
		free(host);
		list[i] = strdup(text);
		if (!list[i]) {
			for (size_t j = 0; j < i; j++)
				free(list[j]);
			free(list);
			return BAD(ctx, e, "%s", "out of memory");
		}
	}
	cfg->sentinels = list;
	cfg->n_sentinels = n;
	return BH_OK;
}

static int read_one(struct parse_ctx *ctx, const config_setting_t *s, const config_setting_t **pw,
		    const config_setting_t **pw_file)
{
	struct redis_config *cfg = ctx->cfg;
	const char *name = config_setting_name(s);
	long long n;
	if (strcmp(name, "plugin") == 0)
		return BH_OK;
	if (strcmp(name, "host") == 0)
		return get_string(ctx, s, &cfg->host);
	if (strcmp(name, "socket") == 0)
		return get_string(ctx, s, &cfg->socket);
	if (strcmp(name, "user") == 0)
		return get_string(ctx, s, &cfg->user);
	if (strcmp(name, "notify_channel") == 0)
		return get_string(ctx, s, &cfg->notify_channel);
	if (strcmp(name, "master_name") == 0)
		return get_string(ctx, s, &cfg->master_name);
	if (strcmp(name, "sentinel_user") == 0)
		return get_string(ctx, s, &cfg->sentinel_user);
	if (strcmp(name, "sentinel_password") == 0) {
		if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])
			return BAD(ctx, s, "'%s' must be a non-empty string", name);
		return get_string(ctx, s, &cfg->sentinel_password);
	}
	if (strcmp(name, "sentinels") == 0)
		return get_sentinels(ctx, s);
	if (strcmp(name, "password") == 0) {
		/* Never print the value, not even in a type error. */
		if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0])
			return BAD(ctx, s, "'%s' must be a non-empty string", name);
		*pw = s;
		return BH_OK;
	}
	if (strcmp(name, "password_file") == 0) {
		*pw_file = s;
		return BH_OK;
	}
	if (strcmp(name, "port") == 0) {
		if (get_int(ctx, s, 1, 65535, &n) != BH_OK)
			return BH_ERR;
		cfg->port = (int)n;
		return BH_OK;
	}
	if (strcmp(name, "database") == 0) {
		if (get_int(ctx, s, 0, INT_MAX, &n) != BH_OK)
			return BH_ERR;
		cfg->database = (int)n;
		return BH_OK;
	}
	if (strcmp(name, "connect_timeout_ms") == 0 || strcmp(name, "command_timeout_ms") == 0) {
		if (get_int(ctx, s, 1, 3600 * 1000, &n) != BH_OK)
			return BH_ERR;
		if (strcmp(name, "connect_timeout_ms") == 0)
			cfg->connect_timeout_ms = (unsigned)n;
		else
			cfg->command_timeout_ms = (unsigned)n;
		return BH_OK;
	}
	return BAD(ctx, s, "unknown setting '%s' (publisher-redis knows host, port, socket, "
			   "user, password, password_file, database, connect_timeout_ms, "
			   "command_timeout_ms, notify_channel, sentinels, master_name, "
			   "sentinel_user, sentinel_password)",
		   name);
}

static int check_sentinel_settings(struct parse_ctx *ctx)
{
	struct redis_config *cfg = ctx->cfg;
	const config_setting_t *group = ctx->args->config;
	const config_setting_t *sentinels = config_setting_get_member(group, "sentinels");
	const config_setting_t *master = config_setting_get_member(group, "master_name");
	const config_setting_t *s_user = config_setting_get_member(group, "sentinel_user");
	if (sentinels && !master)
		return BAD(ctx, sentinels, "%s", "'sentinels' needs 'master_name'");
	if (!sentinels) {
		/* Sentinel-only settings without sentinels are a mistake, not
		 * something to ignore. */
		const char *names[] = {"master_name", "sentinel_user", "sentinel_password"};
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			const config_setting_t *s = config_setting_get_member(group, names[i]);
			if (s)
				return BAD(ctx, s, "'%s' needs 'sentinels'", names[i]);
		}
		return BH_OK;
	}
	if (cfg->sentinel_user && !cfg->sentinel_password)
		return BAD(ctx, s_user, "%s", "'sentinel_user' needs 'sentinel_password'");
	const char *unused[] = {"host", "port", "socket"};
	for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++) {
		const config_setting_t *s = config_setting_get_member(group, unused[i]);
		if (s)
			BH_WARNING(ctx->args, "%s:%u: %s: '%s' is ignored: with 'sentinels' the "
				   "sentinels name the master",
				   source_file(ctx, s), config_setting_source_line(s),
				   ctx->args->instance, unused[i]);
	}
	return BH_OK;
}

static int parse(struct parse_ctx *ctx)
{
	struct redis_config *cfg = ctx->cfg;
	const config_setting_t *group = ctx->args->config;
	const config_setting_t *pw = NULL, *pw_file = NULL;
	bool failed = false; /* every bad setting is reported, not just the first */
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		if (read_one(ctx, s, &pw, &pw_file) != BH_OK)
			failed = true;
	}
	if (pw && pw_file)
		return BAD(ctx, pw_file, "%s", "give either 'password' or 'password_file', not both");
	if (pw && !(cfg->password = strdup(config_setting_get_string(pw))))
		return BAD(ctx, pw, "%s", "out of memory");
	if (pw_file && read_password_file(ctx, pw_file) != BH_OK)
		return BH_ERR;
	if (failed)
		return BH_ERR;
	if (cfg->user && !cfg->password) {
		const config_setting_t *user = config_setting_get_member(group, "user");
		return BAD(ctx, user, "%s", "'user' needs 'password' or 'password_file'");
	}
	if (check_sentinel_settings(ctx) != BH_OK)
		return BH_ERR;
	const config_setting_t *tcp = config_setting_get_member(group, "host");
	if (!tcp)
		tcp = config_setting_get_member(group, "port");
	if (cfg->sentinels) {
		cfg->server = bh_strfmt("master %s", cfg->master_name);
		return cfg->server ? BH_OK : BH_ERR;
	}
	if (cfg->socket && tcp)
		/* Also what --redis-host/--redis-port run into: say which wins. */
		BH_WARNING(ctx->args,
			   "%s:%u: %s: '%s' is ignored: 'socket' wins over host and port",
			   source_file(ctx, tcp), config_setting_source_line(tcp),
			   ctx->args->instance, config_setting_name(tcp));
	if (!cfg->host && !(cfg->host = strdup(DEFAULT_HOST)))
		return BH_ERR;
	cfg->server = cfg->socket ? bh_strfmt("unix:%s", cfg->socket)
				  : bh_strfmt("%s:%d", cfg->host, cfg->port);
	return cfg->server ? BH_OK : BH_ERR;
}

int redis_config_parse(const struct bh_init *args, struct redis_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->port = DEFAULT_PORT;
	cfg->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->command_timeout_ms = DEFAULT_COMMAND_TIMEOUT_MS;
	struct parse_ctx ctx = {args, cfg, bh_config_begin(args)};
	if (parse(&ctx) != BH_OK) {
		redis_config_free(cfg);
		return BH_ERR;
	}
	return BH_OK;
}

void redis_config_free(struct redis_config *cfg)
{
	free(cfg->host);
	free(cfg->socket);
	free(cfg->user);
	if (cfg->password) {
		/* Do not leave the secret lying around in freed heap. */
		explicit_bzero(cfg->password, strlen(cfg->password));
		free(cfg->password);
	}
	free(cfg->notify_channel);
	free(cfg->server);
	for (size_t i = 0; i < cfg->n_sentinels; i++)
		free(cfg->sentinels[i]);
	free(cfg->sentinels);
	free(cfg->master_name);
	free(cfg->sentinel_user);
	if (cfg->sentinel_password) {
		explicit_bzero(cfg->sentinel_password, strlen(cfg->sentinel_password));
		free(cfg->sentinel_password);
	}
	memset(cfg, 0, sizeof *cfg);
}
