/*
 * The credentials the server last accepted, per publisher instance, kept
 * across a reload.  A reload builds the new publisher before the old one
 * goes and starts it after (core/reload.c), so the new instance cannot
 * prove its password while the old link still works; instead, when the
 * server refuses the new password, the new instance falls back to the one
 * that worked (and says so), rather than replacing a working publisher with
 * one that cannot write.  Kept in this module's statics, which outlive the
 * instances (the module is never unloaded: -z nodelete), and freed with the
 * last instance: common/accepted_credentials.c, which publisher-etcd's
 * password choice uses too.
 */
#ifndef BH_REDIS_CREDENTIALS_H
#define BH_REDIS_CREDENTIALS_H

/* One per live instance (init / destroy). */
void redis_credentials_hold(void);
void redis_credentials_release(void);
/* The server accepted user (may be NULL) and password for instance. */
void redis_credentials_accepted(const char *instance, const char *user, const char *password);
/* The password last accepted for instance (NULL: none), and its user. */
const char *redis_credentials_previous(const char *instance, const char **user);

#endif
