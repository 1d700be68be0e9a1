/*
 * Reads the publisher-redis group.  Every unknown or malformed key is an
 * error that names file and line, so that typos never silently fall back to
 * defaults; all of them, and every setting that lacks its companion, are
 * reported in one run.  The password is never echoed in any message.  The
 * settings in effect are listed for --check-config --verbose.
 */
#include "config.h"

#include "redis_config.h"

#include <beachhead/sdk.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
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
/* An hour: a longer timeout is a mistake, not a choice. */
#define MAX_TIMEOUT_MS (3600u * 1000u)

struct parse_ctx {
	const struct bh_init *args;
	struct redis_config *cfg;
	struct bh_config report; /* the SDK's file:line error reporter */
	char *password_file;     /* its path; the file is read after every setting */
};

/* Reports a bad setting through the SDK (file:line: instance: message) and
 * evaluates to BH_ERR, so that callers can `return BAD(...)`. */
#define BAD(ctx, s, fmt, ...) (bh_config_error(&(ctx)->report, (s), fmt, __VA_ARGS__), BH_ERR)

/* Reads the whole file; strips one trailing "\n" or "\r\n" (editors add it,
 * nobody means it as part of the password).  NULL with *problem (allocated)
 * when it cannot be used; *mode is the file's (0: unknown). */
