/*
 * Who this daemon is, for the namespace claim a publisher writes next to its
 * keys (one owner per host id): a random token kept in state_dir, so that a
 * restarted daemon recognises its own claim (and resumes instead of refusing),
 * and a record that tells an operator who holds a namespace.
 */
#ifndef BH_OWNER_IDENTITY_H
#define BH_OWNER_IDENTITY_H

struct owner_identity {
	char *token;     /* 32 hex digits; the same across restarts when state_dir works */
	char *record;    /* "hostname=H machine_id=M pid=P since=T token=X" */
	char *state_dir; /* usable (exists, writable), or NULL */
};

/* Creates state_dir (its last component) when missing and reads or creates
 * the token there.  Never fails for an unusable directory: it logs one
 * warning, uses a token of this process alone and sets state_dir NULL.
 * Returns -1 only when out of memory or without any randomness. */
int owner_identity_load(struct owner_identity *id, const char *state_dir);
void owner_identity_free(struct owner_identity *id);

#endif
