/* See redis_claim.h. */
#include "config.h"

#include "redis_claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <beachhead/sdk.h>

/* KEYS[1]: the owner key; ARGV: our record, "token=X", the expiry,
 * "machine_id=M".  Our own token and machine id anywhere in the record
 * (fields of their own) make it ours: a restart of this daemon.  The same
 * token on another machine is a clone that copied state_dir with the
 * image, a second daemon that must not share the namespace.  Another
 * owner's record is answered cut to 1 KiB (messages show 200 bytes): a
 * huge value there must not make the answer exceed resp_link's cap, which
 * would drop the link at every attempt without saying whose it is. */
static const char CLAIM_SCRIPT[] =
	"local v = redis.call('GET', KEYS[1])\n"
	"local function has(f) return string.find(' ' .. v .. ' ', ' ' .. f .. ' ', 1, true) end\n"
	"if v and not (has(ARGV[2]) and has(ARGV[4])) then\n"
	"  return {0, string.sub(v, 1, 1024)}\n"
	"end\n"
	"redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
	"return {1, v or ''}\n";

enum claim_state {
	CLAIM_UNKNOWN,     /* no answer since the link was made */
	CLAIM_OWNED,
	CLAIM_OTHER,       /* another daemon's live claim */
	CLAIM_UNSUPPORTED, /* the server refuses the script */
	CLAIM_FAILED,      /* the server cannot take it now (OOM, ...) */
};

struct redis_claim {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_claim_callbacks cbs;
	void *arg;
	char *owner_key, *record, *token_field, *machine_field;
	char ttl[16];
	unsigned renew_s, retry_s;
	enum claim_state state;
	bool waiting; /* a command awaits its answer */
	bool again;   /* asked for while one was waiting */
	bool stopped; /* redis_claim_stop(): no timer any more */
	struct bh_timer *timer;
};

static void send_claim(struct redis_claim *c)
{
	if (c->waiting) {
		c->again = true;
		return;
	}
	const char *argv[8] = {"EVAL",	      CLAIM_SCRIPT,   "1",    c->owner_key,
			       c->record,     c->token_field, c->ttl, c->machine_field};
	size_t lens[8];
	for (size_t i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	if (c->cbs.send(c->arg, 8, argv, lens) == BH_OK)
		c->waiting = true;
}

static void arm(struct redis_claim *c, unsigned seconds)
{
	if (c->stopped)
		return;
	if (c->api->timer_arm(c->host, c->timer, (uint64_t)seconds * 1000u) != BH_OK)
		c->api->log(c->host, BH_LOG_ERROR, "cannot arm the claim timer for %s: the claim "
			    "is renewed only when the connection is made again", c->owner_key);
}

static void on_timer(void *arg)
{
	send_claim(arg);
}

static bool is_unsupported(const char *error)
{
	return strncmp(error, "NOPERM", 6) == 0 || strstr(error, "unknown command") ||
	       strstr(error, "disabled");
}

/* [1, old] (ours now) or [0, other owner's record]. */
static void read_answer(struct redis_claim *c, const redisReply *r)
{
	enum claim_state before = c->state;
	if (r->type == REDIS_REPLY_ERROR && is_unsupported(r->str)) {
		c->state = CLAIM_UNSUPPORTED;
		if (before != CLAIM_UNSUPPORTED)
			c->cbs.unsupported(c->arg, r->str);
		return;
	}
	/* An error of the server's state, not of the key: no other owner.
	 * (A key of another type in the claim's place is someone's.) */
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) != 0) {
		c->state = CLAIM_FAILED;
		arm(c, c->retry_s);
		if (before != CLAIM_FAILED)
			c->cbs.failed(c->arg, r->str, before == CLAIM_OWNED);
		return;
	}
	bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		  r->element[0]->type == REDIS_REPLY_INTEGER &&
		  r->element[1]->type == REDIS_REPLY_STRING;
	if (ok && r->element[0]->integer == 1) {
		c->state = CLAIM_OWNED;
		arm(c, c->renew_s);
		if (before != CLAIM_OWNED)
			c->cbs.owned(c->arg);
		return;
	}
	/* Someone else's claim, or something in its place we cannot read
	 * (a key of another type): either way not ours to take. */
	char *owner = ok ? bh_owner_record_describe(r->element[1]->str, r->element[1]->len)
			 : bh_strfmt("unreadable (%s)", r->type == REDIS_REPLY_ERROR ? r->str
										: "an unexpected reply");
	c->state = CLAIM_OTHER;
	arm(c, c->retry_s);
	c->cbs.refused(c->arg, owner ? owner : "(out of memory describing it)",
		       before == CLAIM_OWNED);
	free(owner);
}

