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
 *   keep going, so that one run shows every bad setting (readers for
 *   strings, non-empty strings, ranged integers and booleans; one wording
 *   per kind of mistake, listed above bh_config_unknown):
 *
 *       struct bh_config cfg = bh_config_begin(args);
 *       for each setting s of args->config:
 *           if (bh_config_is(s, "directory")) bh_config_string(&cfg, s, &dir);
 *           else if (!bh_config_is(s, "plugin")) bh_config_unknown(&cfg, s);
 *       if (!dir) bh_config_missing(&cfg, "directory", "where to write files");
 *       if (bh_config_end(&cfg) != BH_OK) ... free what you copied, return BH_ERR
 *
 *   Metrics (ABI 1.3), for the same structs: register in start(), update
 *   where the event happens; every handle may be NULL (metrics off, or a
 *   core that has none), and the updates then do nothing:
 *
 *       p->m_writes_set = BH_COUNTER(p, "beachhead_publisher_writes_total",
 *                                    "Writes acknowledged.", "op", "set");
 *       p->m_connected = BH_GAUGE(p, "beachhead_publisher_connected", "1 when connected.");
 *       p->m_latency = BH_HISTOGRAM(p, "beachhead_publisher_write_duration_seconds",
 *                                   "Request to acknowledgement.", NULL, 0);
 *       BH_METRIC_INC(p, p->m_writes_set);
 *       BH_METRIC_SET(p, p->m_connected, 1);
 *       BH_METRIC_OBSERVE(p, p->m_latency, seconds);
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
#include <stddef.h>
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

/* The plugin's status line (bh_host_api.set_status), formatted; an
 * allocation failure leaves the status as it was. */
static inline void bh_set_status(const struct bh_host_api *api, struct bh_host *host,
				 const char *fmt, ...) BH_PRINTF(3, 4);
static inline void bh_set_status(const struct bh_host_api *api, struct bh_host *host,
				 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = bh_vstrfmt(fmt, ap);
	va_end(ap);
	if (text)
		api->set_status(host, text);
	free(text);
}

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

/* What messages call a setting: list elements have no name of their own. */
static inline const char *bh_config_name(const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	return name ? name : "value";
}

/* Logs "FILE:LINE: instance: message" at the given level (s may be NULL:
 * the plugin's group).  Counts nothing: errors go through bh_config_error. */
static inline void bh_config_vlog(const struct bh_config *cfg, enum bh_log_level level,
				  const config_setting_t *s, const char *fmt, va_list ap)
	BH_PRINTF(4, 0);
static inline void bh_config_vlog(const struct bh_config *cfg, enum bh_log_level level,
				  const config_setting_t *s, const char *fmt, va_list ap)
{
	const struct bh_init *a = cfg->args;
	if (!s)
		s = a->config;
	char *text = bh_vstrfmt(fmt, ap);
	a->api->log(a->host, level, "%s:%u: %s: %s", bh_config_file(cfg, s),
		    s ? config_setting_source_line(s) : 0u, a->instance,
		    text ? text : "invalid setting (no memory left to say more)");
	free(text);
}

static inline void bh_config_verror(struct bh_config *cfg, const config_setting_t *s,
				    const char *fmt, va_list ap) BH_PRINTF(3, 0);
static inline void bh_config_verror(struct bh_config *cfg, const config_setting_t *s,
				    const char *fmt, va_list ap)
{
	bh_config_vlog(cfg, BH_LOG_ERROR, s, fmt, ap);
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
	bh_config_verror(cfg, s, fmt, ap);
	va_end(ap);
}

/* A setting that is accepted but worth a word (ignored, unsafe): the same
 * "FILE:LINE: instance:" prefix at warning level; not counted as an error. */
static inline void bh_config_warning(const struct bh_config *cfg, const config_setting_t *s,
				     const char *fmt, ...) BH_PRINTF(3, 4);
static inline void bh_config_warning(const struct bh_config *cfg, const config_setting_t *s,
				     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bh_config_vlog(cfg, BH_LOG_WARNING, s, fmt, ap);
	va_end(ap);
}

