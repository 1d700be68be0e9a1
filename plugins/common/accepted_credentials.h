/*
 * The credentials a store last accepted, per publisher instance, kept in
 * the module across a reload.  A reload (SIGHUP) builds the new plugin
 * instance while the old one still runs, in the same loaded module; when
 * the store refuses the new instance's password, the publisher can fall
 * back to the one that worked (and say so) rather than replace a working
 * link with one that cannot write.
 *
 * Kept in statics of the module that links this (each plugin module has
 * its own copy: the convenience library is linked into each), which
 * outlive the instances, and freed when the last instance lets go.  The
 * daemon is single-threaded: no locks.
 */
#ifndef BH_COMMON_ACCEPTED_CREDENTIALS_H
#define BH_COMMON_ACCEPTED_CREDENTIALS_H

/* One hold per live instance (init() to destroy()): the remembered
 * credentials are freed when the last hold is released. */
void bh_accepted_credentials_hold(void);
void bh_accepted_credentials_release(void);
/* The store accepted user (may be NULL) and password for id (the
 * instance, and whatever else keys it).  Out of memory loses only the
 * fallback. */
void bh_accepted_credentials_remember(const char *id, const char *user, const char *password);
/* The password last accepted for id (NULL: none) and, where user is not
 * NULL, its user.  Valid until the next remember or the last release. */
const char *bh_accepted_credentials_find(const char *id, const char **user);
/* Overwrites a secret before freeing it; NULL is ignored. */
void bh_secret_free(char *secret);

#endif