void redis_claim_reply(struct redis_claim *c, const redisReply *r)
{
	c->waiting = false;
	if (!r)
		return; /* the link is gone; redis_claim_connected() asks again */
	read_answer(c, r);
	if (c->again) {
		c->again = false;
		send_claim(c);
	}
}

void redis_claim_connected(struct redis_claim *c)
{
	c->state = CLAIM_UNKNOWN;
	send_claim(c);
}

void redis_claim_link_lost(struct redis_claim *c)
{
	/* Unknown, not "other": the held writes wait for the next answer. */
	if (c->state == CLAIM_OWNED)
		c->state = CLAIM_UNKNOWN;
	c->api->timer_disarm(c->host, c->timer);
}

void redis_claim_check_now(struct redis_claim *c)
{
	if (c->state != CLAIM_UNSUPPORTED)
		send_claim(c);
}

bool redis_claim_writable(const struct redis_claim *c)
{
	return c->state == CLAIM_OWNED || c->state == CLAIM_UNSUPPORTED;
}

bool redis_claim_settled(const struct redis_claim *c)
{
	return c->state != CLAIM_UNKNOWN;
}

bool redis_claim_owned(const struct redis_claim *c)
{
	return c->state == CLAIM_OWNED;
}

bool redis_claim_refused(const struct redis_claim *c)
{
	return c->state == CLAIM_OTHER || c->state == CLAIM_FAILED;
}

const char *redis_claim_key(const struct redis_claim *c)
{
	return c->owner_key;
}

/* Our record's "machine_id=M" field; the token field again when the
 * record has none (then the token alone decides, as it must). */
static char *machine_field(const char *record)
{
	for (const char *f = record; f && *f; f = strchr(f, ' ')) {
		f += *f == ' ';
		if (strncmp(f, "machine_id=", 11) == 0)
			return strndup(f, strcspn(f, " "));
	}
	const char *token = strstr(record, "token=");
	return strndup(token ? token : "", token ? strcspn(token, " ") : 0);
}

struct redis_claim *redis_claim_new(const struct bh_host_api *api, struct bh_host *host,
				    const struct redis_claim_settings *s,
				    const struct redis_claim_callbacks *callbacks, void *arg)
{
	struct redis_claim *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->api = api;
	c->host = host;
	c->cbs = *callbacks;
	c->arg = arg;
	c->owner_key = strdup(s->owner_key);
	c->record = strdup(s->record);
	c->token_field = bh_strfmt("token=%s", s->token);
	c->machine_field = machine_field(s->record);
	snprintf(c->ttl, sizeof c->ttl, "%u", s->ttl_s);
	c->renew_s = s->renew_s;
	c->retry_s = s->retry_s;
	c->timer = api->timer_new(host, on_timer, c);
	if (!c->owner_key || !c->record || !c->token_field || !c->machine_field || !c->timer) {
		redis_claim_free(c);
		return NULL;
	}
	return c;
}

void redis_claim_stop(struct redis_claim *c)
{
	c->stopped = true;
	c->api->timer_disarm(c->host, c->timer);
}

void redis_claim_free(struct redis_claim *c)
{
	if (!c)
		return;
	if (c->timer)
		c->api->timer_free(c->host, c->timer);
	free(c->owner_key);
	free(c->record);
	free(c->token_field);
	free(c->machine_field);
	free(c);
}
