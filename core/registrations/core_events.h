/*
 * What the lower parts of the core (registrations, the services given to
 * plugins) tell the daemon, which decides what follows: a header-only table
 * of callbacks.  Through it the dependencies run one way: the daemon calls
 * down into the parts, and the parts never call a function of the daemon.
 */
#ifndef BH_CORE_EVENTS_H
#define BH_CORE_EVENTS_H

struct core_events {
	/* Something the systemd status line shows changed. */
	void (*status_changed)(void *arg);
	/* A contender may take over a freed domain: a full pass soon. */
	void (*pass_wanted)(void *arg);
	/* The inspector ended a full pass (a one-pass run settles now). */
	void (*pass_finished)(void *arg);
	/* A publisher asked for a replay of every registration (from the loop,
	 * never inside the publisher's own call). */
	void (*replay_wanted)(void *arg);
	void *arg;
};

#endif
