/* See etcd_owner.h. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_claim.h"
#include "etcd_owner.h"

struct etcd_owner {
	const struct bh_host_api *api;
	struct bh_host *host;
	const struct etcd_owner_callbacks *cb;
	void *arg;
	struct etcd_claim *claim;
	char *namespace;
	char *key;
	bool one_pass;
	enum etcd_ownership state;
	bool seen;            /* in the snapshot under way */
	int64_t created;      /* create_revision of our record while held */
	bool restoring;       /* putting our record back over a forged one */
	char *conflict_with;  /* the owner last reported, so it is said once */
	bool error_logged;    /* the claim's refusal (permissions) was said */
};

enum etcd_ownership etcd_owner_state(const struct etcd_owner *o)
{
	return o->state;
}

bool etcd_owner_is_key(const struct etcd_owner *o, const char *key)
{
	return strcmp(key, o->key) == 0;
}

void etcd_owner_advance(struct etcd_owner *o, int64_t lease)
{
	if (o->state != ETCD_OWNER_HELD && !etcd_claim_busy(o->claim))
		etcd_claim_try(o->claim, lease);
}

void etcd_owner_lease_lost(struct etcd_owner *o)
{
	if (o->state == ETCD_OWNER_HELD)
		o->state = ETCD_OWNER_WANTED;
}

/* own_token: the record carries this daemon's token on a lease another
 * process renews (etcd_claim.c): a copy of state_dir, which host_id alone
 * does not fix. */
static void refused(struct etcd_owner *o, const char *owner, bool own_token)
{
	bool news = !o->conflict_with || strcmp(o->conflict_with, owner) != 0;
	bool lost = o->state == ETCD_OWNER_HELD;
	o->state = ETCD_OWNER_REFUSED;
	if (!news) {
		o->cb->refused(o->arg, false);
		return;
	}
	free(o->conflict_with);
	o->conflict_with = strdup(owner);
	const char *fmt = own_token
		? "etcd: the namespace %s is claimed by a daemon with this daemon's own owner token (%s)%s, on a "
		  "lease that is still renewed: a copy of this daemon's state_dir runs elsewhere (a VM image "
		  "cloned after the daemon ran). This one neither publishes nor sweeps there while that claim "
		  "lives. Give each machine its own state_dir (remove owner-token and publisher-etcd.*.lease "
		  "from the image) and its own host_id; %s"
		: "etcd: the namespace %s is claimed by another daemon (%s)%s: this one neither "
		  "publishes nor sweeps there while that claim lives. Give each host its own host_id "
		  "(cloned VMs share a hostname: derive it from /etc/machine-id); %s";
	const char *what = lost ? " since now" : "";
	if (o->one_pass) {
		o->api->report_error(o->host, NULL, fmt, o->namespace, owner, what, "exiting");
		o->cb->refused(o->arg, true);
		return;
	}
	BH_ERROR(o, fmt, o->namespace, owner, what, "retrying the claim until it is free");
	bh_set_status(o->api, o->host, "namespace claimed by another daemon: %s", owner);
	o->cb->refused(o->arg, false);
}

static void held(struct etcd_owner *o, const struct etcd_claim_result *r)
{
	if (o->state == ETCD_OWNER_REFUSED)
		BH_INFO(o, "etcd: claimed the namespace %s (the other daemon's claim is gone)", o->namespace);
	else if (r->taken_over && !o->restoring)
		BH_INFO(o, "etcd: took over this daemon's claim on %s from before the restart", o->namespace);
	else if (r->created)
		BH_DEBUG(o, "etcd: claimed the namespace %s", o->namespace);
	free(o->conflict_with);
	o->conflict_with = NULL;
	o->restoring = false;
	o->state = ETCD_OWNER_HELD;
	o->cb->held(o->arg);
}

/* etcd answered the claim with a refusal (permissions): not an outage, so
 * the session stays up; said once, retried with backoff. */
static void not_allowed(struct etcd_owner *o, const struct etcd_reply *reply)
{
	if (o->one_pass) {
		o->cb->failed(o->arg, reply);
		return;
	}
	if (!o->error_logged)
		BH_ERROR(o, "etcd refuses the claim on %s (%s): nothing is written there until it can (the "
			 "user needs read-write on the prefix)", o->key, reply->error ? reply->error : "?");
	o->error_logged = true;
	o->cb->retry_later(o->arg);
}

