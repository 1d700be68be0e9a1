/*
 * publisher-stdout: writes each publish and withdrawal as one JSON object per
 * line on standard output, flushed per line.  It is what --dry-run uses and
 * what the tests use to watch the core:
 *   {"op":"set","key":"/beachhead/web","ttl":60,"value":[...]}
 *   {"op":"del","key":"/beachhead/web"}
 * One line per change: the core publishes every registration again on every
 * full pass (that refreshes a store's expiry), but a refresh that changes
 * nothing is not printed.  Settings: none besides `plugin`.
 *
 * Output never blocks the loop: a reader that stops reading (a full pipe)
 * gets what fits, the rest waits in a buffer of at most STDOUT_MAX_BUFFER
 * bytes that drains as the reader catches up; a line that does not fit is
 * dropped and counted, with one warning per episode.  A pipe or terminal is
 * reopened through /proc/self/fd/1 so that O_NONBLOCK stays on our own open
 * file description (the shell's is left alone); a regular file never
 * blocks and is written directly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>

/* Far more than a burst of registrations; bounded so that a reader that
 * never reads costs a fixed amount of memory. */
#define STDOUT_MAX_BUFFER (1024u * 1024u)

struct stdout_publisher {
	const struct bh_host_api *api;
	struct bh_host *host;
	bool write_failed;
	struct json_object *printed; /* key -> the set line last printed for it */
	int fd;           /* where lines go; owned when != STDOUT_FILENO */
	struct bh_watch *watch; /* BH_EV_WRITE while buf holds bytes */
	char *buf;        /* bytes the reader has not taken yet */
	size_t len, cap;
	unsigned long dropped; /* lines dropped in the current episode */
};

static int stdout_init(const struct bh_init *args, void **self)
{
	/* No settings besides 'plugin': every other one is reported. */
	struct bh_config cfg = bh_config_begin(args);
	for (int i = 0; i < config_setting_length(args->config); i++) {
		const config_setting_t *s = config_setting_get_elem(args->config, (unsigned)i);
		if (!bh_config_is(s, "plugin"))
			bh_config_unknown(&cfg, s);
	}
	if (bh_config_end(&cfg) != BH_OK)
		return BH_ERR;
	struct stdout_publisher *p = calloc(1, sizeof *p);
	if (!p)
		return BH_ERR;
	p->api = args->api;
	p->host = args->host;
	p->fd = STDOUT_FILENO;
	if (!(p->printed = json_object_new_object())) {
		free(p);
		return BH_ERR;
	}
	*self = p;
	return BH_OK;
}

/* A non-blocking descriptor for standard output (see the top). */
static int open_output(struct stdout_publisher *p)
{
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) < 0) {
		p->api->log(p->host, BH_LOG_ERROR, "standard output: %s", strerror(errno));
		return BH_ERR;
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return BH_OK;
	int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		p->fd = fd;
		return BH_OK;
	}
	/* A socket cannot be reopened: then the shared description it is. */
	int flags = fcntl(STDOUT_FILENO, F_GETFL);
	if (flags < 0 || fcntl(STDOUT_FILENO, F_SETFL, flags | O_NONBLOCK) < 0) {
		p->api->log(p->host, BH_LOG_ERROR, "cannot make standard output non-blocking: %s",
			    strerror(errno));
		return BH_ERR;
	}
	return BH_OK;
}

static void flush_buffer(struct stdout_publisher *p);

static void on_writable(void *arg, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	flush_buffer(arg);
}

static int stdout_start(void *self)
{
	struct stdout_publisher *p = self;
	if (open_output(p) != BH_OK)
		return BH_ERR;
	if (p->fd == STDOUT_FILENO && lseek(p->fd, 0, SEEK_CUR) >= 0)
		return BH_OK; /* a file: never full, and epoll refuses it */
	/* Some devices (/dev/null) cannot be watched, and never fill up: what
	 * is buffered then goes out with the next line. */
	p->watch = p->api->watch_add(p->host, p->fd, 0, on_writable, p);
	if (!p->watch)
		p->api->log(p->host, BH_LOG_DEBUG, "standard output cannot be watched; writing without");
	return BH_OK;
}

