/*
 * beachhead-companion plugin SDK: header-only conveniences on top of
 * <beachhead/plugin.h>.  Nothing here is ABI: every function is static
 * inline and uses only the host API table, so a plugin built against this
 * header runs with any core of the same ABI major.
 *
 *   Logging shorthands (collectd's ERROR()/WARNING() style) for any struct
 *   that has `api` and `host` members:
 *
 *       struct my_plugin { const struct bh_host_api *api; struct bh_host *host; ... };
 *       BH_ERROR(p, "cannot open %s: %s", path, strerror(errno));
 *
 *   Configuration helpers that report "file:line: instance: message" and
 *   keep going, so that one run shows every bad setting:
 *
 *       struct bh_config cfg = bh_config_begin(args);
 *       for each setting s of args->config:
 *           if (bh_config_is(s, "directory")) bh_config_string(&cfg, s, &dir);
 *           else if (!bh_config_is(s, "plugin")) bh_config_unknown(&cfg, s);
 *       if (!dir) bh_config_missing(&cfg, "directory", "where to write files");
 *       if (bh_config_end(&cfg) != BH_OK) ... free what you copied, return BH_ERR
 *
 *   printf into a fresh heap string, one NULL check instead of asprintf's
 *   undefined pointer on failure (the core builds its messages with it too):
 *
 *       char *key = bh_strfmt("%s%s", prefix, name);
 *       if (!key) ... out of memory
 */
#ifndef BEACHHEAD_SDK_H
#define BEACHHEAD_SDK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- strings */

/* A malloc'd string, or NULL when out of memory or fmt cannot be formatted.
 * Plain C99 (vsnprintf twice), so no feature-test macro is needed. */
static inline char *bh_vstrfmt(const char *fmt, va_list ap) BH_PRINTF(1, 0);
static inline char *bh_vstrfmt(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *text = n >= 0 ? (char *)malloc((size_t)n + 1) : NULL;
	if (text && vsnprintf(text, (size_t)n + 1, fmt, again) != n) {
		free(text);
		text = NULL;
	}
	va_end(again);
	return text;
}

static inline char *bh_strfmt(const char *fmt, ...) BH_PRINTF(1, 2);
static inline char *bh_strfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = bh_vstrfmt(fmt, ap);
	va_end(ap);
	return text;
}

/* ---------------------------------------------------------------- logging */

#define BH_ERROR(p, ...) ((p)->api->log((p)->host, BH_LOG_ERROR, __VA_ARGS__))
#define BH_WARNING(p, ...) ((p)->api->log((p)->host, BH_LOG_WARNING, __VA_ARGS__))
#define BH_INFO(p, ...) ((p)->api->log((p)->host, BH_LOG_INFO, __VA_ARGS__))
#define BH_DEBUG(p, ...) ((p)->api->log((p)->host, BH_LOG_DEBUG, __VA_ARGS__))

/* ----------------------------------------------------------- configuration */

struct bh_config {
	const struct bh_init *args;
	unsigned errors; /* bad settings reported so far */
};

static inline struct bh_config bh_config_begin(const struct bh_init *args)
{
	struct bh_config cfg = {args, 0};
	return cfg;
}

/* BH_OK when no setting was bad. */
static inline int bh_config_end(const struct bh_config *cfg)
{
	return cfg->errors ? BH_ERR : BH_OK;
}

static inline int bh_config_is(const config_setting_t *s, const char *name)
{
	const char *own = config_setting_name(s);
	return own && strcmp(own, name) == 0;
}

/* The file a setting came from: libconfig knows it for @include'd files. */
static inline const char *bh_config_file(const struct bh_config *cfg, const config_setting_t *s)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	return file ? file : cfg->args->config_file;
}

static inline void bh_config_verror(struct bh_config *cfg, const config_setting_t *s,
				    const char *fmt, va_list ap) BH_PRINTF(3, 0);
static inline void bh_config_verror(struct bh_config *cfg, const config_setting_t *s,
				    const char *fmt, va_list ap)
{
	const struct bh_init *a = cfg->args;
	char *text = bh_vstrfmt(fmt, ap);
	a->api->log(a->host, BH_LOG_ERROR, "%s:%u: %s: %s", bh_config_file(cfg, s),
		    s ? config_setting_source_line(s) : 0u, a->instance,
		    text ? text : "invalid setting (no memory left to say more)");
	free(text);
	cfg->errors++;
}

/* Reports a bad setting (s may be NULL: the plugin's group) and counts it. */
static inline void bh_config_error(struct bh_config *cfg, const config_setting_t *s,
				   const char *fmt, ...) BH_PRINTF(3, 4);
static inline void bh_config_error(struct bh_config *cfg, const config_setting_t *s,
				   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bh_config_verror(cfg, s ? s : cfg->args->config, fmt, ap);
	va_end(ap);
}

static inline void bh_config_unknown(struct bh_config *cfg, const config_setting_t *s)
{
	bh_config_error(cfg, s, "unknown setting '%s'", config_setting_name(s));
}

static inline void bh_config_missing(struct bh_config *cfg, const char *name, const char *what)
{
	bh_config_error(cfg, NULL, "missing '%s' (%s)", name, what);
}

/* A string setting, copied (libconfig owns its strings and frees them on
 * reload).  Replaces *out; 0 or -1 (reported). */
static inline int bh_config_string(struct bh_config *cfg, const config_setting_t *s, char **out)
{
	const char *v = config_setting_get_string(s);
	if (!v) {
		bh_config_error(cfg, s, "'%s' must be a string", config_setting_name(s));
		return -1;
	}
	char *copy = strdup(v);
	if (!copy) {
		bh_config_error(cfg, s, "out of memory");
		return -1;
	}
	free(*out);
	*out = copy;
	return 0;
}

/* An integer setting within [min, max]; 0 or -1 (reported). */
static inline int bh_config_uint(struct bh_config *cfg, const config_setting_t *s,
				 unsigned long long min, unsigned long long max,
				 unsigned long long *out)
{
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		bh_config_error(cfg, s, "'%s' must be an integer", config_setting_name(s));
		return -1;
	}
	long long v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long)v < min || (unsigned long long)v > max) {
		bh_config_error(cfg, s, "'%s' must be between %llu and %llu (got %lld)",
				config_setting_name(s), min, max, v);
		return -1;
	}
	*out = (unsigned long long)v;
	return 0;
}

static inline int bh_config_bool(struct bh_config *cfg, const config_setting_t *s, int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		bh_config_error(cfg, s, "'%s' must be true or false", config_setting_name(s));
		return -1;
	}
	*out = config_setting_get_bool(s);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* BEACHHEAD_SDK_H */
