/*
 * The lease id kept in state_dir, so that a restarted daemon resumes its
 * lease (and the keys on it) instead of granting a new one and putting
 * every key again: a restart changes no revision, and a restart while etcd
 * refuses new leases (NOSPACE alarm) loses no key.
 *
 * One file per instance, cluster and namespace: publisher-etcd.<instance>.
 * <hash of the endpoints and the key prefix>.lease, so that two publishers
 * (or one pointed at another cluster or namespace) never share one.  The content is one line, "lease=<decimal id>";
 * written to a temporary file and renamed, so a crash leaves the old or the
 * new id, never half of one.  Mode 0600, like the owner token.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <beachhead/sdk.h>

#include "etcd_lease_file.h"

static uint64_t fnv1a(uint64_t h, const char *text)
{
	for (const char *c = text;; c++) {
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
		if (!*c)
			return h;
	}
}

/* The same endpoints (in order) and namespace, the same file. */
static uint64_t cluster_hash(const struct etcd_settings *s, const char *namespace)
{
	uint64_t h = fnv1a(14695981039346656037ull, namespace);
	for (size_t i = 0; i < s->n_endpoints; i++)
		h = fnv1a(h, s->endpoints[i]);
	return h;
}

char *etcd_lease_file_path(const char *state_dir, const struct etcd_settings *s, const char *namespace)
{
	if (!state_dir)
		return NULL;
	/* "publishers[1]" -> "publishers-1-": a file name, nothing else. */
	char *name = strdup(s->instance ? s->instance : "publisher");
	for (char *c = name; c && *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			*c = '-';
	char *path = name ? bh_strfmt("%s/publisher-etcd.%s.%016" PRIx64 ".lease", state_dir, name,
				      cluster_hash(s, namespace)) : NULL;
	free(name);
	return path;
}

int64_t etcd_lease_file_read(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	char line[64];
	int64_t lease = 0;
	if (fgets(line, sizeof line, f) && strncmp(line, "lease=", 6) == 0) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(line + 6, &end, 10);
		if (errno == 0 && end != line + 6 && (*end == '\n' || *end == '\0') && v > 0)
			lease = (int64_t)v;
	}
	fclose(f);
	return lease;
}

int etcd_lease_file_write(const char *path, int64_t lease, char **why)
{
	*why = NULL;
	if (!path)
		return 0;
	/* Per process (a one-pass run may share the file), readable by the
	 * daemon's user only, like the owner token beside it. */
	char *tmp = bh_strfmt("%s.%ld.tmp", path, (long)getpid());
	int fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f)
		(void)close(fd);
	bool ok = f && fprintf(f, "lease=%" PRId64 "\n", lease) > 0;
	ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		*why = bh_strfmt("cannot write %s: %s", tmp ? tmp : path, strerror(errno));
		if (tmp)
			(void)unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}