static void stdout_stop(void *self)
{
	(void)self; /* what is buffered still drains (pending) */
}

static void stdout_destroy(void *self)
{
	struct stdout_publisher *p = self;
	if (p->watch)
		p->api->watch_remove(p->host, p->watch);
	if (p->fd != STDOUT_FILENO)
		close(p->fd);
	free(p->buf);
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

static void write_failed(struct stdout_publisher *p, int error)
{
	if (!p->write_failed)
		p->api->report_error(p->host, NULL, "cannot write to stdout: %s", strerror(error));
	p->write_failed = true;
	p->len = 0; /* nobody will ever read it */
}

/* Writes what the reader takes now; returns bytes written, or -1 on error
 * (reported). */
static ssize_t write_some(struct stdout_publisher *p, const char *data, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(p->fd, data + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		write_failed(p, n < 0 ? errno : EIO);
		return -1;
	}
	return (ssize_t)done;
}

static void flush_buffer(struct stdout_publisher *p)
{
	ssize_t n = p->len ? write_some(p, p->buf, p->len) : 0;
	if (n > 0) {
		memmove(p->buf, p->buf + n, p->len - (size_t)n);
		p->len -= (size_t)n;
	}
	if (p->len == 0 && p->dropped > 0) {
		p->api->log(p->host, BH_LOG_WARNING,
			    "stdout reader caught up; %lu lines were dropped while it was not reading",
			    p->dropped);
		p->dropped = 0;
	}
	if (p->watch && p->api->watch_set(p->host, p->watch, p->len ? BH_EV_WRITE : 0) < 0)
		p->api->log(p->host, BH_LOG_ERROR, "cannot watch standard output");
}

static int emit_line(struct stdout_publisher *p, const char *line)
{
	size_t len = strlen(line);
	size_t done = 0;
	if (p->len == 0) {
		ssize_t n = write_some(p, line, len);
		if (n < 0)
			return BH_ERR;
		done = (size_t)n;
		if (done == len) {
			p->write_failed = false;
			return BH_OK;
		}
	}
	/* A line starts to go out only whole: a dropped line is dropped entirely. */
	if (done == 0 && p->len + len > STDOUT_MAX_BUFFER) {
		if (p->dropped++ == 0)
			p->api->log(p->host, BH_LOG_WARNING,
				    "stdout reader is not reading: %u bytes buffered, dropping lines "
				    "until it catches up",
				    STDOUT_MAX_BUFFER);
		return BH_ERR;
	}
	size_t rest = len - done;
	if (p->len + rest > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + rest)
			cap *= 2;
		char *grown = realloc(p->buf, cap);
		if (!grown)
			return BH_ERR;
		p->buf = grown;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, line + done, rest);
	p->len += rest;
	flush_buffer(p);
	return BH_OK;
}

static int stdout_publish(void *self, const struct bh_registration *reg)
{
	struct stdout_publisher *p = self;
	char *key = quote(reg->key);
	/* The value is the core's JSON: embedded as is, not re-encoded. */
	char *line = key ? bh_strfmt("{\"op\":\"set\",\"key\":%s,\"ttl\":%u,\"value\":%s}\n", key,
				     reg->ttl, reg->value)
			 : NULL;
	if (!line) {
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
	int rc = emit_line(p, line);
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
	json_object_object_del(p->printed, key);
	char *line = quoted ? bh_strfmt("{\"op\":\"del\",\"key\":%s}\n", quoted) : NULL;
	free(quoted);
	if (!line)
		return BH_ERR;
	int rc = emit_line(p, line);
	free(line);
	return rc;
}

static size_t stdout_pending(void *self)
{
	const struct stdout_publisher *p = self;
	return p->len > 0 ? 1 : 0; /* the core's drain waits (bounded) for the reader */
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