static char *read_secret(const char *path, char **problem, unsigned *mode)
{
	*problem = NULL;
	*mode = 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		*problem = bh_strfmt("password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	/* As ssh does for keys: a secret every local user can read is worth a
	 * loud warning (not a refusal: the operator may have reasons). */
	struct stat st;
	if (fstat(fileno(f), &st) == 0)
		*mode = (unsigned)(st.st_mode & 07777);
	char *buf = malloc(MAX_PASSWORD_FILE + 1);
	size_t len = buf ? fread(buf, 1, MAX_PASSWORD_FILE + 1, f) : 0;
	int failed = ferror(f);
	fclose(f);
	if (len > 0 && len <= MAX_PASSWORD_FILE && buf[len - 1] == '\n')
		len--;
	if (len > 0 && len <= MAX_PASSWORD_FILE && buf[len - 1] == '\r')
		len--;
	if (!buf)
		*problem = bh_strfmt("out of memory");
	else if (failed)
		*problem = bh_strfmt("password_file %s: read error", path);
	else if (len > MAX_PASSWORD_FILE)
		*problem = bh_strfmt("password_file %s: larger than %d bytes", path, MAX_PASSWORD_FILE);
	else if (len == 0 || memchr(buf, '\0', len))
		*problem = bh_strfmt("password_file %s: %s", path,
				     len == 0 ? "is empty" : "contains a NUL byte");
	if (*problem || !buf) {
		if (buf)
			explicit_bzero(buf, MAX_PASSWORD_FILE + 1);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

void redis_free_secret(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static int read_password_file(struct parse_ctx *ctx, const config_setting_t *s)
{
	const char *path = ctx->password_file;
	char *problem = NULL;
	unsigned mode = 0;
	char *secret = read_secret(path, &problem, &mode);
	if (mode & S_IROTH)
		bh_config_warning(&ctx->report, s,
				  "password_file %s is readable by every user (mode %04o); chmod o-r it",
				  path, mode);
	if (!secret) {
		int rc = BAD(ctx, s, "%s", problem ? problem : "out of memory");
		free(problem);
		return rc;
	}
	redis_free_secret(ctx->cfg->password);
	ctx->cfg->password = secret;
	free(ctx->cfg->password_file);
	ctx->cfg->password_file = strdup(path);
	return ctx->cfg->password_file ? BH_OK : BAD(ctx, s, "%s", "out of memory");
}

int redis_config_reread_password(struct redis_config *cfg, char **problem)
{
	*problem = NULL;
	if (!cfg->password_file)
		return 0;
	unsigned mode;
	char *secret = read_secret(cfg->password_file, problem, &mode);
	if (!secret)
		return -1;
	if (cfg->password && strcmp(secret, cfg->password) == 0) {
		redis_free_secret(secret);
		return 0;
	}
	redis_free_secret(cfg->password);
	cfg->password = secret;
	return 1;
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
		return BAD(ctx, s, "%s", "out of memory");
	int rc = BH_OK;
	for (size_t i = 0; rc == BH_OK && i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *text = config_setting_type(e) == CONFIG_TYPE_STRING
					   ? config_setting_get_string(e)
					   : NULL;
		char *host = NULL;
		int port;
		if (!text || redis_config_split_address(text, &host, &port) != BH_OK)
			rc = BAD(ctx, e, "sentinels[%zu] must be \"host:port\" (\"[v6]:port\" for "
					 "IPv6), port 1-65535",
				 i);
		else if (!(list[i] = strdup(text)))
			rc = BAD(ctx, e, "%s", "out of memory");
		free(host);
	}
	if (rc != BH_OK) {
		for (size_t i = 0; i < n; i++) /* NULL after the first missing one */
			free(list[i]);
		free(list);
		return rc;
	}
	cfg->sentinels = list;
	cfg->n_sentinels = n;
	return BH_OK;
}

/* The string settings; none of them means anything when empty.  The
 * password's messages name its type, never its value. */
static const struct {
	const char *name;
	size_t offset; /* of the char * in struct redis_config */
} string_settings[] = {
	{"host", offsetof(struct redis_config, host)},
	{"socket", offsetof(struct redis_config, socket)},
	{"user", offsetof(struct redis_config, user)},
	{"password", offsetof(struct redis_config, password)},
	{"notify_channel", offsetof(struct redis_config, notify_channel)},
	{"master_name", offsetof(struct redis_config, master_name)},
	{"sentinel_user", offsetof(struct redis_config, sentinel_user)},
	{"sentinel_password", offsetof(struct redis_config, sentinel_password)},
};

/* The settings are read in any order; what one says about another
 * (password vs password_file, user, sentinels) is checked afterwards. */
static void read_one(struct parse_ctx *ctx, const config_setting_t *s)
{
	struct redis_config *cfg = ctx->cfg;
	struct bh_config *r = &ctx->report;
	unsigned long long n;
	for (size_t i = 0; i < sizeof string_settings / sizeof string_settings[0]; i++)
		if (bh_config_is(s, string_settings[i].name)) {
			char **field = (char **)((char *)cfg + string_settings[i].offset);
			(void)bh_config_nonempty_string(r, s, field);
			return;
		}
	if (bh_config_is(s, "plugin"))
		return;
	if (bh_config_is(s, "sentinels"))
		(void)get_sentinels(ctx, s);
	else if (bh_config_is(s, "password_file"))
		(void)bh_config_nonempty_string(r, s, &ctx->password_file);
	else if (bh_config_is(s, "port")) {
		if (bh_config_uint(r, s, 1, 65535, &n) == 0)
			cfg->port = (int)n;
	} else if (bh_config_is(s, "database")) {
		if (bh_config_uint(r, s, 0, INT_MAX, &n) == 0)
			cfg->database = (int)n;
	} else if (bh_config_is(s, "connect_timeout_ms")) {
		if (bh_config_uint(r, s, 1, MAX_TIMEOUT_MS, &n) == 0)
			cfg->connect_timeout_ms = (unsigned)n;
	} else if (bh_config_is(s, "command_timeout_ms")) {
		if (bh_config_uint(r, s, 1, MAX_TIMEOUT_MS, &n) == 0)
			cfg->command_timeout_ms = (unsigned)n;
	} else
		bh_config_unknown_among(r, s, "host, port, socket, user, password, password_file, "
					      "database, connect_timeout_ms, command_timeout_ms, "
					      "notify_channel, sentinels, master_name, sentinel_user, "
					      "sentinel_password");
}

/* Which settings need which; each mistake reported, none stops the others.
 * Judged by which settings are present, so that a setting already reported
 * as malformed does not also count as missing. */
static void check_dependencies(struct parse_ctx *ctx)
{
	const config_setting_t *group = ctx->args->config;
	const config_setting_t *pw = config_setting_get_member(group, "password");
	const config_setting_t *pw_file = config_setting_get_member(group, "password_file");
	const config_setting_t *user = config_setting_get_member(group, "user");
	const config_setting_t *sentinels = config_setting_get_member(group, "sentinels");
	const config_setting_t *master = config_setting_get_member(group, "master_name");
	const config_setting_t *s_user = config_setting_get_member(group, "sentinel_user");
	const config_setting_t *s_pw = config_setting_get_member(group, "sentinel_password");
	if (pw && pw_file)
		(void)BAD(ctx, pw_file, "%s", "give either 'password' or 'password_file', not both");
	if (user && !pw && !pw_file)
		(void)BAD(ctx, user, "%s", "'user' needs 'password' or 'password_file'");
	if (sentinels && !master)
		(void)BAD(ctx, sentinels, "%s", "'sentinels' needs 'master_name'");
	if (!sentinels) {
		/* Sentinel-only settings without sentinels are a mistake, not
		 * something to ignore. */
		const config_setting_t *only[] = {master, s_user, s_pw};
		for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
			if (only[i])
				(void)BAD(ctx, only[i], "'%s' needs 'sentinels'",
					  config_setting_name(only[i]));
	} else if (s_user && !s_pw) {
		(void)BAD(ctx, s_user, "%s", "'sentinel_user' needs 'sentinel_password'");
	}
}

/* Settings that are valid but have no effect: said once each. */
static void warn_ignored(struct parse_ctx *ctx)
{
	const config_setting_t *group = ctx->args->config;
	if (ctx->cfg->sentinels) {
		const char *unused[] = {"host", "port", "socket"};
		for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++) {
			const config_setting_t *s = config_setting_get_member(group, unused[i]);
			if (s)
				bh_config_warning(&ctx->report, s, "'%s' is ignored: with 'sentinels' "
						  "the sentinels name the master", unused[i]);
		}
		return;
	}
	const config_setting_t *tcp = config_setting_get_member(group, "host");
	if (!tcp)
		tcp = config_setting_get_member(group, "port");
	if (ctx->cfg->socket && tcp)
		/* Also what --redis-host/--redis-port run into: say which wins. */
		bh_config_warning(&ctx->report, tcp, "'%s' is ignored: 'socket' wins over host and port",
				  config_setting_name(tcp));
}

static int parse(struct parse_ctx *ctx)
{
	struct redis_config *cfg = ctx->cfg;
	const config_setting_t *group = ctx->args->config;
	for (int i = 0; i < config_setting_length(group); i++)
		read_one(ctx, config_setting_get_elem(group, (unsigned)i));
	check_dependencies(ctx);
	/* Read even when other settings are bad, so that its problems are
	 * reported in the same run; not when 'password' is given as well. */
	if (ctx->password_file && !config_setting_get_member(group, "password"))
		(void)read_password_file(ctx, config_setting_get_member(group, "password_file"));
	if (bh_config_end(&ctx->report) != BH_OK)
		return BH_ERR;
	warn_ignored(ctx);
	if (cfg->sentinels) {
		cfg->server = bh_strfmt("master %s", cfg->master_name);
		return cfg->server ? BH_OK : BH_ERR;
	}
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
	struct parse_ctx ctx = {args, cfg, bh_config_begin(args), NULL};
	int rc = parse(&ctx);
	free(ctx.password_file);
	if (rc != BH_OK)
		redis_config_free(cfg);
	return rc;
}

void redis_config_free(struct redis_config *cfg)
{
	free(cfg->host);
	free(cfg->socket);
	free(cfg->user);
	/* Do not leave the secret lying around in freed heap. */
	redis_free_secret(cfg->password);
	free(cfg->password_file);
	free(cfg->notify_channel);
	free(cfg->server);
	for (size_t i = 0; i < cfg->n_sentinels; i++)
		free(cfg->sentinels[i]);
	free(cfg->sentinels);
	free(cfg->master_name);
	free(cfg->sentinel_user);
	redis_free_secret(cfg->sentinel_password);
	memset(cfg, 0, sizeof *cfg);
}

/* --- the listing for --check-config --verbose --- */

/* One setting for --check-config --verbose; a string is quoted as the
 * configuration spells it (value NULL: unset). */
static void describe(const struct bh_init *args, const char *name, const char *value, bool quote)
{
	char *text = value ? (quote ? bh_strfmt("\"%s\"", value) : strdup(value)) : NULL;
	args->api->describe_setting(args->host, name, text,
				    config_setting_get_member(args->config, name), "default");
	free(text);
}

static void describe_number(const struct bh_init *args, const char *name, long long value)
{
	char text[32];
	snprintf(text, sizeof text, "%lld", value);
	describe(args, name, text, false);
}

void redis_config_describe(const struct bh_init *args, const struct redis_config *cfg)
{
	describe(args, "host", cfg->host, true);
	describe_number(args, "port", cfg->port);
	describe(args, "socket", cfg->socket, true);
	describe(args, "user", cfg->user, true);
	/* The password itself is never printed (the core hides it too). */
	const config_setting_t *file = config_setting_get_member(args->config, "password_file");
	describe(args, "password", cfg->password && !file ? "(hidden)" : NULL, false);
	describe(args, "password_file", file ? config_setting_get_string(file) : NULL, true);
	describe_number(args, "database", cfg->database);
	describe_number(args, "connect_timeout_ms", cfg->connect_timeout_ms);
	describe_number(args, "command_timeout_ms", cfg->command_timeout_ms);
	describe(args, "notify_channel", cfg->notify_channel, true);
	/* Sentinel: the list as one value, as the configuration spells it. */
	char *list = NULL;
	size_t size = 0;
	FILE *out = cfg->n_sentinels ? open_memstream(&list, &size) : NULL;
	for (size_t i = 0; out && i < cfg->n_sentinels; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "[ ", cfg->sentinels[i]);
	bool listed = false;
	if (out) {
		listed = fputs(" ]", out) >= 0;
		listed = fclose(out) == 0 && listed;
	}
	describe(args, "sentinels", listed ? list : NULL, false);
	free(list);
	describe(args, "master_name", cfg->master_name, true);
	describe(args, "sentinel_user", cfg->sentinel_user, true);
	describe(args, "sentinel_password", cfg->sentinel_password ? "(hidden)" : NULL, false);
}

void redis_config_backoff_init(struct bh_backoff *b)
{
	bh_backoff_init(b, REDIS_BACKOFF_MIN_MS, REDIS_BACKOFF_MAX_MS);
	bh_backoff_jitter(b, REDIS_BACKOFF_JITTER_PERCENT);
}
