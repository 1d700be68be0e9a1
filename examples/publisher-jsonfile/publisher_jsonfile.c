/*
 * publisher-jsonfile: an example out-of-tree publisher for beachhead-companion.
 *
 * Each registration becomes one file DIRECTORY/<container>.json holding the
 * registration's JSON value exactly as the core built it (the same bytes
 * publisher-redis stores under the key, no trailing newline).  A withdrawal
 * deletes the file.  Readers never see a half-written file: the value is
 * written to a temporary file in the same directory, fsync()ed, and renamed
 * over the old one; the directory is fsync()ed after each rename or unlink
 * so that the change survives a crash.
 *
 * Settings (in its publishers group):
 *   plugin = "publisher-jsonfile";
 *   directory = "/var/lib/beachhead/registrations";   (required, absolute)
 *
 * Files have no expiry: the registration's ttl is ignored, and files of
 * containers that disappear while the daemon is not running stay until the
 * daemon next sees (and withdraws) them or someone deletes them.
 *
 * Built with only the installed SDK: <beachhead/plugin.h>, the header-only
 * helpers of <beachhead/sdk.h> (logging shorthands, config checks) and
 * `pkg-config beachhead-plugin` (see Makefile).  It uses no core symbol:
 * everything comes through the host API table handed to init().
 *
 * Blocking: the rule is that plugin functions never block the core loop.
 * Writing and fsync()ing a small file on a local file system takes well
 * under a millisecond to a few milliseconds, which this example accepts to
 * stay short; a publisher for slow or remote storage would hand the work to
 * a thread or a child process and report completion through pending().
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <beachhead/plugin.h>
#include <beachhead/sdk.h>

#define JSONFILE_VERSION "1.0.0"

struct jsonfile {
	const struct bh_host_api *api;
	struct bh_host *host;
	char *directory;
	int dirfd; /* open while started; -1 otherwise */
};

static int jsonfile_init(const struct bh_init *args, void **self)
{
	/* <beachhead/sdk.h>: every bad setting is reported (file:line) in one
	 * run, and unknown names are refused: a typo must not be ignored. */
	struct bh_config cfg = bh_config_begin(args);
	char *directory = NULL;
	for (int i = 0; i < config_setting_length(args->config); i++) {
		const config_setting_t *s = config_setting_get_elem(args->config, (unsigned)i);
		if (bh_config_is(s, "directory")) {
			if (bh_config_string(&cfg, s, &directory) == 0 && directory[0] != '/')
				bh_config_error(&cfg, s, "'directory' must be an absolute path");
		} else if (!bh_config_is(s, "plugin")) {
			bh_config_unknown(&cfg, s);
		}
	}
	if (!directory)
		bh_config_missing(&cfg, "directory", "where to write <container>.json");
	if (bh_config_end(&cfg) != BH_OK) {
		free(directory);
		return BH_ERR;
	}

	struct jsonfile *p = calloc(1, sizeof *p);
	if (!p) {
		free(directory);
		return BH_ERR;
	}
	p->directory = directory; /* bh_config_string copied it from libconfig */
	p->api = args->api;
	p->host = args->host;
	p->dirfd = -1;
	*self = p;
	return BH_OK;
}

static int jsonfile_start(void *self)
{
	struct jsonfile *p = self;
	/* A missing directory is a configuration mistake, not a transient
	 * outage, so it fails the start instead of being retried. */
	p->dirfd = open(p->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		BH_ERROR(p, "cannot open directory %s: %s", p->directory, strerror(errno));
		return BH_ERR;
	}
	p->api->set_status(p->host, "writing registrations as files");
	return BH_OK;
}

static void jsonfile_stop(void *self)
{
	(void)self; /* every operation completed before it returned */
}

static void jsonfile_destroy(void *self)
{
	struct jsonfile *p = self;
	if (!p)
		return;
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->directory);
	free(p);
}

/* <container>.json, refusing names that would leave the directory or hide
 * the file (Docker's own names never contain '/' or start with '.'). */
static int file_name(struct jsonfile *p, const char *container, char *buf, size_t size)
{
	if (!container || !container[0] || container[0] == '.' || strchr(container, '/')) {
		p->api->report_error(p->host, container, "not usable as a file name");
		return BH_ERR;
	}
	int n = snprintf(buf, size, "%s.json", container);
	if (n < 0 || (size_t)n >= size) {
		p->api->report_error(p->host, container, "name too long for a file name");
		return BH_ERR;
	}
	return BH_OK;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int jsonfile_publish(void *self, const struct bh_registration *reg)
{
	struct jsonfile *p = self;
	char name[256], tmp[300];
	if (p->dirfd < 0 || file_name(p, reg->container, name, sizeof name) < 0)
		return BH_ERR;
	/* Same directory as the target, so that rename() is atomic; the pid
	 * keeps two daemons writing one directory from sharing a temp file. */
	snprintf(tmp, sizeof tmp, ".%s.%ld.tmp", name, (long)getpid());

	int fd = openat(p->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		p->api->report_error(p->host, reg->container, "%s/%s: %s", p->directory, tmp,
				     strerror(errno));
		return BH_ERR;
	}
	const char *step = "write";
	int ok = write_all(fd, reg->value, reg->value_len) == 0;
	if (ok && !(ok = fsync(fd) == 0))
		step = "fsync";
	int saved = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		step = "close";
		saved = errno;
	}
	if (ok && renameat(p->dirfd, tmp, p->dirfd, name) != 0) {
		ok = 0;
		step = "rename";
		saved = errno;
	}
	if (!ok) {
		unlinkat(p->dirfd, tmp, 0);
		p->api->report_error(p->host, reg->container, "%s %s/%s: %s", step, p->directory,
				     name, strerror(saved));
		return BH_ERR;
	}
	/* Make the rename itself durable. */
	if (fsync(p->dirfd) != 0)
		BH_WARNING(p, "fsync %s: %s", p->directory, strerror(errno));
	BH_DEBUG(p, "wrote %s/%s", p->directory, name);
	return BH_OK;
}

static int jsonfile_withdraw(void *self, const char *key, const char *container)
{
	struct jsonfile *p = self;
	char name[256];
	(void)key;
	if (p->dirfd < 0 || file_name(p, container, name, sizeof name) < 0)
		return BH_ERR;
	if (unlinkat(p->dirfd, name, 0) != 0) {
		if (errno == ENOENT) /* already gone: the goal is reached */
			return BH_OK;
		p->api->report_error(p->host, container, "unlink %s/%s: %s", p->directory, name,
				     strerror(errno));
		return BH_ERR;
	}
	if (fsync(p->dirfd) != 0)
		BH_WARNING(p, "fsync %s: %s", p->directory, strerror(errno));
	return BH_OK;
}

static size_t jsonfile_pending(void *self)
{
	(void)self;
	return 0; /* every operation is complete when publish/withdraw return */
}

/* The one exported symbol.  BH_PLUGIN_EXPORT keeps it visible although the
 * Makefile compiles with -fvisibility=hidden. */
BH_PLUGIN_EXPORT const struct bh_plugin beachhead_plugin = {
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.struct_size = sizeof(struct bh_plugin),
	.kind = BH_PLUGIN_PUBLISHER,
	.name = "publisher-jsonfile",
	.version = JSONFILE_VERSION,
	.description = "one JSON file per container (example plugin)",
	.init = jsonfile_init,
	.start = jsonfile_start,
	.stop = jsonfile_stop,
	.destroy = jsonfile_destroy,
	.resync = NULL,
	.publish = jsonfile_publish,
	.withdraw = jsonfile_withdraw,
	.pending = jsonfile_pending,
};
