/*
 * The namespace's claim: one owner record at namespace + BH_OWNER_KEY,
 * attached to the daemon's lease, so that a daemon that dies frees it
 * within one expiry.
 *
 *   1. a read of the key (no write: a restart during a NOSPACE alarm, when
 *      etcd refuses every transaction that could put, still finds its
 *      claim); absent, a transaction creates the record if the key still
 *      does not exist (create_revision 0), else reads it;
 *   2. a record with our token (this daemon before a restart: the token is
 *      kept in state_dir) on our lease is held as it is: a restart that
 *      resumed its lease writes nothing; on another lease (the lease file
 *      was lost, or the TTL changed) it is taken over by a transaction
 *      that rewrites it only if nobody changed it since we read it, once
 *      that lease is no longer renewed (lease/timetolive: a live holder
 *      keeps at least two thirds of its TTL left).  A lease still renewed
 *      is a copy of our state_dir running elsewhere (a cloned VM image):
 *      refused like anyone else's, or the two would take the record from
 *      each other and sweep each other's keys;
 *   3. anyone else's record: refused, with the record described.
 *
 * The verdict goes up through the callback; what to do about it (log, stop
 * writing, retry) is the publisher's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

#include "etcd_claim.h"
#include "etcd_json.h"

struct etcd_claim {
	struct etcd_client *client;
	char *key, *record, *token;
	etcd_claim_cb done;
	void *arg;
	struct etcd_call *call;
	int64_t lease;
	bool taking_over; /* the call is step 2's rewrite */
	/* Step 2: the record with our token on another lease, while that
	 * lease is asked about. */
	int64_t other_mod_revision;
	char *other_owner;
};

static void on_txn(void *arg, const struct etcd_reply *reply);
static void judge_record(struct etcd_claim *c, json_object *kv);
static void create_record(struct etcd_claim *c);

/* {"key":..,"value":record[,"lease":..]} */
static json_object *put_request(const struct etcd_claim *c)
{
	json_object *put = etcd_key_body(c->key);
	if (put && (!etcd_json_add_b64(put, "value", c->record) ||
		    (c->lease && !etcd_json_add_lease(put, "lease", c->lease)))) {
		json_object_put(put);
		return NULL;
	}
	return put;
}

/* if <key>.<target> == value then put the record, else read the key. */
static bool send_txn(struct etcd_claim *c, const char *target, int64_t value)
{
	json_object *cmp = etcd_key_body(c->key), *put = put_request(c), *range = etcd_key_body(c->key);
	json_object *body = json_object_new_object(), *compare = json_object_new_array();
	json_object *success = json_object_new_array(), *failure = json_object_new_array();
	json_object *put_op = json_object_new_object(), *range_op = json_object_new_object();
	char field[32];
	snprintf(field, sizeof field, "%s_revision", strcmp(target, "CREATE") == 0 ? "create" : "mod");
	bool ok = cmp && put && range && body && compare && success && failure && put_op && range_op &&
		  json_object_object_add(cmp, "target", json_object_new_string(target)) == 0 &&
		  etcd_json_add_lease(cmp, field, value) &&
		  json_object_array_add(compare, cmp) == 0 && (cmp = NULL, true) &&
		  json_object_object_add(put_op, "request_put", put) == 0 && (put = NULL, true) &&
		  json_object_array_add(success, put_op) == 0 && (put_op = NULL, true) &&
		  json_object_object_add(range_op, "request_range", range) == 0 && (range = NULL, true) &&
		  json_object_array_add(failure, range_op) == 0 && (range_op = NULL, true) &&
		  json_object_object_add(body, "compare", compare) == 0 && (compare = NULL, true) &&
		  json_object_object_add(body, "success", success) == 0 && (success = NULL, true) &&
		  json_object_object_add(body, "failure", failure) == 0 && (failure = NULL, true);
	json_object_put(cmp);
	json_object_put(put);
	json_object_put(range);
	json_object_put(compare);
	json_object_put(success);
	json_object_put(failure);
	json_object_put(put_op);
	json_object_put(range_op);
	if (!ok) {
		json_object_put(body);
		return false;
	}
	c->call = etcd_call_start(c->client, "/v3/kv/txn", body, on_txn, c);
	return c->call != NULL;
}