/*
 * The messages below use one wording per kind of mistake, the daemon's own
 * (its settings file is read the same way), so that an operator sees the
 * same sentence whichever group is wrong:
 *   unknown setting 'NAME'                 (optionally: " (known: a, b)")
 *   missing 'NAME' (WHAT)
 *   'NAME' must be TYPE, not TYPE          ("an integer, not a string")
 *   'NAME' must not be empty
 *   'NAME' must be between MIN and MAX, not VALUE
 *   out of memory
 * Values of the wrong type are never echoed (a misplaced password).
 */

static inline void bh_config_unknown(struct bh_config *cfg, const config_setting_t *s)
{
	bh_config_error(cfg, s, "unknown setting '%s'", bh_config_name(s));
}

/* The same, naming the settings the plugin knows ("host, port, socket"): a
 * typo is easier to spot next to the right spelling. */
static inline void bh_config_unknown_among(struct bh_config *cfg, const config_setting_t *s,
					   const char *known)
{
	bh_config_error(cfg, s, "unknown setting '%s' (known: %s)", bh_config_name(s), known);
}

static inline void bh_config_missing(struct bh_config *cfg, const char *name, const char *what)
{
	bh_config_error(cfg, NULL, "missing '%s' (%s)", name, what);
}

/* A libconfig type (CONFIG_TYPE_...) in words, for messages. */
static inline const char *bh_config_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "something else";
}

/* 0 when s has the given type (CONFIG_TYPE_INT also accepts a 64-bit
 * integer), else -1 (reported). */
static inline int bh_config_expect(struct bh_config *cfg, const config_setting_t *s, int type)
{
	int actual = config_setting_type(s);
	if (actual == type || (type == CONFIG_TYPE_INT && actual == CONFIG_TYPE_INT64))
		return 0;
	bh_config_error(cfg, s, "'%s' must be %s, not %s", bh_config_name(s),
			bh_config_type_name(type), bh_config_type_name(actual));
	return -1;
}

/* A string setting, copied (libconfig owns its strings and frees them on
 * reload).  Replaces *out; 0 or -1 (reported). */
