/*
 * A plugin is code that runs as the daemon's user: like sshd's StrictModes,
 * refuse a plugin file, or a directory on its path, that another user could
 * change.
 */
#ifndef BH_PLUGIN_TRUST_H
#define BH_PLUGIN_TRUST_H

/*
 * Checks path and every directory above it.  Refused (returns a malloc'd
 * reason): writable by every user (a directory with the sticky bit, as /tmp,
 * only when root owns it), or owned by a user that is neither root nor the
 * daemon's.  Writable by the group: allowed, with a warning logged.  Returns
 * NULL when the file may be loaded.
 */
char *plugin_trust_check(const char *path);

#endif
