/*
 * "Wait until nothing is pending or the deadline passes": the daemon waits
 * so for its publishers at exit (drain), between the halves of a reload and
 * at the end of a one-pass run.  A timer polls the count from the loop (the
 * loop never blocks); done() gets what was still pending (0: all flushed).
 */
#ifndef BH_FLUSH_WAIT_H
#define BH_FLUSH_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* How often the count is polled. */
#define FLUSH_WAIT_POLL_MS 10u

struct flush_wait {
	struct bh_timer *timer;
	uint64_t deadline_ms;
	size_t (*pending)(void *arg); /* what is still unconfirmed */
	/* Once: left = 0 when everything was confirmed, else what the deadline
	 * (or a timer that cannot be armed) left behind. */
	void (*done)(void *arg, size_t left);
	void *arg;
};

/* 0, or -1 when the loop has no timer for it. */
int flush_wait_init(struct flush_wait *wait, struct loop *loop, size_t (*pending)(void *arg),
		    void (*done)(void *arg, size_t left), void *arg);
/* Looks at once (done() may run before this returns), then every
 * FLUSH_WAIT_POLL_MS for at most timeout_ms. */
void flush_wait_start(struct flush_wait *wait, uint64_t timeout_ms);
/* done() is not called. */
void flush_wait_cancel(struct flush_wait *wait);

#endif
