/*
 * The namespace sweep (redis_sweep.c): deletes the keys under the
 * daemon's namespace that no current registration backs, in SCAN steps on
 * the Redis link; the DELs go through the writes (redis_write.h).
 */
#ifndef BH_REDIS_SWEEP_H
#define BH_REDIS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include <beachhead/plugin.h>

#include "redis_conn.h"
#include "redis_keyset.h"
#include "redis_write.h"

/* The sweep under way, and where the next slice goes on. */
struct redis_sweep {
	const struct bh_host_api *api;
	struct bh_host *host;
	struct redis_conn *conn;
	struct redis_writer *writer;
	bool one_pass; /* the end of a one-pass run finishes the sweep */
	bool stopped;  /* stop(): a daemon going away leaves it to its successor */
	bool closing;  /* the publisher goes away: replies are dropped */

	char *namespace_prefix; /* NULL: no sweep wanted */
	char *pattern;          /* SCAN MATCH: the prefix, glob-escaped, then '*' */
	char *cursor;           /* where the next SCAN goes on ("0": from the start) */
	bool scanning;          /* a SCAN awaits its reply */
	struct keyset deleted;  /* keys this sweep deleted (SCAN may name a key twice) */
	bool refused_logged;    /* the server refused SCAN: said once, until a sweep works */
	/* After a complete sweep on the link, a pass sweeps one slice of the
	 * keyspace (redis_sweep.c says why): */
	bool full_done;      /* a complete sweep ran on this link */
	unsigned steps_left; /* SCAN steps this slice may still take */
	char *resume;        /* cursor the next slice goes on from; NULL: "0" */
};

void redis_sweep_init(struct redis_sweep *s, const struct bh_host_api *api, struct bh_host *host,
		      struct redis_conn *conn, struct redis_writer *writer, bool one_pass);
/* The plugin's sweep(): deletes the keys under namespace_prefix that are not
 * current registrations, in SCAN steps on the loop.  One at a time: while
 * one runs, another is ignored (the next pass sweeps again). */
int redis_sweep_start(struct redis_sweep *s, const char *namespace_prefix);
/* The link to the master is ready: a sweep that waited, or that a lost
 * connection interrupted, starts (again) from the beginning. */
void redis_sweep_connected(struct redis_sweep *s);
/* 1 while a sweep waits for a connection it will still get, else 0 (the
 * SCAN in flight counts among the commands in flight). */
size_t redis_sweep_waiting(const struct redis_sweep *s);
/* stop(): a daemon that goes away leaves the sweep to its successor; the
 * end of a one-pass run finishes it. */
void redis_sweep_stop(struct redis_sweep *s);
/* Abandons any sweep (and frees what it holds). */
void redis_sweep_free(struct redis_sweep *s);

#endif