static void report(struct etcd_claim *c, const struct etcd_claim_result *result)
{
	c->done(c->arg, result);
}

static void report_failure(struct etcd_claim *c, const struct etcd_reply *reply)
{
	struct etcd_claim_result r = {.verdict = ETCD_CLAIM_FAILED, .reply = reply};
	report(c, &r);
}

/* The record the failed comparison read (responses[0].response_range.kvs[0]). */
static json_object *read_record(const struct etcd_reply *reply)
{
	json_object *responses = NULL, *range = NULL, *kvs = NULL;
	if (!json_object_object_get_ex(reply->json, "responses", &responses) ||
	    !json_object_is_type(responses, json_type_array) || json_object_array_length(responses) < 1 ||
	    !json_object_object_get_ex(json_object_array_get_idx(responses, 0), "response_range", &range) ||
	    !json_object_object_get_ex(range, "kvs", &kvs) || !json_object_is_type(kvs, json_type_array) ||
	    json_object_array_length(kvs) < 1)
		return NULL;
	return json_object_array_get_idx(kvs, 0);
}

static void take_over(struct etcd_claim *c)
{
	c->taking_over = true;
	if (!send_txn(c, "MOD", c->other_mod_revision)) {
		struct etcd_reply oom = {.error = "cannot queue the claim (out of memory)"};
		report_failure(c, &oom);
	}
}

/* lease/timetolive about the lease our own record is on. */
static void on_other_lease(void *arg, const struct etcd_reply *reply)
{
	struct etcd_claim *c = arg;
	c->call = NULL;
	char *owner = c->other_owner;
	c->other_owner = NULL;
	if (!reply->ok) {
		report_failure(c, reply);
	} else {
		/* -1 when gone; a holder renews every third of the TTL. */
		int64_t left = etcd_json_int64(reply->json, "TTL");
		int64_t granted = etcd_json_int64(reply->json, "grantedTTL");
		if (left <= 0 || 3 * left < 2 * granted) {
			take_over(c);
		} else {
			struct etcd_claim_result r = {.verdict = ETCD_CLAIM_REFUSED, .owner = owner ? owner : "?",
						      .own_token = true};
			report(c, &r);
		}
	}
	free(owner);
}

/* Ours from before, on a lease that is not ours now: whether anybody still
 * renews that lease decides (step 2). */
static void judge_own_record(struct etcd_claim *c, json_object *kv, const char *value, size_t len)
{
	int64_t other = etcd_json_int64(kv, "lease");
	c->other_mod_revision = etcd_json_int64(kv, "mod_revision");
	if (other == 0) {
		take_over(c); /* on no lease: nothing can say it is alive */
		return;
	}
	json_object *body = json_object_new_object();
	free(c->other_owner);
	c->other_owner = bh_owner_record_describe(value, len);
	c->call = body && etcd_json_add_lease(body, "ID", other)
			  ? etcd_call_start(c->client, "/v3/lease/timetolive", body, on_other_lease, c)
			  : (json_object_put(body), NULL);
	if (!c->call) {
		struct etcd_reply oom = {.error = "cannot queue the claim (out of memory)"};
		report_failure(c, &oom);
	}
}

static void judge_record(struct etcd_claim *c, json_object *kv)
{
	json_object *v = NULL;
	size_t len = 0;
	char *value = json_object_object_get_ex(kv, "value", &v) && json_object_is_type(v, json_type_string)
			      ? etcd_b64_decode(json_object_get_string(v), &len) : strdup("");
	if (value && bh_owner_record_is_mine(value, len, c->token)) {
		if (etcd_json_int64(kv, "lease") == c->lease) {
			struct etcd_claim_result r = {.verdict = ETCD_CLAIM_HELD};
			report(c, &r);
		} else {
			judge_own_record(c, kv, value, len);
		}
		free(value);
		return;
	}
	char *owner = value ? bh_owner_record_describe(value, len) : NULL;
	struct etcd_claim_result r = {.verdict = ETCD_CLAIM_REFUSED, .owner = owner ? owner : "?"};
	free(value);
	report(c, &r);
	free(owner);
}