static inline int bh_config_string(struct bh_config *cfg, const config_setting_t *s, char **out)
{
	if (bh_config_expect(cfg, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	char *copy = strdup(config_setting_get_string(s));
	if (!copy) {
		bh_config_error(cfg, s, "out of memory");
		return -1;
	}
	free(*out);
	*out = copy;
	return 0;
}

/* The same for a setting where "" means nothing sensible (a host name, a
 * user, a path): an empty string is reported instead of copied. */
static inline int bh_config_nonempty_string(struct bh_config *cfg, const config_setting_t *s,
					    char **out)
{
	if (bh_config_expect(cfg, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	if (!config_setting_get_string(s)[0]) {
		bh_config_error(cfg, s, "'%s' must not be empty", bh_config_name(s));
		return -1;
	}
	return bh_config_string(cfg, s, out);
}

/* An integer setting within [min, max]; 0 or -1 (reported).  A negative
 * value is out of range like any other. */
static inline int bh_config_uint(struct bh_config *cfg, const config_setting_t *s,
				 unsigned long long min, unsigned long long max,
				 unsigned long long *out)
{
	if (bh_config_expect(cfg, s, CONFIG_TYPE_INT) < 0)
		return -1;
	long long v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long)v < min || (unsigned long long)v > max) {
		bh_config_error(cfg, s, "'%s' must be between %llu and %llu, not %lld",
				bh_config_name(s), min, max, v);
		return -1;
	}
	*out = (unsigned long long)v;
	return 0;
}

static inline int bh_config_bool(struct bh_config *cfg, const config_setting_t *s, int *out)
{
	if (bh_config_expect(cfg, s, CONFIG_TYPE_BOOL) < 0)
		return -1;
	*out = config_setting_get_bool(s);
	return 0;
}

/* ------------------------------------------------------------- the mode */

/* The daemon runs one pass and exits: bh_init.one_pass (ABI 1.3); a host
 * of an older minor does not pass that field, and there refresh == 0 says
 * the same. */
static inline int bh_init_one_pass(const struct bh_init *args)
{
	if (args->size >= offsetof(struct bh_init, one_pass) + sizeof args->one_pass)
		return args->one_pass != 0;
	return args->refresh == 0;
}

/* ----------------------------------------------------- namespace claims */

/* A claim's value (bh_init.owner_record, or what the store holds, which may
 * be anyone's bytes) is this daemon's when it has the field token=TOKEN. */
static inline int bh_owner_record_is_mine(const char *record, size_t len, const char *token)
{
	size_t token_len = token ? strlen(token) : 0;
	if (!record || !token_len)
		return 0;
	for (size_t i = 0; i + 6 + token_len <= len; i++) {
		int starts = i == 0 || record[i - 1] == ' ';
		size_t end = i + 6 + token_len;
		if (starts && memcmp(record + i, "token=", 6) == 0 &&
		    memcmp(record + i + 6, token, token_len) == 0 && (end == len || record[end] == ' '))
			return 1;
	}
	return 0;
}

/* A claim's value for a message: its fields without the token, printable
 * characters only, at most 200 of them; malloc'd (NULL: out of memory). */
static inline char *bh_owner_record_describe(const char *record, size_t len)
{
	char *out = (char *)malloc(len < 200 ? len + 1 : 201);
	size_t n = 0;
	for (size_t i = 0; out && i < len && n < 200;) {
		size_t field = i;
		while (i < len && record[i] != ' ')
			i++;
		int secret = i - field >= 6 && memcmp(record + field, "token=", 6) == 0;
		for (size_t c = field; !secret && c < i && n < 200; c++)
			out[n++] = record[c] > ' ' && record[c] < 0x7f ? record[c] : '?';
		if (!secret && i < len && n > 0 && n < 200)
			out[n++] = ' ';
		while (i < len && record[i] == ' ')
			i++;
	}
	if (out) {
		while (n > 0 && out[n - 1] == ' ')
			n--;
		out[n] = '\0';
	}
	return out;
}

/* ---------------------------------------------------------- metrics (1.3) */

/* A handle on the series name{label="value"} (label NULL: none), or NULL
 * when the core has no metrics (older than 1.3, or metrics off). */
static inline struct bh_metric *bh_metric_new(const struct bh_host_api *api, struct bh_host *host,
					      enum bh_metric_type type, const char *name,
					      const char *help, const char *label, const char *value,
					      const double *buckets, size_t n_buckets)
{
	if (api->size < BH_HOST_API_SIZE_1_2 + sizeof api->metric_register || !api->metric_register)
		return NULL;
	struct bh_metric_label one = {label, value};
	return api->metric_register(host, type, name, help, label ? &one : NULL, label ? 1u : 0u,
				    buckets, n_buckets);
}

static inline void bh_metric_add(const struct bh_host_api *api, struct bh_host *host,
				 struct bh_metric *metric, double value)
{
	if (metric)
		api->metric_add(host, metric, value);
}

static inline void bh_metric_set(const struct bh_host_api *api, struct bh_host *host,
				 struct bh_metric *metric, double value)
{
	if (metric)
		api->metric_set(host, metric, value);
}

static inline void bh_metric_observe(const struct bh_host_api *api, struct bh_host *host,
				     struct bh_metric *metric, double value)
{
	if (metric)
		api->metric_observe(host, metric, value);
}

#define BH_COUNTER(p, name, help, label, value)                                                    \
	bh_metric_new((p)->api, (p)->host, BH_METRIC_COUNTER, name, help, label, value, NULL, 0)
#define BH_GAUGE(p, name, help)                                                                    \
	bh_metric_new((p)->api, (p)->host, BH_METRIC_GAUGE, name, help, NULL, NULL, NULL, 0)
#define BH_HISTOGRAM(p, name, help, buckets, n_buckets)                                            \
	bh_metric_new((p)->api, (p)->host, BH_METRIC_HISTOGRAM, name, help, NULL, NULL, buckets,  \
		      n_buckets)
#define BH_METRIC_INC(p, m) bh_metric_add((p)->api, (p)->host, (m), 1.0)
#define BH_METRIC_ADD(p, m, v) bh_metric_add((p)->api, (p)->host, (m), (v))
#define BH_METRIC_SET(p, m, v) bh_metric_set((p)->api, (p)->host, (m), (v))
#define BH_METRIC_OBSERVE(p, m, v) bh_metric_observe((p)->api, (p)->host, (m), (v))

#ifdef __cplusplus
}
#endif

#endif /* BEACHHEAD_SDK_H */
