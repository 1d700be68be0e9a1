/*
 * The plugin's libconfig group.  Names are fixed by the core's command-line
 * compatibility (--docker-url -> url, --docker-network -> address = "name",
 * --envvar -> envvar).  Every bad or unknown key is reported as
 * FILE:LINE: inspector: ... and refuses the configuration.
 *
 * The engine's address, as the docker CLI decides it: --docker-url (which
 * the core puts into 'url'), else 'url' in the file, else $DOCKER_HOST, else
 * the default socket.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <beachhead/sdk.h>

#include "docker_config.h"

#define DEFAULT_URL "unix:///var/run/docker.sock"
#define DEFAULT_TIMEOUT_MS 10000L
/* An inspection answers in milliseconds; one that has not after a second
 * is stuck (a container lock in the engine) or the engine is overloaded:
 * either way the next ones should not wait for it. */
#define DEFAULT_INSPECT_DEADLINE_MS 1000L
/* Stuck inspections in flight at most (each holds a connection to the
 * engine until timeout_ms). */
#define DEFAULT_MAX_INSPECTIONS 16u
/* The engine writes each event whole; a line left incomplete this long is
 * a stream that stopped in the middle. */
#define DEFAULT_EVENT_STALL_MS 5000L
#define DEFAULT_MAX_RESPONSE (4u * 1024u * 1024u)
/* The listing holds every running container at once: one container with a
 * huge label (or many ordinary ones) must not make it fail for everybody.
 * The per-container limit (max_response_bytes) is applied after parsing. */
#define DEFAULT_MAX_LIST (64u * 1024u * 1024u)

/* Bad settings are reported through the SDK (file:line, every one in one
 * run); failed covers what is not a setting (environment, memory). */
struct ctx {
	const struct bh_init *args;
	struct bh_config cfg;
	bool failed;
	const char *docker_host; /* $DOCKER_HOST, NULL when unset or empty */
	int tls_verify;          /* -1: not configured */
	const config_setting_t *cert_setting;    /* NULL: cert_path not configured */
	const config_setting_t *address_setting; /* where to blame a missing advertise_address */
};

static void get_bool(struct ctx *ctx, const config_setting_t *s, bool *out)
{
	int v;
	if (bh_config_bool(&ctx->cfg, s, &v) == 0)
		*out = v != 0;
}

/* "FILE:LINE", or the command-line option the core names as the file of a
 * value it set (line 0). */
static void set_origin(struct ctx *ctx, const config_setting_t *s, char **out)
{
	const char *file = config_setting_source_file(s);
	unsigned line = config_setting_source_line(s);
	char *text = line ? bh_strfmt("%s:%u", file ? file : ctx->args->config_file, line)
			  : bh_strfmt("%s", file ? file : ctx->args->config_file);
	if (!text) {
		ctx->failed = true;
		return;
	}
	free(*out);
	*out = text;
}

/* The files the TLS client loads at start: a missing or unreadable one is a
 * configuration error that --check-config finds, not a retry loop later. */
