/* The daemon's identity for namespace claims; see owner_identity.h. */
#include "config.h"

#include "owner_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <beachhead/sdk.h>

#include "log.h"

#define TOKEN_FILE "owner-token"
#define TOKEN_BYTES 16
#define TOKEN_HEX (2 * TOKEN_BYTES)

static int random_token(char out[TOKEN_HEX + 1])
{
	unsigned char raw[TOKEN_BYTES];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static bool is_token(const char *s)
{
	if (strlen(s) != TOKEN_HEX)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

/* Reads the token file: 1 read, 0 absent, -1 unreadable or not a token. */
static int read_token(const char *path, char out[TOKEN_HEX + 1])
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char line[TOKEN_HEX + 3] = "";
	bool ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (!ok || !is_token(line)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(out, line, TOKEN_HEX + 1);
	return 1;
}

/* Written to a temporary file and renamed: a crash leaves the old token or
 * the new one, never half of one. */
static int write_token(const char *dir, const char *path, const char *token)
{
	char *tmp = bh_strfmt("%s/.%s.%ld", dir, TOKEN_FILE, (long)getpid());
	if (!tmp)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd >= 0) {
		char *line = bh_strfmt("%s\n", token);
		bool written = line && write(fd, line, strlen(line)) == (ssize_t)strlen(line);
		free(line);
		if (close(fd) == 0 && written && rename(tmp, path) == 0)
			rc = 0;
	}
	int saved = errno;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return rc;
}

/* The token kept in dir, created there on first use; -1 with errno when the
 * directory cannot hold it. */
static int persistent_token(const char *dir, char out[TOKEN_HEX + 1])
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	char *path = bh_strfmt("%s/%s", dir, TOKEN_FILE);
	if (!path)
		return -1;
	int rc = read_token(path, out);
	if (rc == 0)
		rc = random_token(out) < 0 ? -1 : write_token(dir, path, out);
	if (rc > 0)
		rc = 0;
	free(path);
	return rc;
}

static char *machine_id(void)
{
	static const char *const files[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char buf[64];
		if (read_token(files[i], buf) > 0)
			return strdup(buf);
	}
	return strdup("unknown");
}

static char *build_record(const char *token)
{
	char host[HOST_NAME_MAX + 1] = "";
	if (gethostname(host, sizeof host) < 0 || !host[0])
		snprintf(host, sizeof host, "unknown");
	host[HOST_NAME_MAX] = '\0';
	for (char *c = host; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			*c = '_';
	char since[32] = "unknown";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char *machine = machine_id();
	char *record = machine ? bh_strfmt("hostname=%s machine_id=%s pid=%ld since=%s token=%s", host,
					   machine, (long)getpid(), since, token)
			       : NULL;
	free(machine);
	return record;
}

int owner_identity_load(struct owner_identity *id, const char *state_dir)
{
	memset(id, 0, sizeof *id);
	char token[TOKEN_HEX + 1];
	if (state_dir && persistent_token(state_dir, token) == 0) {
		if (!(id->state_dir = strdup(state_dir)))
			return -1;
	} else {
		if (state_dir)
			log_warning("state_dir %s: %s: a restart will not resume this daemon's etcd "
				    "lease, and its namespace claim is new each run (a restart then "
				    "waits for the old claim to expire)",
				    state_dir, strerror(errno));
		if (random_token(token) < 0) {
			log_error("no random bytes for the owner token: %s", strerror(errno));
			return -1;
		}
	}
	id->token = strdup(token);
	id->record = build_record(token);
	if (!id->token || !id->record) {
		owner_identity_free(id);
		return -1;
	}
	return 0;
}

void owner_identity_free(struct owner_identity *id)
{
	free(id->token);
	free(id->record);
	free(id->state_dir);
	memset(id, 0, sizeof *id);
}
