/* The daemon's identity for namespace claims; see owner_identity.h. */
#include "config.h"

#include "owner_identity.h"

#include <errno.h>
#include <dirent.h>
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
#define MACHINE_FILE "owner-machine-id"
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

/* Writes text to a temporary file and moves it to name: a crash leaves the
 * old content or the new one, never half of it.  With exclusive, an
 * existing name is kept (errno EEXIST): two daemons starting at once on one
 * state_dir then agree on the first token written. */
static int write_file(const char *dir, const char *name, const char *text, bool exclusive)
{
	char *path = bh_strfmt("%s/%s", dir, name);
	char *tmp = bh_strfmt("%s/.%s.%ld", dir, name, (long)getpid());
	char *line = bh_strfmt("%s\n", text);
	int rc = -1;
	int fd = path && tmp && line ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		bool written = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
		if (close(fd) == 0 && written &&
		    (exclusive ? link(tmp, path) : rename(tmp, path)) == 0)
			rc = 0;
	}
	int saved = errno;
	if (tmp && (rc < 0 || exclusive))
		unlink(tmp);
	free(path);
	free(tmp);
	free(line);
	errno = saved;
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

/* Every file directly in dir: what another machine's daemon kept there. */
static void clear_state(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_type != DT_REG)
			continue;
		if (unlinkat(dirfd(d), entry->d_name, 0) < 0)
			log_warning("state_dir %s: cannot remove %s: %s", dir, entry->d_name, strerror(errno));
	}
	closedir(d);
}

/* A state_dir copied with a cloned machine image holds the original's token
 * and lease ids: two daemons would then be one owner.  The machine id it was
 * written on tells (cloning tools give each clone its own machine id). */
static void forget_other_machines_state(const char *dir, const char *machine)
{
	char *path = bh_strfmt("%s/%s", dir, MACHINE_FILE);
	char seen[TOKEN_HEX + 1];
	int rc = path ? read_token(path, seen) : 0;
	free(path);
	if (rc == 0 || (rc > 0 && strcmp(seen, machine) == 0))
		return;
	log_warning("state_dir %s was written on another machine (machine id %s; this one is %s): "
		    "a cloned image? Its state is not this daemon's: starting afresh",
		    dir, rc > 0 ? seen : "unreadable", machine);
	clear_state(dir);
}

/* The token kept in dir, created there on first use; -1 with errno when the
 * directory cannot hold it. */
static int persistent_token(const char *dir, const char *machine, char out[TOKEN_HEX + 1])
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	if (is_token(machine))
		forget_other_machines_state(dir, machine);
	char *path = bh_strfmt("%s/%s", dir, TOKEN_FILE);
	if (!path)
		return -1;
	int rc = read_token(path, out);
	if (rc == 0) {
		rc = random_token(out) < 0 ? -1 : write_file(dir, TOKEN_FILE, out, true);
		if (rc < 0 && errno == EEXIST) /* another daemon was first */
			rc = read_token(path, out) > 0 ? 0 : -1;
	}
	free(path);
	if (rc >= 0 && is_token(machine))
		rc = write_file(dir, MACHINE_FILE, machine, false);
	return rc < 0 ? -1 : 0;
}

static char *build_record(const char *token, const char *machine)
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
	return bh_strfmt("hostname=%s machine_id=%s pid=%ld since=%s token=%s", host, machine,
			 (long)getpid(), since, token);
}

int owner_identity_load(struct owner_identity *id, const char *state_dir)
{
	memset(id, 0, sizeof *id);
	char token[TOKEN_HEX + 1];
	char *machine = machine_id();
	if (!machine)
		return -1;
	if (state_dir && persistent_token(state_dir, machine, token) == 0) {
		if (!(id->state_dir = strdup(state_dir))) {
			free(machine);
			return -1;
		}
	} else {
		if (state_dir)
			log_warning("state_dir %s: %s: a restart will not resume this daemon's etcd "
				    "lease, and its namespace claim is new each run (a restart then "
				    "waits for the old claim to expire)",
				    state_dir, strerror(errno));
		if (random_token(token) < 0) {
			log_error("no random bytes for the owner token: %s", strerror(errno));
			free(machine);
			return -1;
		}
	}
	id->token = strdup(token);
	id->record = build_record(token, machine);
	free(machine);
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
