#include "config.h"

#include "plugin_trust.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include <beachhead/sdk.h>

/* Why another user could change what is at path (a malloc'd reason), or
 * NULL.  The reason names a directory; the loader names the file itself. */
static char *untrusted(const char *path, const struct stat *st, bool is_plugin)
{
	char *what = is_plugin ? bh_strfmt("the file") : bh_strfmt("directory %s", path);
	if (!what)
		return bh_strfmt("out of memory");
	char *reason = NULL;
	/* In a root-owned sticky directory (/tmp) nobody else can replace
	 * or rename our entries. */
	bool sticky_root = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0;
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		reason = bh_strfmt("%s is owned by uid %u, neither root nor the daemon's user (uid %u)",
				   what, (unsigned)st->st_uid, (unsigned)geteuid());
	} else if ((st->st_mode & S_IWOTH) && !sticky_root) {
		reason = bh_strfmt("%s is writable by every user (mode %04o)", what,
				   (unsigned)(st->st_mode & 07777));
	} else if ((st->st_mode & S_IWGRP) && !sticky_root && st->st_gid != 0) {
		const struct group *g = getgrgid(st->st_gid);
		log_warning("%s %s is writable by group %s (mode %04o): its members can change "
			    "code the daemon runs",
			    is_plugin ? "plugin file" : "plugin directory", path, g ? g->gr_name : "?",
			    (unsigned)(st->st_mode & 07777));
	}
	free(what);
	return reason;
}

char *plugin_trust_check(const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return bh_strfmt("plugin file %s: %s", path, strerror(errno));
	char *reason = NULL;
	bool is_plugin = true;
	/* The file, then each directory up to "/". */
	for (;;) {
		struct stat st;
		if (stat(real[0] ? real : "/", &st) < 0) {
			reason = bh_strfmt("%s: %s", real[0] ? real : "/", strerror(errno));
			break;
		}
		if ((reason = untrusted(real[0] ? real : "/", &st, is_plugin)))
			break;
		is_plugin = false;
		char *slash = strrchr(real, '/');
		if (!slash || !real[0])
			break;
		*slash = '\0';
	}
	free(real);
	return reason;
}