static void check_cert_files(struct ctx *ctx, const char *dir, const config_setting_t *setting)
{
	static const char *const names[] = {"ca.pem", "cert.pem", "key.pem"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *path = bh_strfmt("%s/%s", dir, names[i]);
		if (!path) {
			ctx->failed = true;
			return;
		}
		if (access(path, R_OK) < 0) {
			char *why = bh_strfmt("%s: %s", path, strerror(errno));
			if (setting)
				bh_config_error(&ctx->cfg, setting, "cert_path: %s", why ? why : path);
			else
				ctx->args->api->log(ctx->args->host, BH_LOG_ERROR,
						    "%s: DOCKER_CERT_PATH: %s", ctx->args->instance,
						    why ? why : path);
			ctx->failed = true;
			free(why);
		}
		free(path);
	}
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

/* One setting for --check-config --verbose (value NULL: unset). */
static void describe_one(const struct bh_init *args, const char *name, const char *value,
			 const char *absent_origin)
{
	args->api->describe_setting(args->host, name, value, config_setting_get_member(args->config, name),
				    absent_origin);
}

/* The same for a string, quoted as the configuration spells it. */
static void describe_string(const struct bh_init *args, const char *name, const char *value,
			    const char *absent_origin)
{
	char *quoted = value ? bh_strfmt("\"%s\"", value) : NULL;
	describe_one(args, name, quoted, absent_origin);
	free(quoted);
}

/* The effective settings, with the docker CLI's environment where it
 * decided them (the url's origin is known exactly: st->url_origin). */
static void describe(const struct bh_init *args, const struct docker_config *st)
{
	static const char *const modes[] = {"ip", "name", "published"};
	const char *verify_origin =
		env_nonempty("DOCKER_TLS_VERIFY") ? "environment (DOCKER_TLS_VERIFY)" : "default";
	const char *cert_origin = env_nonempty("DOCKER_CERT_PATH") && st->cert_path
					  ? "environment (DOCKER_CERT_PATH)"
					  : "default";
	char timeout[32], max_response[32], deadline[32], max_inspections[32], stall[32];
	snprintf(timeout, sizeof timeout, "%ld", st->timeout_ms);
	snprintf(deadline, sizeof deadline, "%ld", st->inspect_deadline_ms);
	snprintf(max_inspections, sizeof max_inspections, "%u", st->max_inspections);
	snprintf(stall, sizeof stall, "%ld", st->event_stall_ms);
	snprintf(max_response, sizeof max_response, "%zu", st->max_response_bytes);
	describe_string(args, "url", st->url, st->url_origin);
	describe_one(args, "tls_verify", st->tls_verify ? "true" : "false", verify_origin);
	describe_string(args, "cert_path", st->cert_path, cert_origin);
	describe_string(args, "address", modes[st->address], "default");
	describe_string(args, "envvar", st->envvar, "default");
	describe_string(args, "label", st->label ? st->label : "", "default");
	describe_string(args, "network", st->network, "default");
	describe_string(args, "advertise_address", st->advertise_address, "default");
	describe_one(args, "skip_unhealthy", st->skip_unhealthy ? "true" : "false", "default");
	describe_one(args, "timeout_ms", timeout, "default");
	describe_one(args, "inspect_deadline_ms", deadline, "default");
	describe_one(args, "max_inspections", max_inspections, "default");
	describe_one(args, "event_stall_ms", stall, "default");
	describe_one(args, "max_response_bytes", max_response, "default");
}

static bool is_supported_url(const char *url)
{
	return strncmp(url, "unix://", 7) == 0 || strncmp(url, "tcp://", 6) == 0 ||
	       strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* The built-in defaults, with the Docker client's environment as the
 * docker CLI reads it; false when out of memory. */
static bool set_defaults(struct ctx *ctx, struct docker_config *st)
{
	memset(st, 0, sizeof *st);
	st->address = ADDRESS_IP;
	st->timeout_ms = DEFAULT_TIMEOUT_MS;
	st->inspect_deadline_ms = DEFAULT_INSPECT_DEADLINE_MS;
	st->max_inspections = DEFAULT_MAX_INSPECTIONS;
	st->event_stall_ms = DEFAULT_EVENT_STALL_MS;
	st->drain = true;
	st->max_response_bytes = DEFAULT_MAX_RESPONSE;
	st->max_list_bytes = DEFAULT_MAX_LIST;
	ctx->docker_host = env_nonempty("DOCKER_HOST");
	ctx->tls_verify = -1;
	st->url = strdup(ctx->docker_host ? ctx->docker_host : DEFAULT_URL);
	st->url_origin = strdup(ctx->docker_host ? "environment (DOCKER_HOST)" : "default");
	st->envvar = strdup("BEACHHEAD_DOMAINS");
	st->label = strdup("beachhead.domains");
	return st->url && st->url_origin && st->envvar && st->label;
}

static void parse_url_setting(struct ctx *ctx, const config_setting_t *s, struct docker_config *st)
{
	(void)bh_config_nonempty_string(&ctx->cfg, s, &st->url);
	set_origin(ctx, s, &st->url_origin);
	if (!is_supported_url(st->url))
		bh_config_error(&ctx->cfg, s, "'url' must start with unix://, tcp://, http:// or https://, not '%s'",
		    st->url);
	else if (strncmp(st->url, "unix://", 7) == 0 && st->url[7] != '/')
		bh_config_error(&ctx->cfg, s, "'url' needs an absolute socket path: unix:///path, not '%s'", st->url);
}

static void parse_address_setting(struct ctx *ctx, const config_setting_t *s,
				  struct docker_config *st)
{
	ctx->address_setting = s;
	char *mode = NULL;
	(void)bh_config_nonempty_string(&ctx->cfg, s, &mode);
	if (!mode)
		return;
	if (strcmp(mode, "ip") == 0)
		st->address = ADDRESS_IP;
	else if (strcmp(mode, "name") == 0)
		st->address = ADDRESS_NAME;
	else if (strcmp(mode, "published") == 0)
		st->address = ADDRESS_PUBLISHED;
	else
		bh_config_error(&ctx->cfg, s, "'address' must be \"ip\", \"name\" or \"published\", not \"%s\"", mode);
	free(mode);
}

/* The settings that are strings or switches; false: not one of them. */
static bool parse_text_setting(struct ctx *ctx, const char *name, const config_setting_t *s,
			       struct docker_config *st)
{
	if (strcmp(name, "url") == 0) {
		parse_url_setting(ctx, s, st);
	} else if (strcmp(name, "tls_verify") == 0) {
		(void)bh_config_bool(&ctx->cfg, s, &ctx->tls_verify);
	} else if (strcmp(name, "cert_path") == 0) {
		(void)bh_config_nonempty_string(&ctx->cfg, s, &st->cert_path);
		ctx->cert_setting = s;
	} else if (strcmp(name, "address") == 0) {
		parse_address_setting(ctx, s, st);
	} else if (strcmp(name, "envvar") == 0) {
		(void)bh_config_nonempty_string(&ctx->cfg, s, &st->envvar);
		if (st->envvar && strchr(st->envvar, '='))
			bh_config_error(&ctx->cfg, s, "'envvar' must not contain '=': '%s'", st->envvar);
	} else if (strcmp(name, "label") == 0) {
		(void)bh_config_string(&ctx->cfg, s, &st->label);
	} else if (strcmp(name, "network") == 0) {
		(void)bh_config_nonempty_string(&ctx->cfg, s, &st->network);
	} else if (strcmp(name, "advertise_address") == 0) {
		(void)bh_config_nonempty_string(&ctx->cfg, s, &st->advertise_address);
	} else if (strcmp(name, "skip_unhealthy") == 0) {
		get_bool(ctx, s, &st->skip_unhealthy);
	} else if (strcmp(name, "drain") == 0) {
		get_bool(ctx, s, &st->drain);
	} else {
		return false;
	}
	return true;
}

/* The settings that are numbers, each in its range; false: not one of them. */
static bool parse_number_setting(struct ctx *ctx, const char *name, const config_setting_t *s,
				 struct docker_config *st)
{
	unsigned long long n;
	if (strcmp(name, "timeout_ms") == 0) {
		if (bh_config_uint(&ctx->cfg, s, 100, 3600000, &n) == 0)
			st->timeout_ms = (long)n;
	} else if (strcmp(name, "inspect_deadline_ms") == 0) {
		if (bh_config_uint(&ctx->cfg, s, 50, 3600000, &n) == 0)
			st->inspect_deadline_ms = (long)n;
	} else if (strcmp(name, "max_inspections") == 0) {
		/* At least the 4 that count at once, at most what an
		 * engine's connection handling takes in its stride. */
		if (bh_config_uint(&ctx->cfg, s, 4, 256, &n) == 0)
			st->max_inspections = (unsigned)n;
	} else if (strcmp(name, "event_stall_ms") == 0) {
		if (bh_config_uint(&ctx->cfg, s, 100, 3600000, &n) == 0)
			st->event_stall_ms = (long)n;
	} else if (strcmp(name, "max_response_bytes") == 0) {
		if (bh_config_uint(&ctx->cfg, s, 4096, 1ull << 30, &n) == 0)
			st->max_response_bytes = (size_t)n;
	} else if (strcmp(name, "max_list_bytes") == 0) {
		if (bh_config_uint(&ctx->cfg, s, 4096, 1ull << 32, &n) == 0)
			st->max_list_bytes = (size_t)n;
	} else {
		return false;
	}
	return true;
}

/* TLS as the docker CLI decides it: tls_verify and cert_path from the file
 * win over DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. */
static void decide_tls(struct ctx *ctx, struct docker_config *st)
{
	const char *cert_env = env_nonempty("DOCKER_CERT_PATH");
	bool verify_env = env_nonempty("DOCKER_TLS_VERIFY") != NULL;
	bool cert_configured = ctx->cert_setting != NULL;
	if (!cert_configured && cert_env && (verify_env || ctx->tls_verify == 1)) {
		if (!(st->cert_path = strdup(cert_env)))
			ctx->failed = true;
	}
	st->tls_verify = ctx->tls_verify >= 0 ? ctx->tls_verify == 1 : (verify_env || st->cert_path != NULL);
	st->tls = strncmp(st->url, "https://", 8) == 0 ||
		  (strncmp(st->url, "tcp://", 6) == 0 &&
		   (ctx->tls_verify == 1 || cert_configured || (ctx->tls_verify < 0 && verify_env)));
	if (st->tls && st->cert_path)
		check_cert_files(ctx, st->cert_path, ctx->cert_setting);
}

/* What only the settings together say. */
static void check_together(struct ctx *ctx, struct docker_config *st)
{
	const char *host = ctx->docker_host;
	/* $DOCKER_HOST gets the same check as 'url' (the docker CLI also
	 * knows ssh:// and npipe://, which this plugin does not speak): a clear
	 * message now instead of a libcurl error on every retry. */
	if (host && st->url && strcmp(st->url, host) == 0 && !is_supported_url(host)) {
		ctx->args->api->log(ctx->args->host, BH_LOG_ERROR,
				    "%s: DOCKER_HOST='%s' is not supported: it must start with unix://, tcp://, "
				    "http:// or https:// (or set 'url')",
				    ctx->args->instance, host);
		ctx->failed = true;
	}
	/* The listing carries at least one container's worth. */
	if (st->max_list_bytes < st->max_response_bytes)
		st->max_list_bytes = st->max_response_bytes;
	/* An empty label switches labels off. */
	if (st->label && !st->label[0]) {
		free(st->label);
		st->label = NULL;
	}
	decide_tls(ctx, st);
	if (st->address == ADDRESS_PUBLISHED && !st->advertise_address)
		bh_config_error(&ctx->cfg, ctx->address_setting,
		    "%s needs 'advertise_address' (the host address proxies reach published ports on)",
		    "address = \"published\"");
}

int docker_config_parse(const struct bh_init *args, struct docker_config *st)
{
	struct ctx ctx = {.args = args, .cfg = bh_config_begin(args)};
	if (!set_defaults(&ctx, st)) {
		docker_config_free(st);
		return BH_ERR;
	}
	const config_setting_t *group = args->config;
	ctx.address_setting = group;
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "plugin") == 0 || parse_text_setting(&ctx, name, s, st) ||
		    parse_number_setting(&ctx, name, s, st))
			continue;
		bh_config_unknown_among(&ctx.cfg, s,
		    "url, tls_verify, cert_path, address, envvar, label, network, "
		    "advertise_address, skip_unhealthy, drain, timeout_ms, "
		    "inspect_deadline_ms, max_inspections, event_stall_ms, "
		    "max_response_bytes, max_list_bytes");
	}
	check_together(&ctx, st);
	if (ctx.failed || bh_config_end(&ctx.cfg) != BH_OK) {
		docker_config_free(st);
		return BH_ERR;
	}
	describe(args, st);
	return BH_OK;
}

void docker_config_free(struct docker_config *s)
{
	free(s->url);
	free(s->url_origin);
	free(s->cert_path);
	free(s->envvar);
	free(s->label);
	free(s->network);
	free(s->advertise_address);
	memset(s, 0, sizeof *s);
}