static void on_claim(void *arg, const struct etcd_claim_result *r)
{
	struct etcd_owner *o = arg;
	if (r->verdict == ETCD_CLAIM_HELD) {
		o->error_logged = false;
		held(o, r);
	} else if (r->verdict == ETCD_CLAIM_REFUSED) {
		refused(o, r->owner, r->own_token);
	} else if (r->reply->code == ETCD_CODE_NOT_FOUND) {
		o->cb->lease_gone(o->arg); /* the claim names a lease that is gone */
	} else if (r->reply->json && r->reply->code != ETCD_CODE_UNAVAILABLE) {
		not_allowed(o, r->reply);
	} else {
		o->cb->failed(o->arg, r->reply);
	}
}

/* Someone else's record where ours was: forged in place (put ours back),
 * or another daemon's claim. */
static void replaced(struct etcd_owner *o, const struct etcd_kv *kv, int64_t lease)
{
	char *owner = bh_owner_record_describe(kv->value, kv->value_len);
	if (kv->create_revision == o->created) {
		/* Our record, overwritten in place: a daemon claims only a key
		 * that does not exist, so this is no claim. */
		BH_WARNING(o, "etcd: %s (this daemon's claim) was overwritten at revision %" PRId64 " with "
			   "\"%s\", which is no daemon's claim; putting it back", kv->key, kv->mod_revision,
			   owner ? owner : "?");
		o->state = ETCD_OWNER_WANTED;
		o->restoring = true;
		etcd_claim_restore(o->claim, lease, kv->mod_revision);
	} else {
		refused(o, owner ? owner : "?", false);
	}
	free(owner);
}

void etcd_owner_seen(struct etcd_owner *o, const struct etcd_kv *kv, bool snapshot, int64_t lease)
{
	if (snapshot)
		o->seen = true;
	if (kv->deleted) {
		if (o->state == ETCD_OWNER_HELD)
			BH_WARNING(o, "etcd: %s (this daemon's claim) was deleted at revision %" PRId64
				   "; putting it back", kv->key, kv->mod_revision);
		o->state = o->state == ETCD_OWNER_REFUSED ? ETCD_OWNER_REFUSED : ETCD_OWNER_WANTED;
		etcd_claim_try(o->claim, lease);
		return;
	}
	bool mine = etcd_claim_is_mine(o->claim, kv->value, kv->value_len);
	if (mine && kv->lease == lease)
		o->created = kv->create_revision;
	if (o->state != ETCD_OWNER_HELD || (mine && kv->lease == lease))
		return;
	if (mine) {
		BH_WARNING(o, "etcd: %s (this daemon's claim) was rewritten at revision %" PRId64
			   "; putting it back", kv->key, kv->mod_revision);
		o->state = ETCD_OWNER_WANTED;
		etcd_claim_try(o->claim, lease);
		return;
	}
	replaced(o, kv, lease);
}

void etcd_owner_snapshot_begin(struct etcd_owner *o)
{
	o->seen = false;
}

bool etcd_owner_snapshot_not_held(struct etcd_owner *o, int64_t lease)
{
	if (o->state == ETCD_OWNER_HELD)
		return false;
	/* Watching only for the claim to come free. */
	if (!o->seen && o->state == ETCD_OWNER_REFUSED)
		etcd_claim_try(o->claim, lease);
	return true;
}

bool etcd_owner_snapshot_showed_claim(struct etcd_owner *o, int64_t revision, int64_t lease)
{
	if (o->seen)
		return true;
	BH_WARNING(o, "etcd: %s (this daemon's claim) is gone at revision %" PRId64 "; putting it back",
		   o->key, revision);
	o->state = ETCD_OWNER_WANTED;
	etcd_claim_try(o->claim, lease);
	return false;
}

struct etcd_owner *etcd_owner_new(const struct bh_host_api *api, struct bh_host *host,
				  struct etcd_client *client, const struct etcd_owner_settings *settings,
				  const struct etcd_owner_callbacks *cb, void *arg)
{
	struct etcd_owner *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	*o = (struct etcd_owner){.api = api, .host = host, .cb = cb, .arg = arg,
				 .one_pass = settings->one_pass, .state = ETCD_OWNER_WANTED};
	o->namespace = strdup(settings->namespace);
	o->key = strdup(settings->owner_key);
	o->claim = etcd_claim_new(client, settings->owner_key, settings->record, settings->token,
				  on_claim, o);
	if (!o->namespace || !o->key || !o->claim) {
		etcd_owner_free(o);
		return NULL;
	}
	return o;
}

void etcd_owner_free(struct etcd_owner *o)
{
	if (!o)
		return;
	etcd_claim_free(o->claim);
	free(o->namespace);
	free(o->key);
	free(o->conflict_with);
	free(o);
}
