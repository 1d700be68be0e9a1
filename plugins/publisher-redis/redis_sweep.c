/*
 * The namespace sweep: with a host id the daemon owns every key that starts
 * with key_prefix + host_id + "/", and after each complete pass deletes
 * there what no current registration backs (left by a crash, by an outage
 * that lost a withdrawal, by a container that vanished while the daemon was
 * down).
 *
 * `SCAN cursor MATCH pattern COUNT n`, one step at a time on the master
 * link, pipelined with the publisher's other commands: each step costs the
 * server O(n) and the loop one reply, so neither blocks.  The decision is
 * made per key when its step's reply arrives, against the registrations
 * held at that moment; the DEL then goes out on the same connection, ahead
 * of any later SET of that key, so a container that starts meanwhile keeps
 * its key.  The pattern escapes glob characters of the prefix, and every
 * key is checked against the prefix again before it is deleted: nothing
 * outside the namespace is ever touched.
 *
 * What a sweep costs does not depend on the namespace but on the whole
 * database: SCAN MATCH filters after visiting every bucket, so a pass of one
 * daemon over a million keys of others took 1,860 steps, and a fleet of H
 * daemons sharing one server made the server visit H x (all keys) per
 * refresh: quadratic in the fleet.  Leftovers come almost only from times the
 * link was not there (a crash, an outage that lost DELs, containers that went
 * while the daemon was down; a new master after a failover), so the first
 * sweep on every link is complete, as before.  After that, a pass sweeps one
 * slice of SLICE_STEPS steps and the next pass goes on where it stopped:
 * what a pass costs the server is bounded whatever the size of the database
 * (linear in the fleet), and a key someone else left in the namespace while
 * the link stood still goes within (buckets / (SLICE_STEPS x COUNT)) passes.
 * Neither an index of our keys kept on the server (a second write per
 * registration, itself stale after a crash) nor trusting only what this
 * process wrote (blind to the previous process's leftovers) keeps that.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "redis_sweep.h"

#include <beachhead/sdk.h>

/* Buckets the server visits per step: a few hundred microseconds of its
 * time; the reply stays far below resp_link's caps. */
#define SCAN_COUNT "500"
/* Steps of a slice: 4,000 buckets a pass, a few milliseconds of the server's
 * time, whatever else the database holds. */
#define SLICE_STEPS 8u

static void forget(struct redis_sweep *s)
{
	free(s->namespace_prefix);
	free(s->pattern);
	free(s->cursor);
	s->namespace_prefix = s->pattern = s->cursor = NULL;
	keyset_clear(&s->deleted);
}

/* A new link: the next sweep is complete again, from the start. */
static void restart_cycle(struct redis_sweep *s)
{
	free(s->resume);
	s->resume = NULL;
	s->full_done = false;
}

static bool set_cursor(struct redis_sweep *s, const char *cursor)
{
	char *copy = strdup(cursor);
	if (!copy)
		return false;
	free(s->cursor);
	s->cursor = copy;
	return true;
}

static void on_scan_reply(void *arg, void *privdata, const redisReply *r);
static void report(struct redis_sweep *s, const char *what);

/* The slice of this pass is done: the next pass goes on from the cursor. */
static void pause_slice(struct redis_sweep *s)
{
	report(s, "slice of the sweep");
	free(s->resume);
	s->resume = s->cursor;
	s->cursor = NULL;
	forget(s);
}

/* Sends the next SCAN; without a link the sweep waits for the next one. */
static void step(struct redis_sweep *s)
{
	if (s->scanning || !redis_conn_usable(s->conn) || !redis_write_allowed(s->writer))
		return; /* redis_sweep_connected() goes on */
	if (s->full_done && s->steps_left == 0) {
		pause_slice(s);
		return;
	}
	const char *argv[6] = {"SCAN", s->cursor, "MATCH", s->pattern, "COUNT", SCAN_COUNT};
	size_t lens[6] = {4, strlen(s->cursor), 5, strlen(s->pattern), 5, strlen(SCAN_COUNT)};
	if (redis_conn_submit(s->conn, on_scan_reply, s, 6, argv, lens) != BH_OK) {
		BH_WARNING(s, "redis %s: cannot queue SCAN (out of memory); sweeping %s next pass",
			   redis_conn_server(s->conn), s->namespace_prefix);
		forget(s);
		return;
	}
	s->scanning = true;
	if (s->full_done)
		s->steps_left--;
}

static void report(struct redis_sweep *s, const char *what)
{
	if (s->deleted.map.count > 0)
		BH_INFO(s, "redis %s: deleting %zu keys under %s that no running container backs",
			redis_conn_server(s->conn), s->deleted.map.count, s->namespace_prefix);
	else
		BH_DEBUG(s, "redis %s: %s: nothing to sweep under %s", redis_conn_server(s->conn), what,
			 s->namespace_prefix);
	s->refused_logged = false;
}

/* The cursor came back to 0: the whole keyspace was visited. */
static void finish(struct redis_sweep *s)
{
	report(s, s->full_done ? "sweep cycle" : "sweep");
	s->full_done = true;
	free(s->resume);
	s->resume = NULL;
	forget(s);
}