static void on_txn(void *arg, const struct etcd_reply *reply)
{
	struct etcd_claim *c = arg;
	c->call = NULL;
	bool taking_over = c->taking_over;
	c->taking_over = false;
	if (!reply->ok) {
		report_failure(c, reply);
		return;
	}
	json_object *succeeded = NULL;
	if (json_object_object_get_ex(reply->json, "succeeded", &succeeded) &&
	    json_object_get_boolean(succeeded)) {
		struct etcd_claim_result r = {.verdict = ETCD_CLAIM_HELD, .created = !taking_over,
					      .taken_over = taking_over};
		report(c, &r);
		return;
	}
	json_object *kv = read_record(reply);
	if (!kv) {
		/* Deleted between our read and the rewrite: create it. */
		create_record(c);
		return;
	}
	judge_record(c, kv);
}

static void create_record(struct etcd_claim *c)
{
	if (!send_txn(c, "CREATE", 0)) {
		struct etcd_reply oom = {.error = "cannot queue the claim (out of memory)"};
		report_failure(c, &oom);
	}
}

static void on_read(void *arg, const struct etcd_reply *reply)
{
	struct etcd_claim *c = arg;
	c->call = NULL;
	if (!reply->ok) {
		report_failure(c, reply);
		return;
	}
	json_object *kvs = NULL;
	if (json_object_object_get_ex(reply->json, "kvs", &kvs) && json_object_is_type(kvs, json_type_array) &&
	    json_object_array_length(kvs) > 0)
		judge_record(c, json_object_array_get_idx(kvs, 0));
	else
		create_record(c);
}

void etcd_claim_try(struct etcd_claim *c, int64_t lease)
{
	if (c->call)
		return;
	c->lease = lease;
	json_object *body = etcd_key_body(c->key);
	c->call = body ? etcd_call_start(c->client, "/v3/kv/range", body, on_read, c) : NULL;
	if (!c->call) {
		struct etcd_reply oom = {.error = "cannot queue the claim (out of memory)"};
		report_failure(c, &oom);
	}
}

void etcd_claim_restore(struct etcd_claim *c, int64_t lease, int64_t mod_revision)
{
	etcd_claim_cancel(c);
	c->lease = lease;
	c->other_mod_revision = mod_revision;
	take_over(c);
}

bool etcd_claim_busy(const struct etcd_claim *c)
{
	return c->call != NULL;
}

void etcd_claim_cancel(struct etcd_claim *c)
{
	etcd_cancel(c->client, c->call);
	c->call = NULL;
	c->taking_over = false;
	free(c->other_owner);
	c->other_owner = NULL;
}

bool etcd_claim_is_mine(const struct etcd_claim *c, const char *value, size_t len)
{
	return bh_owner_record_is_mine(value, len, c->token) != 0;
}

struct etcd_claim *etcd_claim_new(struct etcd_client *client, const char *owner_key,
				  const char *record, const char *token, etcd_claim_cb done, void *arg)
{
	struct etcd_claim *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->client = client;
	c->done = done;
	c->arg = arg;
	c->key = strdup(owner_key);
	c->record = strdup(record);
	c->token = strdup(token);
	if (!c->key || !c->record || !c->token) {
		etcd_claim_free(c);
		return NULL;
	}
	return c;
}

void etcd_claim_free(struct etcd_claim *c)
{
	if (!c)
		return;
	etcd_claim_cancel(c);
	free(c->key);
	free(c->record);
	free(c->token);
	free(c);
}
