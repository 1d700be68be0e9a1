/*
 * The namespace's owner record (etcd_claim.c): claimed, checked, restored;
 * the verdict goes to the callback it is given.
 */
#ifndef BH_ETCD_CLAIM_H
#define BH_ETCD_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd_client.h"

/* The owner record at namespace + BH_OWNER_KEY. */
enum etcd_claim_verdict {
	ETCD_CLAIM_HELD,    /* ours, on our lease */
	ETCD_CLAIM_REFUSED, /* another daemon's live claim: owner says whose */
	ETCD_CLAIM_FAILED,  /* no answer to act on: reply says why */
};

struct etcd_claim_result {
	enum etcd_claim_verdict verdict;
	const char *owner;                /* REFUSED: the record, described */
	bool own_token;                   /* REFUSED: our token, on a lease
					   * someone renews: a copy of state_dir */
	const struct etcd_reply *reply;   /* FAILED */
	bool created;                     /* HELD: written now (not found ours) */
	bool taken_over;                  /* HELD: our record from before, re-attached */
};

typedef void (*etcd_claim_cb)(void *arg, const struct etcd_claim_result *result);

struct etcd_claim;
struct etcd_claim *etcd_claim_new(struct etcd_client *client, const char *owner_key,
				  const char *record, const char *token, etcd_claim_cb done, void *arg);
/* Claims for lease (0: none); one attempt at a time (a no-op while one is
 * under way). */
void etcd_claim_try(struct etcd_claim *c, int64_t lease);
/* Rewrites our record over what is there now, if that is still at
 * mod_revision: for a claim someone overwrote in place. */
void etcd_claim_restore(struct etcd_claim *c, int64_t lease, int64_t mod_revision);
bool etcd_claim_busy(const struct etcd_claim *c);
void etcd_claim_cancel(struct etcd_claim *c);
/* A stored value of the owner key is this daemon's record. */
bool etcd_claim_is_mine(const struct etcd_claim *c, const char *value, size_t len);
void etcd_claim_free(struct etcd_claim *c);

#endif