/* One key of a step: deleted unless it is a current registration. */
static void judge(struct redis_sweep *s, const redisReply *key)
{
	size_t prefix_len = strlen(s->namespace_prefix);
	/* Never outside the namespace (whatever the server matched), never a
	 * key with a NUL inside (it is not the key its C string names). */
	if (key->len != strlen(key->str) || key->len < prefix_len ||
	    memcmp(key->str, s->namespace_prefix, prefix_len) != 0)
		return;
	if (held_find(s->writer->held, key->str) || keyset_get(&s->deleted, key->str, NULL))
		return;
	/* The namespace's claim is no registration, and never a leftover. */
	if (strcmp(key->str + prefix_len, BH_OWNER_KEY) == 0)
		return;
	BH_DEBUG(s, "redis %s: sweep: %s backs no running container, deleting it",
		 redis_conn_server(s->conn), key->str);
	(void)keyset_put(&s->deleted, key->str, 0); /* only the count suffers */
	redis_write_delete_stale(s->writer, key->str);
}

/* [cursor, [key, ...]] */
static bool well_formed(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
		return false;
	const redisReply *keys = r->element[1];
	for (size_t i = 0; i < keys->elements; i++)
		if (keys->element[i]->type != REDIS_REPLY_STRING)
			return false;
	return true;
}

static void refused(struct redis_sweep *s, const char *error)
{
	if (!s->refused_logged)
		BH_WARNING(s, "redis %s refused SCAN, so leftovers under %s stay: %s%s",
			   redis_conn_server(s->conn), s->namespace_prefix, error,
			   strncmp(error, "NOPERM", 6) == 0 ? " (the ACL user needs +scan)" : "");
	else
		BH_DEBUG(s, "redis %s refused SCAN: %s", redis_conn_server(s->conn), error);
	s->refused_logged = true;
	forget(s);
	restart_cycle(s);
}

static void on_scan_reply(void *arg, void *privdata, const redisReply *r)
{
	struct redis_sweep *s = privdata;
	redis_conn_replied(arg);
	s->scanning = false;
	if (s->closing || !s->namespace_prefix)
		return; /* abandoned by stop() */
	if (!r) {
		/* The link broke: the cursor means nothing to the next server
		 * (a failover), so the sweep starts again once connected. */
		if (!set_cursor(s, "0"))
			forget(s);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		refused(s, r->str);
		return;
	}
	if (!well_formed(r)) {
		/* Abandoned, not resumed: a server that answers like this
		 * must not cost a reconnect per step. */
		forget(s);
		redis_conn_drop(s->conn, LINK_PROTOCOL, "protocol error: an unexpected reply to SCAN");
		return;
	}
	const redisReply *keys = r->element[1];
	for (size_t i = 0; i < keys->elements; i++)
		judge(s, keys->element[i]);
	if (strcmp(r->element[0]->str, "0") == 0) {
		finish(s);
	} else if (!set_cursor(s, r->element[0]->str)) {
		BH_WARNING(s, "redis %s: out of memory sweeping %s; the next pass sweeps again",
			   redis_conn_server(s->conn), s->namespace_prefix);
		forget(s);
	} else {
		step(s);
	}
}

int redis_sweep_start(struct redis_sweep *s, const char *namespace_prefix)
{
	if (s->namespace_prefix || s->scanning)
		return BH_OK; /* one at a time; the next pass sweeps again */
	s->namespace_prefix = strdup(namespace_prefix);
	s->pattern = resp_match_pattern(namespace_prefix);
	s->cursor = s->resume ? s->resume : strdup("0");
	s->resume = NULL;
	s->steps_left = SLICE_STEPS;
	if (!s->namespace_prefix || !s->pattern || !s->cursor) {
		forget(s);
		return BH_ERR;
	}
	step(s); /* or once connected */
	return BH_OK;
}

void redis_sweep_connected(struct redis_sweep *s)
{
	restart_cycle(s);
	/* A sweep the lost link interrupted starts again, complete. */
	if (!s->namespace_prefix || s->scanning)
		return;
	if (set_cursor(s, "0"))
		step(s);
	else
		forget(s);
}

size_t redis_sweep_waiting(const struct redis_sweep *s)
{
	/* Stopped for good, the publisher connects no more for it. */
	bool still_wanted = !s->stopped || s->one_pass;
	return s->namespace_prefix && !s->scanning && still_wanted ? 1u : 0u;
}

void redis_sweep_stop(struct redis_sweep *s)
{
	s->stopped = true;
	if (!s->one_pass)
		forget(s);
}

void redis_sweep_init(struct redis_sweep *s, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, struct redis_writer *writer, bool one_pass)
{
	*s = (struct redis_sweep){.api = api, .host = host, .conn = conn, .writer = writer,
				  .one_pass = one_pass};
	keyset_init(&s->deleted);
}

void redis_sweep_free(struct redis_sweep *s)
{
	forget(s);
	restart_cycle(s);
}
